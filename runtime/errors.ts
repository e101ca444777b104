/** The function has no concurrency left: Lambda answers 429 TooManyRequestsException. */
export class ConcurrencyThrottleError extends Error {
  readonly code = 'TooManyRequestsException';
  constructor(readonly reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' | 'ConcurrentInvocationLimitExceeded' | 'BurstScalingLimitExceeded') {
    super(`Rate Exceeded (${reason})`);
    this.name = 'ConcurrencyThrottleError';
  }
}

/** The handler threw, returned an error, or ran past its timeout. */
export class FunctionError extends Error {
  readonly code = 'FunctionError';
  constructor(message: string, readonly kind: 'Unhandled' | 'Timeout', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FunctionError';
  }
}
