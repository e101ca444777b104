import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import type { AccountSpec, FunctionSpec } from '../scenario/parts.ts';
import { createBurstScaling, type BurstScaling } from './burst-scaling.ts';
import { ConcurrencyThrottleError, FunctionError } from './errors.ts';
import { isIsolated, type HandlerEvent, type IsolatedHandler, type RunnableHandler } from './handler.ts';
import type { EnvironmentInvokeResult, WorkerEnvironment } from './worker-environment.ts';

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
  /**
   * 'error' is every failed invoke that is not a timeout: the handler threw, its answer
   * could not be serialised or was too large, or its environment died (errorType
   * 'Runtime.OutOfMemory' past memoryMb, 'Runtime.ExitError' on process.exit or an uncaught
   * exception).
   */
  outcome: 'ok' | 'error' | 'timeout';
  errorMessage?: string;
  /** Lambda's error type (module handlers): 'Runtime.OutOfMemory', 'Runtime.ImportModuleError', the thrown error's name, … */
  errorType?: string;
  /** CPU time of the handler's thread during the invoke (module handlers; absent when the environment died mid-invoke). */
  handlerCpuMs?: number;
  /** Highest V8 heap in use by the handler's environment during the invoke (module handlers). */
  handlerPeakMemoryMb?: number;
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
  /** The worker thread of a module handler's environment, once started. */
  worker?: WorkerEnvironment;
  /** A provisioned environment still starting (started with the function, before any invoke). */
  starting?: Promise<WorkerEnvironment | undefined>;
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

  private closed = false;

  constructor(private readonly options: LambdaFunctionOptions) {
    this.burst = createBurstScaling(options.account, options.clock);
    const handler = options.handler;
    for (let i = 0; i < options.spec.provisionedConcurrency; i += 1) {
      const environment: ExecutionEnvironment = { id: this.nextEnvironmentId++, initialized: true, provisioned: true, lastUsedMs: options.clock.nowMs() };
      // Provisioned environments are initialised before traffic arrives, as Lambda does.
      if (isIsolated(handler)) environment.starting = this.startProvisioned(handler, environment);
      this.idle.push(environment);
      this.liveCount += 1;
    }
  }

  /** Resolves once every provisioned environment has started (or failed to: it then cold-starts on first use). */
  async ready(): Promise<void> {
    await Promise.all(this.idle.map((environment) => environment.starting));
  }

  /** Ends every execution environment (the run is over). Invokes still running end unrecorded. */
  async shutdown(): Promise<void> {
    this.closed = true;
    await this.ready();
    const environments = [...this.workers];
    this.workers.clear();
    await Promise.all(environments.map((worker) => worker.terminate()));
  }

  private readonly workers = new Set<WorkerEnvironment>();

  private async startProvisioned(handler: IsolatedHandler, environment: ExecutionEnvironment): Promise<WorkerEnvironment | undefined> {
    try {
      const worker = await handler.startEnvironment();
      if (this.closed) {
        await worker.terminate();
        return undefined;
      }
      environment.worker = worker;
      this.workers.add(worker);
      return worker;
    } catch {
      // The module failed to load: the environment is not ready, and the first invoke that takes it cold-starts and reports why.
      environment.initialized = false;
      return undefined;
    } finally {
      environment.starting = undefined;
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
    const handler = this.options.handler;
    if (isIsolated(handler)) return this.invokeIsolated(handler, event, trigger);
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
        handler.run(event, { requestId, remainingMs: () => deadlineMs - clock.nowMs() }),
        clock.sleep(spec.timeout, timeout.signal).then(() => {
          throw new FunctionError(timeoutMessage(spec.timeout), 'Timeout');
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

  /**
   * An invoke of a module handler: the environment is a worker thread. Its cold start is the
   * thread's real start and the module's import; an environment that died (out of memory,
   * process.exit, an uncaught exception) or ran past the timeout is ended and discarded, so
   * the next invoke cold-starts, as Lambda resets an environment after a crash or a timeout.
   * https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html
   */
  private async invokeIsolated(handler: IsolatedHandler, event: HandlerEvent, trigger: InvokeTrigger): Promise<unknown> {
    const environment = this.acquire(trigger);
    const clock = this.options.clock;
    const spec = this.options.spec;
    const requestId = randomUUID();
    if (environment.starting) await environment.starting;
    const coldStart = !environment.initialized || environment.worker === undefined || !environment.worker.alive;
    if (environment.worker && !environment.worker.alive) this.workers.delete(environment.worker);
    const initStartMs = clock.nowMs();
    let invoked: EnvironmentInvokeResult;
    let startedAtMs = initStartMs;
    let discard = false;
    if (coldStart) {
      try {
        const worker = await handler.startEnvironment();
        environment.worker = worker;
        environment.initialized = true;
        this.workers.add(worker);
        if (this.closed) {
          discard = true;
          invoked = { ok: false, errorType: 'Runtime.ExitError', errorMessage: 'the function was shut down', environmentDied: true };
        }
      } catch (error) {
        discard = true;
        const loadError = error as Error & { errorType?: string };
        invoked = { ok: false, errorType: loadError.errorType ?? 'Runtime.ImportModuleError', errorMessage: loadError.message, environmentDied: true };
      }
      startedAtMs = clock.nowMs();
    }
    let timedOut = false;
    if (!discard) {
      const worker = environment.worker!;
      const timeout = new AbortController();
      invoked = await Promise.race([
        worker.invoke(event, { requestId, deadlineEpochMs: Date.now() + spec.timeout, synchronous: trigger === 'sync' }),
        clock.sleep(spec.timeout, timeout.signal).then((): EnvironmentInvokeResult => {
          timedOut = true;
          return { ok: false, errorType: 'Sandbox.Timedout', errorMessage: timeoutMessage(spec.timeout), environmentDied: true };
        }),
      ]);
      timeout.abort();
      discard = !invoked.ok && invoked.environmentDied;
    }
    const endedAtMs = clock.nowMs();
    if (discard) await this.discardWorker(environment);
    else this.release(environment);
    const result = invoked!;
    const outcome: InvocationRecord['outcome'] = result.ok ? 'ok' : timedOut ? 'timeout' : 'error';
    // An invoke cut off by the function's shutdown never finished: the run has already been accounted.
    if (this.closed && !result.ok && result.environmentDied) throw new FunctionError('the function was shut down during the invoke', 'Unhandled');
    this.options.observer?.onInvocation?.({
      requestId,
      trigger,
      coldStart,
      initDurationMs: coldStart ? startedAtMs - initStartMs : 0,
      startedAtMs,
      endedAtMs,
      durationMs: endedAtMs - startedAtMs,
      outcome,
      ...(result.ok ? {} : { errorMessage: result.errorMessage, errorType: result.errorType }),
      ...(result.cpuMs !== undefined ? { handlerCpuMs: result.cpuMs } : {}),
      ...(result.peakMemoryMb !== undefined ? { handlerPeakMemoryMb: result.peakMemoryMb } : {}),
    });
    if (!result.ok) throw new FunctionError(result.errorMessage, timedOut ? 'Timeout' : 'Unhandled');
    return result.value;
  }

  /** The environment is gone (it died, timed out, or the function shut down): its slot is free and it is never reused. */
  private async discardWorker(environment: ExecutionEnvironment): Promise<void> {
    this.busyCount -= 1;
    this.liveCount -= 1;
    const worker = environment.worker;
    environment.worker = undefined;
    if (worker) {
      this.workers.delete(worker);
      await worker.terminate();
    }
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
        if (environment.worker) {
          this.workers.delete(environment.worker);
          void environment.worker.terminate();
        }
      }
    }
  }
}

function timeoutMessage(timeoutMs: number): string {
  return `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`;
}
