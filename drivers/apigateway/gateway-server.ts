import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../../core/clock.ts';
import type { InvocationRecord, LambdaFunction, RuntimeObserver } from '../../runtime/lambda-function.ts';
import { ConcurrencyThrottleError } from '../../runtime/errors.ts';
import { TokenBucket } from '../../core/token-bucket.ts';
import { httpApiEvent, responseOf, restApiEvent, type GatewayRequest } from './proxy-event.ts';
import type { ApiGatewayPattern } from './schema.ts';

/** API Gateway's payload limit (10 MB). https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html */
const requestBytesMax = 10 * 1_048_576;

/** How a request ended, as the gateway saw it. */
export const gatewayOutcomes = ['ok', 'gatewayThrottled', 'functionThrottled', 'functionError', 'integrationTimeout', 'notFound'] as const;
export type GatewayOutcome = (typeof gatewayOutcomes)[number];

/**
 * How API Gateway answers a request whose Lambda invoke was throttled: 500, not 429, with
 * the generic internal-error body of each API type. "If the Lambda API rejects the
 * invocation request, API Gateway returns a 500 error code" (REST body
 * `{"message": "Internal server error"}`,
 * https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html); an HTTP API
 * answers `{"message":"Internal Server Error"}`
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-troubleshooting-lambda.html).
 * Clients retry a 429 and a 500 differently, so the two throttles must not look alike.
 */
export const functionThrottleAnswer = {
  statusCode: 500,
  body: { http: { message: 'Internal Server Error' }, rest: { message: 'Internal server error' } },
} as const;

/** How the gateway answers beyond its own throttle (stage, method or account token bucket). */
export const gatewayThrottleAnswer = { statusCode: 429, body: { message: 'Too Many Requests' } } as const;

/** Response header that tells the load generator how a request ended (sluice's own; AWS sends none). */
export const outcomeHeader = 'x-sluice-outcome';
/** Response header: `1` when the request's invoke started a new execution environment. */
export const coldStartHeader = 'x-sluice-cold-start';

export interface GatewayHooks {
  /** The request passed the account throttle (the gateway accepted it). */
  onAdmitted?(eventId: number | undefined, nowMs: number): void;
  /** Refused by the account throttle: 429 before any invoke. */
  onGatewayThrottled?(eventId: number | undefined, nowMs: number): void;
  /** The function started working on the request. */
  onInvokeStarted?(eventId: number | undefined): void;
  /** The gateway answered (after an admitted request's invoke, throttle or timeout). */
  onAnswered?(eventId: number | undefined, outcome: GatewayOutcome, nowMs: number): void;
}

export interface GatewayServerOptions {
  pattern: ApiGatewayPattern;
  fn: LambdaFunction;
  clock: Clock;
  hooks?: GatewayHooks;
}

interface InvokeSlot {
  record?: InvocationRecord;
  throttled?: boolean;
}

/**
 * An API Gateway on 127.0.0.1 in the run's process: one route with a Lambda proxy
 * integration, each request a synchronous invoke of sluice's runtime.
 *
 * - the account throttle is a token bucket (steady rate, burst); beyond it the gateway
 *   answers 429 without invoking (a source-side throttle): 429 is only ever the gateway's own
 *   throttle; https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html
 * - when the function has no free concurrency Lambda refuses the invoke at once
 *   (TooManyRequestsException) and the gateway answers 500 with its generic internal-error
 *   body — API Gateway treats a rejected invocation as an internal error and retries nothing
 *   (a function-side throttle); {@link functionThrottleAnswer}.
 * - a cold start's init time lands on the request's latency;
 * - the integration timeout (29 s by default) answers 504 while the function runs on;
 * - a function error answers 502 (REST) or 500 (HTTP API).
 */
export class GatewayServer {
  private server: Server | undefined;
  private readonly bucket: TokenBucket;
  private readonly slots = new AsyncLocalStorage<InvokeSlot>();
  private inFlightCount = 0;
  readonly outcomes: Record<GatewayOutcome, number> = { ok: 0, gatewayThrottled: 0, functionThrottled: 0, functionError: 0, integrationTimeout: 0, notFound: 0 };
  private urlValue = '';

  constructor(private readonly options: GatewayServerOptions) {
    this.bucket = new TokenBucket({ ratePerSecond: options.pattern.throttleRatePerSecond, burst: options.pattern.throttleBurst, clock: options.clock });
  }

  /**
   * Lets the gateway hear about the invocations it starts. Register it with the runtime's
   * observers: the runtime reports each invocation inside the caller's async context, so
   * the request that started it is known without guessing.
   */
  readonly runtimeObserver: RuntimeObserver = {
    onInvocation: (record) => {
      const slot = this.slots.getStore();
      if (slot) slot.record = record;
    },
    onThrottle: () => {
      const slot = this.slots.getStore();
      if (slot) slot.throttled = true;
    },
  };

  get stage(): string {
    return this.options.pattern.stage ?? (this.options.pattern.type === 'rest' ? 'prod' : '$default');
  }

  /** The path a client requests: REST APIs put the stage in it. */
  get requestPath(): string {
    return this.options.pattern.type === 'rest' ? `/${this.stage}${this.options.pattern.path}` : this.options.pattern.path;
  }

  /** `http://127.0.0.1:PORT`. */
  get url(): string {
    return this.urlValue;
  }

  get inFlight(): number {
    return this.inFlightCount;
  }

  async start(): Promise<void> {
    const server = createServer((request, response) => {
      this.inFlightCount += 1;
      response.once('close', () => {
        this.inFlightCount -= 1;
      });
      this.handle(request, response).catch((error: Error) => {
        if (!response.headersSent) this.answer(response, 500, { message: `sluice gateway error: ${error.message}` }, 'functionError');
        else response.end();
      });
    });
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.urlValue = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const { pattern, fn, clock, hooks } = this.options;
    const receivedAtMs = clock.nowMs();
    const url = new URL(request.url ?? '/', 'http://gateway');
    const body = await readText(request);
    const eventId = eventIdOf(body);
    if (request.method !== pattern.method || url.pathname !== this.requestPath) {
      this.answer(response, 404, { message: 'Not Found' }, 'notFound');
      return;
    }
    if (!this.bucket.tryTake()) {
      hooks?.onGatewayThrottled?.(eventId, receivedAtMs);
      this.answer(response, gatewayThrottleAnswer.statusCode, gatewayThrottleAnswer.body, 'gatewayThrottled');
      return;
    }
    hooks?.onAdmitted?.(eventId, receivedAtMs);
    const gatewayRequest: GatewayRequest = {
      method: request.method,
      path: url.pathname,
      routePath: pattern.path,
      stage: this.stage,
      query: url.searchParams,
      headers: request.headers,
      body,
      sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
      receivedAtMs,
    };
    const event = pattern.type === 'rest' ? restApiEvent(gatewayRequest) : httpApiEvent(gatewayRequest);

    const slot: InvokeSlot = {};
    const invoking = this.slots.run(slot, () => fn.invoke(event, 'sync'));
    // The runtime refuses synchronously (no environment free): the request is answered at once.
    if (!slot.throttled) hooks?.onInvokeStarted?.(eventId);
    const timeout = new AbortController();
    const timedOut = clock.sleep(pattern.integrationTimeout, timeout.signal).then(
      () => 'timeout' as const,
      () => 'cancelled' as const,
    );
    let outcome: GatewayOutcome;
    let result: unknown;
    try {
      const first = await Promise.race([invoking.then((value) => ({ value })), timedOut]);
      if (first === 'timeout') {
        outcome = 'integrationTimeout';
        invoking.catch(() => undefined);
      } else {
        outcome = 'ok';
        result = (first as { value: unknown }).value;
      }
    } catch (error) {
      outcome = error instanceof ConcurrencyThrottleError ? 'functionThrottled' : 'functionError';
    } finally {
      timeout.abort();
    }
    const cold = slot.record?.coldStart ?? false;
    const extraHeaders = { [coldStartHeader]: cold ? '1' : '0', ...(cold ? { 'x-sluice-init-ms': String(Math.round(slot.record!.initDurationMs)) } : {}) };
    hooks?.onAnswered?.(eventId, outcome, clock.nowMs());
    switch (outcome) {
      case 'ok': {
        const answer = responseOf(result);
        this.send(response, answer.statusCode, answer.body, { ...answer.headers, ...extraHeaders }, 'ok');
        return;
      }
      case 'functionThrottled':
        this.answer(response, functionThrottleAnswer.statusCode, functionThrottleAnswer.body[pattern.type], outcome, extraHeaders);
        return;
      case 'integrationTimeout':
        this.answer(response, 504, { message: 'Endpoint request timed out' }, outcome, extraHeaders);
        return;
      default:
        if (pattern.type === 'rest') this.answer(response, 502, { message: 'Internal server error' }, 'functionError', extraHeaders);
        else this.answer(response, 500, { message: 'Internal Server Error' }, 'functionError', extraHeaders);
    }
  }

  private answer(response: ServerResponse, statusCode: number, body: unknown, outcome: GatewayOutcome, headers: Record<string, string> = {}): void {
    this.send(response, statusCode, JSON.stringify(body), { 'content-type': 'application/json', ...headers }, outcome);
  }

  private send(response: ServerResponse, statusCode: number, body: string, headers: Record<string, string>, outcome: GatewayOutcome): void {
    this.outcomes[outcome] += 1;
    const requestIdHeader = this.options.pattern.type === 'rest' ? 'x-amzn-requestid' : 'apigw-requestid';
    response.writeHead(statusCode, { ...headers, [requestIdHeader]: randomUUID(), [outcomeHeader]: outcome, 'content-length': String(Buffer.byteLength(body)) });
    response.end(body);
  }
}

async function readText(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size <= requestBytesMax) chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The sluice event id stamped in the request body, when there is one. */
function eventIdOf(body: string): number | undefined {
  if (!body.includes('sluiceId')) return undefined;
  try {
    const id = (JSON.parse(body) as { sluiceId?: unknown }).sluiceId;
    return typeof id === 'number' ? id : undefined;
  } catch {
    return undefined;
  }
}
