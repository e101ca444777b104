/** One problem in a scenario file, located by line and key path. */
export interface ScenarioProblem {
  file: string;
  line: number;
  column: number;
  keyPath: string;
  message: string;
}

/**
 * A scenario file that cannot run. Carries every problem found, not just the first, so a
 * user fixes the file in one pass.
 */
export class ScenarioError extends Error {
  readonly code = 'SLUICE_BAD_SCENARIO';
  constructor(readonly problems: ScenarioProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ScenarioError';
  }
}

export function formatProblem(problem: ScenarioProblem): string {
  const where = `${problem.file}:${problem.line}:${problem.column}`;
  return problem.keyPath ? `${where} ${problem.keyPath}: ${problem.message}` : `${where} ${problem.message}`;
}
