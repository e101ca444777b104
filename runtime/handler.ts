import { resolve, dirname } from 'node:path';
import type { Clock } from '../core/clock.ts';
import { lognormalFromPercentiles, type RandomSource } from './random.ts';
import type { FunctionSpec } from '../scenario/parts.ts';
import { WorkerEnvironment } from './worker-environment.ts';
import { scaledDurationMs, type CpuSettings } from './function-model.ts';
import { awsDefaults } from '../core/aws-defaults.ts';
import type { EnvironmentInit } from './worker-protocol.ts';

/** What a handler is given: the source's event (an SQS batch, a Kinesis batch, an API request, …). */
export type HandlerEvent = unknown;

/**
 * An event built only if the handler reads it. A source hands the function one per invoke
 * (a Kinesis batch of 100 records is 200 objects); the synthetic handler never reads its
 * event, so a run or a prediction with it skips building them.
 */
export class DeferredEvent {
  constructor(readonly build: () => HandlerEvent) {}
}

/** The event itself: built now if it was deferred. */
export function eventOf(event: HandlerEvent): HandlerEvent {
  return event instanceof DeferredEvent ? event.build() : event;
}

/** A consumer function that runs in the run's own process: the synthetic handler, and test handlers that only wait on the clock. */
export interface InProcessHandler {
  /** False when the handler never reads its event (the synthetic one): a {@link DeferredEvent} is then not built. */
  readonly readsEvent?: boolean;
  run(event: HandlerEvent, context: { requestId: string; remainingMs: () => number }): Promise<unknown>;
}

/** A consumer function whose execution environments are isolated from the run (worker threads): the user's module. */
export interface IsolatedHandler {
  readonly isolation: 'worker-thread';
  /** Starts one execution environment (the cold start); rejects with HandlerLoadError when the module does not load. */
  startEnvironment(): Promise<WorkerEnvironment>;
}

/** A consumer function as the runtime runs it. */
export type RunnableHandler = InProcessHandler | IsolatedHandler;

export function isIsolated(handler: RunnableHandler): handler is IsolatedHandler {
  return 'startEnvironment' in handler;
}

/** A synthetic handler's spec as the scenario gives it (cpuShare defaults as in the schema). */
export type SyntheticHandlerSpec = Omit<Extract<FunctionSpec['handler'], { type: 'synthetic' }>, 'cpuShare'> & { cpuShare?: number };

/**
 * The synthetic handler: spends a duration drawn from the scenario's distribution and fails
 * with the scenario's error rate, so patterns are compared on equal terms. Given the
 * function's settings, the duration is moved from the memory size and architecture it was
 * given at to the function's (its CPU-bound part scales with the usable vCPUs, see
 * runtime/function-model.ts), and a declared peak memory above memoryMb fails every invoke
 * with Runtime.OutOfMemory, as Lambda ends an environment that runs out of memory.
 */
export function syntheticHandler(spec: SyntheticHandlerSpec, clock: Clock, random: RandomSource, fn?: CpuSettings): InProcessHandler {
  const factor = fn ? syntheticDurationFactor(spec, fn) : 1;
  const outOfMemory = fn !== undefined && syntheticHandlerRunsOutOfMemory(spec, fn);
  return {
    readsEvent: false,
    async run() {
      const duration = spec.duration;
      const drawnMs = duration.kind === 'fixed' ? duration.fixedMs : lognormalFromPercentiles(random, duration.p50Ms, duration.p99Ms);
      const durationMs = drawnMs * factor;
      const fails = spec.errorRate > 0 && random.next() < spec.errorRate;
      await clock.sleep(durationMs);
      if (outOfMemory) throw new OutOfMemoryError(spec.peakMemoryMb!, fn!.memoryMb);
      if (fails) throw new Error('synthetic failure (function.handler.errorRate)');
      return { ok: true };
    },
  };
}

/** Whether the synthetic handler's declared peak memory is above the function's memoryMb (every invoke then fails). */
export function syntheticHandlerRunsOutOfMemory(spec: SyntheticHandlerSpec, fn: CpuSettings): boolean {
  return spec.peakMemoryMb !== undefined && spec.peakMemoryMb > fn.memoryMb;
}

/**
 * What the synthetic handler's durations are multiplied by at the function's memory size and
 * architecture: the scaling (runtime/function-model.ts) is linear in the duration, so one
 * factor serves every draw, and the aggregate model's duration quantiles.
 */
export function syntheticDurationFactor(spec: SyntheticHandlerSpec, fn: CpuSettings): number {
  const cpuShare = spec.cpuShare ?? awsDefaults.syntheticHandlerCpuShare.value;
  const from = { memoryMb: spec.durationAtMemoryMb ?? fn.memoryMb, architecture: spec.durationAtArchitecture ?? fn.architecture };
  return scaledDurationMs({ durationMs: 1, cpuShare, from, to: fn });
}

/** The handler needed more memory than the function has: its environment is ended. */
export class OutOfMemoryError extends Error {
  readonly errorType = 'Runtime.OutOfMemory';
  constructor(peakMemoryMb: number, memoryMb: number) {
    super(`Runtime exited with error: out of memory (the handler's peak ${peakMemoryMb} MB is above memoryMb ${memoryMb})`);
    this.name = 'Runtime.OutOfMemory';
  }
}

/** Where a module reference points: the file (absolute) and the export's name. */
export function resolveModuleReference(reference: string, scenarioFile: string): { modulePath: string; exportName: string } {
  const hash = reference.lastIndexOf('#');
  return { modulePath: resolve(dirname(scenarioFile), reference.slice(0, hash)), exportName: reference.slice(hash + 1) };
}

/**
 * The user's own handler module (`./handlers/orders.ts#handler`, relative to the scenario
 * file). Each execution environment is a worker thread that imports the module once (its
 * cold start) and runs one invoke at a time, so a handler that blocks, leaks or crashes
 * costs its own function latency, errors and cold starts, never the load generator's time.
 */
export function moduleHandler(reference: string, scenarioFile: string, spec: Pick<FunctionSpec, 'memoryMb'> & { functionName?: string }): IsolatedHandler {
  const { modulePath, exportName } = resolveModuleReference(reference, scenarioFile);
  const init: EnvironmentInit = { modulePath, exportName, functionName: spec.functionName ?? 'sluice-consumer', memoryMb: spec.memoryMb };
  return {
    isolation: 'worker-thread',
    startEnvironment: () => WorkerEnvironment.start(init),
  };
}
