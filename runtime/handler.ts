import { resolve, dirname } from 'node:path';
import type { Clock } from '../core/clock.ts';
import { lognormalFromPercentiles, type RandomSource } from './random.ts';
import type { FunctionSpec } from '../scenario/parts.ts';
import { WorkerEnvironment } from './worker-environment.ts';
import type { EnvironmentInit } from './worker-protocol.ts';

/** What a handler is given: the source's event (an SQS batch, a Kinesis batch, an API request, …). */
export type HandlerEvent = unknown;

/** A consumer function that runs in the run's own process: the synthetic handler, and test handlers that only wait on the clock. */
export interface InProcessHandler {
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

/**
 * The synthetic handler: spends a duration drawn from the scenario's distribution and fails
 * with the scenario's error rate, so patterns are compared on equal terms.
 */
export function syntheticHandler(
  spec: Extract<FunctionSpec['handler'], { type: 'synthetic' }>,
  clock: Clock,
  random: RandomSource,
): InProcessHandler {
  return {
    async run() {
      const duration = spec.duration;
      const durationMs = duration.kind === 'fixed' ? duration.fixedMs : lognormalFromPercentiles(random, duration.p50Ms, duration.p99Ms);
      const fails = spec.errorRate > 0 && random.next() < spec.errorRate;
      await clock.sleep(durationMs);
      if (fails) throw new Error('synthetic failure (function.handler.errorRate)');
      return { ok: true };
    },
  };
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
