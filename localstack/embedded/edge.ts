import { createServer, request as httpRequest, Agent, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The AWS service a request is for, read from its SigV4 credential scope
 * (`Credential=AKID/20260101/us-east-1/<service>/aws4_request`), as LocalStack's edge does.
 * Falls back to the JSON protocol's X-Amz-Target prefix.
 */
export function serviceOfRequest(request: IncomingMessage): string | undefined {
  const authorization = request.headers.authorization ?? '';
  const scope = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(authorization);
  if (scope) return scope[1];
  const target = String(request.headers['x-amz-target'] ?? '');
  if (target.startsWith('AmazonSQS.')) return 'sqs';
  if (target.startsWith('Kinesis_')) return 'kinesis';
  if (target.startsWith('AWSEvents.')) return 'events';
  return undefined;
}

/**
 * One service behind the edge endpoint. A service either answers requests itself or
 * forwards them to an emulator (see {@link forwardTo}); quota enforcement sits in `handle`.
 */
export interface EdgeService {
  /** SigV4 service names this service answers (`sqs`, `kinesis`, `events`, `s3`, …). */
  readonly signingNames: readonly string[];
  handle(request: IncomingMessage, response: ServerResponse): void | Promise<void>;
  close(): Promise<void>;
}

const upstreamAgent = new Agent({ keepAlive: true, maxSockets: 256 });

/** Adjusts an emulator's answer headers on their way back (a service correcting what its emulator says). */
export type AnswerHeadersFix = (statusCode: number, headers: IncomingMessage['headers']) => IncomingMessage['headers'];

/**
 * Forwards a request unchanged to an emulator on 127.0.0.1 and streams the answer back.
 * The body may already have been read (`body`), when a quota check needed to look at it.
 */
export function forwardTo(upstreamPort: number, request: IncomingMessage, response: ServerResponse, body?: Buffer, fixHeaders?: AnswerHeadersFix): void {
  const upstream = httpRequest(
    {
      host: '127.0.0.1',
      port: upstreamPort,
      method: request.method,
      path: request.url,
      headers: body ? { ...request.headers, 'content-length': String(body.length) } : request.headers,
      agent: upstreamAgent,
    },
    (upstreamResponse) => {
      const statusCode = upstreamResponse.statusCode ?? 502;
      response.writeHead(statusCode, fixHeaders ? fixHeaders(statusCode, upstreamResponse.headers) : upstreamResponse.headers);
      upstreamResponse.pipe(response);
    },
  );
  upstream.on('error', (error) => {
    if (!response.headersSent) {
      response.writeHead(502, { 'content-type': 'application/json' });
    }
    response.end(JSON.stringify({ __type: 'ServiceUnavailable', message: `embedded emulator did not answer: ${error.message}` }));
  });
  if (body) upstream.end(body);
  else request.pipe(upstream);
}

/**
 * Forwards a request unchanged to an endpoint the user runs (LocalStack), for services
 * sluice applies no quota to. Only used for `--target localstack`.
 */
export function forwardToUrl(upstream: URL, request: IncomingMessage, response: ServerResponse): void {
  const outgoing = httpRequest(
    {
      host: upstream.hostname,
      port: upstream.port || 80,
      method: request.method,
      path: request.url,
      headers: { ...request.headers, host: upstream.host },
      agent: upstreamAgent,
    },
    (upstreamResponse) => {
      response.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
      upstreamResponse.pipe(response);
    },
  );
  outgoing.on('error', (error) => {
    if (!response.headersSent) response.writeHead(502, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ __type: 'ServiceUnavailable', message: `${upstream.origin} did not answer: ${error.message}` }));
  });
  request.pipe(outgoing);
}

/** Reads a whole request body (quota checks need the record count and sizes). */
export async function readBody(request: IncomingMessage, limitBytes = 16 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limitBytes) throw new Error(`request body over ${limitBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export interface EdgeEndpoint {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Starts the edge endpoint on 127.0.0.1: one port for every service, routed by the
 * request's signing service, like LocalStack's port 4566.
 */
export async function startEdge(services: EdgeService[], port = 0): Promise<EdgeEndpoint> {
  const byName = new Map<string, EdgeService>();
  for (const service of services) for (const name of service.signingNames) byName.set(name, service);

  const server: Server = createServer((request, response) => {
    if (request.url === '/_sluice/health') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ services: Object.fromEntries([...byName.keys()].map((name) => [name, 'running'])) }));
      return;
    }
    const name = serviceOfRequest(request);
    const service = name ? byName.get(name) : undefined;
    if (!service) {
      response.writeHead(400, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ __type: 'UnknownService', message: `the embedded target does not serve "${name ?? 'unknown'}"; it serves ${[...byName.keys()].join(', ')}` }));
      return;
    }
    Promise.resolve(service.handle(request, response)).catch((error: Error) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ __type: 'InternalFailure', message: error.message }));
    });
  });
  server.keepAliveTimeout = 65_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    port: address.port,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all(services.map((service) => service.close()));
    },
  };
}
