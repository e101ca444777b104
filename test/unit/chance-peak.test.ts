import { describe, expect, it } from 'vitest';
import { ChancePeak } from '../../predict/chance-peak.ts';
import { durationQuantilesMs } from '../../predict/aggregate-model.ts';
import { lognormalFromPercentiles, seededRandom } from '../../runtime/random.ts';
import { functionSpec } from '../support/scenarios.ts';

/** The busiest instant of one run: arrivals every 1/rate s, each busy for a lognormal draw. */
function runPeak(rate: number, seconds: number, p50Ms: number, p99Ms: number, seed: number): number {
  const random = seededRandom(seed);
  const ends: number[] = [];
  let peak = 0;
  for (let index = 0; index < rate * seconds; index += 1) {
    const atMs = (index * 1000) / rate;
    // Those still running when this one arrives, then this one.
    let busy = 1;
    for (let j = ends.length - 1; j >= 0; j -= 1) if (ends[j]! > atMs) busy += 1;
    peak = Math.max(peak, busy);
    ends.push(atMs + lognormalFromPercentiles(random, p50Ms, p99Ms));
    if (ends.length > 400) ends.shift();
  }
  return peak;
}

describe('chance peak', () => {
  it("puts the peak of a few environments where a run's busiest instant is, with even odds (against 201 seeded runs)", () => {
    for (const [rate, seconds] of [
      [100, 15],
      [20, 60],
    ] as const) {
      const peaks = Array.from({ length: 201 }, (_, seed) => runPeak(rate, seconds, 40, 150, seed + 1)).sort((a, b) => a - b);
      const median = peaks[100]!;
      const chance = new ChancePeak(durationQuantilesMs(functionSpec({ handler: { duration: { p50: '40ms', p99: '150ms' } } })));
      for (let second = 0; second < seconds; second += 1) chance.observeSecond(rate);
      const estimate = chance.estimate();
      console.log(`${rate}/s for ${seconds} s: estimate ${estimate}, runs' median ${median} (${peaks[10]}–${peaks[190]} over 90 %); mean busy ${((rate * 47) / 1000).toFixed(1)}`);
      expect(Math.abs(estimate - median)).toBeLessThanOrEqual(1);
      // Above the mean the counts carry.
      expect(estimate).toBeGreaterThan((rate * 47) / 1000 + 2);
    }
  });

  it('a fixed duration has no chance peak: the arrivals in one duration, and a longer run does not raise it', () => {
    const quantiles = [{ durationMs: 40, weight: 1 }];
    const short = new ChancePeak(quantiles);
    const long = new ChancePeak(quantiles);
    for (let second = 0; second < 10; second += 1) short.observeSecond(100);
    for (let second = 0; second < 1000; second += 1) long.observeSecond(100);
    // Arrivals every 10 ms, each busy 40 ms: three still running when the next arrives.
    expect(short.estimate()).toBe(4);
    expect(long.estimate()).toBe(4);
  });

  it('many environments: the mean plus a few standard deviations of the count busy, higher for a longer run', () => {
    const quantiles = durationQuantilesMs(functionSpec({ handler: { duration: { p50: '200ms', p99: '800ms' } } }));
    const meanBusy = (20_000 * quantiles.reduce((sum, q) => sum + q.durationMs * q.weight, 0)) / 1000;
    const minute = new ChancePeak(quantiles);
    const hour = new ChancePeak(quantiles);
    for (let second = 0; second < 60; second += 1) minute.observeSecond(20_000);
    for (let second = 0; second < 3600; second += 1) hour.observeSecond(20_000);
    const [inMinute, inHour] = [minute.estimate(), hour.estimate()];
    console.log(`20,000/s: mean busy ${Math.round(meanBusy)}, peak in a minute ${inMinute}, in an hour ${inHour}`);
    expect(inMinute).toBeGreaterThan(meanBusy + 2 * Math.sqrt(meanBusy) * 0.5);
    expect(inMinute).toBeLessThan(meanBusy + 6 * Math.sqrt(meanBusy));
    expect(inHour).toBeGreaterThan(inMinute);
  });
});
