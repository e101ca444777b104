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
 * Input that cannot run: the CLI exits 2 before anything starts, and heads the problems by
 * what they are in (`where`: "in the scenario file", "on the command line"), so a user knows which input to fix.
 */
export abstract class BadInputError<Code extends string = string> extends SluiceError<Code> {
  /** Where the problems are, as the CLI's heading says it: "2 problems on the command line". */
  abstract readonly where: string;
  /** How many problems the message lists, one a line. */
  abstract readonly problemCount: number;
}

/**
 * A scenario file that cannot run. Carries every problem found, not just the first, so a
 * user fixes the file in one pass.
 */
export class ScenarioError extends BadInputError<'SLUICE_BAD_SCENARIO'> {
  readonly where = 'in the scenario file';
  constructor(readonly problems: ScenarioProblem[]) {
    super(
      'SLUICE_BAD_SCENARIO',
      problems.map(formatProblem).join('\n'),
      'Fix each problem at the file, line and key shown; `sluice validate <scenario>` checks a scenario file again without running it.',
    );
  }
  get problemCount(): number {
    return this.problems.length;
  }
}

/** One problem with a command-line flag. */
export interface FlagProblem {
  /** The flag, as typed: `--only`. */
  flag: string;
  message: string;
}

/**
 * Flags that do not fit the scenario or each other (`--only` naming no pattern,
 * `--consumer localstack` without `--target localstack`).
 *
 * @example
 * throw new CommandLineError([{ flag: '--consumer', message: '--consumer localstack needs --target localstack' }]);
 */
export class CommandLineError extends BadInputError<'SLUICE_BAD_FLAGS'> {
  readonly where = 'on the command line';
  constructor(readonly problems: FlagProblem[]) {
    super('SLUICE_BAD_FLAGS', problems.map((problem) => `${problem.flag}: ${problem.message}`).join('\n'), 'Fix the flags shown; `sluice run --help` lists every flag and its values.');
  }
  get problemCount(): number {
    return this.problems.length;
  }
}

export function formatProblem(problem: ScenarioProblem): string {
  const where = `${problem.file}:${problem.line}:${problem.column}`;
  return problem.keyPath ? `${where} ${problem.keyPath}: ${problem.message}` : `${where} ${problem.message}`;
}
