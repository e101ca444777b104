import { Agent, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { forwardTo, type EdgeService } from '../edge.ts';
import { isSluiceControlRequest, readControlJson, sendControlJson } from '../sluice-control.ts';

/**
 * Where the embedded target finds a Lambda function, and how it invokes one
 * asynchronously — the path every EventBridge and S3 delivery takes.
 *
 * The emulators run in the `sluice serve` child process; the functions run in sluice's
 * runtime in the run's (main) process. The run serves each function's Lambda Invoke API
 * on 127.0.0.1 and registers that endpoint here by function name. A delivery is then what
 * it is on AWS: an asynchronous Invoke — `POST /2015-03-31/functions/<name>/invocations`
 * with `X-Amz-Invocation-Type: Event` — answered 202 once the event sits in the function's
 * async-invoke queue, where throttles, retries, the maximum event age and the on-failure
 * destination are handled.
 * https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
 *
 * Shared by the EventBridge and S3 services (both live in this child process); it sits in
 * the eventbridge folder because that service was first to need it.
 */

/** Attempts of one delivery before it is dropped (counted): connection errors, 429 and 5xx are retried. */
const deliveryAttemptsMax = 10;
const deliveryBackoffInitialMs = 100;
const deliveryBackoffMaxMs = 5_000;
const deliveryTimeoutMs = 10_000;

export interface FunctionDirectoryStats {
  /** Functions registered now. */
  functions: number;
  /** Asynchronous invokes asked for (one per delivery). */
  invokes: number;
  /** Answered 202 by the function's runtime. */
  accepted: number;
  /** Attempts retried after a connection error, 429 or 5xx. */
  retries: number;
  /** Given up after every attempt, or refused for good (4xx). */
  dropped: number;
  /** For a function ARN nobody registered: dropped at once, as EventBridge counts a FailedInvocation. */
  unknownFunction: number;
  /** Deliveries not yet answered. */
  inFlight: number;
}

/** The function name in a Lambda ARN (`arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`), or the name itself. */
export function functionNameOf(arnOrName: string): string {
  const match = /^arn:aws[\w-]*:lambda:[^:]*:[^:]*:function:([^:]+)(?::[^:]+)?$/.exec(arnOrName);
  return match ? match[1]! : arnOrName;
}

export class FunctionDirectory {
  private readonly endpoints = new Map<string, string>();
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  private readonly counters = { invokes: 0, accepted: 0, retries: 0, dropped: 0, unknownFunction: 0, inFlight: 0 };

  register(functionName: string, invokeEndpoint: string): void {
    const url = new URL(invokeEndpoint);
    if (url.protocol !== 'http:' || !['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
      throw new RangeError(`invokeEndpoint must be an http URL on this machine (got ${invokeEndpoint})`);
    }
    this.endpoints.set(functionName, url.origin);
  }

  deregister(functionName: string): void {
    this.endpoints.delete(functionName);
  }

  endpointOf(functionArnOrName: string): string | undefined {
    return this.endpoints.get(functionNameOf(functionArnOrName));
  }

  stats(): FunctionDirectoryStats {
    return { functions: this.endpoints.size, ...this.counters };
  }

  /**
   * Invokes the function asynchronously and returns at once; delivery retries on its own.
   * `source` names the caller (`aws:events`, `aws:s3`) in a header, for diagnostics.
   */
  invokeAsync(functionArn: string, payload: unknown, source: string): void {
    this.counters.invokes += 1;
    const name = functionNameOf(functionArn);
    const endpoint = this.endpoints.get(name);
    if (!endpoint) {
      this.counters.unknownFunction += 1;
      return;
    }
    const body = Buffer.from(JSON.stringify(payload));
    this.counters.inFlight += 1;
    void this.deliver(endpoint, name, body, source).finally(() => {
      this.counters.inFlight -= 1;
    });
  }

  private async deliver(endpoint: string, name: string, body: Buffer, source: string): Promise<void> {
    let backoffMs = deliveryBackoffInitialMs;
    for (let attempt = 1; attempt <= deliveryAttemptsMax; attempt += 1) {
      const status = await this.post(endpoint, name, body, source);
      if (status >= 200 && status < 300) {
        this.counters.accepted += 1;
        return;
      }
      const retryable = status === 0 || status === 429 || status >= 500;
      if (!retryable || attempt === deliveryAttemptsMax) break;
      this.counters.retries += 1;
      await new Promise((resolve) => setTimeout(resolve, backoffMs));
      backoffMs = Math.min(deliveryBackoffMaxMs, backoffMs * 2);
    }
    this.counters.dropped += 1;
  }

  /** One POST; resolves with the status code, 0 for a connection error or timeout. */
  private post(endpoint: string, name: string, body: Buffer, source: string): Promise<number> {
    const url = new URL(`/2015-03-31/functions/${encodeURIComponent(name)}/invocations`, endpoint);
    return new Promise((resolve) => {
      const outgoing = httpRequest(
        {
          host: url.hostname.replace(/^\[|\]$/g, ''),
          port: url.port,
          path: url.pathname,
          method: 'POST',
          agent: this.agent,
          timeout: deliveryTimeoutMs,
          headers: { 'content-type': 'application/json', 'content-length': String(body.length), 'x-amz-invocation-type': 'Event', 'x-sluice-source': source },
        },
        (answer) => {
          answer.resume();
          answer.on('end', () => resolve(answer.statusCode ?? 0));
          answer.on('error', () => resolve(0));
        },
      );
      outgoing.on('timeout', () => outgoing.destroy(new Error('timeout')));
      outgoing.on('error', () => resolve(0));
      outgoing.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** The one directory of a `sluice serve` process: its EventBridge and S3 services deliver through it. */
export const functionDirectory = new FunctionDirectory();

/**
 * The embedded target's `lambda` service: sluice's control calls that register where a
 * function's runtime listens, and the Invoke API itself, forwarded to that runtime — so
 * any SDK client pointed at the edge can invoke a function sluice runs.
 *
 * - `PUT /_sluice/lambda/functions/<name>` `{ "invokeEndpoint": "http://127.0.0.1:PORT" }`
 * - `DELETE /_sluice/lambda/functions/<name>`
 * - `GET /_sluice/lambda/stats`
 * - `POST /2015-03-31/functions/<name>/invocations` (any invocation type)
 */
export async function startLambdaService(directory: FunctionDirectory = functionDirectory): Promise<EdgeService> {
  return {
    signingNames: ['lambda'],
    async handle(request: IncomingMessage, response: ServerResponse) {
      const url = new URL(request.url ?? '/', 'http://edge');
      if (isSluiceControlRequest(request)) {
        await handleControl(directory, request, response, url);
        return;
      }
      const invoke = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(url.pathname);
      if (request.method === 'POST' && invoke) {
        const name = functionNameOf(decodeURIComponent(invoke[1]!));
        const endpoint = directory.endpointOf(name);
        if (!endpoint) {
          lambdaError(response, 404, 'ResourceNotFoundException', `Function not found: ${name}`);
          return;
        }
        forwardTo(Number(new URL(endpoint).port), request, response);
        return;
      }
      lambdaError(response, 400, 'UnknownOperationException', `sluice's embedded Lambda answers Invoke only (got ${request.method} ${url.pathname})`);
    },
    async close() {
      directory.close();
    },
  };
}

async function handleControl(directory: FunctionDirectory, request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
  if (request.method === 'GET' && url.pathname === '/_sluice/lambda/stats') {
    sendControlJson(response, 200, directory.stats());
    return;
  }
  const registration = /^\/_sluice\/lambda\/functions\/([^/]+)$/.exec(url.pathname);
  if (!registration) {
    sendControlJson(response, 404, { message: `no sluice control call ${request.method} ${url.pathname}` });
    return;
  }
  const name = decodeURIComponent(registration[1]!);
  try {
    if (request.method === 'PUT') {
      const body = await readControlJson(request);
      if (typeof body['invokeEndpoint'] !== 'string') throw new RangeError('invokeEndpoint (a URL string) is required');
      directory.register(name, body['invokeEndpoint']);
      sendControlJson(response, 200, { functionName: name });
      return;
    }
    if (request.method === 'DELETE') {
      directory.deregister(name);
      sendControlJson(response, 200, {});
      return;
    }
    sendControlJson(response, 405, { message: `${request.method} is not allowed here` });
  } catch (error) {
    sendControlJson(response, 400, { message: (error as Error).message });
  }
}

function lambdaError(response: ServerResponse, statusCode: number, type: string, message: string): void {
  const text = JSON.stringify({ Type: 'User', message });
  response.writeHead(statusCode, { 'content-type': 'application/json', 'x-amzn-errortype': type, 'content-length': String(Buffer.byteLength(text)) });
  response.end(text);
}
