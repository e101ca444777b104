import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { awsDefaults } from '../../core/aws-defaults.ts';

/** Lambda's limit on an asynchronous invoke's payload (1 MB since 2025; 256 KB before). */
const asyncPayloadBytesMax = awsDefaults.asyncInvokePayloadBytesMax.value;
/** Synchronous invokes allow 6 MB. */
const syncPayloadBytesMax = 6 * 1_048_576;

export interface InvokeEndpointHandlers {
  /** An `Event` invoke: queue the payload; called before the 202 is sent. */
  onEvent(payload: unknown, source: string | undefined): void;
  /** A `RequestResponse` invoke: run it and answer with the result, or throw the runtime's error. */
  onRequestResponse(payload: unknown): Promise<{ result: unknown; functionError?: string }>;
}

export interface InvokeEndpoint {
  /** `http://127.0.0.1:PORT`, what the target is told the function's endpoint is. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * A function's Lambda Invoke API on 127.0.0.1, in the run's process, where sluice's
 * runtime lives: `POST /2015-03-31/functions/<name>/invocations`.
 * https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
 *
 * - `X-Amz-Invocation-Type: Event` → the payload goes to the function's async-invoke queue,
 *   answered 202 (the target's EventBridge and S3 deliver this way);
 * - `RequestResponse` (the default) → runs the function, 200 with its result; a throttle is
 *   429 `TooManyRequestsException`, a handler error 200 with `X-Amz-Function-Error`;
 * - `DryRun` → 204.
 */
export async function startInvokeEndpoint(functionName: string, handlers: InvokeEndpointHandlers): Promise<InvokeEndpoint> {
  const server: Server = createServer((request, response) => {
    handle(functionName, handlers, request, response).catch((error: Error) => {
      if (!response.headersSent) sendJson(response, 500, { Type: 'Service', message: error.message }, 'ServiceException');
      else response.end();
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function handle(functionName: string, handlers: InvokeEndpointHandlers, request: IncomingMessage, response: ServerResponse): Promise<void> {
  // The path without its query (a qualifier may follow), read without building a URL: this runs once per event.
  const rawUrl = request.url ?? '/';
  const queryAt = rawUrl.indexOf('?');
  const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt));
  if (request.method !== 'POST' || !match) {
    request.resume();
    sendJson(response, 404, { Type: 'User', message: `no such route: ${request.method} ${request.url}` }, 'ResourceNotFoundException');
    return;
  }
  const name = decodeURIComponent(match[1]!).replace(/^arn:aws[\w-]*:lambda:[^:]*:[^:]*:function:/, '').split(':')[0];
  if (name !== functionName) {
    request.resume();
    sendJson(response, 404, { Type: 'User', message: `Function not found: ${name}` }, 'ResourceNotFoundException');
    return;
  }
  const invocationType = String(request.headers['x-amz-invocation-type'] ?? 'RequestResponse');
  const limitBytes = invocationType === 'Event' ? asyncPayloadBytesMax : syncPayloadBytesMax;
  const { chunks, size } = await readBody(request, limitBytes);
  if (size > limitBytes) {
    sendJson(response, 413, { Type: 'User', message: `Request must be smaller than ${limitBytes} bytes for the InvokeFunction operation` }, 'RequestTooLargeException');
    return;
  }
  let payload: unknown;
  try {
    payload = size === 0 ? {} : JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    sendJson(response, 400, { Type: 'User', message: 'Could not parse request body into json' }, 'InvalidRequestContentException');
    return;
  }
  const requestId = randomUUID();
  if (invocationType === 'DryRun') {
    response.writeHead(204, { 'x-amzn-requestid': requestId });
    response.end();
    return;
  }
  if (invocationType === 'Event') {
    handlers.onEvent(payload, request.headers['x-sluice-source'] as string | undefined);
    response.writeHead(202, { 'x-amzn-requestid': requestId, 'content-length': '0' });
    response.end();
    return;
  }
  if (invocationType !== 'RequestResponse') {
    sendJson(response, 400, { Type: 'User', message: `Invalid invocation type: ${invocationType}` }, 'InvalidParameterValueException');
    return;
  }
  try {
    const { result, functionError } = await handlers.onRequestResponse(payload);
    const text = JSON.stringify(result ?? null);
    response.writeHead(200, {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(text)),
      'x-amzn-requestid': requestId,
      'x-amz-executed-version': '$LATEST',
      ...(functionError ? { 'x-amz-function-error': functionError } : {}),
    });
    response.end(text);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'TooManyRequestsException') {
      sendJson(response, 429, { Type: 'User', message: (error as Error).message, Reason: (error as { reason?: string }).reason }, 'TooManyRequestsException');
      return;
    }
    throw error;
  }
}

/**
 * The request's body, with 'data'/'end' listeners rather than an async iterator (which
 * costs a promise per chunk and a stream wrapper per request, on every event delivered).
 * Past the limit the rest is drained, not kept.
 */
function readBody(request: IncomingMessage, limitBytes: number): Promise<{ chunks: Buffer[]; size: number }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limitBytes) chunks.push(chunk);
    });
    request.once('end', () => resolve({ chunks, size }));
    request.once('error', reject);
  });
}

function sendJson(response: ServerResponse, statusCode: number, body: unknown, errorType?: string): void {
  const text = JSON.stringify(body);
  response.writeHead(statusCode, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    'x-amzn-requestid': randomUUID(),
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
  response.end(text);
}
