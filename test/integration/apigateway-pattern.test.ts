import { describe, expect, it } from 'vitest';
import { runSinglePattern } from '../support/run-inline.ts';

describe('apigateway pattern (embedded target, keep-alive HTTP load)', () => {
  it('answers about half the requests 500 (throttled invokes) when 100 rps meet 5 environments of a 100 ms handler, and shows the init time in the first requests', async () => {
    const pattern = await runSinglePattern(`
name: apigateway-concurrency
workload:
  phases: [{ duration: 5, arrivalRate: 100 }]
function:
  handler: { duration: 100ms }
  initDuration: 300ms
  reservedConcurrency: 5
patterns:
  - source: apigateway
    type: rest
`);
    const extras = pattern.extras as {
      statusCodes: Record<string, number>;
      outcomes: Record<string, number>;
      throttles: { gateway: { statusCode: number; count: number }; function: { statusCode: number; count: number } };
    };
    const total = Object.values(extras.statusCodes).reduce((sum, count) => sum + count, 0);
    const throttledShare = (extras.statusCodes['500'] ?? 0) / total;
    console.info(`apigateway: ${total} requests, status codes ${JSON.stringify(extras.statusCodes)} (500 share ${(throttledShare * 100).toFixed(1)} %); client latency cold p50 ${pattern.latency.clientMs?.cold.p50} ms (n=${pattern.latency.clientMs?.cold.count}), warm p50 ${pattern.latency.clientMs?.warm.p50} ms`);
    expect(total).toBe(500);
    // 5 environments × 10 invokes/s = 50 rps served of 100 (a little less while the first 5 initialise).
    expect(throttledShare).toBeGreaterThan(0.4);
    expect(throttledShare).toBeLessThan(0.62);
    // All of them function-side, answered 500 as API Gateway answers a throttled invoke; no
    // 429: the account throttle (10,000 rps) is far away.
    expect(extras.statusCodes['429']).toBeUndefined();
    expect(extras.outcomes['functionThrottled']).toBe(extras.statusCodes['500']);
    expect(extras.throttles).toEqual({ gateway: { statusCode: 429, count: 0 }, function: { statusCode: 500, count: extras.statusCodes['500'] } });
    expect(pattern.summary.functionThrottles).toBe(extras.statusCodes['500']);
    expect(pattern.summary.sourceThrottles).toBe(0);
    // Each admitted request is one invoke attempt: the function throttle rate is the 500s' share.
    expect(pattern.summary.functionThrottleRate).toBeCloseTo(extras.statusCodes['500']! / 500, 5);
    expect(pattern.accounting).toMatchObject({ sent: 500, accepted: 500, completed: extras.statusCodes['200'], failed: extras.statusCodes['500'], lost: 0 });
    // The first request on each of the 5 environments waited for its 300 ms init.
    const client = pattern.latency.clientMs!;
    expect(client.cold.count).toBe(5);
    expect(client.cold.p50).toBeGreaterThanOrEqual(400);
    expect(client.warm.p50).toBeLessThan(300);
  });
});
