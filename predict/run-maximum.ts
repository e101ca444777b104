/**
 * The largest value a run's gauge reaches (its max queue or iterator age), from the counts of
 * a model rather than from one draw of every event.
 *
 * A run's max age is the largest of many samples, each the age of the oldest event unfinished
 * at that moment (or of the last record read when a batch is dispatched). Where events are
 * few, that max is a tail figure: one slow invoke at one sample sets it. Counts carry the
 * expected number of events at each age, so each observation adds its expected count (a
 * fraction of an event, or of a dispatch) at its age, and the estimate is the age the run's
 * largest sample passes with even odds: the age at and above which the expected count over
 * the whole run is ln 2, where a Poisson count is zero half the time. Where events are many,
 * the oldest cohort alone carries that count, and the estimate is simply its age.
 *
 * @example
 * const maximum = new RunMaximum();
 * maximum.observe(120, 0.3); // at one sample, 0.3 of an event is 120 ms old
 * maximum.observe(80, 1);
 * maximum.estimateMs(); // 80: only 0.3 (< ln 2) of an event was ever older
 */
export class RunMaximum {
  private readonly weightByMs = new Map<number, number>();

  /** `weight` expected events (or dispatches) seen `valueMs` old; whole milliseconds. */
  observe(valueMs: number, weight: number): void {
    if (!(weight > 0) || !(valueMs >= 0)) return;
    const key = Math.round(valueMs);
    this.weightByMs.set(key, (this.weightByMs.get(key) ?? 0) + weight);
  }

  /** The even-odds maximum, or 0 when nothing was observed. */
  estimateMs(): number {
    let above = 0;
    for (const valueMs of [...this.weightByMs.keys()].sort((a, b) => b - a)) {
      above += this.weightByMs.get(valueMs)!;
      if (above >= Math.LN2) return valueMs;
    }
    return 0;
  }
}

/**
 * Observations enough for one sample: at and above the age where a sample's own count first
 * reaches ln 2, younger events cannot move the estimate (it is at least that age).
 */
export const runMaximumWeightPerSample = Math.LN2;
