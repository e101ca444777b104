/** A handler's duration distribution in buckets: each bucket's duration and its share of invokes. */
export type DurationQuantiles = ReadonlyArray<{ durationMs: number; weight: number }>;

/** The odds an invoke is still running `tMs` after it started: F̄(t) = P(D > t). */
export function survivalAt(quantiles: DurationQuantiles, tMs: number): number {
  let odds = 0;
  for (const { durationMs, weight } of quantiles) if (durationMs > tMs) odds += weight;
  return odds;
}

/**
 * How long a message that finds every poller busy waits, on average, for the first of them to
 * finish: each poller is partway through an invoke, its time left has the equilibrium residual
 * distribution of the invoke durations, F̄e(t) = (1 / E[D]) ∫t^∞ F̄(u) du, and the first of n
 * such pollers finishes after E[min] = ∫0^∞ F̄e(t)^n dt.
 */
export function meanWaitForFirstOfMs(quantiles: DurationQuantiles, meanDurationMs: number, pollers: number): number {
  if (pollers < 1 || meanDurationMs <= 0) return 0;
  const longestMs = Math.max(...quantiles.map((q) => q.durationMs));
  const stepMs = longestMs / 2000;
  // ∫t^∞ F̄(u) du from the longest duration down, then the integral of its n-th power.
  let tail = 0;
  let waitMs = 0;
  for (let t = longestMs; t > 0; t -= stepMs) {
    tail += survivalAt(quantiles, t - stepMs / 2) * stepMs;
    waitMs += (tail / meanDurationMs) ** pollers * stepMs;
  }
  return waitMs;
}
