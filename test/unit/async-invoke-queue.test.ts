import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../core/clock.ts';
import { LambdaFunction } from '../../runtime/lambda-function.ts';
import { syntheticHandler } from '../../runtime/handler.ts';
import { seededRandom } from '../../runtime/random.ts';
import { AsyncInvokeQueue, defaultAsyncInvokeSettings, type AsyncFailureCondition, type AsyncInvokeSettings } from '../../runtime/async-invoke-queue.ts';
import { account, functionSpec } from '../support/scenarios.ts';

interface Trace {
  starts: Array<{ id: number; atMs: number; ageMs: number }>;
  successes: Array<{ id: number; atMs: number }>;
  throttles: Array<{ id: number; atMs: number }>;
  errors: Array<{ id: number; atMs: number; willRetry: boolean }>;
  failures: Array<{ id: number; atMs: number; condition: AsyncFailureCondition; attempts: number }>;
}

function setUp(options: { fn?: Record<string, unknown>; account?: Record<string, unknown>; settings?: Partial<AsyncInvokeSettings> }) {
  const clock = new VirtualClock(0);
  const spec = functionSpec({ initDuration: '0ms', ...options.fn });
  const fn = new LambdaFunction({ spec, account: account(options.account), clock, handler: syntheticHandler(spec.handler as never, clock, seededRandom(1)) });
  const trace: Trace = { starts: [], successes: [], throttles: [], errors: [], failures: [] };
  const queue = new AsyncInvokeQueue<{ id: number }>({
    fn,
    clock,
    settings: options.settings,
    observer: {
      onInvokeStart: (item, ageMs) => trace.starts.push({ id: item.meta.id, atMs: clock.nowMs(), ageMs }),
      onSuccess: (item) => trace.successes.push({ id: item.meta.id, atMs: clock.nowMs() }),
      onThrottle: (item) => trace.throttles.push({ id: item.meta.id, atMs: clock.nowMs() }),
      onFunctionError: (item, _error, willRetry) => trace.errors.push({ id: item.meta.id, atMs: clock.nowMs(), willRetry }),
      onFailure: (item, condition) => trace.failures.push({ id: item.meta.id, atMs: clock.nowMs(), condition, attempts: item.attempts }),
    },
  });
  return { clock, fn, queue, trace };
}

/** A function that can add one execution environment, and then one more a minute later (legacy burst model). */
const oneEnvironmentAccount = { scalingModel: 'legacy', legacyInitialBurst: 1, legacyBurstIncrementPerMinute: 1 };

describe('asynchronous invoke queue', () => {
  it('defaults to AWS’s settings: 2 retries after 1 and 2 minutes, 6 h maximum age, throttle waits from 1 s to 5 min', () => {
    expect(defaultAsyncInvokeSettings).toEqual({ maximumRetryAttempts: 2, maximumEventAgeMs: 21_600_000, errorRetryDelaysMs: [60_000, 120_000], throttleRetryInitialMs: 1_000, throttleRetryMaxMs: 300_000 });
  });

  it('holds events while the function is at its concurrency and invokes them as environments free up', async () => {
    const { clock, queue, trace } = setUp({ fn: { reservedConcurrency: 2, handler: { duration: '100ms' } } });
    for (let id = 0; id < 6; id += 1) queue.enqueue({}, { id });
    await clock.advanceBy(1_000);
    expect(trace.starts.map((start) => start.atMs)).toEqual([0, 0, 100, 100, 200, 200]);
    expect(trace.starts.map((start) => start.ageMs)).toEqual([0, 0, 100, 100, 200, 200]);
    expect(trace.successes).toHaveLength(6);
    expect(trace.throttles).toHaveLength(0);
    expect(queue.size).toBe(0);
  });

  it('retries a throttled event with a wait that doubles from 1 s', async () => {
    const { clock, queue, trace } = setUp({ fn: { handler: { duration: '5s' }, timeout: '60s' }, account: oneEnvironmentAccount });
    queue.enqueue({}, { id: 1 });
    queue.enqueue({}, { id: 2 });
    await clock.advanceBy(10_000);
    // Event 2 finds no new environment (burst) at 0, 1 s and 3 s; at 7 s event 1's environment is free again.
    expect(trace.throttles.map((throttle) => throttle.atMs)).toEqual([0, 1_000, 3_000]);
    expect(trace.starts).toEqual([
      { id: 1, atMs: 0, ageMs: 0 },
      { id: 2, atMs: 7_000, ageMs: 7_000 },
    ]);
    expect(queue.stats().throttles).toBe(3);
  });

  it('keeps retrying throttles only until the maximum event age, then hands the event to the destination', async () => {
    const { clock, queue, trace } = setUp({ fn: { handler: { duration: '300s' }, timeout: '900s' }, account: { ...oneEnvironmentAccount, legacyBurstIncrementPerMinute: 1 }, settings: { maximumEventAgeMs: 60_000 } });
    queue.enqueue({}, { id: 1 });
    queue.enqueue({}, { id: 2 });
    await clock.advanceBy(90_000);
    // Throttled at 0, 1, 3, 7, 15, 31 s; the next wait (32 s) would end past the 60 s age, so it ends at 60 s.
    expect(trace.throttles.map((throttle) => throttle.atMs / 1000)).toEqual([0, 1, 3, 7, 15, 31]);
    expect(trace.failures).toEqual([{ id: 2, atMs: 60_000, condition: 'EventAgeExceeded', attempts: 0 }]);
  });

  it('caps the throttle wait at throttleRetryMax', async () => {
    const { clock, queue, trace } = setUp({
      fn: { handler: { duration: '300s' }, timeout: '900s' },
      account: { ...oneEnvironmentAccount, legacyBurstIncrementPerMinute: 1 },
      settings: { throttleRetryInitialMs: 1_000, throttleRetryMaxMs: 4_000, maximumEventAgeMs: 60_000 },
    });
    queue.enqueue({}, { id: 1 });
    queue.enqueue({}, { id: 2 });
    await clock.advanceBy(20_000);
    expect(trace.throttles.map((throttle) => throttle.atMs / 1000)).toEqual([0, 1, 3, 7, 11, 15, 19]);
  });

  it('retries a function error after 1 minute and then 2 minutes, then sends it to the destination', async () => {
    const { clock, queue, trace } = setUp({ fn: { handler: { duration: '100ms', errorRate: 1 } } });
    queue.enqueue({}, { id: 7 });
    await clock.advanceBy(200_000);
    expect(trace.starts.map((start) => start.atMs)).toEqual([0, 60_100, 180_200]);
    expect(trace.errors.map((error) => error.willRetry)).toEqual([true, true, false]);
    expect(trace.failures).toEqual([{ id: 7, atMs: 180_300, condition: 'RetriesExhausted', attempts: 3 }]);
    expect(queue.size).toBe(0);
  });

  it('uses the configured error retry delays and attempt count', async () => {
    const { clock, queue, trace } = setUp({ fn: { handler: { duration: '100ms', errorRate: 1 } }, settings: { errorRetryDelaysMs: [1_000, 5_000] } });
    queue.enqueue({}, { id: 1 });
    await clock.advanceBy(10_000);
    expect(trace.starts.map((start) => start.atMs)).toEqual([0, 1_100, 6_200]);
    expect(trace.failures.map((failure) => failure.atMs)).toEqual([6_300]);

    const once = setUp({ fn: { handler: { duration: '100ms', errorRate: 1 } }, settings: { maximumRetryAttempts: 0 } });
    once.queue.enqueue({}, { id: 2 });
    await once.clock.advanceBy(300_000);
    expect(once.trace.starts).toHaveLength(1);
    expect(once.trace.failures).toEqual([{ id: 2, atMs: 100, condition: 'RetriesExhausted', attempts: 1 }]);
  });

  it('ends an error retry that would fall past the maximum event age at the age limit', async () => {
    const { clock, queue, trace } = setUp({ fn: { handler: { duration: '100ms', errorRate: 1 } }, settings: { maximumEventAgeMs: 60_000 } });
    queue.enqueue({}, { id: 1 });
    await clock.advanceBy(120_000);
    expect(trace.starts).toHaveLength(1);
    expect(trace.failures).toEqual([{ id: 1, atMs: 60_000, condition: 'EventAgeExceeded', attempts: 1 }]);
  });

  it('gives up events that wait for concurrency longer than the maximum event age', async () => {
    const { clock, queue, trace } = setUp({ fn: { reservedConcurrency: 1, handler: { duration: '50s' }, timeout: '120s' }, settings: { maximumEventAgeMs: 60_000 } });
    for (let id = 1; id <= 3; id += 1) queue.enqueue({}, { id });
    await clock.advanceBy(200_000);
    expect(trace.starts.map((start) => [start.id, start.atMs])).toEqual([
      [1, 0],
      [2, 50_000],
    ]);
    expect(trace.failures).toEqual([{ id: 3, atMs: 60_000, condition: 'EventAgeExceeded', attempts: 0 }]);
    expect(trace.successes.map((success) => success.id)).toEqual([1, 2]);
  });

  it('reports the highest async event age each time it is asked, waiting events included', async () => {
    const { clock, queue } = setUp({ fn: { reservedConcurrency: 1, handler: { duration: '1s' } } });
    for (let id = 0; id < 4; id += 1) queue.enqueue({}, { id });
    await clock.advanceBy(2_500);
    // Invoked so far at ages 0, 1 s and 2 s; event 3 has waited 2.5 s.
    expect(queue.takeAgeMsMax()).toBe(2_500);
    await clock.advanceBy(2_500);
    // Event 3 was invoked at 3 s, aged 3 s; nothing waits now.
    expect(queue.takeAgeMsMax()).toBe(3_000);
    expect(queue.takeAgeMsMax()).toBe(0);
  });

  it('keeps events held when stopped, and lets in-flight invokes finish', async () => {
    const { clock, queue, trace } = setUp({ fn: { reservedConcurrency: 1, handler: { duration: '1s' } } });
    for (let id = 0; id < 3; id += 1) queue.enqueue({}, { id });
    const stopping = queue.stop();
    await clock.advanceBy(5_000);
    await stopping;
    expect(trace.successes.map((success) => success.id)).toEqual([0]);
    expect([...queue.held()].map((item) => item.meta.id)).toEqual([1, 2]);
  });

  it('refuses settings outside AWS’s ranges', () => {
    const clock = new VirtualClock(0);
    const spec = functionSpec();
    const fn = new LambdaFunction({ spec, account: account(), clock, handler: syntheticHandler(spec.handler as never, clock, seededRandom(1)) });
    expect(() => new AsyncInvokeQueue({ fn, clock, settings: { maximumRetryAttempts: 3 } })).toThrow(/maximumRetryAttempts/);
    expect(() => new AsyncInvokeQueue({ fn, clock, settings: { maximumEventAgeMs: 30_000 } })).toThrow(/maximumEventAge/);
  });
});
