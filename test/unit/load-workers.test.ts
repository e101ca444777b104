import { describe, expect, it } from 'vitest';
import { addTransferredHistogram, transferHistogram } from '../../load/histogram-transfer.ts';
import { ArrivalSchedule } from '../../load/arrival-schedule.ts';
import { WorkerShareSchedule } from '../../load/worker-share.ts';
import { lagSummaryOf, newLagHistogram, type LoadMeasurement } from '../../load/load-meter.ts';
import type { LoadOutcome } from '../../load/load-generator.ts';
import { mergeLoadOutcomes, parseLoadWorkers } from '../../run/load-workers.ts';
import { newLatencyHistogram, percentilesOf } from '../../run/metrics-recorder.ts';
import { EventLedger } from '../../run/event-ledger.ts';
import { seededRandom } from '../../runtime/random.ts';
import type { Phase } from '../../scenario/parts.ts';

const phases: Phase[] = [
  { duration: 3000, arrivalRate: 5 },
  { pause: 2000 },
  { duration: 4000, arrivalRate: 7, rampTo: 31 },
  { duration: 1000, arrivalRate: 1 },
];

describe('a worker’s share of the schedule', () => {
  for (const count of [1, 2, 3, 4, 7]) {
    it(`${count} shares are the whole schedule: every arrival once, at its own due time`, () => {
      const whole = new ArrivalSchedule(phases);
      const shares = Array.from({ length: count }, (_, index) => new WorkerShareSchedule(whole, { index, count }));
      expect(shares.reduce((sum, share) => sum + share.totalArrivals, 0)).toBe(whole.totalArrivals);
      const dueTimes = shares.flatMap((share) => Array.from({ length: share.totalArrivals }, (_, i) => share.dueAtMs(i))).sort((a, b) => a - b);
      const wholeDueTimes = Array.from({ length: whole.totalArrivals }, (_, i) => whole.dueAtMs(i));
      expect(dueTimes).toEqual(wholeDueTimes);
      // Each second's arrivals are split, never lost or doubled, whatever the fractions.
      for (let offsetMs = 0; offsetMs <= whole.durationMs; offsetMs += 250) {
        expect(shares.reduce((sum, share) => sum + share.dueBy(offsetMs), 0)).toBe(whole.dueBy(offsetMs));
      }
      for (const share of shares) expect(Math.abs(share.totalArrivals - whole.totalArrivals / count)).toBeLessThan(1);
    });
  }

  it('refuses a share that is not one', () => {
    const whole = new ArrivalSchedule(phases);
    expect(() => new WorkerShareSchedule(whole, { index: 2, count: 2 })).toThrow(RangeError);
    expect(() => new WorkerShareSchedule(whole, { index: 0, count: 0 })).toThrow(RangeError);
  });
});

/** Samples with a long tail, split unevenly over generators. */
function samples(count: number, seed: number): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => Math.round(1 + 20 * Math.exp(4 * random.next()) * (random.next() < 0.02 ? 30 : 1)));
}

describe('merging what several generators measured', () => {
  it('merged latency histograms have the percentiles of one histogram of the same samples', () => {
    const parts = [samples(5_000, 1), samples(1_234, 2), samples(77, 3), []];
    const single = newLatencyHistogram();
    const merged = newLatencyHistogram();
    for (const part of parts) {
      const own = newLatencyHistogram();
      for (const value of part) {
        own.recordValue(value);
        single.recordValue(value);
      }
      // As a worker sends its histogram to the run: encoded, decoded, added.
      addTransferredHistogram(merged, structuredClone(transferHistogram(own)));
    }
    expect(percentilesOf(merged)).toEqual(percentilesOf(single));
    for (const percentile of [1, 50, 90, 99, 99.9, 99.99]) expect(merged.getValueAtPercentile(percentile)).toBe(single.getValueAtPercentile(percentile));
  });

  it('the merged load adds arrivals and seconds, takes the slowest wall time, and has the lag percentiles of every arrival', () => {
    const lagSingle = newLagHistogram();
    const parts = [samples(900, 4), samples(450, 5)].map((lags, index) => {
      const own = newLagHistogram();
      for (const lag of lags) {
        own.recordValue(lag);
        lagSingle.recordValue(lag);
      }
      const measurement: LoadMeasurement = {
        phasesWallMs: 3000 + index * 40,
        plannedMs: 3000,
        arrivalLagMs: lagSummaryOf(own),
        lateArrivals: lags.filter((lag) => lag > 250).length,
        lateAfterMs: 250,
        eventLoopDelayMs: { p50: 1, p99: 5 + index, max: 9 + index },
        perSecond: [0, 1, 2].map((tSec) => ({ tSec, requested: lags.length / 3, achieved: lags.length / 3 - index, lagMaxMs: 10 * (tSec + index), loopDelayMaxMs: index })),
        overrunLimitMs: 10_000,
      };
      const outcome: LoadOutcome = {
        requestedArrivals: lags.length,
        achievedArrivals: lags.length - 3 * index,
        requestedDurationMs: 3000,
        achievedDurationMs: measurement.phasesWallMs,
        arrivalRateDeviation: 0,
        arrivalErrors: index,
        stopped: false,
        measurement,
        shortfall: 0,
      };
      return { outcome, arrivalLag: transferHistogram(own) };
    });
    const merged = mergeLoadOutcomes(parts);
    expect(merged.requestedArrivals).toBe(1350);
    expect(merged.achievedArrivals).toBe(1347);
    expect(merged.arrivalErrors).toBe(1);
    expect(merged.achievedDurationMs).toBe(3040);
    expect(merged.measurement.arrivalLagMs).toEqual(lagSummaryOf(lagSingle));
    expect(merged.measurement.lateArrivals).toBe(parts.reduce((sum, part) => sum + part.outcome.measurement.lateArrivals, 0));
    expect(merged.measurement.perSecond).toEqual([0, 1, 2].map((tSec) => ({ tSec, requested: 450, achieved: 449, lagMaxMs: 10 * (tSec + 1), loopDelayMaxMs: 1 })));
    expect(merged.measurement.eventLoopDelayMs).toEqual({ p50: 1, p99: 6, max: 10 });
    // The load check on the totals: 3 of 1,350 never sent, and every late one.
    expect(merged.shortfall).toBeGreaterThan(0);
  });
});

describe('the ledger with several generators', () => {
  it('holds an event completed before its send arrived, and gives its latency when the send does', () => {
    const ledger = new EventLedger(20, { count: 2, size: 10 });
    // Worker 2's first event (id 10) is consumed before its send report reaches the run.
    ledger.recordDelivered(10);
    expect(ledger.recordCompleted(10, 1_500)).toBeUndefined();
    expect(ledger.recordSent(10, 1_200)).toEqual({ completedAtMs: 1_500, latencyMs: 300 });
    ledger.recordAccepted(10);
    ledger.recordSent(0, 1_100);
    ledger.recordAccepted(0);
    expect(ledger.recordCompleted(0, 1_400)).toBe(300);
    expect(ledger.sent).toBe(2);
    expect(ledger.accounting(0)).toMatchObject({ sent: 2, accepted: 2, delivered: 1, completed: 2, lost: 0 });
    expect(ledger.dropUnsent()).toBe(0);
  });

  it('counts deliveries of ids no generator ever sent as foreign once the generators are done', () => {
    const ledger = new EventLedger(20, { count: 2, size: 10 });
    ledger.recordSent(0, 1_000);
    ledger.recordAccepted(0);
    ledger.recordDelivered(0);
    ledger.recordCompleted(0, 1_100);
    ledger.recordDelivered(13);
    ledger.recordDelivered(13);
    ledger.recordCompleted(13, 1_200);
    expect(ledger.dropUnsent()).toBe(1);
    expect(ledger.foreignDeliveries).toBe(2);
    expect(ledger.accounting(0)).toMatchObject({ sent: 1, accepted: 1, delivered: 1, duplicateDeliveries: 0, completed: 1, lost: 0 });
  });

  it('finds the oldest unfinished event across the blocks', () => {
    const ledger = new EventLedger(20, { count: 2, size: 10 });
    for (const [id, atMs] of [
      [0, 1_000],
      [1, 1_010],
      [10, 990],
      [11, 1_020],
    ] as const) {
      ledger.recordSent(id, atMs);
      ledger.recordAccepted(id);
    }
    expect(ledger.oldestUnfinishedSentAtMs()).toBe(990);
    ledger.recordCompleted(10, 1_300);
    expect(ledger.oldestUnfinishedSentAtMs()).toBe(1_000);
    ledger.recordCompleted(0, 1_300);
    ledger.recordCompleted(1, 1_300);
    expect(ledger.oldestUnfinishedSentAtMs()).toBe(1_020);
  });

  it('refuses blocks larger than its capacity', () => {
    expect(() => new EventLedger(10, { count: 3, size: 4 })).toThrow(/exceed/);
  });
});

describe('--workers', () => {
  it('takes a whole number from 1 to 64, or auto: one per core but one, at least one', () => {
    expect(parseLoadWorkers('4')).toEqual({ count: 4 });
    expect(parseLoadWorkers('auto', 8)).toEqual({ count: 7 });
    expect(parseLoadWorkers('auto', 2)).toEqual({ count: 1 });
    expect(parseLoadWorkers('auto', 1)).toEqual({ count: 1 });
    for (const bad of ['0', '65', '-1', '1.5', 'two', '']) expect(parseLoadWorkers(bad, 4)).toHaveProperty('problem');
  });
});
