import { describe, expect, it } from 'vitest';
import { startedNoJobs, VirtualClock } from '../../core/clock.ts';

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

  it('fires a setTimerFirst timer before the timers due at its instant that were set before it, and in set order among its own kind', async () => {
    const clock = new VirtualClock();
    const fired: string[] = [];
    // A poller's beat set a second ahead, then arrivals set to fall on it, as a prediction has them.
    clock.setTimer(() => fired.push(`read@${clock.nowMs()}`), 1000);
    clock.setTimer(() => fired.push(`sample@${clock.nowMs()}`), 1000);
    clock.setTimerFirst(() => fired.push(`write1@${clock.nowMs()}`), 1000);
    clock.setTimerFirst(() => fired.push(`write2@${clock.nowMs()}`), 1000);
    // Earlier timers still fire first, whatever their kind.
    clock.setTimer(() => fired.push(`early@${clock.nowMs()}`), 999);
    const cleared = clock.setTimerFirst(() => fired.push('cleared'), 1000);
    clock.clearTimer(cleared);
    await clock.advanceBy(1000);
    expect(fired).toEqual(['early@999', 'write1@1000', 'write2@1000', 'read@1000', 'sample@1000']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('lets promise jobs run after a timer, and fires the next at once after one that says it started none', async () => {
    const order: string[] = [];
    for (const quiet of [false, true]) {
      const clock = new VirtualClock(0, { settleTurns: 12 });
      clock.setTimerFirst(() => {
        void Promise.resolve().then(() => order.push(`job after ${quiet ? 'quiet' : 'plain'} timer`));
        return quiet ? startedNoJobs : undefined;
      }, 10);
      clock.setTimer(() => order.push(`next timer after ${quiet ? 'quiet' : 'plain'}`), 10);
      await clock.advanceBy(10);
    }
    // The second timer broke its word, so its job runs late: after the timer that came next.
    expect(order).toEqual(['job after plain timer', 'next timer after plain', 'next timer after quiet', 'job after quiet timer']);
  });

  it('rebuilds a heap of mostly cleared timers from the live ones, still firing them in order', async () => {
    const clock = new VirtualClock();
    const fired: number[] = [];
    // 10,000 long waits answered early (a receive's timer cleared by a message), among 100 that fire.
    const cleared = Array.from({ length: 10_000 }, (_, index) => clock.setTimer(() => fired.push(-index), 20_000 + index));
    for (let index = 0; index < 100; index += 1) clock.setTimer(() => fired.push(index), 100 * (100 - index));
    for (const handle of cleared) clock.clearTimer(handle);
    expect(clock.pendingTimers).toBe(100);
    await clock.advanceBy(30_000);
    expect(fired).toEqual(Array.from({ length: 100 }, (_, index) => 99 - index));
    expect(clock.pendingTimers).toBe(0);
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

  it('settling by microtask hops runs await chains shallower than the hops before the next timer, as the macrotask settle does', async () => {
    const trace = async (clock: VirtualClock) => {
      const seen: string[] = [];
      // A timer whose callback starts a chain of 5 awaits that reads the time at its end.
      clock.setTimer(() => {
        void (async () => {
          for (let hop = 0; hop < 5; hop += 1) await undefined;
          seen.push(`chain done at ${clock.nowMs()}`);
        })();
      }, 10);
      clock.setTimer(() => seen.push(`next timer at ${clock.nowMs()}`), 10);
      await clock.advanceBy(20);
      return seen;
    };
    const macrotask = await trace(new VirtualClock());
    const microtask = await trace(new VirtualClock(0, { settleTurns: 24 }));
    expect(macrotask).toEqual(['chain done at 10', 'next timer at 10']);
    expect(microtask).toEqual(macrotask);
    // Too few hops for the chain: it still runs, only after the next timer of the same instant.
    expect(await trace(new VirtualClock(0, { settleTurns: 2 }))).toEqual(['next timer at 10', 'chain done at 10']);
  });

  it('advanceTo never moves time back, and nextDueMs names the next live timer', async () => {
    const clock = new VirtualClock(1000);
    const handle = clock.setTimer(() => undefined, 50);
    clock.setTimer(() => undefined, 80);
    clock.clearTimer(handle);
    expect(clock.nextDueMs()).toBe(1080);
    await clock.advanceTo(500);
    expect(clock.nowMs()).toBe(1000);
    await clock.advanceTo(1100);
    expect(clock.firedTimers).toBe(1);
    expect(clock.nextDueMs()).toBeUndefined();
  });
});
