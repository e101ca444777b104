import { createRequire } from 'node:module';
import type { Phase } from '../scenario/schema.ts';
import { toArtilleryPhases, requestedArrivals, phasesDurationMs } from './phases.ts';

const require = createRequire(import.meta.url);
const registryKey = Symbol.for('sluice.artillery-engines');

/** Sends one arrival's events; resolves when the source has answered. */
export type ArrivalHandler = (arrivalIndex: number) => Promise<void>;

export interface LoadOutcome {
  requestedArrivals: number;
  achievedArrivals: number;
  requestedDurationMs: number;
  achievedDurationMs: number;
  arrivalRateDeviation: number;
  /** Arrivals whose send threw (counted; their events are already in the ledger as failed). */
  arrivalErrors: number;
  stopped: boolean;
}

export interface LoadOptions {
  phases: Phase[];
  onArrival: ArrivalHandler;
  signal: AbortSignal;
  /** Upper bound on arrivals, whatever the phases say: load loops are bounded in count. */
  maxArrivals: number;
  /** Artillery stops launching virtual users beyond this many in flight. */
  maxInFlightArrivals?: number;
}

type ArtilleryEmitter = NodeJS.EventEmitter & { run(vars?: unknown): void; stop(): Promise<void> };

let engineSequence = 0;

/**
 * Drives the scenario's phases with Artillery's own phase runner, in this process, through
 * sluice's engine (see load/artillery-engine-sluice). In-process means no CLI, so no
 * telemetry call can stall a run, and each arrival reaches the driver without a hop.
 */
export async function runLoad(options: LoadOptions): Promise<LoadOutcome> {
  const { runner } = require('@artilleryio/int-core').runner as { runner: (script: unknown, payload: unknown, opts: unknown) => Promise<ArtilleryEmitter> };
  const engineId = `sluice-${process.pid}-${++engineSequence}`;
  const registry: Map<string, unknown> = ((globalThis as Record<symbol, unknown>)[registryKey] as Map<string, unknown>) ?? new Map();
  (globalThis as Record<symbol, unknown>)[registryKey] = registry;

  let arrivals = 0;
  let arrivalErrors = 0;
  let firstArrivalMs: number | undefined;
  let lastArrivalMs: number | undefined;
  const inFlight = new Set<Promise<void>>();

  registry.set(engineId, () => ({
    createScenario: (_spec: unknown, events: NodeJS.EventEmitter) => (context: unknown, callback: (error: Error | null, context: unknown) => void) => {
      events.emit('started');
      if (options.signal.aborted || arrivals >= options.maxArrivals) {
        callback(null, context);
        return;
      }
      const index = arrivals++;
      const nowMs = Date.now();
      firstArrivalMs ??= nowMs;
      lastArrivalMs = nowMs;
      const sending = options
        .onArrival(index)
        .catch(() => {
          arrivalErrors += 1;
          events.emit('error', 'sluice.send_failed');
        })
        .finally(() => {
          inFlight.delete(sending);
          callback(null, context);
        });
      inFlight.add(sending);
    },
  }));

  const script = {
    config: {
      target: 'sluice://local',
      phases: toArtilleryPhases(options.phases).map((phase) => ({ ...phase, ...(options.maxInFlightArrivals ? { maxVusers: options.maxInFlightArrivals } : {}) })),
      engines: { sluice: { engineId } },
      statsInterval: 3600,
    },
    scenarios: [{ name: 'send', engine: 'sluice', flow: [] }],
  };

  try {
    const emitter = await runner(script, undefined, { scriptPath: 'sluice.yml' });
    const finished = new Promise<void>((resolve) => emitter.once('done', () => resolve()));
    const aborted = new Promise<void>((resolve) => {
      if (options.signal.aborted) resolve();
      options.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    emitter.run();
    await Promise.race([finished, aborted]);
    await emitter.stop().catch(() => undefined);
    await Promise.allSettled([...inFlight]);
  } finally {
    registry.delete(engineId);
  }

  const requested = requestedArrivals(options.phases);
  const lastPhase = options.phases[options.phases.length - 1];
  const trailingPauseMs = lastPhase && 'pause' in lastPhase ? lastPhase.pause : 0;
  return {
    requestedArrivals: requested,
    achievedArrivals: arrivals,
    requestedDurationMs: phasesDurationMs(options.phases),
    achievedDurationMs: firstArrivalMs !== undefined && lastArrivalMs !== undefined ? lastArrivalMs - firstArrivalMs + 1000 + trailingPauseMs : 0,
    arrivalRateDeviation: requested > 0 ? (arrivals - requested) / requested : 0,
    arrivalErrors,
    stopped: options.signal.aborted,
  };
}
