import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import type { AccountSpec, FunctionSpec } from '../scenario/parts.ts';
import { createBurstScaling, type BurstScaling } from './burst-scaling.ts';
import { ConcurrencyThrottleError, FunctionError } from './errors.ts';
import type { HandlerEvent, RunnableHandler } from './handler.ts';

/** How an invoke reached the function; it decides what a throttle means to the caller. */
export type InvokeTrigger = 'sync' | 'async' | 'poll';

/** One finished invocation, as the runtime saw it. */
export interface InvocationRecord {
  requestId: string;
  trigger: InvokeTrigger;
  coldStart: boolean;
  initDurationMs: number;
  startedAtMs: number;
  endedAtMs: number;
  /** Handler time only (what Lambda reports as Duration). */
  durationMs: number;
  outcome: 'ok' | 'error' | 'timeout';
  errorMessage?: string;
}

export interface RuntimeObserver {
  onInvocation?(record: InvocationRecord): void;
  onThrottle?(trigger: InvokeTrigger, error: ConcurrencyThrottleError): void;
}

interface ExecutionEnvironment {
  id: number;
  initialized: boolean;
  provisioned: boolean;
  lastUsedMs: number;
}

export interface LambdaFunctionOptions {
  spec: FunctionSpec;
  account: AccountSpec;
  handler: RunnableHandler;
  clock: Clock;
  observer?: RuntimeObserver;
}

/**
 * One Lambda function in sluice's local runtime: execution environments with cold starts
 * and warm reuse, one event (batch) per environment at a time, the function's concurrency
 * limit (reserved, else the account's), burst scaling, provisioned concurrency and idle
 * reclaim. https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html
 *
 * @example
 * const fn = new LambdaFunction({ spec, account, handler, clock: realClock });
 * const result = await fn.invoke({ Records: [] }, 'poll');
 */
export class LambdaFunction {
  private readonly idle: ExecutionEnvironment[] = [];
  private busyCount = 0;
  private liveCount = 0;
  private nextEnvironmentId = 1;
  private readonly burst: BurstScaling;
  private peakConcurrency = 0;

  constructor(private readonly options: LambdaFunctionOptions) {
    this.burst = createBurstScaling(options.account, options.clock);
    for (let i = 0; i < options.spec.provisionedConcurrency; i += 1) {
      this.idle.push({ id: this.nextEnvironmentId++, initialized: true, provisioned: true, lastUsedMs: options.clock.nowMs() });
      this.liveCount += 1;
    }
  }

  /** The function's concurrency limit: reserved concurrency, else the account limit. */
  get concurrencyLimit(): number {
    return this.options.spec.reservedConcurrency ?? this.options.account.concurrencyLimit;
  }

  /** Environments busy with an invoke right now. */
  get concurrency(): number {
    return this.busyCount;
  }

  get environmentCount(): number {
    return this.liveCount;
  }

  /** Highest concurrency since the last call (for per-second samples). */
  takePeakConcurrency(): number {
    const peak = Math.max(this.peakConcurrency, this.busyCount);
    this.peakConcurrency = this.busyCount;
    return peak;
  }

  /** Whether an invoke started now would find an environment (no side effects). */
  hasCapacity(): boolean {
    return this.busyCount < this.concurrencyLimit;
  }

  /**
   * Runs the handler in an execution environment. Rejects with
   * {@link ConcurrencyThrottleError} at once when the function is at its limit (what the
   * caller does then — 429, retry later, back off — is the trigger's business), or with
   * {@link FunctionError} when the handler fails or times out.
   */
  async invoke(event: HandlerEvent, trigger: InvokeTrigger): Promise<unknown> {
    const environment = this.acquire(trigger);
    const clock = this.options.clock;
    const spec = this.options.spec;
    const coldStart = !environment.initialized;
    const requestId = randomUUID();
    const initStartMs = clock.nowMs();
    if (coldStart) {
      await clock.sleep(spec.initDuration);
      environment.initialized = true;
    }
    const startedAtMs = clock.nowMs();
    let outcome: InvocationRecord['outcome'] = 'ok';
    let errorMessage: string | undefined;
    let result: unknown;
    const deadlineMs = startedAtMs + spec.timeout;
    const timeout = new AbortController();
    try {
      result = await Promise.race([
        this.options.handler.run(event, { requestId, remainingMs: () => deadlineMs - clock.nowMs() }),
        clock.sleep(spec.timeout, timeout.signal).then(() => {
          throw new FunctionError(`Task timed out after ${(spec.timeout / 1000).toFixed(2)} seconds`, 'Timeout');
        }),
      ]);
    } catch (error) {
      outcome = error instanceof FunctionError && error.kind === 'Timeout' ? 'timeout' : 'error';
      errorMessage = (error as Error).message;
    } finally {
      timeout.abort();
      this.release(environment);
    }
    const endedAtMs = clock.nowMs();
    this.options.observer?.onInvocation?.({
      requestId,
      trigger,
      coldStart,
      initDurationMs: coldStart ? startedAtMs - initStartMs : 0,
      startedAtMs,
      endedAtMs,
      durationMs: endedAtMs - startedAtMs,
      outcome,
      errorMessage,
    });
    if (outcome !== 'ok') throw new FunctionError(errorMessage ?? 'function error', outcome === 'timeout' ? 'Timeout' : 'Unhandled');
    return result;
  }

  private acquire(trigger: InvokeTrigger): ExecutionEnvironment {
    this.reclaimIdle();
    if (this.busyCount >= this.concurrencyLimit) {
      this.throttle(trigger, this.options.spec.reservedConcurrency !== undefined ? 'ReservedFunctionConcurrentInvocationLimitExceeded' : 'ConcurrentInvocationLimitExceeded');
    }
    // Most recently used first: that is the environment most likely still warm on AWS too.
    let environment = this.idle.pop();
    if (!environment) {
      if (!this.burst.tryAddEnvironment(this.liveCount)) this.throttle(trigger, 'BurstScalingLimitExceeded');
      environment = { id: this.nextEnvironmentId++, initialized: false, provisioned: false, lastUsedMs: this.options.clock.nowMs() };
      this.liveCount += 1;
    }
    this.busyCount += 1;
    this.peakConcurrency = Math.max(this.peakConcurrency, this.busyCount);
    return environment;
  }

  private release(environment: ExecutionEnvironment): void {
    this.busyCount -= 1;
    environment.lastUsedMs = this.options.clock.nowMs();
    this.idle.push(environment);
  }

  private throttle(trigger: InvokeTrigger, reason: ConcurrencyThrottleError['reason']): never {
    const error = new ConcurrencyThrottleError(reason);
    this.options.observer?.onThrottle?.(trigger, error);
    throw error;
  }

  /** Idle environments past the idle time are gone; provisioned ones are kept warm. */
  private reclaimIdle(): void {
    const oldestAllowedMs = this.options.clock.nowMs() - this.options.spec.idleReclaim;
    for (let i = this.idle.length - 1; i >= 0; i -= 1) {
      const environment = this.idle[i];
      if (!environment.provisioned && environment.lastUsedMs < oldestAllowedMs) {
        this.idle.splice(i, 1);
        this.liveCount -= 1;
      }
    }
  }
}
