import { createRequire } from 'node:module';
import type { Phase } from '../scenario/parts.ts';
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

/** Runs an Artillery script with Artillery's in-process runner until its phases end or the signal aborts. */
async function runArtilleryScript(script: unknown, scriptPath: string, signal: AbortSignal): Promise<void> {
  const { runner } = require('@artilleryio/int-core').runner as { runner: (script: unknown, payload: unknown, opts: unknown) => Promise<ArtilleryEmitter> };
  const emitter = await runner(script, undefined, { scriptPath });
  const finished = new Promise<void>((resolve) => emitter.once('done', () => resolve()));
  const aborted = new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
  emitter.run();
  await Promise.race([finished, aborted]);
  await emitter.stop().catch(() => undefined);
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
    await runArtilleryScript(script, 'sluice.yml', options.signal);
    await Promise.allSettled([...inFlight]);
  } finally {
    registry.delete(engineId);
  }

  return loadOutcome(options.phases, { arrivals, firstArrivalMs, lastArrivalMs, arrivalErrors }, options.signal);
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
}

/**
 * Drives the phases with Artillery's own HTTP engine, in this process: each arrival is a
 * virtual user making `requestsPerArrival` requests, with `config.processor` hooks —
 * `beforeRequest` stamps each request, `afterResponse` records what came back. For sources
 * whose producer is an HTTP client (API Gateway), where the request itself is the event.
 */
export async function runHttpLoad(options: HttpLoadOptions): Promise<LoadOutcome> {
  let arrivals = 0;
  let firstArrivalMs: number | undefined;
  let lastArrivalMs: number | undefined;
  const pending = new Map<string, { token: unknown; startedAt: number }>();

  type Next = (error?: Error | null) => void;
  type RequestParams = { uuid: string; url: string; method: string; headers?: Record<string, string>; body?: string };
  // Artillery calls hooks whose constructor is `Function` with a callback (these are plain functions).
  const processor = {
    sluiceArrival(_context: unknown, _events: unknown, next: Next) {
      if (options.signal.aborted || arrivals >= options.maxArrivals) return next(new Error('sluice.load_stopped'));
      arrivals += 1;
      const nowMs = Date.now();
      firstArrivalMs ??= nowMs;
      lastArrivalMs = nowMs;
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

  await runArtilleryScript(script, 'sluice-http.yml', options.signal);

  return loadOutcome(options.phases, { arrivals, firstArrivalMs, lastArrivalMs, arrivalErrors: 0 }, options.signal);
}

/**
 * What the generator achieved against what the phases asked. The achieved duration runs from
 * the first arrival to one second past the last (arrivals are spread over their second),
 * plus a trailing pause.
 */
function loadOutcome(
  phases: Phase[],
  counted: { arrivals: number; firstArrivalMs: number | undefined; lastArrivalMs: number | undefined; arrivalErrors: number },
  signal: AbortSignal,
): LoadOutcome {
  const requested = requestedArrivals(phases);
  const lastPhase = phases[phases.length - 1];
  const trailingPauseMs = lastPhase && 'pause' in lastPhase ? lastPhase.pause : 0;
  const { arrivals, firstArrivalMs, lastArrivalMs } = counted;
  return {
    requestedArrivals: requested,
    achievedArrivals: arrivals,
    requestedDurationMs: phasesDurationMs(phases),
    achievedDurationMs: firstArrivalMs !== undefined && lastArrivalMs !== undefined ? lastArrivalMs - firstArrivalMs + 1000 + trailingPauseMs : 0,
    arrivalRateDeviation: requested > 0 ? (arrivals - requested) / requested : 0,
    arrivalErrors: counted.arrivalErrors,
    stopped: signal.aborted,
  };
}
