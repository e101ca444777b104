import { describe, expect, it } from 'vitest';
import { RunMaximum } from '../../predict/run-maximum.ts';
import { seededRandom } from '../../runtime/random.ts';

describe('run maximum (the aggregate model\'s max age)', () => {
  it('is the age the expected count of older observations first reaches ln 2', () => {
    const maximum = new RunMaximum();
    maximum.observe(120, 0.3);
    maximum.observe(80, 1);
    expect(maximum.estimateMs()).toBe(80);
    maximum.observe(120, 0.4);
    expect(maximum.estimateMs()).toBe(120);
    expect(new RunMaximum().estimateMs()).toBe(0);
  });

  it('gives the median of the largest of many draws, as one run of every event would show it', () => {
    // 100 samples of an exponential age (mean 10 ms), each observed as its distribution: the
    // median of the largest of 100 draws is 10 · ln(100 / ln 2) ≈ 49.7 ms.
    const samples = 100;
    const meanMs = 10;
    const maximum = new RunMaximum();
    for (let sample = 0; sample < samples; sample += 1) {
      for (let ageMs = 0; ageMs < 400; ageMs += 1) maximum.observe(ageMs, Math.exp(-ageMs / meanMs) - Math.exp(-(ageMs + 1) / meanMs));
    }
    const random = seededRandom(7);
    const largest: number[] = [];
    for (let run = 0; run < 2001; run += 1) {
      let runMax = 0;
      for (let sample = 0; sample < samples; sample += 1) runMax = Math.max(runMax, -meanMs * Math.log(1 - random.next()));
      largest.push(runMax);
    }
    const median = largest.sort((a, b) => a - b)[1000]!;
    expect(median).toBeGreaterThan(46);
    expect(median).toBeLessThan(53);
    expect(Math.abs(maximum.estimateMs() - median)).toBeLessThanOrEqual(2);
  });
});
