import { SluiceError } from '../core/sluice-error.ts';

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
export class ScenarioError extends SluiceError<'SLUICE_BAD_SCENARIO'> {
  constructor(readonly problems: ScenarioProblem[]) {
    super(
      'SLUICE_BAD_SCENARIO',
      problems.map(formatProblem).join('\n'),
      'Fix each problem at the file, line and key shown; `sluice validate <scenario>` checks a scenario file again without running it.',
    );
  }
}

export function formatProblem(problem: ScenarioProblem): string {
  const where = `${problem.file}:${problem.line}:${problem.column}`;
  return problem.keyPath ? `${where} ${problem.keyPath}: ${problem.message}` : `${where} ${problem.message}`;
}
