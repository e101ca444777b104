import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../core/clock.ts';

describe('VirtualClock', () => {
  it('fires timers in time order, and timers due together in the order they were set', async () => {
    const clock = new VirtualClock(1000);
    const fired: string[] = [];
    for (const [name, delayMs] of [['c', 30], ['a', 10], ['b1', 20], ['b2', 20], ['late', 500]] as const) clock.setTimer(() => fired.push(`${name}@${clock.nowMs()}`), delayMs);
    await clock.advanceBy(100);
    expect(fired).toEqual(['a@1010', 'b1@1020', 'b2@1020', 'c@1030']);
    expect(clock.nowMs()).toBe(1100);
    expect(clock.pendingTimers).toBe(1);
  });

  it('skips a cleared timer and lets the promise jobs a timer starts run before the next one', async () => {
    const clock = new VirtualClock();
    const order: string[] = [];
    const cleared = clock.setTimer(() => order.push('cleared'), 5);
    clock.setTimer(() => {
      order.push('first');
      // A chain of awaits started by a timer finishes before the next timer fires.
      void (async () => {
        await Promise.resolve();
        await Promise.resolve();
        order.push('first’s job');
        clock.setTimer(() => order.push('set by the job'), 0);
      })();
    }, 10);
    clock.setTimer(() => order.push('second'), 10);
    clock.clearTimer(cleared);
    await clock.advanceBy(10);
    expect(order).toEqual(['first', 'first’s job', 'second', 'set by the job']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('keeps many timers cheap: 30,000 sleeps resolve in time order', async () => {
    const clock = new VirtualClock();
    let resolved = 0;
    let lastAtMs = -1;
    let ordered = true;
    for (let i = 0; i < 30_000; i += 1) {
      void clock.sleep((i * 7919) % 10_000).then(() => {
        if (clock.nowMs() < lastAtMs) ordered = false;
        lastAtMs = clock.nowMs();
        resolved += 1;
      });
    }
    await clock.advanceBy(10_000);
    expect(resolved).toBe(30_000);
    expect(ordered).toBe(true);
  });
});
