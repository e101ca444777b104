import { describe, expect, it } from 'vitest';
import { ArrivalSchedule } from '../../load/arrival-schedule.ts';
import { LoadMeter, lateArrivalMs, loadShortfall, loadWarnings, maxOverrunMs } from '../../load/load-meter.ts';
import { requestedArrivals } from '../../load/phases.ts';
import type { Phase } from '../../scenario/parts.ts';

/** A meter on a hand-moved clock: `advance` moves time, nothing else happens. */
function manualMeter(phases: Phase[]) {
  let nowMs = 0;
  const meter = new LoadMeter(phases, { nowMs: () => nowMs });
  return { meter, at: (ms: number) => (nowMs = ms) };
}

describe('ArrivalSchedule', () => {
  it('spreads a constant phase evenly and counts what is due', () => {
    const schedule = new ArrivalSchedule([{ duration: 10_000, arrivalRate: 100 }]);
    expect(schedule.totalArrivals).toBe(1000);
    // Artillery's uniform process ticks one interval in: the first arrival is due at 10 ms.
    expect(schedule.dueAtMs(0)).toBe(10);
    expect(schedule.dueAtMs(249)).toBe(2500);
    expect(schedule.dueBy(1000)).toBe(100);
    expect(schedule.dueBy(1009)).toBe(100);
    expect(schedule.dueBy(1010)).toBe(101);
    expect(schedule.durationMs).toBe(10_000);
  });

  it('follows Artillery’s ramp (one step a second) and agrees with requestedArrivals', () => {
    const phases: Phase[] = [{ duration: 5000, arrivalRate: 10, rampTo: 50 }, { pause: 2000 }, { duration: 3000, arrivalRate: 20 }];
    const schedule = new ArrivalSchedule(phases);
    expect(schedule.totalArrivals).toBe(requestedArrivals(phases));
    // Second 0 asks 10, second 4 asks 50; the pause asks nothing; then 20 a second.
    expect(schedule.dueBy(1000)).toBe(10);
    expect(schedule.dueBy(5000) - schedule.dueBy(4000)).toBe(50);
    expect(schedule.dueBy(7000) - schedule.dueBy(5000)).toBe(0);
    expect(schedule.dueAtMs(schedule.dueBy(5000))).toBe(7000 + 1000 / 20);
    expect(schedule.peakArrivalsPerSecond()).toBe(50);
  });
});

describe('LoadMeter', () => {
  it('measures an on-time load as held: no lag, no shortfall, no warnings', () => {
    const phases: Phase[] = [{ duration: 3000, arrivalRate: 10 }];
    const { meter, at } = manualMeter(phases);
    meter.start();
    for (let index = 0; index < 30; index += 1) {
      at((index + 1) * 100);
      meter.arrival(index);
    }
    at(3000);
    meter.phasesEnded();
    const measurement = meter.finish();
    expect(measurement.arrivalLagMs.max).toBeLessThanOrEqual(1);
    expect(measurement.lateArrivals).toBe(0);
    expect(measurement.perSecond.map((second) => [second.requested, second.achieved])).toEqual([[10, 10], [10, 10], [10, 10]]);
    expect(loadShortfall(30, 30, measurement).value).toBe(0);
    expect(loadWarnings(30, 30, measurement)).toEqual([]);
  });

  it('counts arrivals sent behind their schedule as late, and says which seconds were short', () => {
    const phases: Phase[] = [{ duration: 4000, arrivalRate: 10 }];
    const { meter, at } = manualMeter(phases);
    meter.start();
    // Seconds 0 and 3 on time; the 20 arrivals of seconds 1–2 all go out at 2.9 s (a stall).
    for (let index = 0; index < 40; index += 1) {
      const dueMs = (index + 1) * 100;
      at(dueMs > 1000 && dueMs <= 3000 ? 2900 : dueMs);
      meter.arrival(index);
    }
    at(4000);
    meter.phasesEnded();
    const measurement = meter.finish();
    const lateOnes = Array.from({ length: 20 }, (_, i) => 2900 - (1100 + i * 100)).filter((lag) => lag > lateArrivalMs).length;
    expect(measurement.lateArrivals).toBe(lateOnes);
    expect(measurement.arrivalLagMs.max).toBeGreaterThanOrEqual(1790);
    const { value, parts } = loadShortfall(40, 40, measurement);
    expect(parts.count).toBe(0);
    expect(parts.late).toBeCloseTo(lateOnes / 40, 4);
    expect(value).toBe(parts.late);
    const warnings = loadWarnings(40, 40, measurement);
    expect(warnings.some((w) => w.includes('behind their schedule'))).toBe(true);
    expect(warnings.some((w) => w.includes('worst: second 1, 0 of 10'))).toBe(true);
  });

  it('counts a phase that ran long by its wall time, whatever the count', () => {
    const phases: Phase[] = [{ duration: 2000, arrivalRate: 5 }];
    const { meter, at } = manualMeter(phases);
    meter.start();
    for (let index = 0; index < 10; index += 1) {
      at((index + 1) * 300);
      meter.arrival(index);
    }
    at(3000);
    meter.phasesEnded();
    const measurement = meter.finish();
    expect(measurement.phasesWallMs).toBe(3000);
    const { parts } = loadShortfall(10, 10, measurement);
    expect(parts.duration).toBeCloseTo(0.5, 4);
    expect(loadWarnings(10, 10, measurement).some((w) => w.includes('the phases took 3.00 s where they plan 2.00 s'))).toBe(true);
  });

  it('counts arrivals never sent as short and late', () => {
    const { meter, at } = manualMeter([{ duration: 1000, arrivalRate: 100 }]);
    meter.start();
    for (let index = 0; index < 50; index += 1) {
      at((index + 1) * 10);
      meter.arrival(index);
    }
    at(1000);
    meter.phasesEnded();
    const { value, parts } = loadShortfall(100, 50, meter.finish());
    expect(parts.count).toBe(0.5);
    expect(parts.late).toBe(0.5);
    expect(value).toBe(0.5);
  });

  it('says the load is behind schedule while it is, and when it has overrun its limit', () => {
    const { meter, at } = manualMeter([{ duration: 2000, arrivalRate: 10 }]);
    meter.start();
    at(100);
    meter.arrival(0);
    at(900);
    expect(meter.position()).toMatchObject({ running: true, elapsedMs: 900, behindMs: 700 });
    expect(meter.overran()).toBe(false);
    at(2000 + maxOverrunMs(2000) + 1);
    expect(meter.overran()).toBe(true);
    meter.stop('overrun');
    expect(meter.stoppedEarly).toBe(true);
    const measurement = meter.finish();
    expect(measurement.stoppedBecause).toBe('overrun');
    expect(loadWarnings(20, 1, measurement)[0]).toMatch(/^the load was stopped .* past the phases' planned 2.00 s/);
  });
});
