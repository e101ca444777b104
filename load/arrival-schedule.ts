import type { Phase } from '../scenario/parts.ts';
import type { BurstPhase, DailyPhase, ReplayPhase } from '../scenario/workload-shapes.ts';
import { SluiceError } from '../core/sluice-error.ts';

/** One span of the schedule at a rate held constant over it (expected arrivals a ms). */
export interface SchedulePiece {
  startMs: number;
  endMs: number;
  /** Arrivals due in the piece (whole: the schedule's own count, not the expected value). */
  arrivals: number;
}

/** Columns of the schedule's segments, kept in typed arrays so a day of one-second steps stays a few MB. */
class SegmentColumns {
  length = 0;
  firstIndex = new Float64Array(64);
  count = new Float64Array(64);
  firstDueMs = new Float64Array(64);
  intervalMs = new Float64Array(64);
  startMs = new Float64Array(64);
  endMs = new Float64Array(64);

  push(firstIndex: number, count: number, firstDueMs: number, intervalMs: number, startMs: number, endMs: number): void {
    if (this.length === this.firstIndex.length) this.grow();
    const at = this.length++;
    this.firstIndex[at] = firstIndex;
    this.count[at] = count;
    this.firstDueMs[at] = firstDueMs;
    this.intervalMs[at] = intervalMs;
    this.startMs[at] = startMs;
    this.endMs[at] = endMs;
  }

  private grow(): void {
    const grown = (column: Float64Array) => {
      const next = new Float64Array(column.length * 2);
      next.set(column);
      return next;
    };
    this.firstIndex = grown(this.firstIndex);
    this.count = grown(this.count);
    this.firstDueMs = grown(this.firstDueMs);
    this.intervalMs = grown(this.intervalMs);
    this.startMs = grown(this.startMs);
    this.endMs = grown(this.endMs);
  }
}

const msPerHour = 3_600_000;

/**
 * When each arrival of the phases is due, as an offset from the load's start. A constant
 * phase spreads its arrivals evenly, one every 1000/arrivalRate ms, the first one interval
 * in (as Artillery's uniform arrival process ticks); a ramp follows Artillery's definition
 * of one step a second — from arrivalRate in the first second to rampTo in the last — and
 * spreads each second's arrivals evenly over that second. A phase of rate 0 is a pause.
 *
 * The shapes (scenario/workload-shapes.ts) follow the same rule in general form: a shape is
 * a rate over time; arrival n of a phase is due when the expected count since the phase's
 * start reaches n, so counts are exact in every window (no rounding drift over a day) and
 * arrivals are spread evenly at the rate in force.
 * - bursts: the base rate, replaced by a burst's rate while it lasts (the highest where bursts overlap);
 * - a daily curve of hourly rates: each hour's rate for its (compressed) hour;
 * - a diurnal profile: a cosine of the day, integrated exactly over each one-second step;
 * - a trace: each row's count spread over its bucket (or all at its instant).
 *
 * The schedule is what the load generator is measured against (an arrival's lag is how long
 * after its due time it was sent), and what a prediction reads: {@link arrivalsBetween},
 * {@link arrivalsPerInterval} and {@link pieces} answer in aggregate without enumerating a
 * billion arrivals, {@link dueAtMs} and {@link dueBy} give every arrival's time exactly.
 *
 * @example
 * const schedule = new ArrivalSchedule([{ duration: 10_000, arrivalRate: 100 }]);
 * schedule.dueAtMs(249) // 2500
 * schedule.dueBy(1000) // 100
 */
export class ArrivalSchedule {
  private readonly segments = new SegmentColumns();
  /** Arrivals the phases ask for in all. */
  readonly totalArrivals: number;
  /** The phases' planned length. */
  readonly durationMs: number;

  constructor(phases: readonly Phase[]) {
    let offsetMs = 0;
    let index = 0;
    for (const phase of phases) {
      if ('pause' in phase) {
        offsetMs += phase.pause;
        continue;
      }
      if ('daily' in phase) {
        const curve = new PhaseCurve(this.segments, index, offsetMs);
        addDailyCurve(curve, phase, offsetMs);
        index = curve.nextIndex;
        offsetMs += dailyDurationMs(phase);
        continue;
      }
      if ('replay' in phase) {
        const curve = new PhaseCurve(this.segments, index, offsetMs);
        const lengthMs = addTrace(curve, phase, offsetMs);
        index = curve.nextIndex;
        offsetMs += lengthMs;
        continue;
      }
      if ('bursts' in phase) {
        const curve = new PhaseCurve(this.segments, index, offsetMs);
        addBursts(curve, phase, offsetMs);
        index = curve.nextIndex;
        offsetMs += phase.duration;
        continue;
      }
      const durationSec = Math.round(phase.duration / 1000);
      const ramp = phase.rampTo !== undefined && phase.rampTo !== phase.arrivalRate;
      if (!ramp || durationSec <= 1) {
        const rate = ramp ? (phase.arrivalRate + phase.rampTo!) / 2 : phase.arrivalRate;
        const count = Math.floor(rate * durationSec);
        const intervalMs = 1000 / rate;
        if (count > 0) this.segments.push(index, count, offsetMs + intervalMs, intervalMs, offsetMs, offsetMs + durationSec * 1000);
        index += count;
      } else {
        for (let second = 0; second < durationSec; second += 1) {
          const count = Math.floor(phase.arrivalRate + ((phase.rampTo! - phase.arrivalRate) / (durationSec - 1)) * second);
          const startMs = offsetMs + second * 1000;
          if (count > 0) this.segments.push(index, count, startMs + 1000 / count, 1000 / count, startMs, startMs + 1000);
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
    const at = this.segmentOf(arrivalIndex);
    if (at < 0) return this.durationMs;
    const s = this.segments;
    return s.firstDueMs[at] + (arrivalIndex - s.firstIndex[at]) * s.intervalMs[at];
  }

  /** How many arrivals are due at or before `offsetMs`. */
  dueBy(offsetMs: number): number {
    const s = this.segments;
    let low = 0;
    let high = s.length - 1;
    let due = 0;
    while (low <= high) {
      const middle = (low + high) >> 1;
      // A nanosecond of slack: a due time computed as start + k × interval may land a rounding error past an exact boundary.
      if (s.firstDueMs[middle] <= offsetMs + 1e-6) {
        const interval = s.intervalMs[middle];
        const inSegment = interval === 0 ? s.count[middle] : Math.min(s.count[middle], Math.floor((offsetMs - s.firstDueMs[middle] + 1e-6) / interval) + 1);
        due = s.firstIndex[middle] + inSegment;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return due;
  }

  /** Arrivals due after `fromMs` and at or before `toMs`: a window's count, without enumerating it. */
  arrivalsBetween(fromMs: number, toMs: number): number {
    return toMs <= fromMs ? 0 : this.dueBy(toMs) - this.dueBy(fromMs);
  }

  /**
   * Arrivals due in each interval of `intervalMs` from `fromMs` (default 0) to `toMs`
   * (default the end of the phases): interval k holds those due in (from + k·interval, from + (k+1)·interval].
   */
  arrivalsPerInterval(intervalMs: number, fromMs = 0, toMs = this.durationMs): Float64Array {
    if (!(intervalMs > 0)) throw new SluiceError('SLUICE_BAD_INTERVAL', `arrivalsPerInterval needs an interval above 0 ms (got ${intervalMs})`, 'Ask for the counts in steps of at least 1 ms.');
    const steps = Math.max(0, Math.ceil((toMs - fromMs) / intervalMs - 1e-9));
    const counts = new Float64Array(steps);
    let before = this.dueBy(fromMs);
    for (let step = 0; step < steps; step += 1) {
      const after = this.dueBy(Math.min(toMs, fromMs + (step + 1) * intervalMs));
      counts[step] = after - before;
      before = after;
    }
    return counts;
  }

  /** The rate the schedule asks for at `offsetMs`, in arrivals per second (0 in a pause or past the end). */
  rateAt(offsetMs: number): number {
    const s = this.segments;
    let low = 0;
    let high = s.length - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (offsetMs < s.startMs[middle]) high = middle - 1;
      else if (offsetMs >= s.endMs[middle]) low = middle + 1;
      else return s.endMs[middle] > s.startMs[middle] ? (s.count[middle] * 1000) / (s.endMs[middle] - s.startMs[middle]) : 0;
    }
    return 0;
  }

  /**
   * The schedule as spans of even arrivals, in time order: what an aggregate simulator
   * steps through. A day of a diurnal profile is 86,400 one-second pieces (fewer compressed),
   * whatever the count; a span of `arrivals` over zero length is a trace row's instant.
   */
  *pieces(): Generator<SchedulePiece> {
    const s = this.segments;
    for (let at = 0; at < s.length; at += 1) yield { startMs: s.startMs[at], endMs: s.endMs[at], arrivals: s.count[at] };
  }

  /** The highest rate the phases ask for in any second (arrivals per second). */
  peakArrivalsPerSecond(): number {
    let peak = 0;
    let before = 0;
    for (let second = 0; second * 1000 < this.durationMs; second += 1) {
      const after = this.dueBy((second + 1) * 1000);
      peak = Math.max(peak, after - before);
      before = after;
    }
    return peak;
  }

  private segmentOf(arrivalIndex: number): number {
    const s = this.segments;
    let low = 0;
    let high = s.length - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (arrivalIndex < s.firstIndex[middle]) high = middle - 1;
      else if (arrivalIndex >= s.firstIndex[middle] + s.count[middle]) low = middle + 1;
      else return middle;
    }
    return -1;
  }
}

/**
 * One phase's arrivals as a running expected count: each span adds what it asks for, and
 * the arrivals whose whole numbers it crosses fall due in it, evenly at its rate.
 */
class PhaseCurve {
  private expected = 0;
  nextIndex: number;

  constructor(
    private readonly segments: SegmentColumns,
    private readonly phaseFirstIndex: number,
    readonly phaseStartMs: number,
  ) {
    this.nextIndex = phaseFirstIndex;
  }

  /** `expectedArrivals` spread evenly over [startMs, endMs); all at `startMs` when the span has no length. */
  span(startMs: number, endMs: number, expectedArrivals: number): void {
    if (!(expectedArrivals > 0)) return;
    const before = this.expected;
    this.expected += expectedArrivals;
    const firstWhole = Math.floor(before + 1e-9);
    const count = Math.floor(this.expected + 1e-9) - firstWhole;
    if (count <= 0) return;
    if (endMs <= startMs) {
      this.segments.push(this.phaseFirstIndex + firstWhole, count, startMs, 0, startMs, startMs);
    } else {
      const intervalMs = (endMs - startMs) / expectedArrivals;
      const firstDueMs = startMs + (firstWhole + 1 - before) * intervalMs;
      this.segments.push(this.phaseFirstIndex + firstWhole, count, firstDueMs, intervalMs, startMs, endMs);
    }
    this.nextIndex = this.phaseFirstIndex + firstWhole + count;
  }
}

/** The wall length of a daily curve: its hours, compressed. */
export function dailyDurationMs(phase: DailyPhase): number {
  return Math.round((phase.daily.hours * msPerHour) / phase.daily.timeCompression);
}

/** The wall length of a trace replay: its last row's end, compressed. */
export function traceDurationMs(phase: ReplayPhase): number {
  const trace = traceOf(phase);
  const last = trace.offsetsMs.length - 1;
  return Math.round((trace.offsetsMs[last] + trace.bucketMs) / phase.replay.timeCompression);
}

function traceOf(phase: ReplayPhase) {
  const trace = phase.replay.trace;
  if (!trace) {
    throw new SluiceError('SLUICE_TRACE_NOT_READ', `the trace ${phase.replay.file} of a replay phase was not read`, 'Load the scenario with loadScenarioFile or parseScenario (scenario/load.ts): they read each replay phase\'s CSV file.');
  }
  return trace;
}

function addDailyCurve(curve: PhaseCurve, phase: DailyPhase, offsetMs: number): void {
  const { daily } = phase;
  const lengthMs = dailyDurationMs(phase);
  const compression = daily.timeCompression;
  /** Wall ms from the phase's start at which the curve reaches hour-of-run `hour`. */
  const wallMsAt = (hour: number) => Math.min(lengthMs, (hour * msPerHour) / compression);
  if (daily.hourlyRates) {
    // Piecewise constant: one span per (compressed) hour, or part of an hour at the ends.
    let hour = 0;
    while (hour < daily.hours) {
      const curveHour = daily.startHour + hour;
      const nextHour = Math.min(daily.hours, Math.floor(curveHour) + 1 - daily.startHour);
      const rate = daily.hourlyRates[Math.floor(curveHour) % 24];
      const startMs = wallMsAt(hour);
      const endMs = wallMsAt(nextHour);
      curve.span(offsetMs + startMs, offsetMs + endMs, (rate * (endMs - startMs)) / 1000);
      hour = nextHour;
    }
    return;
  }
  // A cosine profile: rate(h) = mean × (1 + (F − 1) cos(2π (h − peakHour) / 24)), whose
  // integral has a closed form, so each one-second step gets its exact expected count.
  const factor = daily.peakFactor ?? 1;
  const mean = daily.meanRate ?? (daily.peakRate ?? 0) / factor;
  const amplitude = factor - 1;
  const peakHour = daily.peakHour ?? 0;
  const radiansPerWallMs = (2 * Math.PI * compression) / (24 * msPerHour);
  const phaseAtStart = (2 * Math.PI * (daily.startHour - peakHour)) / 24;
  /** Expected arrivals from the phase's start to `wallMs` into it. */
  const cumulative = (wallMs: number) => (mean / 1000) * (wallMs + (amplitude / radiansPerWallMs) * (Math.sin(phaseAtStart + radiansPerWallMs * wallMs) - Math.sin(phaseAtStart)));
  let previous = 0;
  for (let startMs = 0; startMs < lengthMs; startMs += 1000) {
    const endMs = Math.min(lengthMs, startMs + 1000);
    const upTo = cumulative(endMs);
    curve.span(offsetMs + startMs, offsetMs + endMs, upTo - previous);
    previous = upTo;
  }
}

function addTrace(curve: PhaseCurve, phase: ReplayPhase, offsetMs: number): number {
  const trace = traceOf(phase);
  const { timeCompression, countScale } = phase.replay;
  for (let row = 0; row < trace.offsetsMs.length; row += 1) {
    const startMs = trace.offsetsMs[row] / timeCompression;
    const endMs = (trace.offsetsMs[row] + trace.bucketMs) / timeCompression;
    curve.span(offsetMs + startMs, offsetMs + endMs, (trace.counts[row] * countScale) / timeCompression);
  }
  return traceDurationMs(phase);
}

function addBursts(curve: PhaseCurve, phase: BurstPhase, offsetMs: number): void {
  // Every burst occurrence as [start, end, rate]; the rate between two boundaries is the
  // highest of the occurrences covering it, else the base rate.
  const occurrences: Array<{ startMs: number; endMs: number; rate: number }> = [];
  for (const burst of phase.bursts) {
    for (let startMs = burst.at; startMs < phase.duration; startMs += burst.every ?? Number.POSITIVE_INFINITY) {
      occurrences.push({ startMs, endMs: Math.min(phase.duration, startMs + burst.duration), rate: burst.arrivalRate });
      if (burst.every === undefined) break;
    }
  }
  const boundaries = [...new Set([0, phase.duration, ...occurrences.flatMap((o) => [o.startMs, o.endMs])])].sort((a, b) => a - b);
  for (let at = 0; at < boundaries.length - 1; at += 1) {
    const startMs = boundaries[at];
    const endMs = boundaries[at + 1];
    let rate: number | undefined;
    for (const o of occurrences) if (o.startMs <= startMs && o.endMs >= endMs) rate = Math.max(rate ?? 0, o.rate);
    curve.span(offsetMs + startMs, offsetMs + endMs, ((rate ?? phase.arrivalRate) * (endMs - startMs)) / 1000);
  }
}
