import { pathToFileURL } from 'node:url';
import { resolve, dirname } from 'node:path';
import type { Clock } from '../core/clock.ts';
import { lognormalFromPercentiles, type RandomSource } from './random.ts';
import type { FunctionSpec } from '../scenario/parts.ts';

/** What a handler is given: the source's event (an SQS batch, a Kinesis batch, an API request, …). */
export type HandlerEvent = unknown;

/** A consumer function as the runtime runs it. */
export interface RunnableHandler {
  run(event: HandlerEvent, context: { requestId: string; remainingMs: () => number }): Promise<unknown>;
}

/**
 * The synthetic handler: spends a duration drawn from the scenario's distribution and fails
 * with the scenario's error rate, so patterns are compared on equal terms.
 */
export function syntheticHandler(
  spec: Extract<FunctionSpec['handler'], { type: 'synthetic' }>,
  clock: Clock,
  random: RandomSource,
): RunnableHandler {
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

/**
 * The user's own handler module (`./handlers/orders.ts#handler`), run for real in this
 * process. Resolved relative to the scenario file.
 */
export async function moduleHandler(reference: string, scenarioFile: string): Promise<RunnableHandler> {
  const [modulePath, exportName] = reference.split('#') as [string, string];
  const url = pathToFileURL(resolve(dirname(scenarioFile), modulePath)).href;
  const loaded = (await import(url)) as Record<string, unknown>;
  const handler = loaded[exportName];
  if (typeof handler !== 'function') {
    throw new Error(`${modulePath} has no exported function "${exportName}"`);
  }
  return {
    run: (event, context) => Promise.resolve((handler as (e: unknown, c: unknown) => unknown)(event, context)),
  };
}
