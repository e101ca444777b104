import { SluiceError } from '../core/sluice-error.ts';

/** Why Lambda refused an invoke for concurrency, as its TooManyRequestsException `Reason` says. */
export type ConcurrencyThrottleReason = 'ReservedFunctionConcurrentInvocationLimitExceeded' | 'ConcurrentInvocationLimitExceeded' | 'BurstScalingLimitExceeded';

/**
 * What to do about each throttle reason.
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html
 * https://docs.aws.amazon.com/lambda/latest/dg/scaling-behavior.html
 */
const throttleHints: Record<ConcurrencyThrottleReason, string> = {
  ReservedFunctionConcurrentInvocationLimitExceeded: "The function is at its reserved concurrency: raise the scenario's function.reservedConcurrency, or lower the load.",
  ConcurrentInvocationLimitExceeded: "The account is at its concurrency limit: raise the scenario's account.concurrencyLimit, or lower the load.",
  BurstScalingLimitExceeded: 'The function is scaling faster than Lambda adds environments (1,000 every 10 s in the current model): ramp the load up more slowly.',
};

/**
 * The function has no concurrency left: Lambda answers 429 TooManyRequestsException.
 *
 * @example
 * if (error instanceof ConcurrencyThrottleError && error.reason === 'BurstScalingLimitExceeded') retryLater();
 */
export class ConcurrencyThrottleError extends SluiceError<'TooManyRequestsException'> {
  constructor(readonly reason: ConcurrencyThrottleReason) {
    super('TooManyRequestsException', `Rate Exceeded (${reason})`, throttleHints[reason]);
  }
}

/**
 * The handler threw, returned an error, or ran past its timeout.
 *
 * @example
 * throw new FunctionError('Task timed out after 3.00 seconds', 'Timeout');
 */
export class FunctionError extends SluiceError<'FunctionError'> {
  constructor(
    message: string,
    readonly kind: 'Unhandled' | 'Timeout',
    options?: { cause?: unknown },
  ) {
    super(
      'FunctionError',
      message,
      kind === 'Timeout'
        ? "The handler ran past the function's timeout: raise the scenario's function.timeout, or make the handler faster."
        : 'The handler threw or returned an error; its message is above, and the cause holds what it threw.',
      options,
    );
  }
}
