import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Phase } from '../scenario/parts.ts';
import { requestedArrivals, phasesDurationMs } from './phases.ts';
import { LoadMeter, loadShortfall, type LoadMeasurement } from './load-meter.ts';
import { WorkerShareSchedule, type LoadSchedule } from './worker-share.ts';

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
  /** The generator's own meter; the run passes one so the progress line can read it. */
  meter?: LoadMeter;
}

/**
 * The longest the generator sleeps between two looks at its schedule. Arrivals are sent by
 * their due time, not by a timer each: every wake-up sends all that are due, so 10,000
 * arrivals a second cost a few hundred wake-ups, not a spinning timer.
 */
const longestSleepMs = 50;

/**
 * Sends arrivals as the phases' schedule falls due (load/arrival-schedule.ts: Artillery's
 * definition of phases, one step a second for ramps), open loop: an arrival is sent when it
 * is due whether or not earlier ones were answered, as production traffic arrives. After a
 * stall (a blocked event loop) the arrivals that fell due meanwhile go out at once and the
 * meter records each one's lag, so the stall is reported as the generator's, never hidden.
 * Stops at the end of the phases, on the signal, at `maxArrivals`, or when the meter says
 * the load overran its limit; resolves when every arrival sent has been answered.
 */
async function runSchedule(options: { phases: Phase[]; signal: AbortSignal; maxArrivals: number; meter: LoadMeter; send: (arrivalIndex: number) => Promise<void> }): Promise<number> {
  const { meter, signal } = options;
  const schedule = meter.schedule;
  const lastArrival = Math.min(schedule.totalArrivals, options.maxArrivals);
  const inFlight = new Set<Promise<void>>();
  let next = 0;
  await new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      if (timer) clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      meter.phasesEnded();
      resolve();
    };
    const onAbort = () => {
      meter.stop('interrupted');
      finish();
    };
    const wake = () => {
      timer = undefined;
      if (meter.overran()) {
        meter.stop('overrun');
        return finish();
      }
      const elapsedMs = meter.position().elapsedMs;
      const due = Math.min(lastArrival, schedule.dueBy(elapsedMs));
      while (next < due) {
        // A send that holds the loop (a slow producer) must not carry the load past its limit.
        if (meter.overran()) {
          meter.stop('overrun');
          return finish();
        }
        const index = next++;
        meter.arrival(index);
        const sending: Promise<void> = options.send(index).finally(() => inFlight.delete(sending));
        inFlight.add(sending);
      }
      // The phases end at their planned length (a trailing pause included), not at the last arrival.
      if (next >= lastArrival && (lastArrival < schedule.totalArrivals || elapsedMs >= schedule.durationMs)) return finish();
      const wakeAtMs = next < lastArrival ? schedule.dueAtMs(next) : schedule.durationMs;
      timer = setTimeout(wake, Math.min(longestSleepMs, Math.max(1, Math.ceil(wakeAtMs - elapsedMs))));
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    meter.start();
    wake();
  });
  await Promise.allSettled([...inFlight]);
  return next;
}

/**
 * Drives the scenario's phases in this process: each arrival goes to the pattern's driver
 * (`onArrival`) at its due time. In-process means no hop between the schedule and the
 * send, and the meter sees every arrival.
 */
export async function runLoad(options: LoadOptions): Promise<LoadOutcome> {
  const meter = options.meter ?? new LoadMeter(options.phases);
  let arrivalErrors = 0;
  const arrivals = await runSchedule({
    phases: options.phases,
    signal: options.signal,
    maxArrivals: options.maxArrivals,
    meter,
    send: (index) =>
      options.onArrival(index).catch(() => {
        arrivalErrors += 1;
      }),
  });
  return loadOutcome(options.phases, { arrivals, arrivalErrors, measurement: meter.finish(), schedule: meter.schedule }, options.signal);
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
  /** Upper bound on arrivals, whatever the phases say. */
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
  /** Connections kept open to the target, shared by all arrivals. */
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
 * Drives the phases at an HTTP API: each arrival makes `requestsPerArrival` requests, one
 * after the other, over keep-alive connections (at most `maxSockets`), with a client
 * timeout per request. `beforeRequest` stamps each request, `afterResponse` records what
 * came back. For sources whose producer is an HTTP client (API Gateway), where the request
 * itself is the event.
 */
export async function runHttpLoad(options: HttpLoadOptions): Promise<LoadOutcome> {
  const meter = options.meter ?? new LoadMeter(options.phases);
  const base = new URL(options.target);
  const secure = base.protocol === 'https:';
  const agent = secure ? new HttpsAgent({ keepAlive: true, maxSockets: options.maxSockets }) : new HttpAgent({ keepAlive: true, maxSockets: options.maxSockets });
  const url = new URL(options.path, base).href;
  const repeat = options.requestsPerArrival ?? 1;

  const requestOnce = async () => {
    const request: HttpLoadRequest = { method: options.method, url, headers: {} };
    const token = options.beforeRequest(request);
    const startedAt = performance.now();
    try {
      const response = await sendHttp(secure, agent, url, request, options.timeoutMs);
      options.afterResponse(token, { ...response, latencyMs: performance.now() - startedAt });
    } catch (error) {
      options.onError?.(token, error as Error);
    }
  };

  try {
    const arrivals = await runSchedule({
      phases: options.phases,
      signal: options.signal,
      maxArrivals: options.maxArrivals,
      meter,
      send: async () => {
        for (let i = 0; i < repeat && !options.signal.aborted; i += 1) await requestOnce();
      },
    });
    return loadOutcome(options.phases, { arrivals, arrivalErrors: 0, measurement: meter.finish(), schedule: meter.schedule }, options.signal);
  } finally {
    agent.destroy();
  }
}

function sendHttp(secure: boolean, agent: HttpAgent, url: string, request: HttpLoadRequest, timeoutMs: number): Promise<Omit<HttpLoadResponse, 'latencyMs'>> {
  return new Promise((resolve, reject) => {
    const headers = { ...request.headers, ...(request.body !== undefined ? { 'content-length': String(Buffer.byteLength(request.body)) } : {}) };
    const outgoing = (secure ? httpsRequest : httpRequest)(url, { method: request.method, headers, agent }, (response: IncomingMessage) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ statusCode: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    outgoing.setTimeout(timeoutMs, () => outgoing.destroy(new Error(`no response within ${timeoutMs} ms (client timeout)`)));
    outgoing.on('error', reject);
    outgoing.end(request.body);
  });
}

/**
 * What the generator achieved against what the phases asked. The achieved duration is the
 * phases' wall time, from the start of the first to the end of the last (the meter's), so a
 * phase that ran long shows as long, whatever the count.
 */
function loadOutcome(phases: Phase[], counted: { arrivals: number; arrivalErrors: number; measurement: LoadMeasurement; schedule: LoadSchedule }, signal: AbortSignal): LoadOutcome {
  // A load worker is asked for its share of the phases, not for all of them.
  const requested = counted.schedule instanceof WorkerShareSchedule ? counted.schedule.totalArrivals : requestedArrivals(phases);
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
