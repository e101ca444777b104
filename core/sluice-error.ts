/**
 * The shape of every error sluice raises for a user to act on: a stable `code` a caller can
 * branch on, a message saying what happened, a `hint` saying what to do, and the `cause`
 * (the error it wraps) when there is one. The CLI prints the message and the hint; named
 * subclasses fix the code set.
 *
 * @example
 * class TargetError extends SluiceError<'SLUICE_TARGET_DIED'> {}
 * throw new TargetError('SLUICE_TARGET_DIED', 'the emulator exited', 're-run');
 */
export class SluiceError<Code extends string = string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Options every target error takes. */
export interface TargetErrorOptions {
  /** What the user can do about it, in one or two sentences. */
  hint: string;
  cause?: unknown;
}

/**
 * Base class of every error thrown by a target (real AWS, LocalStack, a user-given endpoint).
 *
 * @example
 * try { await deployStack(client, request); }
 * catch (error) { if (error instanceof SluiceTargetError) console.error(`${error.message}\n${error.hint}`); }
 */
export abstract class SluiceTargetError<Code extends string = string> extends SluiceError<Code> {
  /** A target error always says what to do. */
  declare readonly hint: string;
  constructor(code: Code, message: string, options: TargetErrorOptions) {
    super(code, message, options.hint, options.cause === undefined ? undefined : { cause: options.cause });
  }
}
