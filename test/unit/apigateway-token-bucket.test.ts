import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../core/clock.ts';
import { TokenBucket } from '../../core/token-bucket.ts';
import { apiGatewayPatternSchema } from '../../drivers/apigateway/schema.ts';

/** Takes tokens one at a time until refused; returns how many were granted. */
function drain(bucket: TokenBucket, max = 1_000_000): number {
  let granted = 0;
  while (granted < max && bucket.tryTake()) granted += 1;
  return granted;
}

describe('api gateway account throttle (token bucket)', () => {
  it('defaults to AWS’s account throttle: 10,000 requests/s steady, 5,000 burst, 29 s integration timeout', () => {
    const pattern = apiGatewayPatternSchema.parse({ source: 'apigateway' });
    expect(pattern).toMatchObject({ type: 'http', throttleRatePerSecond: 10_000, throttleBurst: 5_000, integrationTimeout: 29_000 });
  });

  it('grants the burst at once, then refuses', () => {
    const bucket = new TokenBucket({ ratePerSecond: 10_000, burst: 5_000, clock: new VirtualClock(0) });
    expect(drain(bucket)).toBe(5_000);
    expect(bucket.tryTake()).toBe(false);
  });

  it('refills at the steady rate', async () => {
    const clock = new VirtualClock(0);
    const bucket = new TokenBucket({ ratePerSecond: 10_000, burst: 5_000, clock });
    drain(bucket);
    await clock.advanceBy(100);
    expect(drain(bucket)).toBe(1_000);
    await clock.advanceBy(1);
    expect(drain(bucket)).toBe(10);
  });

  it('never holds more than the burst, however long it was idle', async () => {
    const clock = new VirtualClock(0);
    const bucket = new TokenBucket({ ratePerSecond: 100, burst: 20, clock });
    drain(bucket);
    await clock.advanceBy(60_000);
    expect(drain(bucket)).toBe(20);
  });

  it('holds a sustained rate above the steady rate to the steady rate', async () => {
    const clock = new VirtualClock(0);
    const bucket = new TokenBucket({ ratePerSecond: 100, burst: 50, clock });
    let granted = 0;
    // 200 requests/s for 10 s.
    for (let tick = 0; tick < 2_000; tick += 1) {
      if (bucket.tryTake()) granted += 1;
      await clock.advanceBy(5);
    }
    // The burst, then 100 a second.
    expect(granted).toBeGreaterThanOrEqual(1_049);
    expect(granted).toBeLessThanOrEqual(1_051);
  });

  it('refuses a rate or burst that cannot work', () => {
    const clock = new VirtualClock(0);
    expect(() => new TokenBucket({ ratePerSecond: 0, burst: 10, clock })).toThrow(RangeError);
    expect(() => new TokenBucket({ ratePerSecond: 10, burst: 0, clock })).toThrow(RangeError);
    expect(apiGatewayPatternSchema.safeParse({ source: 'apigateway', throttleBurst: 0 }).success).toBe(false);
    expect(apiGatewayPatternSchema.safeParse({ source: 'apigateway', type: 'websocket' }).success).toBe(false);
  });
});
