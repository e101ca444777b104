import type { Driver, PatternRunContext, PatternSession } from '../driver.ts';
import type { ApiGatewayPattern } from './schema.ts';
import { runHttpLoad } from '../../load/artillery-load.ts';
import { GatewayServer, coldStartHeader, outcomeHeader, type GatewayOutcome } from './gateway-server.ts';

/** The client waits this much longer than the integration timeout, so the gateway's 504 is what it sees. */
const clientTimeoutMarginMs = 10_000;

/**
 * The `apigateway` pattern: an API (HTTP or REST) served by sluice on 127.0.0.1 whose
 * route invokes the function synchronously per request, driven by Artillery's HTTP engine.
 * Quotas are applied by sluice's gateway whatever the target: it runs in the run's process.
 */
export const apiGatewayDriver: Driver<ApiGatewayPattern> = {
  source: 'apigateway',
  embeddedServices: [],
  quotas(pattern) {
    return [
      { name: 'apigateway.account_throttle', limit: `${pattern.throttleRatePerSecond} requests/s steady, burst ${pattern.throttleBurst}`, enforcedBy: 'sluice' },
      { name: 'apigateway.integration_timeout', limit: `${pattern.integrationTimeout / 1000} s`, enforcedBy: 'sluice' },
    ];
  },
  provision: provisionApiGateway,
};

async function provisionApiGateway(context: PatternRunContext<ApiGatewayPattern>): Promise<PatternSession> {
  const { pattern, ledger, recorder, clock, fn } = context;
  const statusCodes = new Map<number, number>();
  let requestErrors = 0;
  const errorsByCode = new Map<string, number>();

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
      throw new Error('the apigateway pattern drives its load through runLoad (Artillery’s HTTP engine)');
    },

    runLoad({ phases, signal, maxArrivals, eventsPerArrival, events }) {
      return runHttpLoad({
        phases,
        signal,
        maxArrivals,
        target: server.url,
        method: pattern.method,
        path: server.requestPath,
        requestsPerArrival: eventsPerArrival,
        timeoutMs: pattern.integrationTimeout + clientTimeoutMarginMs,
        maxSockets: pattern.maxConnections,
        beforeRequest(request) {
          // Each request carries one event: its id and send time, stamped as it leaves.
          const nowMs = clock.nowMs();
          const event = events.next(nowMs);
          request.body = event.body;
          request.headers['content-type'] = 'application/json';
          ledger.recordSent(event.id, nowMs);
          recorder.count('sent', nowMs);
          return event.id;
        },
        afterResponse(_id, response) {
          statusCodes.set(response.statusCode, (statusCodes.get(response.statusCode) ?? 0) + 1);
          // Warm/cold latency is that of requests that reached an environment; throttled
          // answers (429 at once) are in the status codes, not in the split.
          const outcome = response.headers[outcomeHeader];
          if (outcome !== 'gatewayThrottled' && outcome !== 'functionThrottled') recorder.clientObserved(response.latencyMs, response.headers[coldStartHeader] === '1');
        },
        onError(id, error) {
          requestErrors += 1;
          const code = (error as { code?: string }).code ?? error.name;
          errorsByCode.set(code, (errorsByCode.get(code) ?? 0) + 1);
          if (typeof id === 'number') ledger.recordSourceFailed(id);
        },
      });
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
      return {
        type: pattern.type,
        url: `${server.url}${server.requestPath}`,
        statusCodes: Object.fromEntries([...statusCodes].sort(([a], [b]) => a - b)),
        // Server-side: how the gateway answered. Client-side counts are in statusCodes.
        outcomes: { ...server.outcomes },
        requestErrors,
        requestErrorsByCode: Object.fromEntries(errorsByCode),
      };
    },

    async teardown() {
      const index = context.runtimeObservers.indexOf(server.runtimeObserver);
      if (index >= 0) context.runtimeObservers.splice(index, 1);
      await server.close();
    },
  };
}
