import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../core/clock.ts';
import { InvocationThrottle } from '../../core/invocation-throttle.ts';

describe('EventBridge invocation quota (core/invocation-throttle.ts)', () => {
  it('hands on one second’s burst at once, then holds the rate, oldest first, and drops nothing', async () => {
    const clock = new VirtualClock(0);
    const delivered: Array<{ item: number; atMs: number }> = [];
    const throttle = new InvocationThrottle<number>({ ratePerSecond: 100, clock, deliver: (item) => delivered.push({ item, atMs: clock.nowMs() }) });
    for (let item = 0; item < 300; item += 1) throttle.offer(item);
    expect(delivered).toHaveLength(100);
    expect(throttle.size).toBe(200);
    await clock.advanceTo(1000);
    expect(delivered.length).toBeGreaterThanOrEqual(199);
    expect(delivered.length).toBeLessThanOrEqual(201);
    await clock.advanceTo(2100);
    expect(delivered.map(({ item }) => item)).toEqual(Array.from({ length: 300 }, (_, item) => item));
    expect(throttle.size).toBe(0);
    expect(throttle.delayedInvocations).toBe(200);
    expect(throttle.maxDelayMs).toBeGreaterThan(1900);
    expect(throttle.maxDelayMs).toBeLessThanOrEqual(2010);
  });

  it('never delays traffic at or under the rate', async () => {
    const clock = new VirtualClock(0);
    let delivered = 0;
    const throttle = new InvocationThrottle<number>({ ratePerSecond: 50, clock, deliver: () => (delivered += 1) });
    for (let second = 0; second < 10; second += 1) {
      for (let item = 0; item < 50; item += 1) {
        throttle.offer(item);
        await clock.advanceBy(20);
      }
    }
    expect(delivered).toBe(500);
    expect(throttle.delayedInvocations).toBe(0);
  });

  it('a new rate keeps what waits in its place and releases it at the new rate', async () => {
    const clock = new VirtualClock(0);
    const delivered: number[] = [];
    const throttle = new InvocationThrottle<number>({ ratePerSecond: 10, clock, deliver: (item) => delivered.push(item) });
    for (let item = 0; item < 40; item += 1) throttle.offer(item);
    expect(delivered).toHaveLength(10);
    throttle.setRate(30);
    expect(throttle.ratePerSecond).toBe(30);
    // A full bucket of 30 at the new rate takes the 30 that waited, in order, nothing dropped.
    await clock.advanceTo(5);
    expect(delivered).toEqual(Array.from({ length: 40 }, (_, item) => item));
    expect(throttle.size).toBe(0);
  });
});

