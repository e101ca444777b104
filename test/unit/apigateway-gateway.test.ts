import { afterEach, describe, expect, it } from 'vitest';
import { realClock } from '../../core/clock.ts';
import { LambdaFunction, type RuntimeObserver } from '../../runtime/lambda-function.ts';
import type { RunnableHandler } from '../../runtime/handler.ts';
import { GatewayServer, type GatewayOutcome } from '../../drivers/apigateway/gateway-server.ts';
import { apiGatewayPatternSchema } from '../../drivers/apigateway/schema.ts';
import { account, functionSpec } from '../support/scenarios.ts';

const servers: GatewayServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** A gateway over a function whose handler the test controls. */
async function gateway(options: { pattern?: Record<string, unknown>; fn?: Record<string, unknown>; handler?: RunnableHandler }) {
  const observers: RuntimeObserver[] = [];
  const answered: Array<{ id: number | undefined; outcome: GatewayOutcome }> = [];
  const fn = new LambdaFunction({
    spec: functionSpec({ initDuration: '0ms', ...options.fn }),
    account: account(),
    clock: realClock,
    handler: options.handler ?? { run: async (event) => ({ statusCode: 201, body: JSON.stringify({ echoed: (event as { body: string }).body }) }) },
    observer: {
      onInvocation: (record) => observers.forEach((observer) => observer.onInvocation?.(record)),
      onThrottle: (trigger, error) => observers.forEach((observer) => observer.onThrottle?.(trigger, error)),
    },
  });
  const server = new GatewayServer({
    pattern: apiGatewayPatternSchema.parse({ source: 'apigateway', ...options.pattern }),
    fn,
    clock: realClock,
    hooks: { onAnswered: (id, outcome) => answered.push({ id, outcome }) },
  });
  observers.push(server.runtimeObserver);
  await server.start();
  servers.push(server);
  const post = (body: unknown, path = server.requestPath) =>
    fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { server, post, answered };
}

describe('api gateway (sluice-served, Lambda proxy integration)', () => {
  it('invokes the function with an HTTP API event and answers its proxy result', async () => {
    let seen: Record<string, unknown> | undefined;
    const { post } = await gateway({
      handler: {
        run: async (event) => {
          seen = event as Record<string, unknown>;
          return { statusCode: 201, headers: { 'X-Order': '7' }, body: 'created' };
        },
      },
    });
    const answer = await post({ sluiceId: 3, sentAtMs: 1 });
    expect(answer.status).toBe(201);
    expect(answer.headers.get('x-order')).toBe('7');
    expect(await answer.text()).toBe('created');
    expect(seen).toMatchObject({ version: '2.0', routeKey: 'POST /events', rawPath: '/events', body: '{"sluiceId":3,"sentAtMs":1}', requestContext: { stage: '$default' } });
  });

  it('serves a REST API under its stage with a payload format 1.0 event', async () => {
    let seen: Record<string, unknown> | undefined;
    const { post, server } = await gateway({
      pattern: { type: 'rest', stage: 'prod', path: '/orders' },
      handler: {
        run: async (event) => {
          seen = event as Record<string, unknown>;
          return { ok: true };
        },
      },
    });
    expect(server.requestPath).toBe('/prod/orders');
    const answer = await post({ sluiceId: 1, sentAtMs: 1 });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ ok: true });
    expect(seen).toMatchObject({ httpMethod: 'POST', resource: '/orders', requestContext: { stage: 'prod', path: '/prod/orders' } });
    expect((await post({}, '/orders')).status).toBe(404);
  });

  it('answers 500 at once when the function has no free concurrency (function-side throttle)', async () => {
    const { post, answered } = await gateway({ fn: { reservedConcurrency: 1 }, handler: { run: () => new Promise((resolve) => setTimeout(() => resolve({ ok: true }), 300)) } });
    const first = post({ sluiceId: 1, sentAtMs: 0 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const startedAt = performance.now();
    const second = await post({ sluiceId: 2, sentAtMs: 0 });
    expect(second.status).toBe(500);
    expect(second.headers.get('x-sluice-outcome')).toBe('functionThrottled');
    expect(performance.now() - startedAt).toBeLessThan(150);
    expect((await first).status).toBe(200);
    expect(answered).toEqual([
      { id: 2, outcome: 'functionThrottled' },
      { id: 1, outcome: 'ok' },
    ]);
  });

  it('answers 429 beyond the account throttle without invoking (gateway-side throttle)', async () => {
    let invokes = 0;
    const { post, server } = await gateway({
      pattern: { throttleRatePerSecond: 1, throttleBurst: 2 },
      handler: {
        run: async () => {
          invokes += 1;
          return { ok: true };
        },
      },
    });
    const statuses = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await post({ sluiceId: i, sentAtMs: 0 })).status);
    expect(statuses).toEqual([200, 200, 429, 429]);
    expect(invokes).toBe(2);
    expect(server.outcomes.gatewayThrottled).toBe(2);
  });

  it('answers 504 after the integration timeout while the function runs on', async () => {
    let finished = false;
    const { post } = await gateway({
      pattern: { integrationTimeout: '100ms' },
      fn: { timeout: '5s' },
      handler: { run: () => new Promise((resolve) => setTimeout(() => ((finished = true), resolve({ ok: true })), 400)) },
    });
    const startedAt = performance.now();
    const answer = await post({ sluiceId: 1, sentAtMs: 0 });
    expect(answer.status).toBe(504);
    expect(performance.now() - startedAt).toBeLessThan(350);
    expect(finished).toBe(false);
  });

  it('answers 500 (HTTP API) or 502 (REST API) when the function fails', async () => {
    const failing: RunnableHandler = { run: async () => Promise.reject(new Error('boom')) };
    const http = await gateway({ handler: failing });
    expect((await http.post({ sluiceId: 1, sentAtMs: 0 })).status).toBe(500);
    const rest = await gateway({ pattern: { type: 'rest' }, handler: failing });
    expect((await rest.post({ sluiceId: 1, sentAtMs: 0 })).status).toBe(502);
  });

  it('marks the response of a cold start, whose init time is in its latency', async () => {
    const { post } = await gateway({ fn: { initDuration: '200ms' }, handler: { run: async () => ({ ok: true }) } });
    const startedAt = performance.now();
    const cold = await post({ sluiceId: 1, sentAtMs: 0 });
    const coldMs = performance.now() - startedAt;
    expect(cold.headers.get('x-sluice-cold-start')).toBe('1');
    expect(Number(cold.headers.get('x-sluice-init-ms'))).toBeGreaterThanOrEqual(195);
    expect(coldMs).toBeGreaterThanOrEqual(195);
    const warm = await post({ sluiceId: 2, sentAtMs: 0 });
    expect(warm.headers.get('x-sluice-cold-start')).toBe('0');
  });
});
