import type { ArrivalSchedule } from './arrival-schedule.ts';

/** When each arrival is due: what the load generator and its meter read of a schedule. */
export type LoadSchedule = Pick<ArrivalSchedule, 'totalArrivals' | 'durationMs' | 'dueAtMs' | 'dueBy' | 'peakArrivalsPerSecond'>;

/**
 * One load worker's share of a schedule: worker `index` of `count` sends arrivals index,
 * index + count, index + 2 × count, … of the whole schedule, at the whole schedule's due
 * times. The shares of all workers are the whole schedule exactly — every phase's rate split
 * N ways, fractions included (5/s over 4 workers is 2, 1, 1, 1 arrivals in a second, not
 * 4 × 1.25 rounded), ramps and pauses as they are — and the whole schedule is read, never
 * rebuilt, so the phases' definition stays in one place (load/arrival-schedule.ts).
 *
 * @example
 * const share = new WorkerShareSchedule(new ArrivalSchedule(phases), { index: 1, count: 4 });
 * share.dueAtMs(0) // the whole schedule's arrival 1
 */
export class WorkerShareSchedule implements LoadSchedule {
  readonly totalArrivals: number;
  readonly durationMs: number;

  constructor(
    private readonly whole: LoadSchedule,
    readonly worker: { index: number; count: number },
  ) {
    if (!Number.isInteger(worker.count) || worker.count < 1 || !Number.isInteger(worker.index) || worker.index < 0 || worker.index >= worker.count) {
      throw new RangeError(`worker ${worker.index} of ${worker.count} is not a share of a schedule`);
    }
    this.totalArrivals = this.ownOf(whole.totalArrivals);
    this.durationMs = whole.durationMs;
  }

  /** How many of the whole schedule's first `arrivals` arrivals are this worker's. */
  private ownOf(arrivals: number): number {
    const { index, count } = this.worker;
    return arrivals > index ? Math.floor((arrivals - index - 1) / count) + 1 : 0;
  }

  /** The whole schedule's index of this worker's arrival `ownIndex`. */
  wholeIndexOf(ownIndex: number): number {
    return ownIndex * this.worker.count + this.worker.index;
  }

  dueAtMs(ownIndex: number): number {
    if (ownIndex >= this.totalArrivals) return this.durationMs;
    return this.whole.dueAtMs(this.wholeIndexOf(ownIndex));
  }

  dueBy(offsetMs: number): number {
    return this.ownOf(this.whole.dueBy(offsetMs));
  }

  peakArrivalsPerSecond(): number {
    let peak = 0;
    for (let second = 0; second * 1000 < this.durationMs; second += 1) {
      peak = Math.max(peak, this.dueBy((second + 1) * 1000) - this.dueBy(second * 1000));
    }
    return peak;
  }
}
