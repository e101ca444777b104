import { describe, expect, it } from 'vitest';
import { runLoad } from '../../load/load-generator.ts';
import { LoadMeter } from '../../load/load-meter.ts';
import { evaluateThresholds } from '../../analysis/thresholds.ts';
import type { RunResult } from '../../analysis/run-result.ts';
import type { LoadOutcome } from '../../load/load-generator.ts';
import { loadRunFixture } from '../fixtures/run-results/helpers.ts';
import { parseScenario } from '../../scenario/load.ts';
import { runScenario } from '../../run/run-scenario.ts';

/** Holds this process's event loop, as a stalled generator would be. */
function holdEventLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin: nothing else in this process runs meanwhile
  }
}

const never = new AbortController().signal;

/** What `loadShortfall < 1%` says of a run whose load went as this outcome measured (a recorded run's result, its load replaced). */
function loadThresholdOn(outcome: LoadOutcome): string {
  const run: RunResult = loadRunFixture('sqs-standard');
  run.patterns[0]!.load = { ...run.patterns[0]!.load, shortfall: outcome.shortfall, arrivalLagMs: outcome.measurement.arrivalLagMs };
  return evaluateThresholds(run, ['loadShortfall < 1%']).outcomes[0]!.status;
}

describe('the load generator measures itself, on time as well as count', () => {
  it('a held load: every arrival on schedule, shortfall under 1 %, no warnings', async () => {
    const outcome = await runLoad({ phases: [{ duration: 3000, arrivalRate: 50 }], signal: never, maxArrivals: 1000, onArrival: async () => undefined });
    expect(outcome.achievedArrivals).toBe(150);
    expect(outcome.measurement.perSecond.slice(0, 3).map((second) => second.requested)).toEqual([50, 50, 50]);
    expect(outcome.measurement.perSecond.reduce((sum, second) => sum + second.achieved, 0)).toBe(150);
    expect(outcome.measurement.lateArrivals).toBe(0);
    expect(outcome.achievedDurationMs).toBeGreaterThan(2900);
    expect(outcome.achievedDurationMs).toBeLessThan(3400);
    expect(outcome.shortfall).toBeLessThanOrEqual(0.01);
    expect(loadThresholdOn(outcome)).toBe('passed');
  });

  it('a generator that cannot keep up (each arrival costs more CPU than its share) shows as late and short, per second', async () => {
    // 200 arrivals/s × 8 ms of CPU each = 1.6 s of work a second: the generator falls behind.
    const outcome = await runLoad({
      phases: [{ duration: 3000, arrivalRate: 200 }],
      signal: never,
      maxArrivals: 10_000,
      onArrival: async () => holdEventLoop(8),
    });
    expect(outcome.shortfall).toBeGreaterThan(0.1);
    expect(outcome.measurement.arrivalLagMs.p99).toBeGreaterThan(250);
    const shortSeconds = outcome.measurement.perSecond.filter((second) => second.achieved < second.requested * 0.9);
    expect(shortSeconds.length).toBeGreaterThan(0);
    expect(loadThresholdOn(outcome)).toBe('failed');
  });

  it('a phase that overruns its limit is stopped, and the outcome says why', async () => {
    const meter = new LoadMeter([{ duration: 1000, arrivalRate: 100 }], { overrunLimitMs: 1500 });
    const startedAt = performance.now();
    const outcome = await runLoad({ phases: [{ duration: 1000, arrivalRate: 100 }], signal: never, maxArrivals: 10_000, meter, onArrival: async () => holdEventLoop(40) });
    const tookMs = performance.now() - startedAt;
    expect(outcome.measurement.stoppedBecause).toBe('overrun');
    expect(outcome.achievedArrivals).toBeLessThan(100);
    // Stopped soon after 1 s + 1.5 s, not after the 4 s that 100 × 40 ms would take.
    expect(tookMs).toBeLessThan(3600);
    expect(outcome.shortfall).toBeGreaterThan(0.2);
    expect(loadThresholdOn(outcome)).toBe('failed');
  });

  it('a full run whose process stalls mid-load says so, and fails a loadShortfall threshold', async () => {
    let stalled = false;
    const scenario = parseScenario(
      `
name: stalled-generator
workload:
  phases:
    - duration: 5
      arrivalRate: 40
function:
  handler: { duration: 5ms }
patterns:
  - source: sqs
    batchSize: 10
drainTimeout: 20
`,
      'inline.yaml',
    );
    const result = await runScenario({
      scenario,
      scenarioFile: 'inline.yaml',
      signal: never,
      // Once the load is a second in, this process stops for 1.5 s, as a blocked generator would.
      onProgress: (progress) => {
        if (stalled || progress.elapsedMs < 1000) return;
        stalled = true;
        holdEventLoop(1500);
      },
    });
    expect(stalled).toBe(true);
    const pattern = result.patterns[0]!;
    expect(pattern.load.eventLoopDelayMs!.max).toBeGreaterThan(1000);
    expect(pattern.load.arrivalLagMs!.max).toBeGreaterThan(1000);
    expect(pattern.load.shortfall!).toBeGreaterThan(0.01);
    expect(pattern.warnings.some((warning) => warning.includes('event loop was held up'))).toBe(true);
    expect(pattern.warnings.some((warning) => warning.includes('behind their schedule'))).toBe(true);
    const evaluation = evaluateThresholds(result, ['loadShortfall < 1%', 'arrivalLagP99 < 250ms']);
    expect(evaluation.outcomes.map((outcome) => [outcome.metric, outcome.status])).toEqual([
      ['loadShortfall', 'failed'],
      ['arrivalLagP99', 'failed'],
    ]);
    // Nothing was lost for it: every event is still accounted for.
    expect(pattern.accounting.lost).toBe(0);
    expect(pattern.accounting.sent).toBe(200);
  });
});
