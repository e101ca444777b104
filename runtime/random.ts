/**
 * A seeded random source (mulberry32), so synthetic durations, errors and keys repeat
 * exactly for a given scenario seed.
 */
export interface RandomSource {
  next(): number;
}

export function seededRandom(seed: number): RandomSource {
  // Kept as a signed 32-bit integer (`| 0`), the same bits as `>>> 0` gives: an unsigned one
  // above 2^31 is no small integer, and each draw stored a new boxed number.
  let state = seed | 0;
  return {
    next() {
      state = (state + 0x6d2b79f5) | 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

/** A standard normal sample (Box–Muller). */
export function normalSample(random: RandomSource): number {
  const u = Math.max(random.next(), Number.EPSILON);
  const v = random.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** z of the 99th percentile of the standard normal. */
const z99 = 2.3263478740408408;

/**
 * A lognormal sample whose median is `p50` and 99th percentile is `p99`: handler durations
 * are right-skewed, and two percentiles are what users know about their functions.
 */
export function lognormalFromPercentiles(random: RandomSource, p50: number, p99: number): number {
  if (p99 <= p50) return p50;
  const sigma = Math.log(p99 / p50) / z99;
  return p50 * Math.exp(sigma * normalSample(random));
}
