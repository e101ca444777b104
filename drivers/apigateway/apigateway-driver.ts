import type { ApiGatewayResources } from './apigateway-resources.ts';
import type { CustomLoadOptions, Driver, PatternRunContext, PatternSession } from '../driver.ts';
import type { ApiGatewayPattern } from './schema.ts';
import type { QuotaRecord } from '../../analysis/run-result.ts';
import type { Target } from '../../targets/target.ts';
import { runHttpLoad, type HttpLoadRequest, type LoadOutcome } from '../../load/load-generator.ts';
import { GatewayServer, coldStartHeader, functionThrottleAnswer, gatewayThrottleAnswer, outcomeHeader, type GatewayOutcome } from './gateway-server.ts';

/** The client waits this much longer than the integration timeout, so the gateway's 504 is what it sees. */
const clientTimeoutMarginMs = 10_000;

/**
 * The `apigateway` pattern: an API (HTTP or REST) served by sluice on 127.0.0.1 whose
 * route invokes the function synchronously per request, driven by the load generator's keep-alive HTTP client.
 * Quotas are applied by sluice's gateway whatever the target: it runs in the run's process.
 *
 * With `existing.ApiUrl` (a managed stack's API, or the user's own) the load goes to that
 * URL instead, and sluice serves no gateway: the API's own throttles and integration apply.
 * Each request's body is sluice's envelope, which the stack's consumer reads back
 * (`sluiceId`, `sentAtMs`; targets/aws/consumer-code.ts).
 */
export const apiGatewayDriver: Driver<ApiGatewayPattern, ApiGatewayResources> = {
  source: 'apigateway',
  quotas(pattern, target) {
    const enforcedBy = enforcerOf(target);
    return [
      { name: 'apigateway.account_throttle', limit: `${pattern.throttleRatePerSecond} requests/s steady, burst ${pattern.throttleBurst}`, enforcedBy },
      { name: 'apigateway.integration_timeout', limit: `${pattern.integrationTimeout / 1000} s`, enforcedBy },
    ];
  },
  provision(context) {
    // A load worker of a run whose gateway sluice serves is only that gateway's client: the gateway accounts on its side.
    if (context.loadOnly && context.existing && context.consumer !== 'remote') return provisionGatewayClient(context, context.existing.apiUrl);
    return context.existing ? provisionExistingApi(context, context.existing.apiUrl) : provisionApiGateway(context);
  },
};

/**
 * sluice's gateway applies the quotas wherever it serves the API; with a consumer sluice
 * does not run, the API is the managed stack's: API Gateway's own on AWS, unthrottled on
 * LocalStack.
 */
function enforcerOf(target: Target): QuotaRecord['enforcedBy'] {
  if (target.info.consumer === 'sluice') return 'sluice';
  return target.info.kind === 'aws' ? 'target' : 'none';
}

/** What the HTTP load sends and records, whichever API answers. */
interface HttpLoadHooks {
  target: string;
  path: string;
  afterResponse(id: unknown, response: { statusCode: number; headers: Record<string, string | string[] | undefined>; latencyMs: number }): void;
  onError(id: unknown, error: Error): void;
}

/** Drives the phases at an API with the load generator's keep-alive HTTP client: one event per request, stamped as it leaves. */
function runApiLoad(context: PatternRunContext<ApiGatewayPattern>, options: CustomLoadOptions, hooks: HttpLoadHooks): Promise<LoadOutcome> {
  const { pattern, ledger, recorder, clock } = context;
  const { phases, signal, maxArrivals, eventsPerArrival, events, meter } = options;
  return runHttpLoad({
    phases,
    signal,
    meter,
    maxArrivals,
    target: hooks.target,
    method: pattern.method,
    path: hooks.path,
    requestsPerArrival: eventsPerArrival,
    timeoutMs: pattern.integrationTimeout + clientTimeoutMarginMs,
    maxSockets: pattern.maxConnections,
    beforeRequest(request: HttpLoadRequest) {
      // Each request carries one event: its id and send time, stamped as it leaves.
      const nowMs = clock.nowMs();
      const event = events.next(nowMs);
      request.body = event.body;
      request.headers['content-type'] = 'application/json';
      ledger.recordSent(event.id, nowMs);
      recorder.count('sent', nowMs);
      return event.id;
    },
    afterResponse: hooks.afterResponse,
    onError: hooks.onError,
  });
}

function countInto(map: Map<string | number, number>, key: string | number): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/**
 * What the client of sluice's gateway records of each answer: its status code, its latency
 * (warm or cold), and requests that got no answer. The gateway itself records acceptance,
 * throttles and completions, server-side.
 */
function sluiceGatewayClient(context: PatternRunContext<ApiGatewayPattern>) {
  const { ledger, recorder } = context;
  const statusCodes = new Map<number, number>();
  const errorsByCode = new Map<string, number>();
  const counts = { requestErrors: 0 };
  const hooks: Pick<HttpLoadHooks, 'afterResponse' | 'onError'> = {
    afterResponse(_id, response) {
      countInto(statusCodes as Map<string | number, number>, response.statusCode);
      // Warm/cold latency is that of requests that reached an environment; throttled
      // answers (429 from the gateway, 500 for a throttled invoke, both at once) are in
      // the status codes, not in the split.
      const outcome = response.headers[outcomeHeader];
      if (outcome !== 'gatewayThrottled' && outcome !== 'functionThrottled') recorder.clientObserved(response.latencyMs, response.headers[coldStartHeader] === '1');
    },
    onError(id, error) {
      counts.requestErrors += 1;
      countInto(errorsByCode as Map<string | number, number>, (error as { code?: string }).code ?? error.name);
      if (typeof id === 'number') ledger.recordSourceFailed(id);
    },
  };
  return {
    hooks,
    extras: () => ({
      statusCodes: Object.fromEntries([...statusCodes].sort(([a], [b]) => a - b)),
      requestErrors: counts.requestErrors,
      requestErrorsByCode: Object.fromEntries(errorsByCode),
    }),
  };
}

/** A load worker's session for a gateway sluice serves in the run's own process: it sends and records what a client sees. */
async function provisionGatewayClient(context: PatternRunContext<ApiGatewayPattern>, apiUrl: string): Promise<PatternSession> {
  const url = new URL(apiUrl);
  const client = sluiceGatewayClient(context);
  return {
    loadWorkerResources: () => ({ apiUrl }),
    async sendArrival() {
      throw new Error('the apigateway pattern drives its load through runLoad (the load generator’s HTTP client)');
    },
    runLoad: (options) => runApiLoad(context, options, { target: url.origin, path: `${url.pathname}${url.search}`, ...client.hooks }),
    async startConsumer() {},
    async sample() {},
    isDrained: async () => true,
    async stopConsumer() {},
    pendingAtEnd: async () => 0,
    extras: () => client.extras(),
    async teardown() {},
  };
}

async function provisionApiGateway(context: PatternRunContext<ApiGatewayPattern>): Promise<PatternSession> {
  const { pattern, ledger, recorder, clock, fn } = context;
  const client = sluiceGatewayClient(context);

  const server = new GatewayServer({
    pattern,
    fn,
    clock,
    hooks: {
      onGatewayThrottled(id, nowMs) {
        recorder.count('sourceThrottles', nowMs);
        if (id === undefined) return;
        ledger.recordThrottled(id);
        ledger.recordSourceFailed(id);
      },
      onAdmitted(id, nowMs) {
        recorder.count('accepted', nowMs);
        if (id !== undefined) ledger.recordAccepted(id);
      },
      onInvokeStarted(id) {
        if (id !== undefined) ledger.recordDelivered(id);
      },
      onAnswered(id, outcome: GatewayOutcome, nowMs) {
        if (id === undefined) return;
        if (outcome === 'ok') {
          const latencyMs = ledger.recordCompleted(id, nowMs);
          if (latencyMs !== undefined) {
            recorder.endToEndLatency(nowMs, latencyMs);
            recorder.count('completed', nowMs);
          }
          return;
        }
        // A synchronous source retries nothing: a refused, failed or timed-out request is the event's end.
        ledger.recordFailed(id);
      },
    },
  });
  context.runtimeObservers.push(server.runtimeObserver);
  await server.start();

  return {
    async sendArrival() {
      throw new Error('the apigateway pattern drives its load through runLoad (the load generator’s HTTP client)');
    },

    loadWorkerResources: () => ({ apiUrl: `${server.url}${server.requestPath}` }),

    runLoad(options) {
      return runApiLoad(context, options, { target: server.url, path: server.requestPath, ...client.hooks });
    },

    async startConsumer() {
      // The gateway answers from provision on; each request invokes the function itself.
    },

    async sample() {
      // No source-side queue: the gateway holds nothing between requests.
    },

    async isDrained() {
      return server.inFlight === 0;
    },

    async stopConsumer() {
      // Requests still in flight finish; the server closes at teardown.
    },

    async pendingAtEnd() {
      return server.inFlight;
    },

    extras() {
      const { statusCodes, requestErrors, requestErrorsByCode } = client.extras();
      return {
        type: pattern.type,
        url: `${server.url}${server.requestPath}`,
        statusCodes,
        // Server-side: how the gateway answered. Client-side counts are in statusCodes.
        outcomes: { ...server.outcomes },
        // The two throttles apart, as a client sees them: the gateway's own answers 429, a
        // throttled Lambda invoke behind it answers 500 (gateway-server.ts).
        throttles: {
          gateway: { statusCode: gatewayThrottleAnswer.statusCode, count: server.outcomes.gatewayThrottled },
          function: { statusCode: functionThrottleAnswer.statusCode, count: server.outcomes.functionThrottled },
        },
        requestErrors,
        requestErrorsByCode,
      };
    },

    async teardown() {
      const index = context.runtimeObservers.indexOf(server.runtimeObserver);
      if (index >= 0) context.runtimeObservers.splice(index, 1);
      await server.close();
    },
  };
}

/**
 * An API that already exists (a managed stack's, or the user's own): sluice only sends.
 * How an answer ends an event, as API Gateway answers a Lambda proxy integration:
 * - 2xx: the function ran; with a `remote` consumer the event completes when its
 *   completion record arrives from the sink, otherwise the answer is its completion;
 * - 429: the API's throttle refused it before any invoke (a source throttle);
 * - other 4xx: refused by the API (no route, not authorised): never reached the function;
 * - 5xx: the integration failed (function error, a throttled invoke — which API Gateway
 *   answers 500, not 429 — or a timeout) — a synchronous source retries nothing, so that is
 *   the event's end. The client cannot tell a throttled invoke from another 500; the
 *   function's own Throttles metric (CloudWatch) counts them.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-troubleshooting-lambda.html
 */
async function provisionExistingApi(context: PatternRunContext<ApiGatewayPattern>, apiUrl: string): Promise<PatternSession> {
  const { pattern, ledger, recorder, clock } = context;
  const remote = context.consumer === 'remote';
  const url = new URL(apiUrl);
  const statusCodes = new Map<number, number>();
  const errorsByCode = new Map<string, number>();
  let requestErrors = 0;
  let answered = 0;
  /** Requests sent and not yet answered (every request carries one event). */
  const inFlight = () => ledger.sent - answered;

  return {
    loadWorkerResources: () => ({ apiUrl }),

    async sendArrival() {
      throw new Error('the apigateway pattern drives its load through runLoad (the load generator’s HTTP client)');
    },

    runLoad(options) {
      return runApiLoad(context, options, {
        target: url.origin,
        path: `${url.pathname}${url.search}`,
        afterResponse(id, response) {
          answered += 1;
          countInto(statusCodes as Map<string | number, number>, response.statusCode);
          // The client cannot tell a cold start from a warm one here: the latency goes into the overall histogram only.
          recorder.clientObserved(response.latencyMs);
          if (typeof id !== 'number') return;
          const nowMs = clock.nowMs();
          const status = response.statusCode;
          if (status >= 200 && status < 300) {
            ledger.recordAccepted(id);
            recorder.count('accepted', nowMs);
            if (!remote) {
              const latencyMs = ledger.recordCompleted(id, nowMs);
              if (latencyMs !== undefined) {
                recorder.endToEndLatency(nowMs, latencyMs);
                recorder.count('completed', nowMs);
              }
            }
          } else if (status === 429) {
            recorder.count('sourceThrottles', nowMs);
            ledger.recordThrottled(id);
            ledger.recordSourceFailed(id);
          } else if (status < 500) {
            ledger.recordSourceFailed(id);
          } else {
            ledger.recordAccepted(id);
            recorder.count('accepted', nowMs);
            ledger.recordFailed(id);
          }
        },
        onError(id, error) {
          answered += 1;
          requestErrors += 1;
          countInto(errorsByCode as Map<string | number, number>, (error as { code?: string }).code ?? error.name);
          if (typeof id === 'number') ledger.recordSourceFailed(id);
        },
      });
    },

    async startConsumer() {
      // The API's own integration invokes its function; sluice serves nothing.
    },

    async sample() {
      // No source-side queue: an API holds nothing between requests.
    },

    async isDrained() {
      // Answered requests are settled, except 2xx answers whose completion records are still on their way.
      return inFlight() === 0 && ledger.unfinished === 0;
    },

    async stopConsumer() {
      // Nothing of sluice's consumes.
    },

    async pendingAtEnd() {
      // Requests still unanswered, and answered events whose completion record has not arrived.
      return ledger.unfinished;
    },

    extras() {
      return {
        type: pattern.type,
        url: apiUrl,
        apiCreatedBy: 'existing',
        consumedBy: remote ? 'remote' : 'sluice',
        statusCodes: Object.fromEntries([...statusCodes].sort(([a], [b]) => a - b)),
        requestErrors,
        requestErrorsByCode: Object.fromEntries(errorsByCode),
      };
    },

    async teardown() {
      // The API belongs to the stack or its owner: nothing to delete.
    },
  };
}
