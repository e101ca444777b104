import { randomUUID } from 'node:crypto';
import { deadlineTimer, type Clock } from '../core/clock.ts';
import { coldStartDistributionOf, type AccountSpec, type FunctionSpec } from '../scenario/parts.ts';
import type { TimerHandle } from '../core/clock.ts';
import { lognormalFromPercentiles, seededRandom, type RandomSource } from './random.ts';
import { machineArchitecture, modelledModuleDurationMs } from './function-model.ts';
import { createBurstScaling, type BurstScaling } from './burst-scaling.ts';
import { ConcurrencyThrottleError, FunctionError } from './errors.ts';
import { eventOf, isIsolated, type HandlerEvent, type IsolatedHandler, type RunnableHandler } from './handler.ts';
import type { EnvironmentInvokeResult, WorkerEnvironment } from './worker-environment.ts';
import type { FunctionUsage } from '../analysis/run-result.ts';

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
  /** The invoke ran in a provisioned environment (billed at the provisioned duration price). */
  provisioned?: boolean;
  /** A module handler modelled at the function's memory size (`cpuModel: vcpu-share`): the wall time it took on this machine. */
  measuredWallMs?: number;
}

/** What the function used over its life, in the units AWS bills: the RunResult's own type (analysis/cost.ts prices it). */
export type { FunctionUsage };

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
  /** Draws cold starts from the runtime's distribution (default: seeded with 1, so runs repeat). */
  random?: RandomSource;
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
  /**
   * Idle environments, each kind most recently used last (an invoke takes from the end). The
   * on-demand ones are in the order they were last used, so those past the idle time are the
   * first few: reclaiming them needs no search.
   */
  private readonly idleProvisioned: ExecutionEnvironment[] = [];
  private readonly idleOnDemand: ExecutionEnvironment[] = [];
  private busyCount = 0;
  private liveCount = 0;
  private nextEnvironmentId = 1;
  private readonly burst: BurstScaling;
  private peakConcurrency = 0;

  private closed = false;
  private readonly random: RandomSource;
  private readonly timers = new Set<TimerHandle>();
  /** Provisioned concurrency configured now, and environments that are provisioned (some may still be starting). */
  private provisionedTarget = 0;
  private provisionedLive = 0;
  private provisionedSinceMs: number;
  private busyProvisioned = 0;
  private busyProvisionedIntegralMs = 0;
  private busyProvisionedSinceMs: number;
  private readonly used: FunctionUsage = {
    onDemandDurationMs: 0,
    provisionedDurationMs: 0,
    onDemandInitMs: 0,
    onDemandColdStarts: 0,
    provisionedConcurrencyMs: 0,
    provisionedConcurrencyMax: 0,
    scalingActions: [],
    outOfMemory: 0,
    timeouts: 0,
  };

  constructor(private readonly options: LambdaFunctionOptions) {
    this.burst = createBurstScaling(options.account, options.clock);
    this.random = options.random ?? seededRandom(1);
    this.provisionedSinceMs = options.clock.nowMs();
    this.busyProvisionedSinceMs = options.clock.nowMs();
    const spec = options.spec;
    const scaling = spec.provisionedConcurrencyAutoScaling;
    const initial = scaling ? Math.min(scaling.maxCapacity, Math.max(scaling.minCapacity, spec.provisionedConcurrency)) : spec.provisionedConcurrency;
    this.setProvisionedTarget(initial, undefined, { warmAtOnce: true });
    if (scaling) this.startTargetTracking(scaling);
    for (const step of spec.provisionedConcurrencySchedule ?? []) {
      this.every(step.at, undefined, () => this.setProvisionedTarget(step.count, 'schedule'));
    }
    if (spec.keepWarm) {
      const keepWarm = spec.keepWarm;
      this.used.keepWarm = { pings: 0, durationMs: 0, initMs: 0, coldStarts: 0 };
      this.ping(keepWarm.environments, keepWarm.pingDuration);
      this.every(keepWarm.every, keepWarm.every, () => this.ping(keepWarm.environments, keepWarm.pingDuration));
    }
  }

  /** What the function used so far, in billed units (provisioned concurrency integrated up to now). */
  usage(): FunctionUsage {
    this.accrueProvisioned();
    return { ...this.used, scalingActions: [...this.used.scalingActions], ...(this.used.keepWarm ? { keepWarm: { ...this.used.keepWarm } } : {}) };
  }

  /** Provisioned concurrency configured now. */
  get provisionedConcurrency(): number {
    return this.provisionedTarget;
  }

  /**
   * Sets the provisioned concurrency (auto scaling, a schedule). New provisioned environments
   * become ready after a cold start's time and serve warm from then on; above the new count,
   * provisioned environments become on-demand ones (reclaimed when idle), a busy one once its
   * invoke ends. https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html
   */
  setProvisionedTarget(count: number, reason?: FunctionUsage['scalingActions'][number]['reason'], options: { warmAtOnce?: boolean } = {}): void {
    if (this.closed) return;
    this.accrueProvisioned();
    const from = this.provisionedTarget;
    this.provisionedTarget = Math.max(0, Math.min(count, this.concurrencyLimit));
    this.used.provisionedConcurrencyMax = Math.max(this.used.provisionedConcurrencyMax, this.provisionedTarget);
    if (reason && from !== this.provisionedTarget) this.used.scalingActions.push({ atMs: this.options.clock.nowMs(), from, to: this.provisionedTarget, reason });
    const handler = this.options.handler;
    while (this.provisionedLive < this.provisionedTarget) {
      const environment: ExecutionEnvironment = { id: this.nextEnvironmentId++, initialized: true, provisioned: true, lastUsedMs: this.options.clock.nowMs() };
      this.provisionedLive += 1;
      this.liveCount += 1;
      // Provisioned environments are initialised before traffic reaches them, as Lambda does.
      if (isIsolated(handler)) environment.starting = this.startProvisioned(handler, environment);
      if (options.warmAtOnce || isIsolated(handler)) this.becomeIdle(environment);
      else this.after(this.drawInitMs(), () => this.becomeIdle(environment));
    }
    // Idle ones scale in first, most recently used first; they are on-demand from now on.
    while (this.provisionedLive > this.provisionedTarget && this.idleProvisioned.length > 0) {
      const environment = this.idleProvisioned.pop()!;
      this.unprovision(environment);
      this.becomeIdle(environment);
    }
  }

  private becomeIdle(environment: ExecutionEnvironment): void {
    if (environment.provisioned) {
      this.idleProvisioned.push(environment);
      return;
    }
    // In the order of last use: one released now goes last; one scaled in from provisioned
    // concurrency while idle may have been used earlier than some.
    let index = this.idleOnDemand.length;
    while (index > 0 && this.idleOnDemand[index - 1]!.lastUsedMs > environment.lastUsedMs) index -= 1;
    this.idleOnDemand.splice(index, 0, environment);
  }

  private unprovision(environment: ExecutionEnvironment): void {
    environment.provisioned = false;
    this.provisionedLive -= 1;
  }

  /** Integrates the configured provisioned count (billed) and the busy provisioned environments (utilization) up to now. */
  private accrueProvisioned(): void {
    const now = this.options.clock.nowMs();
    this.used.provisionedConcurrencyMs += this.provisionedTarget * (now - this.provisionedSinceMs);
    this.provisionedSinceMs = now;
    this.busyProvisionedIntegralMs += this.busyProvisioned * (now - this.busyProvisionedSinceMs);
    this.busyProvisionedSinceMs = now;
  }

  /**
   * Target tracking on ProvisionedConcurrencyUtilization (the average share of provisioned
   * environments busy over each evaluation period): the desired count is current × utilization
   * / target, clamped to min..max; it is applied once every period for `scaleOutAfter` (or
   * `scaleInAfter`) has asked for more (or fewer), as the policy's CloudWatch alarms do.
   * https://docs.aws.amazon.com/autoscaling/application/userguide/target-tracking-scaling-policy-overview.html
   */
  private startTargetTracking(scaling: NonNullable<FunctionSpec['provisionedConcurrencyAutoScaling']>): void {
    const outPeriods = Math.max(1, Math.round(scaling.scaleOutAfter / scaling.evaluationPeriod));
    const inPeriods = Math.max(1, Math.round(scaling.scaleInAfter / scaling.evaluationPeriod));
    let periodStartIntegralMs = 0;
    const wanted: number[] = [];
    this.every(scaling.evaluationPeriod, scaling.evaluationPeriod, () => {
      this.accrueProvisioned();
      const busyMs = this.busyProvisionedIntegralMs - periodStartIntegralMs;
      periodStartIntegralMs = this.busyProvisionedIntegralMs;
      const current = this.provisionedTarget;
      // With nothing provisioned, utilization is undefined: the demand that spilled to on-demand shows in the busy count instead.
      const utilization = current > 0 ? busyMs / (current * scaling.evaluationPeriod) : this.busyCount > 0 ? Infinity : 0;
      const desired = Math.min(scaling.maxCapacity, Math.max(scaling.minCapacity, current > 0 ? Math.ceil((current * utilization) / scaling.targetUtilization - 1e-9) : this.busyCount > 0 ? Math.ceil(this.busyCount / scaling.targetUtilization) : 0));
      wanted.push(desired);
      if (wanted.length > Math.max(outPeriods, inPeriods)) wanted.shift();
      const lastOut = wanted.slice(-outPeriods);
      const lastIn = wanted.slice(-inPeriods);
      if (lastOut.length === outPeriods && lastOut.every((d) => d > current)) {
        this.setProvisionedTarget(Math.min(...lastOut), 'target-tracking');
        wanted.length = 0;
      } else if (lastIn.length === inPeriods && lastIn.every((d) => d < current)) {
        this.setProvisionedTarget(Math.max(...lastIn), 'target-tracking');
        wanted.length = 0;
      }
    });
  }

  /** Keep-warm pings: `environments` concurrent short invokes, each taking an environment (cold-starting one where none is idle). */
  private ping(environments: number, pingDurationMs: number): void {
    const keepWarm = this.used.keepWarm!;
    for (let i = 0; i < environments; i += 1) {
      let environment: ExecutionEnvironment;
      try {
        environment = this.acquire('async', { silent: true });
      } catch {
        return;
      }
      keepWarm.pings += 1;
      keepWarm.durationMs += pingDurationMs;
      const handler = this.options.handler;
      if (isIsolated(handler)) {
        // A module handler's environment is a thread: a ping to a cold one starts it for real.
        const coldStart = environment.worker === undefined || !environment.worker.alive;
        const startedMs = this.options.clock.nowMs();
        const started = coldStart ? this.startProvisioned(handler, environment) : Promise.resolve(environment.worker);
        void started.then(() => {
          if (coldStart) {
            keepWarm.coldStarts += 1;
            keepWarm.initMs += this.options.clock.nowMs() - startedMs;
          }
          if (this.closed) return;
          this.after(pingDurationMs, () => this.release(environment));
        });
        continue;
      }
      const coldStart = !environment.initialized;
      const initMs = coldStart ? this.drawInitMs() : 0;
      if (coldStart) {
        keepWarm.coldStarts += 1;
        keepWarm.initMs += initMs;
        environment.initialized = true;
      }
      this.after(initMs + pingDurationMs, () => this.release(environment));
    }
  }

  /** A timer the function owns (cleared at shutdown): first after `firstMs`, then every `everyMs` when given. */
  private every(firstMs: number, everyMs: number | undefined, callback: () => void): void {
    const schedule = (delayMs: number) => {
      const handle = this.options.clock.setTimer(() => {
        this.timers.delete(handle);
        if (this.closed) return;
        callback();
        if (everyMs !== undefined) schedule(everyMs);
      }, delayMs);
      this.timers.add(handle);
    };
    schedule(firstMs);
  }

  private after(delayMs: number, callback: () => void): void {
    this.every(delayMs, undefined, callback);
  }

  /** One cold start's INIT time: the fixed initDuration, else a draw from the runtime's distribution. */
  private drawInitMs(): number {
    const distribution = coldStartDistributionOf(this.options.spec);
    return distribution.p99Ms > distribution.p50Ms ? lognormalFromPercentiles(this.random, distribution.p50Ms, distribution.p99Ms) : distribution.p50Ms;
  }

  /** Resolves once every provisioned environment has started (or failed to: it then cold-starts on first use). */
  async ready(): Promise<void> {
    await Promise.all(this.idleProvisioned.map((environment) => environment.starting));
  }

  /** Ends every execution environment (the run is over). Invokes still running end unrecorded. */
  async shutdown(): Promise<void> {
    this.accrueProvisioned();
    this.closed = true;
    for (const timer of this.timers) this.options.clock.clearTimer(timer);
    this.timers.clear();
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
      environment.initialized = true;
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
   * {@link FunctionError} when the handler fails or times out. `event` may be a
   * DeferredEvent (runtime/handler.ts): it is built when the handler reads events.
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
      await clock.sleep(this.drawInitMs());
      environment.initialized = true;
    }
    const startedAtMs = clock.nowMs();
    let outcome: InvocationRecord['outcome'] = 'ok';
    let errorMessage: string | undefined;
    let errorType: string | undefined;
    let result: unknown;
    const deadlineMs = startedAtMs + spec.timeout;
    const timeout = deadlineTimer(clock, spec.timeout, () => {
      throw new FunctionError(timeoutMessage(spec.timeout), 'Timeout');
    });
    try {
      result = await Promise.race([handler.run(handler.readsEvent === false ? event : eventOf(event), { requestId, remainingMs: () => deadlineMs - clock.nowMs() }), timeout.promise]);
    } catch (error) {
      outcome = error instanceof FunctionError && error.kind === 'Timeout' ? 'timeout' : 'error';
      errorMessage = (error as Error).message;
      errorType = (error as { errorType?: string }).errorType;
    } finally {
      timeout.cancel();
    }
    const provisioned = environment.provisioned;
    // An environment that ran out of memory or timed out is ended; the next invoke cold-starts.
    if (outcome === 'timeout' || errorType === 'Runtime.OutOfMemory') this.discard(environment);
    else this.release(environment);
    const endedAtMs = clock.nowMs();
    this.record({
      requestId,
      trigger,
      coldStart,
      initDurationMs: coldStart ? startedAtMs - initStartMs : 0,
      startedAtMs,
      endedAtMs,
      durationMs: endedAtMs - startedAtMs,
      outcome,
      errorMessage,
      ...(errorType ? { errorType } : {}),
      provisioned,
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
      const timeout = deadlineTimer(clock, spec.timeout, (): EnvironmentInvokeResult => {
        timedOut = true;
        return { ok: false, errorType: 'Sandbox.Timedout', errorMessage: timeoutMessage(spec.timeout), environmentDied: true };
      });
      invoked = await Promise.race([worker.invoke(eventOf(event), { requestId, deadlineEpochMs: Date.now() + spec.timeout, synchronous: trigger === 'sync' }), timeout.promise]);
      timeout.cancel();
      discard = !invoked.ok && invoked.environmentDied;
    }
    let endedAtMs = clock.nowMs();
    let measuredWallMs: number | undefined;
    const cpuModel = spec.handler.type === 'module' ? spec.handler.cpuModel : 'measured';
    if (cpuModel === 'vcpu-share' && !timedOut && invoked!.cpuMs !== undefined) {
      // The invoke as it would take at the function's memory size: the environment stays busy
      // for the modelled time (where it is longer than this machine's), so concurrency follows it.
      measuredWallMs = endedAtMs - startedAtMs;
      const modelledMs = Math.min(spec.timeout, modelledModuleDurationMs({ wallMs: measuredWallMs, cpuMs: invoked!.cpuMs, spec, machineArchitecture }));
      if (modelledMs > measuredWallMs) await clock.sleep(modelledMs - measuredWallMs);
      endedAtMs = startedAtMs + modelledMs;
      if (modelledMs >= spec.timeout) {
        timedOut = true;
        invoked = { ok: false, errorType: 'Sandbox.Timedout', errorMessage: timeoutMessage(spec.timeout), environmentDied: true };
        discard = true;
      }
    }
    const provisioned = environment.provisioned;
    if (discard) await this.discardWorker(environment);
    else this.release(environment);
    const result = invoked!;
    const outcome: InvocationRecord['outcome'] = result.ok ? 'ok' : timedOut ? 'timeout' : 'error';
    // An invoke cut off by the function's shutdown never finished: the run has already been accounted.
    if (this.closed && !result.ok && result.environmentDied) throw new FunctionError('the function was shut down during the invoke', 'Unhandled');
    this.record({
      requestId,
      trigger,
      coldStart,
      initDurationMs: coldStart ? startedAtMs - initStartMs : 0,
      startedAtMs,
      endedAtMs,
      durationMs: endedAtMs - startedAtMs,
      outcome,
      provisioned,
      ...(measuredWallMs !== undefined ? { measuredWallMs } : {}),
      ...(result.ok ? {} : { errorMessage: result.errorMessage, errorType: result.errorType }),
      ...(result.cpuMs !== undefined ? { handlerCpuMs: result.cpuMs } : {}),
      ...(result.peakMemoryMb !== undefined ? { handlerPeakMemoryMb: result.peakMemoryMb } : {}),
    });
    if (!result.ok) throw new FunctionError(result.errorMessage, timedOut ? 'Timeout' : 'Unhandled');
    return result.value;
  }

  /** Counts the invoke in the function's usage and tells the observer. */
  private record(record: InvocationRecord): void {
    if (record.provisioned) this.used.provisionedDurationMs += record.durationMs;
    else this.used.onDemandDurationMs += record.durationMs;
    if (record.coldStart && !record.provisioned) {
      this.used.onDemandInitMs += record.initDurationMs;
      this.used.onDemandColdStarts += 1;
    }
    if (record.errorType === 'Runtime.OutOfMemory') this.used.outOfMemory += 1;
    if (record.outcome === 'timeout') this.used.timeouts += 1;
    this.options.observer?.onInvocation?.(record);
  }

  /** An in-process environment that is gone: its slot is free and it is never reused. */
  private discard(environment: ExecutionEnvironment): void {
    this.leaveBusy(environment);
    this.liveCount -= 1;
    if (environment.provisioned) {
      // Lambda replaces a provisioned environment that failed; the replacement starts like any new one.
      this.unprovision(environment);
      this.setProvisionedTarget(this.provisionedTarget);
    }
  }

  /** The environment is gone (it died, timed out, or the function shut down): its slot is free and it is never reused. */
  private async discardWorker(environment: ExecutionEnvironment): Promise<void> {
    this.leaveBusy(environment);
    this.liveCount -= 1;
    if (environment.provisioned) this.unprovision(environment);
    const worker = environment.worker;
    environment.worker = undefined;
    if (worker) {
      this.workers.delete(worker);
      await worker.terminate();
    }
  }

  private acquire(trigger: InvokeTrigger, options: { silent?: boolean } = {}): ExecutionEnvironment {
    this.reclaimIdle();
    if (this.busyCount >= this.concurrencyLimit) {
      this.throttle(trigger, this.options.spec.reservedConcurrency !== undefined ? 'ReservedFunctionConcurrentInvocationLimitExceeded' : 'ConcurrentInvocationLimitExceeded', options.silent);
    }
    // Provisioned environments serve first (spill-over goes on-demand); within each kind, most
    // recently used first: that is the environment most likely still warm on AWS too.
    let environment = this.idleProvisioned.pop() ?? this.idleOnDemand.pop();
    if (!environment) {
      if (!this.burst.tryAddEnvironment(this.liveCount)) this.throttle(trigger, 'BurstScalingLimitExceeded', options.silent);
      environment = { id: this.nextEnvironmentId++, initialized: false, provisioned: false, lastUsedMs: this.options.clock.nowMs() };
      this.liveCount += 1;
    }
    this.busyCount += 1;
    if (environment.provisioned) {
      this.accrueProvisioned();
      this.busyProvisioned += 1;
    }
    this.peakConcurrency = Math.max(this.peakConcurrency, this.busyCount);
    return environment;
  }

  private leaveBusy(environment: ExecutionEnvironment): void {
    this.busyCount -= 1;
    if (environment.provisioned) {
      this.accrueProvisioned();
      this.busyProvisioned -= 1;
    }
  }

  private release(environment: ExecutionEnvironment): void {
    this.leaveBusy(environment);
    environment.lastUsedMs = this.options.clock.nowMs();
    // Scaled in while it was busy: it stays as an on-demand environment.
    if (environment.provisioned && this.provisionedLive > this.provisionedTarget) this.unprovision(environment);
    this.becomeIdle(environment);
  }

  private throttle(trigger: InvokeTrigger, reason: ConcurrencyThrottleError['reason'], silent = false): never {
    // A throttle is the rules' answer, caught and counted by the caller (a retry, a 429), not a
    // fault to trace: built without a stack trace, which cost more than the rest of the invoke
    // (a scale-up on simulated time throttles tens of thousands of invokes).
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    const error = new ConcurrencyThrottleError(reason);
    Error.stackTraceLimit = stackTraceLimit;
    if (!silent) this.options.observer?.onThrottle?.(trigger, error);
    throw error;
  }

  /** Idle environments past the idle time are gone; provisioned ones are kept warm. */
  private reclaimIdle(): void {
    const oldestAllowedMs = this.options.clock.nowMs() - this.options.spec.idleReclaim;
    let reclaimed = 0;
    while (reclaimed < this.idleOnDemand.length && this.idleOnDemand[reclaimed]!.lastUsedMs < oldestAllowedMs) reclaimed += 1;
    if (reclaimed === 0) return;
    for (const environment of this.idleOnDemand.splice(0, reclaimed)) {
      this.liveCount -= 1;
      if (environment.worker) {
        this.workers.delete(environment.worker);
        void environment.worker.terminate();
      }
    }
  }
}

function timeoutMessage(timeoutMs: number): string {
  return `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`;
}

