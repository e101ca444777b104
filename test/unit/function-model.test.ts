import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../core/clock.ts';
import { LambdaFunction, type InvocationRecord } from '../../runtime/lambda-function.ts';
import { syntheticHandler } from '../../runtime/handler.ts';
import { seededRandom } from '../../runtime/random.ts';
import { modelledModuleDurationMs, scaledDurationMs, usableVcpusAt, vcpusAt } from '../../runtime/function-model.ts';
import { functionSchema } from '../../scenario/parts.ts';
import { account, functionSpec } from '../support/scenarios.ts';

function makeFunction(fnInput: Record<string, unknown>) {
  const clock = new VirtualClock(0);
  const spec = functionSpec(fnInput);
  const records: InvocationRecord[] = [];
  if (spec.handler.type !== 'synthetic') throw new Error('synthetic handlers only');
  const fn = new LambdaFunction({
    spec,
    account: account(),
    clock,
    handler: syntheticHandler(spec.handler, clock, seededRandom(7), spec),
    random: seededRandom(3),
    observer: { onInvocation: (r) => records.push(r) },
  });
  return { clock, fn, records };
}

/** Starts `count` invokes at once; failures are kept, not thrown. */
function invokeMany(fn: LambdaFunction, count: number): Promise<unknown[]> {
  return Promise.all(Array.from({ length: count }, () => fn.invoke({}, 'sync').catch((error: unknown) => error)));
}

/** The handler time of one warm invoke. */
async function warmDurationMs(fnInput: Record<string, unknown>): Promise<number> {
  const { clock, fn, records } = makeFunction({ initDuration: '0ms', timeout: '60s', ...fnInput });
  const done = invokeMany(fn, 1);
  await clock.advanceBy(60_000);
  await done;
  return records[0]!.durationMs;
}

describe('memory buys CPU', () => {
  it('gives one vCPU at 1,769 MB and six at 10,240 MB, in proportion between', () => {
    expect(vcpusAt(1769)).toBe(1);
    // Proportional all the way: 10,240 MB is 5.79 × 1,769 MB, AWS's "up to 6 vCPUs".
    expect(vcpusAt(10_240)).toBeCloseTo(10_240 / 1769, 10);
    expect(vcpusAt(10_240)).toBeLessThanOrEqual(6);
    expect(vcpusAt(884.5)).toBeCloseTo(0.5, 10);
    expect(usableVcpusAt(3538, false)).toBe(1);
    expect(usableVcpusAt(3538, true)).toBe(2);
  });

  it('halves the CPU part of a CPU-bound handler when memory doubles below 1,769 MB', async () => {
    const handler = { duration: '400ms', cpuShare: 1, durationAtMemoryMb: 512 };
    expect(await warmDurationMs({ memoryMb: 512, handler })).toBeCloseTo(400, 6);
    expect(await warmDurationMs({ memoryMb: 1024, handler })).toBeCloseTo(200, 6);
    expect(await warmDurationMs({ memoryMb: 256, handler })).toBeCloseTo(800, 6);
  });

  it('keeps the waiting part: only the CPU share scales', async () => {
    // 400 ms, half CPU: 200 ms waiting + 200 ms CPU at 512 MB → 200 + 100 at 1,024 MB.
    expect(await warmDurationMs({ memoryMb: 1024, handler: { duration: '400ms', cpuShare: 0.5, durationAtMemoryMb: 512 } })).toBeCloseTo(300, 6);
  });

  it('does not speed up a single-threaded handler above 1,769 MB; a parallel one uses the extra vCPUs', async () => {
    const handler = { duration: '100ms', cpuShare: 1, durationAtMemoryMb: 1769 };
    expect(await warmDurationMs({ memoryMb: 3538, handler })).toBeCloseTo(100, 6);
    expect(await warmDurationMs({ memoryMb: 10_240, handler })).toBeCloseTo(100, 6);
    expect(await warmDurationMs({ memoryMb: 3538, parallel: true, handler })).toBeCloseTo(50, 6);
    expect(await warmDurationMs({ memoryMb: 10_240, parallel: true, handler })).toBeCloseTo(100 / (10_240 / 1769), 6);
  });

  it('runs the CPU part on arm64 at the stated factor of its x86_64 time', async () => {
    const handler = { duration: '100ms', cpuShare: 1, durationAtArchitecture: 'x86_64' };
    expect(await warmDurationMs({ memoryMb: 1024, architecture: 'arm64', arm64CpuTimeFactor: 0.8, handler })).toBeCloseTo(80, 6);
    expect(scaledDurationMs({ durationMs: 80, cpuShare: 1, from: { memoryMb: 1024, architecture: 'arm64' }, to: { memoryMb: 1024, architecture: 'x86_64', parallel: false, arm64CpuTimeFactor: 0.8 } })).toBeCloseTo(100, 6);
  });

  it('leaves a duration unchanged at the memory and architecture it was given for (existing scenarios keep their numbers)', async () => {
    expect(await warmDurationMs({ memoryMb: 128, handler: { duration: '40ms' } })).toBe(40);
  });

  it('models a measured module invoke at another memory size: CPU time over the usable vCPUs, waiting kept', () => {
    const spec = { architecture: 'x86_64' as const, parallel: false, arm64CpuTimeFactor: 0.84 };
    // 30 ms wall, 20 ms of it CPU on one core of this machine (one full vCPU).
    expect(modelledModuleDurationMs({ wallMs: 30, cpuMs: 20, spec: { ...spec, memoryMb: 1769 }, machineArchitecture: 'x86_64' })).toBeCloseTo(30, 6);
    expect(modelledModuleDurationMs({ wallMs: 30, cpuMs: 20, spec: { ...spec, memoryMb: 884.5 }, machineArchitecture: 'x86_64' })).toBeCloseTo(50, 6);
    expect(modelledModuleDurationMs({ wallMs: 30, cpuMs: 20, spec: { ...spec, memoryMb: 4096 }, machineArchitecture: 'x86_64' })).toBeCloseTo(30, 6);
  });
});

describe('memory sizes and out of memory', () => {
  it('accepts 128–10,240 MB in 1-MB steps, as AWS does', () => {
    expect(functionSchema.safeParse({ memoryMb: 128 }).success).toBe(true);
    expect(functionSchema.safeParse({ memoryMb: 10_240 }).success).toBe(true);
    expect(functionSchema.safeParse({ memoryMb: 1769 }).success).toBe(true);
    expect(functionSchema.safeParse({ memoryMb: 127 }).success).toBe(false);
    expect(functionSchema.safeParse({ memoryMb: 10_241 }).success).toBe(false);
    expect(functionSchema.safeParse({ memoryMb: 512.5 }).success).toBe(false);
  });

  it('fails every invoke with Runtime.OutOfMemory when the declared peak is above memoryMb, and ends the environment', async () => {
    const { clock, fn, records } = makeFunction({ memoryMb: 128, initDuration: '100ms', handler: { duration: '10ms', peakMemoryMb: 200 } });
    const first = invokeMany(fn, 1);
    await clock.advanceBy(1000);
    await first;
    const second = invokeMany(fn, 1);
    await clock.advanceBy(1000);
    await second;
    expect(records.map((r) => [r.outcome, r.errorType, r.coldStart])).toEqual([
      ['error', 'Runtime.OutOfMemory', true],
      ['error', 'Runtime.OutOfMemory', true],
    ]);
    expect(fn.usage().outOfMemory).toBe(2);
    expect(fn.environmentCount).toBe(0);
  });

  it('runs the same handler at a memory size above its peak', async () => {
    const { clock, fn, records } = makeFunction({ memoryMb: 256, initDuration: '100ms', handler: { duration: '10ms', peakMemoryMb: 200 } });
    const done = invokeMany(fn, 1);
    await clock.advanceBy(1000);
    await done;
    expect(records[0]!.outcome).toBe('ok');
  });
});

describe('runtimes and cold starts', () => {
  async function coldStartsMs(fnInput: Record<string, unknown>, count = 200): Promise<number[]> {
    const { clock, fn, records } = makeFunction({ handler: { duration: '1ms' }, timeout: '60s', ...fnInput });
    const done = invokeMany(fn, count);
    await clock.advanceBy(30_000);
    await done;
    return records.filter((r) => r.coldStart).map((r) => r.initDurationMs);
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

  it('draws each cold start from the runtime’s measured distribution', async () => {
    const python = await coldStartsMs({ runtime: 'python3.13' });
    expect(python).toHaveLength(200);
    expect(median(python)).toBeGreaterThan(65);
    expect(median(python)).toBeLessThan(82);
    const java = await coldStartsMs({ runtime: 'java21' });
    expect(median(java)).toBeGreaterThan(215);
    const snapStart = await coldStartsMs({ runtime: 'java21', snapStart: true });
    expect(median(snapStart)).toBeLessThan(110);
    const rust = await coldStartsMs({ runtime: 'provided.al2023-rust' });
    expect(Math.max(...rust)).toBeLessThan(30);
  });

  it('adds initAdded to the runtime’s cold start, and a fixed initDuration wins over both', async () => {
    expect(median(await coldStartsMs({ runtime: 'provided.al2023-go', initAdded: '500ms' }))).toBeGreaterThan(535);
    expect(new Set(await coldStartsMs({ runtime: 'java21', initDuration: '42ms' }, 20))).toEqual(new Set([42]));
    expect(new Set(await coldStartsMs({}, 5))).toEqual(new Set([250]));
  });

  it('refuses SnapStart on a runtime other than java21', () => {
    expect(functionSchema.safeParse({ runtime: 'nodejs22.x', snapStart: true }).success).toBe(false);
    expect(functionSchema.safeParse({ runtime: 'cobol' }).success).toBe(false);
  });
});

describe('provisioned concurrency', () => {
  it('removes cold starts up to its count; the spill-over is on-demand and cold', async () => {
    const { clock, fn, records } = makeFunction({ handler: { duration: '100ms' }, initDuration: '300ms', provisionedConcurrency: 5 });
    const done = invokeMany(fn, 8);
    await clock.advanceBy(2000);
    await done;
    expect(records.filter((r) => r.provisioned && !r.coldStart)).toHaveLength(5);
    expect(records.filter((r) => !r.provisioned && r.coldStart)).toHaveLength(3);
    const usage = fn.usage();
    expect(usage.onDemandColdStarts).toBe(3);
    expect(usage.onDemandInitMs).toBe(900);
    expect(usage.provisionedDurationMs).toBe(500);
    expect(usage.onDemandDurationMs).toBe(300);
    // 5 environments configured for the 2 s that passed.
    expect(usage.provisionedConcurrencyMs).toBe(5 * 2000);
  });

  it('target tracking follows utilization: scales out after 3 busy minutes, in after 15 quiet ones', async () => {
    const { clock, fn } = makeFunction({
      handler: { duration: '1s' },
      initDuration: '100ms',
      timeout: '10s',
      provisionedConcurrency: 2,
      provisionedConcurrencyAutoScaling: { targetUtilization: 0.5, minCapacity: 1, maxCapacity: 20 },
    });
    // Four invokes in flight at every moment for 8 minutes.
    let running = true;
    const lanes = Array.from({ length: 4 }, async () => {
      while (running) await fn.invoke({}, 'sync').catch(() => clock.sleep(10));
    });
    await clock.advanceBy(3 * 60_000 + 1);
    // Utilization 100 % of 2 → 2 × 1.0 / 0.5 = 4, applied after three one-minute datapoints.
    expect(fn.provisionedConcurrency).toBe(4);
    await clock.advanceBy(3 * 60_000);
    // Now 4 busy of 4 → 8.
    expect(fn.provisionedConcurrency).toBe(8);
    await clock.advanceBy(2 * 60_000);
    // 4 busy of 8 is the target: it stays.
    expect(fn.provisionedConcurrency).toBe(8);
    running = false;
    await clock.advanceBy(2000);
    await Promise.all(lanes);
    await clock.advanceBy(14 * 60_000);
    expect(fn.provisionedConcurrency).toBe(8);
    await clock.advanceBy(2 * 60_000);
    expect(fn.provisionedConcurrency).toBe(1);
    expect(fn.usage().scalingActions.map((a) => [a.from, a.to])).toEqual([
      [2, 4],
      [4, 8],
      [8, 1],
    ]);
  });

  it('scheduled scaling sets the count at its times', async () => {
    const { clock, fn } = makeFunction({ provisionedConcurrency: 1, reservedConcurrency: 10, provisionedConcurrencySchedule: [{ at: '30s', count: 6 }, { at: '90s', count: 0 }] });
    await clock.advanceBy(29_000);
    expect(fn.provisionedConcurrency).toBe(1);
    await clock.advanceBy(2000);
    expect(fn.provisionedConcurrency).toBe(6);
    await clock.advanceBy(60_000);
    expect(fn.provisionedConcurrency).toBe(0);
    // 1 × 30 s + 6 × 60 s of configured environments.
    expect(fn.usage().provisionedConcurrencyMs).toBe(30_000 + 360_000);
  });
});

describe('keep-warm pings', () => {
  async function coldStartsAfterQuietSpell(keepWarm?: Record<string, unknown>) {
    const { clock, fn, records } = makeFunction({ handler: { duration: '10ms' }, initDuration: '200ms', idleReclaim: '60s', ...(keepWarm ? { keepWarm } : {}) });
    const first = invokeMany(fn, 2);
    await clock.advanceBy(1000);
    await first;
    await clock.advanceBy(300_000);
    const later = invokeMany(fn, 2);
    await clock.advanceBy(1000);
    await later;
    return { coldStarts: records.filter((r) => r.coldStart).length, coldAfterQuietSpell: records.slice(2).filter((r) => r.coldStart).length, usage: fn.usage() };
  }

  it('keeps environments from being reclaimed, so the invokes after a quiet spell are warm; the pings are billed', async () => {
    const without = await coldStartsAfterQuietSpell();
    expect(without.coldStarts).toBe(4);
    expect(without.coldAfterQuietSpell).toBe(2);
    const withPings = await coldStartsAfterQuietSpell({ every: '50s', environments: 2 });
    // The first pings (at the start) take two environments of their own; after the quiet spell every invoke is warm.
    expect(withPings.coldAfterQuietSpell).toBe(0);
    expect(withPings.usage.keepWarm).toMatchObject({ coldStarts: 2, initMs: 400 });
    expect(withPings.usage.keepWarm!.pings).toBeGreaterThanOrEqual(12);
  });
});
