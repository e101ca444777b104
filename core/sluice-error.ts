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
