import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** What the gateway knows of one request when it builds the function's event. */
export interface GatewayRequest {
  method: string;
  /** Path as requested, stage included for REST APIs. */
  path: string;
  /** Path of the route, stage excluded. */
  routePath: string;
  stage: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
  sourceIp: string;
  receivedAtMs: number;
}

const accountId = '000000000000';
const apiId = 'sluiceapi';

function singleHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const single: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) single[name] = Array.isArray(value) ? value.join(',') : value;
  return single;
}

/**
 * The Lambda proxy integration event of an HTTP API (payload format 2.0).
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 */
export function httpApiEvent(request: GatewayRequest): Record<string, unknown> {
  const headers = singleHeaders(request.headers);
  const query = Object.fromEntries(request.query);
  return {
    version: '2.0',
    routeKey: `${request.method} ${request.routePath}`,
    rawPath: request.path,
    rawQueryString: request.query.toString(),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId,
      apiId,
      domainName: headers['host'] ?? '127.0.0.1',
      http: { method: request.method, path: request.path, protocol: 'HTTP/1.1', sourceIp: request.sourceIp, userAgent: headers['user-agent'] ?? '' },
      requestId: randomUUID(),
      routeKey: `${request.method} ${request.routePath}`,
      stage: request.stage,
      time: new Date(request.receivedAtMs).toUTCString(),
      timeEpoch: request.receivedAtMs,
    },
    body: request.body,
    isBase64Encoded: false,
  };
}

/**
 * The Lambda proxy integration event of a REST API (payload format 1.0).
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
 */
export function restApiEvent(request: GatewayRequest): Record<string, unknown> {
  const headers = singleHeaders(request.headers);
  const query = Object.fromEntries(request.query);
  return {
    resource: request.routePath,
    path: request.routePath,
    httpMethod: request.method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    queryStringParameters: Object.keys(query).length > 0 ? query : null,
    multiValueQueryStringParameters: Object.keys(query).length > 0 ? Object.fromEntries([...request.query.keys()].map((name) => [name, request.query.getAll(name)])) : null,
    pathParameters: null,
    stageVariables: null,
    requestContext: {
      accountId,
      apiId,
      resourcePath: request.routePath,
      httpMethod: request.method,
      path: request.path,
      stage: request.stage,
      requestId: randomUUID(),
      requestTimeEpoch: request.receivedAtMs,
      identity: { sourceIp: request.sourceIp, userAgent: headers['user-agent'] ?? '' },
    },
    body: request.body,
    isBase64Encoded: false,
  };
}

export interface GatewayResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * The HTTP response for a function's result. A proxy-shaped result (`statusCode`, `body`,
 * `headers`) is answered as given; anything else — a synthetic handler's `{ ok: true }` —
 * as 200 with the result as JSON, which is what an HTTP API infers (a REST API would
 * answer 502 "Malformed Lambda proxy response"; sluice is lenient so synthetic handlers
 * compare on equal terms across both types).
 */
export function responseOf(result: unknown): GatewayResponse {
  if (typeof result === 'object' && result !== null && typeof (result as { statusCode?: unknown }).statusCode === 'number') {
    const proxy = result as { statusCode: number; headers?: Record<string, unknown>; body?: unknown; isBase64Encoded?: boolean };
    const headers = Object.fromEntries(Object.entries(proxy.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]));
    const body = typeof proxy.body === 'string' ? (proxy.isBase64Encoded ? Buffer.from(proxy.body, 'base64').toString('utf8') : proxy.body) : proxy.body === undefined ? '' : JSON.stringify(proxy.body);
    return { statusCode: proxy.statusCode, headers, body };
  }
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: typeof result === 'string' ? result : JSON.stringify(result ?? null) };
}
