import { createRequire } from 'node:module';
import type { Phase } from '../scenario/parts.ts';
import { toArtilleryPhases, requestedArrivals, phasesDurationMs } from './phases.ts';
import { LoadMeter, loadShortfall, type LoadMeasurement } from './load-meter.ts';

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
  /** What the generator measured about itself: lag behind schedule, per-second rates, event-loop delay. */
  measurement: LoadMeasurement;
  /** The share of the asked-for load not applied as asked (see {@link loadShortfall}). */
  shortfall: number;
}

export interface LoadOptions {
  phases: Phase[];
  onArrival: ArrivalHandler;
  signal: AbortSignal;
  /** Upper bound on arrivals, whatever the phases say: load loops are bounded in count. */
  maxArrivals: number;
  /** Artillery stops launching virtual users beyond this many in flight. */
  maxInFlightArrivals?: number;
  /** The generator's own meter; the run passes one so the progress line can read it. */
  meter?: LoadMeter;
}

type ArtilleryEmitter = NodeJS.EventEmitter & { run(vars?: unknown): void; stop(): Promise<void> };

let engineSequence = 0;

/**
 * Runs an Artillery script with Artillery's in-process runner until its phases end or the
 * signal aborts. The meter starts with the first phase and notes when the last one ends;
 * a load that overruns its plan beyond the meter's limit is stopped, so no phase runs
 * without end.
 */
async function runArtilleryScript(script: unknown, scriptPath: string, signal: AbortSignal, meter: LoadMeter, phaseCount: number): Promise<void> {
  const { runner } = require('@artilleryio/int-core').runner as { runner: (script: unknown, payload: unknown, opts: unknown) => Promise<ArtilleryEmitter> };
  const emitter = await runner(script, undefined, { scriptPath });
  const finished = new Promise<void>((resolve) => emitter.once('done', () => resolve()));
  let phasesCompleted = 0;
  emitter.on('phaseCompleted', () => {
    phasesCompleted += 1;
    if (phasesCompleted >= phaseCount) meter.phasesEnded();
  });
  let watchdog: NodeJS.Timeout | undefined;
  const aborted = new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => {
      meter.stop('interrupted');
      resolve();
    }, { once: true });
    watchdog = setInterval(() => {
      if (!meter.overran()) return;
      meter.stop('overrun');
      resolve();
    }, 250);
  });
  meter.start();
  emitter.run();
  try {
    await Promise.race([finished, aborted]);
  } finally {
    clearInterval(watchdog);
    meter.phasesEnded();
    await emitter.stop().catch(() => undefined);
  }
}

/**
 * Drives the scenario's phases with Artillery's own phase runner, in this process, through
 * sluice's engine (see load/artillery-engine-sluice). In-process means no CLI, so no
 * telemetry call can stall a run, and each arrival reaches the driver without a hop.
 */
export async function runLoad(options: LoadOptions): Promise<LoadOutcome> {
  const engineId = `sluice-${process.pid}-${++engineSequence}`;
  const registry: Map<string, unknown> = ((globalThis as Record<symbol, unknown>)[registryKey] as Map<string, unknown>) ?? new Map();
  (globalThis as Record<symbol, unknown>)[registryKey] = registry;

  let arrivals = 0;
  let arrivalErrors = 0;
  const meter = options.meter ?? new LoadMeter(options.phases);
  const inFlight = new Set<Promise<void>>();

  registry.set(engineId, () => ({
    createScenario: (_spec: unknown, events: NodeJS.EventEmitter) => (context: unknown, callback: (error: Error | null, context: unknown) => void) => {
      events.emit('started');
      if (options.signal.aborted || arrivals >= options.maxArrivals || meter.stoppedEarly) {
        callback(null, context);
        return;
      }
      const index = arrivals++;
      meter.arrival(index);
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
    await runArtilleryScript(script, 'sluice.yml', options.signal, meter, script.config.phases.length);
    await Promise.allSettled([...inFlight]);
  } finally {
    registry.delete(engineId);
  }

  return loadOutcome(options.phases, { arrivals, arrivalErrors, measurement: meter.finish() }, options.signal);
}

/** One request as the HTTP load generator is about to send it; `beforeRequest` may set the body and headers. */
export interface HttpLoadRequest {
  readonly method: string;
  readonly url: string;
  headers: Record<string, string>;
  body?: string;
}

/** One answered request, as the load generator saw it. */
export interface HttpLoadResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** From just before the request was sent to the end of its response (client-observed). */
  latencyMs: number;
}

export interface HttpLoadOptions {
  phases: Phase[];
  signal: AbortSignal;
  /** Upper bound on arrivals (virtual users), whatever the phases say. */
  maxArrivals: number;
  /** Base URL of the API, e.g. `http://127.0.0.1:40123`. */
  target: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path requested, e.g. `/prod/events`. */
  path: string;
  /** Requests each arrival makes, one after the other (default 1). */
  requestsPerArrival?: number;
  /** Client-side timeout of one request; keep it above the API's own timeouts. */
  timeoutMs: number;
  /** Connections kept open to the target, shared by all virtual users. */
  maxSockets: number;
  /** Called just before each request is sent. Whatever it returns comes back with the response. */
  beforeRequest(request: HttpLoadRequest): unknown;
  afterResponse(token: unknown, response: HttpLoadResponse): void;
  /** The request got no response (connection error, client timeout). */
  onError?(token: unknown, error: Error): void;
  /** The generator's own meter; the run passes one so the progress line can read it. */
  meter?: LoadMeter;
}

/**
 * Drives the phases with Artillery's own HTTP engine, in this process: each arrival is a
 * virtual user making `requestsPerArrival` requests, with `config.processor` hooks —
 * `beforeRequest` stamps each request, `afterResponse` records what came back. For sources
 * whose producer is an HTTP client (API Gateway), where the request itself is the event.
 */
export async function runHttpLoad(options: HttpLoadOptions): Promise<LoadOutcome> {
  let arrivals = 0;
  const meter = options.meter ?? new LoadMeter(options.phases);
  const pending = new Map<string, { token: unknown; startedAt: number }>();

  type Next = (error?: Error | null) => void;
  type RequestParams = { uuid: string; url: string; method: string; headers?: Record<string, string>; body?: string };
  // Artillery calls hooks whose constructor is `Function` with a callback (these are plain functions).
  const processor = {
    sluiceArrival(_context: unknown, _events: unknown, next: Next) {
      if (options.signal.aborted || arrivals >= options.maxArrivals || meter.stoppedEarly) return next(new Error('sluice.load_stopped'));
      meter.arrival(arrivals);
      arrivals += 1;
      return next(null);
    },
    sluiceBeforeRequest(params: RequestParams, _context: unknown, _events: unknown, next: Next) {
      const request: HttpLoadRequest = { method: options.method, url: params.url, headers: { ...(params.headers ?? {}) }, body: params.body };
      const token = options.beforeRequest(request);
      params.headers = request.headers;
      if (request.body !== undefined) params.body = request.body;
      pending.set(params.uuid, { token, startedAt: performance.now() });
      return next(null);
    },
    sluiceAfterResponse(params: RequestParams, response: { statusCode: number; headers: Record<string, string | string[] | undefined>; body: unknown }, _context: unknown, _events: unknown, next: Next) {
      const started = pending.get(params.uuid);
      pending.delete(params.uuid);
      if (started) {
        options.afterResponse(started.token, {
          statusCode: response.statusCode,
          headers: response.headers,
          body: typeof response.body === 'string' ? response.body : JSON.stringify(response.body ?? ''),
          latencyMs: performance.now() - started.startedAt,
        });
      }
      return next(null);
    },
    sluiceOnError(error: Error, params: RequestParams, _context: unknown, _events: unknown, next: Next) {
      const started = params ? pending.get(params.uuid) : undefined;
      if (started) {
        pending.delete(params.uuid);
        options.onError?.(started.token, error);
      }
      return next(null);
    },
  };

  const request = { [options.method.toLowerCase()]: { url: options.path } };
  const repeat = options.requestsPerArrival ?? 1;
  const script = {
    config: {
      target: options.target,
      phases: toArtilleryPhases(options.phases),
      processor,
      http: { timeout: Math.max(1, Math.ceil(options.timeoutMs / 1000)), pool: options.maxSockets },
      statsInterval: 3600,
    },
    scenarios: [
      {
        name: 'request',
        beforeScenario: ['sluiceArrival'],
        beforeRequest: ['sluiceBeforeRequest'],
        afterResponse: ['sluiceAfterResponse'],
        onError: ['sluiceOnError'],
        flow: repeat > 1 ? [{ loop: [request], count: repeat }] : [request],
      },
    ],
  };

  await runArtilleryScript(script, 'sluice-http.yml', options.signal, meter, script.config.phases.length);

  return loadOutcome(options.phases, { arrivals, arrivalErrors: 0, measurement: meter.finish() }, options.signal);
}

/**
 * What the generator achieved against what the phases asked. The achieved duration is the
 * phases' wall time, from the start of the first to the end of the last (the meter's), so a
 * phase that ran long shows as long, whatever the count.
 */
function loadOutcome(phases: Phase[], counted: { arrivals: number; arrivalErrors: number; measurement: LoadMeasurement }, signal: AbortSignal): LoadOutcome {
  const requested = requestedArrivals(phases);
  const { arrivals, measurement } = counted;
  return {
    requestedArrivals: requested,
    achievedArrivals: arrivals,
    requestedDurationMs: phasesDurationMs(phases),
    achievedDurationMs: measurement.phasesWallMs,
    arrivalRateDeviation: requested > 0 ? (arrivals - requested) / requested : 0,
    arrivalErrors: counted.arrivalErrors,
    stopped: signal.aborted || measurement.stoppedBecause !== undefined,
    measurement,
    shortfall: loadShortfall(requested, arrivals, measurement).value,
  };
}
