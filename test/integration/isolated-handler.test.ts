import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { realClock } from '../../core/clock.ts';
import { LambdaFunction, type InvocationRecord } from '../../runtime/lambda-function.ts';
import { moduleHandler } from '../../runtime/handler.ts';
import { ConcurrencyThrottleError, FunctionError } from '../../runtime/errors.ts';
import { syncResponseLimitBytes } from '../../runtime/worker-environment.ts';
import { account, functionSpec } from '../support/scenarios.ts';

// The reference is resolved against the scenario file's folder, as in a run.
const scenarioFile = fileURLToPath(new URL('../fixtures/handlers/scenario.yaml', import.meta.url));
const functions: LambdaFunction[] = [];

function isolatedFunction(exportName: string, fnInput: Record<string, unknown> = {}) {
  const spec = functionSpec({ handler: { type: 'module', module: `./behaviours.ts#${exportName}` }, ...fnInput });
  const records: InvocationRecord[] = [];
  const throttles: ConcurrencyThrottleError[] = [];
  const fn = new LambdaFunction({
    spec,
    account: account(),
    clock: realClock,
    handler: moduleHandler(`./behaviours.ts#${exportName}`, scenarioFile, spec),
    observer: { onInvocation: (record) => records.push(record), onThrottle: (_, error) => throttles.push(error) },
  });
  functions.push(fn);
  return { fn, records, throttles };
}

async function failureOf(promise: Promise<unknown>): Promise<FunctionError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(FunctionError);
  return error as FunctionError;
}

afterEach(async () => {
  await Promise.all(functions.splice(0).map((fn) => fn.shutdown()));
});

describe('module handler execution environments (worker threads)', () => {
  it('cold-starts a worker on the first invoke, measures the real init, and reuses it warm', async () => {
    const { fn, records } = isolatedFunction('echo');
    const first = (await fn.invoke({ value: 'a' }, 'sync')) as { event: unknown; requestId: string; remainingMs: number };
    expect(first.event).toEqual({ value: 'a' });
    expect(first.remainingMs).toBeGreaterThan(2000);
    await fn.invoke({ value: 'b' }, 'sync');
    expect(records.map((r) => r.coldStart)).toEqual([true, false]);
    // The real start of a thread and an import: not the scenario's synthetic 250 ms, and never zero.
    expect(records[0].initDurationMs).toBeGreaterThan(5);
    expect(records[0].initDurationMs).not.toBe(functionSpec().initDuration);
    expect(records[1].initDurationMs).toBe(0);
    expect(first.requestId).toBe(records[0].requestId);
    expect(fn.environmentCount).toBe(1);
  });

  it('answers through the callback of a callback-style handler', async () => {
    const { fn } = isolatedFunction('callbackStyle');
    expect(await fn.invoke({ value: 1 }, 'poll')).toEqual({ answeredBy: 'callback', event: { value: 1 } });
  });

  it('counts a handler that throws as a failed invoke and keeps the environment warm', async () => {
    const { fn, records } = isolatedFunction('throws');
    const error = await failureOf(fn.invoke({}, 'async'));
    expect(error.message).toBe('the order has no id');
    await failureOf(fn.invoke({}, 'async'));
    expect(records.map((r) => [r.outcome, r.errorType, r.coldStart])).toEqual([
      ['error', 'TypeError', true],
      ['error', 'TypeError', false],
    ]);
  });

  it('blocks only its own thread: the run’s event loop keeps its timers while a handler busy-loops', async () => {
    const { fn, records } = isolatedFunction('busy');
    await fn.invoke({ ms: 1 }, 'poll');
    const ticks: number[] = [];
    const ticker = setInterval(() => ticks.push(performance.now()), 10);
    await fn.invoke({ ms: 600 }, 'poll');
    clearInterval(ticker);
    const gapsMs = ticks.slice(1).map((t, i) => t - ticks[i]);
    expect(ticks.length).toBeGreaterThan(20);
    expect(Math.max(...gapsMs)).toBeLessThan(200);
    const busy = records[1];
    expect(busy.durationMs).toBeGreaterThanOrEqual(590);
    // The busy loop is CPU time of the handler's thread.
    expect(busy.handlerCpuMs).toBeGreaterThan(400);
    expect(busy.handlerCpuMs).toBeLessThanOrEqual(busy.durationMs + 5);
  });

  it('records the peak heap of the invoke', async () => {
    // A 30 s timeout: allocating 40 MB in a thread takes a fraction of a second alone, and has taken past the 3 s default with other test files loading the cores.
    const { fn, records } = isolatedFunction('allocate', { timeout: '30s' });
    await fn.invoke({ mb: 1 }, 'poll');
    await fn.invoke({ mb: 40 }, 'poll');
    expect(records[1].handlerPeakMemoryMb).toBeGreaterThan(records[0].handlerPeakMemoryMb! + 20);
  });

  it('fails an invoke that leaks past memoryMb as out of memory, and the next invoke cold-starts', async () => {
    // A 30 s timeout: filling 128 MB takes well under a second alone, several on a busy machine; the leak must end in out-of-memory, not in the 3 s default timeout.
    const { fn, records } = isolatedFunction('leak', { memoryMb: 128, timeout: '30s' });
    await fn.invoke({ mb: 1 }, 'poll');
    const error = await failureOf(fn.invoke({ mb: 400 }, 'poll'));
    expect(error.message).toMatch(/out of memory/);
    await fn.invoke({ mb: 1 }, 'poll');
    expect(records.map((r) => [r.outcome, r.errorType, r.coldStart])).toEqual([
      ['ok', undefined, true],
      ['error', 'Runtime.OutOfMemory', false],
      ['ok', undefined, true],
    ]);
    // A fresh environment: the leak is gone with the old one.
    expect(await fn.invoke({ mb: 1 }, 'poll')).toEqual({ retainedMb: 2 });
  });

  it('fails an invoke whose handler calls process.exit or throws outside the handler, and discards the environment', async () => {
    for (const [exportName, pattern] of [
      ['exits', /exit status 3/],
      ['uncaught', /RangeError: thrown outside the handler/],
    ] as const) {
      const { fn, records } = isolatedFunction(exportName);
      const error = await failureOf(fn.invoke({}, 'sync'));
      expect(error.message).toMatch(pattern);
      expect(records[0]).toMatchObject({ outcome: 'error', errorType: 'Runtime.ExitError', coldStart: true });
      expect(fn.environmentCount).toBe(0);
    }
  });

  it('times out a handler that never answers, ends its environment, and cold-starts the next invoke', async () => {
    const { fn, records } = isolatedFunction('hangs', { timeout: 1 });
    const error = await failureOf(fn.invoke({}, 'async'));
    expect(error.kind).toBe('Timeout');
    expect(fn.environmentCount).toBe(0);
    await failureOf(fn.invoke({}, 'async'));
    expect(records.map((r) => [r.outcome, r.coldStart])).toEqual([
      ['timeout', true],
      ['timeout', true],
    ]);
  });

  it('fails a synchronous answer Lambda cannot serialise: a cycle, a BigInt, a bare Symbol', async () => {
    for (const exportName of ['circular', 'bigint', 'symbol']) {
      const { fn, records } = isolatedFunction(exportName);
      const error = await failureOf(fn.invoke({}, 'sync'));
      expect(error.message).toMatch(/^Unable to stringify response body/);
      expect(records[0]).toMatchObject({ outcome: 'error', errorType: 'Runtime.SerializationError' });
    }
  });

  it('fails a synchronous answer over 6 MB, and lets an asynchronous one through', async () => {
    const { fn, records } = isolatedFunction('large');
    const error = await failureOf(fn.invoke({ bytes: syncResponseLimitBytes }, 'sync'));
    expect(error.message).toMatch(/exceeded maximum allowed payload size \(6291456 bytes\)/);
    expect(records[0].errorType).toBe('Function.ResponseSizeTooLarge');
    const fits = (await fn.invoke({ bytes: syncResponseLimitBytes - 20 }, 'sync')) as { body: string };
    expect(fits.body.length).toBe(syncResponseLimitBytes - 20);
    await fn.invoke({ bytes: syncResponseLimitBytes }, 'async');
    expect(records.map((r) => r.outcome)).toEqual(['error', 'ok', 'ok']);
  });

  it('starts provisioned environments up front: their first invokes are warm', async () => {
    const { fn, records } = isolatedFunction('echo', { provisionedConcurrency: 2 });
    await fn.ready();
    expect(fn.environmentCount).toBe(2);
    await Promise.all([fn.invoke({}, 'sync'), fn.invoke({}, 'sync')]);
    expect(records.map((r) => r.coldStart)).toEqual([false, false]);
    await Promise.all([fn.invoke({}, 'sync'), fn.invoke({}, 'sync'), fn.invoke({}, 'sync')]);
    expect(records.filter((r) => r.coldStart)).toHaveLength(1);
  });

  it('holds the concurrency limit: an invoke beyond reserved concurrency is throttled at once', async () => {
    const { fn, throttles } = isolatedFunction('busy', { reservedConcurrency: 2 });
    const running = [fn.invoke({ ms: 300 }, 'poll'), fn.invoke({ ms: 300 }, 'poll')];
    await expect(fn.invoke({ ms: 1 }, 'poll')).rejects.toBeInstanceOf(ConcurrencyThrottleError);
    expect(throttles[0].reason).toBe('ReservedFunctionConcurrentInvocationLimitExceeded');
    await Promise.all(running);
    expect(fn.concurrency).toBe(0);
  });

  it('reclaims an idle environment: its thread ends and the next invoke cold-starts', async () => {
    const { fn, records } = isolatedFunction('echo', { idleReclaim: 1 });
    await fn.invoke({}, 'sync');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await fn.invoke({}, 'sync');
    expect(records.map((r) => r.coldStart)).toEqual([true, true]);
    expect(fn.environmentCount).toBe(1);
  });
});
