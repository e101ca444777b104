import { afterEach, describe, expect, it } from 'vitest';
import { realClock } from '../../core/clock.ts';
import { LambdaFunction, type RuntimeObserver } from '../../runtime/lambda-function.ts';
import { GatewayServer, type GatewayOutcome } from '../../drivers/apigateway/gateway-server.ts';
import { apiGatewayPatternSchema } from '../../drivers/apigateway/schema.ts';
import { account, functionSpec } from '../support/scenarios.ts';

const servers: GatewayServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/**
 * A gateway in front of a function with one environment whose handler holds each request
 * for 300 ms, and an account throttle of 1 request/s with a burst of 2: the first request
 * runs, the second is admitted but finds no free environment, the third finds no token.
 */
async function busyGateway(type: 'http' | 'rest') {
  const observers: RuntimeObserver[] = [];
  const answered: Array<{ id: number | undefined; outcome: GatewayOutcome }> = [];
  let functionThrottles = 0;
  const fn = new LambdaFunction({
    spec: functionSpec({ initDuration: '0ms', reservedConcurrency: 1 }),
    account: account(),
    clock: realClock,
    handler: { run: () => new Promise((resolve) => setTimeout(() => resolve({ statusCode: 200, body: 'done' }), 300)) },
    observer: {
      onInvocation: (record) => observers.forEach((observer) => observer.onInvocation?.(record)),
      onThrottle: (trigger, error) => {
        functionThrottles += 1;
        observers.forEach((observer) => observer.onThrottle?.(trigger, error));
      },
    },
  });
  const server = new GatewayServer({
    pattern: apiGatewayPatternSchema.parse({ source: 'apigateway', type, throttleRatePerSecond: 1, throttleBurst: 2 }),
    fn,
    clock: realClock,
    hooks: { onAnswered: (id, outcome) => answered.push({ id, outcome }) },
  });
  observers.push(server.runtimeObserver);
  await server.start();
  servers.push(server);
  const post = (id: number) => fetch(`${server.url}${server.requestPath}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sluiceId: id, sentAtMs: 0 }) });
  return { server, post, answered, functionThrottles: () => functionThrottles };
}

describe('api gateway: a throttled invoke is a 500, only the gateway’s own throttle a 429', () => {
  it('HTTP API: answers 500 {"message":"Internal Server Error"} for a throttled invoke and 429 beyond its token bucket', async () => {
    const { server, post, answered, functionThrottles } = await busyGateway('http');
    const running = post(1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const invokeThrottled = await post(2);
    const gatewayThrottled = await post(3);

    expect(invokeThrottled.status).toBe(500);
    expect(await invokeThrottled.json()).toEqual({ message: 'Internal Server Error' });
    expect(invokeThrottled.headers.get('x-sluice-outcome')).toBe('functionThrottled');
    expect(gatewayThrottled.status).toBe(429);
    expect(await gatewayThrottled.json()).toEqual({ message: 'Too Many Requests' });
    expect(gatewayThrottled.headers.get('x-sluice-outcome')).toBe('gatewayThrottled');
    expect((await running).status).toBe(200);

    // Counted apart: one of each, and the runtime saw exactly the one refused invoke.
    expect(server.outcomes).toMatchObject({ ok: 1, functionThrottled: 1, gatewayThrottled: 1 });
    expect(functionThrottles()).toBe(1);
    expect(answered.map((a) => [a.id, a.outcome])).toEqual([
      [2, 'functionThrottled'],
      [1, 'ok'],
    ]);
  });

  it('REST API: answers 500 {"message": "Internal server error"} for a throttled invoke (a function error stays 502)', async () => {
    const { post } = await busyGateway('rest');
    const running = post(1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const invokeThrottled = await post(2);
    expect(invokeThrottled.status).toBe(500);
    expect(await invokeThrottled.json()).toEqual({ message: 'Internal server error' });
    expect((await post(3)).status).toBe(429);
    expect((await running).status).toBe(200);
  });
});
