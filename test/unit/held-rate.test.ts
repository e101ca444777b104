import { describe, expect, it } from 'vitest';
import { searchHeldRate, verdictOf } from '../../bench/held-rate.ts';
import type { PatternResult } from '../../analysis/run-result.ts';

/**
 * What a pattern run at `arrivalRate` returns from a path that holds up to `ceiling`/s: the
 * load shortfall grows with the excess, as a saturated generator's does. Only the fields
 * the search reads are set.
 */
function runOfPathHolding(ceiling: number) {
  const rates: number[] = [];
  const runAt = async (arrivalRate: number) => {
    rates.push(arrivalRate);
    const shortfall = arrivalRate <= ceiling ? 0.002 : Math.min(1, (arrivalRate - ceiling) / arrivalRate + 0.02);
    return resultWith({ shortfall, sent: arrivalRate * 8, completed: arrivalRate * 8, lost: 0, pendingAtEnd: 0 });
  };
  return { runAt, rates };
}

function resultWith(parts: { shortfall: number; sent: number; completed: number; lost: number; pendingAtEnd: number }): PatternResult {
  return {
    load: { requestedArrivals: parts.sent, achievedArrivals: parts.sent, requestedDurationMs: 8000, achievedDurationMs: 8000, arrivalRateDeviation: 0, shortfall: parts.shortfall, arrivalLagMs: { p50: 1, p99: 5, max: 9 } },
    accounting: { sent: parts.sent, accepted: parts.sent, sourceThrottled: 0, sourceFailed: 0, delivered: parts.completed, duplicateDeliveries: 0, completed: parts.completed, failed: 0, deadLettered: 0, pendingAtEnd: parts.pendingAtEnd, lost: parts.lost },
  } as unknown as PatternResult;
}

describe('held-rate search', () => {
  it('doubles from the start rate until a rate fails, then bisects to within 5 % of the path’s limit', async () => {
    const path = runOfPathHolding(730);
    const outcome = await searchHeldRate({ runAt: path.runAt, startRate: 200, probesMax: 8 });
    expect(path.rates.slice(0, 4)).toEqual([200, 400, 800, 600]);
    expect(outcome.heldPerSecond).toBeLessThanOrEqual(730);
    expect(outcome.heldPerSecond).toBeGreaterThanOrEqual(730 * 0.95);
    expect(outcome.failedPerSecond).toBeGreaterThan(730);
    expect(outcome.probes.every((probe) => (probe.arrivalRate <= 730) === (probe.verdict === 'held'))).toBe(true);
  });

  it('halves from a start rate that fails until one holds', async () => {
    const path = runOfPathHolding(90);
    const outcome = await searchHeldRate({ runAt: path.runAt, startRate: 400, probesMax: 8 });
    expect(path.rates.slice(0, 3)).toEqual([400, 200, 100]);
    expect(path.rates[3]).toBe(50);
    expect(outcome.heldPerSecond).toBeGreaterThanOrEqual(80);
    expect(outcome.heldPerSecond).toBeLessThanOrEqual(90);
  });

  it('stops at the probe count and reports 0 when nothing held', async () => {
    const path = runOfPathHolding(0);
    const outcome = await searchHeldRate({ runAt: path.runAt, startRate: 1000, probesMax: 3 });
    expect(outcome.probes).toHaveLength(3);
    expect(outcome.heldPerSecond).toBe(0);
  });

  it('counts a run that throws as a failed probe and goes on', async () => {
    let calls = 0;
    const outcome = await searchHeldRate({
      startRate: 100,
      probesMax: 3,
      runAt: async (rate) => {
        calls += 1;
        if (rate > 100) throw new Error('the target died');
        return resultWith({ shortfall: 0, sent: 800, completed: 800, lost: 0, pendingAtEnd: 0 });
      },
    });
    expect(calls).toBe(3);
    expect(outcome.probes[1]).toMatchObject({ arrivalRate: 200, verdict: 'run failed', error: 'the target died' });
    expect(outcome.heldPerSecond).toBe(100);
  });
});

describe('held-rate verdict', () => {
  it('holds only with the load within 1 %, nothing lost and nothing pending', () => {
    const base = { shortfall: 0.01, sent: 800, completed: 800, lost: 0, pendingAtEnd: 0 };
    expect(verdictOf(resultWith(base))).toBe('held');
    expect(verdictOf(resultWith({ ...base, shortfall: 0.011 }))).toBe('load fell behind');
    expect(verdictOf(resultWith({ ...base, lost: 1 }))).toBe('events lost');
    expect(verdictOf(resultWith({ ...base, pendingAtEnd: 3, completed: 797 }))).toBe('consumer behind');
  });
});
