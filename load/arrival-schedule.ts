import type { Phase } from '../scenario/parts.ts';

/** A run of evenly spaced arrivals: the `count` arrivals from `firstIndex` on, one every `intervalMs` from `startMs`. */
interface ScheduleSegment {
  firstIndex: number;
  count: number;
  startMs: number;
  intervalMs: number;
}

/**
 * When each arrival of the phases is due, as an offset from the load's start. A constant
 * phase spreads its arrivals evenly, one every 1000/arrivalRate ms, the first one interval
 * in (as Artillery's uniform arrival process ticks); a ramp follows Artillery's definition
 * of one step a second — from arrivalRate in the first second to rampTo in the last — and
 * spreads each second's arrivals evenly over that second. A phase of rate 0 is a pause.
 *
 * The schedule is what the load generator is measured against: an arrival's lag is how
 * long after its due time it was sent.
 *
 * @example
 * const schedule = new ArrivalSchedule([{ duration: 10_000, arrivalRate: 100 }]);
 * schedule.dueAtMs(249) // 2500
 * schedule.dueBy(1000) // 100
 */
export class ArrivalSchedule {
  private readonly segments: ScheduleSegment[] = [];
  /** Arrivals the phases ask for in all. */
  readonly totalArrivals: number;
  /** The phases' planned length. */
  readonly durationMs: number;

  constructor(phases: Phase[]) {
    let offsetMs = 0;
    let index = 0;
    for (const phase of phases) {
      if ('pause' in phase) {
        offsetMs += phase.pause;
        continue;
      }
      const durationSec = Math.round(phase.duration / 1000);
      const ramp = phase.rampTo !== undefined && phase.rampTo !== phase.arrivalRate;
      if (!ramp || durationSec <= 1) {
        const rate = ramp ? (phase.arrivalRate + phase.rampTo!) / 2 : phase.arrivalRate;
        const count = Math.floor(rate * durationSec);
        if (count > 0) this.segments.push({ firstIndex: index, count, startMs: offsetMs, intervalMs: 1000 / rate });
        index += count;
      } else {
        for (let second = 0; second < durationSec; second += 1) {
          const count = Math.floor(phase.arrivalRate + ((phase.rampTo! - phase.arrivalRate) / (durationSec - 1)) * second);
          if (count > 0) this.segments.push({ firstIndex: index, count, startMs: offsetMs + second * 1000, intervalMs: 1000 / count });
          index += count;
        }
      }
      offsetMs += durationSec * 1000;
    }
    this.totalArrivals = index;
    this.durationMs = offsetMs;
  }

  /** When the arrival with this index (0-based) is due; past the last one, the end of the phases. */
  dueAtMs(arrivalIndex: number): number {
    const segment = this.segmentOf(arrivalIndex);
    if (!segment) return this.durationMs;
    return segment.startMs + (arrivalIndex - segment.firstIndex + 1) * segment.intervalMs;
  }

  /** How many arrivals are due at or before `offsetMs`. */
  dueBy(offsetMs: number): number {
    let low = 0;
    let high = this.segments.length - 1;
    let due = 0;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const segment = this.segments[middle];
      if (segment.startMs < offsetMs) {
        due = segment.firstIndex + Math.min(segment.count, Math.floor((offsetMs - segment.startMs) / segment.intervalMs + 1e-9));
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return due;
  }

  /** The highest rate the phases ask for in any second (arrivals per second). */
  peakArrivalsPerSecond(): number {
    let peak = 0;
    for (let second = 0; second * 1000 < this.durationMs; second += 1) {
      peak = Math.max(peak, this.dueBy((second + 1) * 1000) - this.dueBy(second * 1000));
    }
    return peak;
  }

  private segmentOf(arrivalIndex: number): ScheduleSegment | undefined {
    let low = 0;
    let high = this.segments.length - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const segment = this.segments[middle];
      if (arrivalIndex < segment.firstIndex) high = middle - 1;
      else if (arrivalIndex >= segment.firstIndex + segment.count) low = middle + 1;
      else return segment;
    }
    return undefined;
  }
}
