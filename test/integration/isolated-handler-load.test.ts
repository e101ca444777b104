import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runSinglePattern } from '../support/run-inline.ts';
import type { PatternResult } from '../../analysis/run-result.ts';

/**
 * A module handler runs in its own execution environments (worker threads): what it does to
 * its thread — block for seconds, leak past memoryMb — is the function's latency and errors,
 * never a slower load generator (issue: coordinated omission).
 */
const behaviours = fileURLToPath(new URL('../fixtures/handlers/behaviours.ts', import.meta.url));
const requestedPerSecond = 40;
const phaseSeconds = 6;

function scenario(exportName: string, functionLines: string[]): string {
  return `
name: isolated-${exportName.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}
workload:
  phases: [{ duration: ${phaseSeconds}, arrivalRate: ${requestedPerSecond} }]
function:
  handler: { type: module, module: "${behaviours}#${exportName}" }
${functionLines.map((line) => `  ${line}`).join('\n')}
patterns:
  - source: sqs
    batchSize: 10
    maximumConcurrency: 2
drainTimeout: 2
`;
}

/**
 * The generator held the rate: the count, the phase's wall time within 3 %, and every second
 * after the first within 10 % (the first second also holds the SDK's, the emulator's and the
 * environments' own warm-up; the per-second band is wide because the test machine's 2 cores
 * are shared, while a handler that blocked the generator would leave seconds at 0).
 */
function expectLoadHeld(pattern: PatternResult) {
  const load = pattern.load;
  expect(load.achievedArrivals).toBe(requestedPerSecond * phaseSeconds);
  expect(Math.abs(load.achievedDurationMs - phaseSeconds * 1000)).toBeLessThan(phaseSeconds * 1000 * 0.03);
  const seconds = (load.perSecond ?? []).filter((second) => second.requested === requestedPerSecond && second.tSec > 0);
  expect(seconds.length).toBeGreaterThanOrEqual(phaseSeconds - 2);
  for (const second of seconds) expect(Math.abs(second.achieved - second.requested), JSON.stringify(second)).toBeLessThanOrEqual(Math.ceil(requestedPerSecond * 0.1));
  // Far below the handler's 5 s: the generator never waited on a handler (on 2 shared cores a
  // busy-looping handler still competes for CPU, so the lag is not zero).
  expect(load.arrivalLagMs!.max).toBeLessThan(1000);
}

describe('a module handler cannot change the load generator’s arrival rate', () => {
  it('a handler that busy-loops 5 s per invoke: arrivals stay on schedule, the invokes show the 5 s', async () => {
    const pattern = await runSinglePattern(scenario('blocksFiveSeconds', ['timeout: 10', 'reservedConcurrency: 2']));
    expectLoadHeld(pattern);
    expect(pattern.latency.invokeDurationMs.p50).toBeGreaterThanOrEqual(5000);
    expect(pattern.latency.invokeDurationMs.max).toBeLessThan(7000);
    // The run's own loop never waited on the handler's 5 s.
    expect(pattern.load.eventLoopDelayMs!.max).toBeLessThan(500);
    // The environment measured the handler's own CPU: a busy loop is CPU time, all 5 s of it.
    expect(pattern.latency.handlerCpuMs!.p50).toBeGreaterThan(4000);
    expect(pattern.latency.handlerPeakMemoryMb!.max).toBeGreaterThan(1);
  });

  it('a handler that leaks past memoryMb: arrivals stay on schedule, the invokes fail out of memory and cold-start again', async () => {
    const pattern = await runSinglePattern(scenario('leaks', ['memoryMb: 128', 'reservedConcurrency: 2']));
    expectLoadHeld(pattern);
    expect(pattern.summary.invocationErrors).toBeGreaterThan(0);
    // Each out-of-memory discards its environment: the next invoke starts a new one.
    expect(pattern.summary.coldStarts).toBeGreaterThan(2);
    // The invokes that finished before memory ran out show the heap growing towards memoryMb.
    expect(pattern.latency.handlerPeakMemoryMb!.max).toBeGreaterThan(16);
  });
});
