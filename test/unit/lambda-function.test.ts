import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../core/clock.ts';
import { LambdaFunction, type InvocationRecord } from '../../runtime/lambda-function.ts';
import { DeferredEvent, syntheticHandler } from '../../runtime/handler.ts';
import { seededRandom } from '../../runtime/random.ts';
import { ConcurrencyThrottleError, FunctionError } from '../../runtime/errors.ts';
import { account, functionSpec } from '../support/scenarios.ts';

function makeFunction(fnInput: Record<string, unknown>, accountInput: Record<string, unknown> = {}) {
  const clock = new VirtualClock(1_000_000);
  const spec = functionSpec(fnInput);
  const records: InvocationRecord[] = [];
  const throttles: ConcurrencyThrottleError[] = [];
  const handlerSpec = spec.handler.type === 'synthetic' ? spec.handler : undefined;
  const fn = new LambdaFunction({
    spec,
    account: account(accountInput),
    clock,
    handler: syntheticHandler(handlerSpec!, clock, seededRandom(7)),
    observer: { onInvocation: (r) => records.push(r), onThrottle: (_, e) => throttles.push(e) },
  });
  return { clock, fn, records, throttles };
}

/** Starts an invoke and keeps its outcome, so a throttle does not surface as an unhandled rejection. */
function start(fn: LambdaFunction) {
  const outcome: { error?: unknown; done: boolean } = { done: false };
  const promise = fn.invoke({}, 'sync').then(
    () => {
      outcome.done = true;
    },
    (error) => {
      outcome.error = error;
      outcome.done = true;
    },
  );
  return { outcome, promise };
}

describe('lambda function runtime', () => {
  it('runs the init time before the first invoke and reuses the warm environment after', async () => {
    const { clock, fn, records } = makeFunction({ handler: { duration: '100ms' }, initDuration: '400ms' });
    const first = start(fn);
    await clock.advanceBy(499);
    expect(first.outcome.done).toBe(false);
    await clock.advanceBy(1);
    expect(first.outcome.done).toBe(true);
    const second = start(fn);
    await clock.advanceBy(100);
    expect(second.outcome.done).toBe(true);
    expect(records.map((r) => r.coldStart)).toEqual([true, false]);
    expect(records[0].initDurationMs).toBe(400);
    expect(records[1].durationMs).toBe(100);
    expect(fn.environmentCount).toBe(1);
  });

  it('throttles beyond reserved concurrency at once, with the reserved-concurrency reason', async () => {
    const { clock, fn, throttles } = makeFunction({ handler: { duration: '1s' }, reservedConcurrency: 2 });
    const invokes = [start(fn), start(fn), start(fn)];
    await clock.advanceBy(1);
    expect(invokes[2].outcome.error).toBeInstanceOf(ConcurrencyThrottleError);
    expect((invokes[2].outcome.error as ConcurrencyThrottleError).reason).toBe('ReservedFunctionConcurrentInvocationLimitExceeded');
    expect(throttles).toHaveLength(1);
    expect(fn.concurrency).toBe(2);
    await clock.advanceBy(2000);
    expect(invokes[0].outcome.error).toBeUndefined();
    expect(fn.concurrency).toBe(0);
  });

  it('adds at most the burst allowance of new environments, refilling over 10 seconds', async () => {
    const { clock, fn } = makeFunction({ handler: { duration: '30s' }, timeout: '60s', initDuration: '10ms' }, { burstEnvironmentsPer10Seconds: 10 });
    const first = Array.from({ length: 12 }, () => start(fn));
    await clock.advanceBy(1);
    expect(first.filter((i) => i.outcome.error instanceof ConcurrencyThrottleError)).toHaveLength(2);
    expect((first[11].outcome.error as ConcurrencyThrottleError).reason).toBe('BurstScalingLimitExceeded');
    // 10 per 10 s is one new environment a second.
    await clock.advanceBy(1000);
    const later = [start(fn), start(fn)];
    await clock.advanceBy(1);
    expect(later.filter((i) => i.outcome.error instanceof ConcurrencyThrottleError)).toHaveLength(1);
    expect(fn.concurrency).toBe(11);
  });

  it('legacy scaling: an initial burst at once, then +increment each minute', async () => {
    const { clock, fn } = makeFunction(
      { handler: { duration: '200s' }, timeout: '900s', initDuration: '10ms' },
      { scalingModel: 'legacy', legacyInitialBurst: 5, legacyBurstIncrementPerMinute: 3 },
    );
    const burst = Array.from({ length: 7 }, () => start(fn));
    await clock.advanceBy(1);
    expect(burst.filter((i) => i.outcome.error)).toHaveLength(2);
    await clock.advanceBy(60_000);
    const more = Array.from({ length: 4 }, () => start(fn));
    await clock.advanceBy(1);
    expect(more.filter((i) => i.outcome.error)).toHaveLength(1);
    expect(fn.concurrency).toBe(8);
  });

  it('reclaims idle environments after the idle time, so the next invoke is cold again', async () => {
    const { clock, fn, records } = makeFunction({ handler: { duration: '10ms' }, initDuration: '100ms', idleReclaim: '60s' });
    start(fn);
    await clock.advanceBy(200);
    await clock.advanceBy(61_000);
    start(fn);
    await clock.advanceBy(200);
    expect(records.map((r) => r.coldStart)).toEqual([true, true]);
  });

  it('reclaims each idle environment once it has been idle for the idle time, counting a provisioned one scaled in while idle from its own last use', async () => {
    const { clock, fn, records } = makeFunction({ handler: { duration: '10ms' }, initDuration: '100ms', idleReclaim: '60s', provisionedConcurrency: 1, reservedConcurrency: 5 });
    await clock.advanceBy(2000);
    // One invoke on the provisioned environment, one on a new on-demand one.
    start(fn);
    start(fn);
    await clock.advanceBy(200);
    // 30 s on, the provisioned environment serves first; then provisioned concurrency goes to 0.
    await clock.advanceBy(30_000);
    start(fn);
    await clock.advanceBy(10_000);
    fn.setProvisionedTarget(0);
    // 61 s after the first pair: the on-demand environment is gone, the one provisioned until
    // 40 s (last used at 30 s) is still warm.
    await clock.advanceBy(21_000);
    start(fn);
    await clock.advanceBy(200);
    expect(fn.environmentCount).toBe(1);
    // 61 s after its last use, it is gone too.
    await clock.advanceBy(61_000);
    start(fn);
    await clock.advanceBy(200);
    expect(records.map((r) => [r.coldStart, r.provisioned])).toEqual([
      [false, true],
      [true, false],
      [false, true],
      [false, false],
      [true, false],
    ]);
    expect(fn.environmentCount).toBe(1);
  });

  it('provisioned environments start warm', async () => {
    const { clock, fn, records } = makeFunction({ handler: { duration: '10ms' }, initDuration: '1s', provisionedConcurrency: 2, reservedConcurrency: 5 });
    start(fn);
    start(fn);
    start(fn);
    await clock.advanceBy(2000);
    expect(records.filter((r) => r.coldStart)).toHaveLength(1);
  });

  it('fails an invoke that runs past the timeout', async () => {
    const { clock, fn, records } = makeFunction({ handler: { duration: '5s' }, timeout: '1s', initDuration: '0ms' });
    const invoke = start(fn);
    await clock.advanceBy(1000);
    expect(invoke.outcome.error).toBeInstanceOf(FunctionError);
    expect(records[0].outcome).toBe('timeout');
  });

  it('fails the share of invokes given by errorRate', async () => {
    const { clock, fn, records } = makeFunction({ handler: { duration: '1ms', errorRate: 0.3 }, reservedConcurrency: 1000 });
    for (let i = 0; i < 1000; i += 1) start(fn);
    await clock.advanceBy(1000);
    const errors = records.filter((r) => r.outcome === 'error').length;
    expect(errors).toBeGreaterThan(250);
    expect(errors).toBeLessThan(350);
  });

  it('builds a deferred event only for a handler that reads events', async () => {
    const { clock, fn } = makeFunction({ handler: { duration: '10ms' } });
    let builds = 0;
    const deferred = new DeferredEvent(() => {
      builds += 1;
      return { Records: [{ body: 'a' }] };
    });
    const synthetic = fn.invoke(deferred, 'poll');
    await clock.advanceBy(2000);
    await synthetic;
    expect(builds).toBe(0);

    const seen: unknown[] = [];
    const reading = new LambdaFunction({
      spec: functionSpec({}),
      account: account({}),
      clock,
      handler: {
        async run(event) {
          seen.push(event);
          return { ok: true };
        },
      },
    });
    const invoked = reading.invoke(deferred, 'poll');
    await clock.advanceBy(2000);
    await invoked;
    expect(builds).toBe(1);
    expect(seen).toEqual([{ Records: [{ body: 'a' }] }]);
  });
});
