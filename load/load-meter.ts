import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import * as hdr from 'hdr-histogram-js';
import type { Phase } from '../scenario/parts.ts';
import { ArrivalSchedule } from './arrival-schedule.ts';
import type { LoadSchedule } from './worker-share.ts';

/**
 * An arrival sent later than this behind its due time counts as late. It sits well above
 * the timer jitter and garbage-collection pauses of a healthy generator (a few ms to a few
 * tens of ms) and well below the one-second granularity of the phases themselves.
 */
export const lateArrivalMs = 250;

/** The count, duration and late-share tolerance of the load check: README promises 1 %. */
export const loadTolerance = 0.01;

/** A second is short when it sent less than this share below what it asked for (and more than one arrival). */
export const perSecondTolerance = 0.1;

/**
 * A phase that overruns its plan by more than this is stopped: a generator that cannot
 * keep up would otherwise run without end (a 3 s phase at 100,000/s ran past 200 s).
 */
export function maxOverrunMs(plannedMs: number): number {
  return Math.max(10_000, plannedMs * 0.5);
}

/** One second of the load, on the load's own clock (second 0 starts with the first phase). */
export interface LoadSecond {
  tSec: number;
  requested: number;
  achieved: number;
  /** The largest lag of an arrival sent in this second. */
  lagMaxMs: number;
  /** The longest the run's own event loop was held up in this second. */
  loopDelayMaxMs: number;
}

export interface LagSummary {
  p50: number;
  p99: number;
  max: number;
}

/** What the load generator measured about itself. */
export interface LoadMeasurement {
  /** From the start of the first phase to the end of the last, on the wall clock. */
  phasesWallMs: number;
  plannedMs: number;
  /** How far behind its due time each arrival was sent. */
  arrivalLagMs: LagSummary;
  /** Arrivals sent more than {@link lateArrivalMs} behind their due time. */
  lateArrivals: number;
  lateAfterMs: number;
  /** How long the run's own event loop was held up (Node's event-loop delay monitor). */
  eventLoopDelayMs: LagSummary;
  perSecond: LoadSecond[];
  /** How far past its plan the load may run before it is stopped. */
  overrunLimitMs: number;
  /** Set when the load was stopped before the phases ended, and why. */
  stoppedBecause?: 'overrun' | 'interrupted';
}

/** Where the load stands now, for the progress line. */
export interface LoadPosition {
  elapsedMs: number;
  /** How far behind its due time the next arrival already is (0 when on time). */
  behindMs: number;
  running: boolean;
}

/** The histogram the meter keeps of each arrival's lag behind its schedule (1 ms – 1 h, 2 significant digits). */
export function newLagHistogram() {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000, numberOfSignificantValueDigits: 2 });
}

/**
 * The load generator's own meter. It knows when each arrival is due (the phases'
 * {@link ArrivalSchedule}) and records when it was really sent, second by second, together
 * with the event loop's delay — so a run whose load fell behind says so on time as well as
 * on count, instead of showing a stalled generator as the system's latency.
 *
 * @example
 * const meter = new LoadMeter(phases);
 * meter.start();
 * meter.arrival(index); // for each arrival, as it is sent
 * const measurement = meter.finish();
 */
export class LoadMeter {
  readonly schedule: LoadSchedule;
  private startedAtMs: number | undefined;
  private endedAtMs: number | undefined;
  private readonly lag = newLagHistogram();
  private lateCount = 0;
  private readonly seconds = new Map<number, { achieved: number; lagMaxMs: number; loopDelayMaxMs: number }>();
  private loopDelay: IntervalHistogram | undefined;
  private loopDelayThisSecond: IntervalHistogram | undefined;
  private loopSampler: NodeJS.Timeout | undefined;
  private sent = 0;
  private stoppedBecause: LoadMeasurement['stoppedBecause'];

  private readonly nowMs: () => number;
  private readonly overrunLimitMs: number;
  private readonly onStart: (() => void) | undefined;

  /**
   * `nowMs` defaults to the monotonic clock; `overrunLimitMs` to {@link maxOverrunMs} of the
   * plan; `onStart` hears when the first phase starts (the run's series start there);
   * `schedule` replaces the phases' own (a load worker's share of them, load/worker-share.ts).
   */
  constructor(phases: Phase[], options: { nowMs?: () => number; overrunLimitMs?: number; onStart?: () => void; schedule?: LoadSchedule } = {}) {
    this.schedule = options.schedule ?? new ArrivalSchedule(phases);
    this.nowMs = options.nowMs ?? (() => performance.now());
    this.overrunLimitMs = options.overrunLimitMs ?? maxOverrunMs(this.schedule.durationMs);
    this.onStart = options.onStart;
  }

  /** The first phase starts now. */
  start(): void {
    this.startedAtMs = this.nowMs();
    this.loopDelay = monitorEventLoopDelay({ resolution: 10 });
    this.loopDelayThisSecond = monitorEventLoopDelay({ resolution: 10 });
    this.loopDelay.enable();
    this.loopDelayThisSecond.enable();
    let second = 0;
    this.loopSampler = setInterval(() => {
      this.bucket(second).loopDelayMaxMs = Math.max(this.bucket(second).loopDelayMaxMs, this.loopDelayThisSecond!.max / 1e6);
      this.loopDelayThisSecond!.reset();
      second = Math.floor(this.elapsedMs() / 1000);
    }, 1000);
    this.loopSampler.unref();
    this.onStart?.();
  }

  get started(): boolean {
    return this.startedAtMs !== undefined;
  }

  /** Every arrival's lag so far, for merging with other generators' (a histogram adds without loss). */
  get lagHistogram(): ReturnType<typeof newLagHistogram> {
    return this.lag;
  }

  /** The arrival with this index (0-based, in send order) is being sent now. */
  arrival(arrivalIndex: number): void {
    const elapsedMs = this.elapsedMs();
    const lagMs = Math.max(0, elapsedMs - this.schedule.dueAtMs(arrivalIndex));
    this.lag.recordValue(Math.min(3_600_000, Math.max(1, Math.round(lagMs))));
    if (lagMs > lateArrivalMs) this.lateCount += 1;
    // Second s holds what was sent in (s, s + 1] s: the last arrival of a second is due at its end.
    const second = this.bucket(Math.max(0, Math.ceil(elapsedMs / 1000) - 1));
    second.achieved += 1;
    second.lagMaxMs = Math.max(second.lagMaxMs, lagMs);
    this.sent = Math.max(this.sent, arrivalIndex + 1);
  }

  /** The load was stopped before its phases ended: no more arrivals are sent. */
  stop(because: NonNullable<LoadMeasurement['stoppedBecause']>): void {
    this.stoppedBecause ??= because;
  }

  get stoppedEarly(): boolean {
    return this.stoppedBecause !== undefined;
  }

  /** The last phase ended now (arrivals still being sent may finish later). */
  phasesEnded(): void {
    if (this.started) this.endedAtMs ??= this.nowMs();
  }

  position(): LoadPosition {
    const elapsedMs = this.elapsedMs();
    const running = this.started && this.endedAtMs === undefined;
    const nextDueMs = this.sent < this.schedule.totalArrivals ? this.schedule.dueAtMs(this.sent) : Number.POSITIVE_INFINITY;
    return { elapsedMs, behindMs: running ? Math.max(0, elapsedMs - nextDueMs) : 0, running };
  }

  /** Whether the load has run past its plan by more than {@link maxOverrunMs}. */
  overran(): boolean {
    return this.started && this.elapsedMs() > this.schedule.durationMs + this.overrunLimitMs;
  }

  /** The last phase ended (or the load was stopped) now. */
  finish(): LoadMeasurement {
    this.endedAtMs ??= this.nowMs();
    if (this.loopSampler) clearInterval(this.loopSampler);
    // The last second that sent anything, or (a load that sent nothing) the one the wall time ends in.
    const sentSeconds = [...this.seconds.entries()].filter(([, second]) => second.achieved > 0).map(([tSec]) => tSec);
    const lastSecond = sentSeconds.length > 0 ? Math.max(...sentSeconds) : Math.max(0, Math.ceil(this.elapsedMs() / 1000) - 1);
    if (this.loopDelayThisSecond) this.bucket(lastSecond).loopDelayMaxMs = Math.max(this.bucket(lastSecond).loopDelayMaxMs, this.loopDelayThisSecond.max / 1e6);
    this.loopDelay?.disable();
    this.loopDelayThisSecond?.disable();
    const lastScheduledSecond = Math.ceil(this.schedule.durationMs / 1000) - 1;
    const perSecond: LoadSecond[] = [];
    // A load stopped early ends where it stopped; otherwise every planned second is listed, sent or not.
    const listUntil = this.stoppedBecause ? lastSecond : Math.max(lastSecond, lastScheduledSecond);
    for (let tSec = 0; tSec <= listUntil; tSec += 1) {
      const seen = this.seconds.get(tSec);
      perSecond.push({
        tSec,
        requested: this.schedule.dueBy((tSec + 1) * 1000) - this.schedule.dueBy(tSec * 1000),
        achieved: seen?.achieved ?? 0,
        lagMaxMs: round(seen?.lagMaxMs ?? 0),
        loopDelayMaxMs: round(seen?.loopDelayMaxMs ?? 0),
      });
    }
    const loop = this.loopDelay;
    return {
      phasesWallMs: round(this.elapsedMs()),
      plannedMs: this.schedule.durationMs,
      arrivalLagMs: lagSummaryOf(this.lag),
      lateArrivals: this.lateCount,
      lateAfterMs: lateArrivalMs,
      eventLoopDelayMs: loop && loop.count > 0 ? { p50: round(loop.percentile(50) / 1e6), p99: round(loop.percentile(99) / 1e6), max: round(loop.max / 1e6) } : { p50: 0, p99: 0, max: 0 },
      perSecond,
      overrunLimitMs: this.overrunLimitMs,
      ...(this.stoppedBecause ? { stoppedBecause: this.stoppedBecause } : {}),
    };
  }

  private elapsedMs(): number {
    if (this.startedAtMs === undefined) return 0;
    return (this.endedAtMs ?? this.nowMs()) - this.startedAtMs;
  }

  private bucket(tSec: number) {
    let second = this.seconds.get(tSec);
    if (!second) {
      second = { achieved: 0, lagMaxMs: 0, loopDelayMaxMs: 0 };
      this.seconds.set(tSec, second);
    }
    return second;
  }
}

/** p50, p99 and max of a lag histogram (zeros when it holds nothing). */
export function lagSummaryOf(histogram: ReturnType<typeof newLagHistogram>): LagSummary {
  return histogram.totalCount > 0 ? { p50: histogram.getValueAtPercentile(50), p99: histogram.getValueAtPercentile(99), max: histogram.maxValue } : { p50: 0, p99: 0, max: 0 };
}

function round(valueMs: number): number {
  return Math.round(valueMs * 10) / 10;
}

/** The parts of the load check, each a fraction of the load asked for. */
export interface LoadShortfallParts {
  /** (requested − sent) / requested, when fewer were sent. */
  count: number;
  /** (wall time − planned) / planned, when the phases took longer. */
  duration: number;
  /** Late or never-sent arrivals / requested. */
  late: number;
}

/**
 * How much of the asked-for load was not applied as asked: the largest of the count
 * shortfall, the duration overrun and the share of arrivals late by more than
 * {@link lateArrivalMs} (an arrival never sent counts as late). 0 means the load was held
 * on count, time and schedule; above {@link loadTolerance} the run says the load fell behind.
 */
export function loadShortfall(requestedArrivals: number, achievedArrivals: number, measurement: LoadMeasurement): { value: number; parts: LoadShortfallParts } {
  if (requestedArrivals <= 0) return { value: 0, parts: { count: 0, duration: 0, late: 0 } };
  const count = Math.max(0, (requestedArrivals - achievedArrivals) / requestedArrivals);
  const duration = measurement.plannedMs > 0 ? Math.max(0, (measurement.phasesWallMs - measurement.plannedMs) / measurement.plannedMs) : 0;
  const neverSent = Math.max(0, requestedArrivals - achievedArrivals);
  const late = Math.min(1, (measurement.lateArrivals + neverSent) / requestedArrivals);
  const parts = { count: round4(count), duration: round4(duration), late: round4(late) };
  return { value: Math.max(parts.count, parts.duration, parts.late), parts };
}

function round4(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

/**
 * What the run says about its own load, one sentence per problem: phases that ran long,
 * arrivals behind schedule, short seconds, a stalled event loop, a load stopped early.
 * Empty when the load was held within {@link loadTolerance}.
 */
export function loadWarnings(requestedArrivals: number, achievedArrivals: number, measurement: LoadMeasurement): string[] {
  const warnings: string[] = [];
  const { parts } = loadShortfall(requestedArrivals, achievedArrivals, measurement);
  const percent = (value: number) => `${(value * 100).toFixed(1)} %`;
  const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  if (measurement.stoppedBecause === 'overrun') {
    warnings.push(
      `the load was stopped ${seconds(measurement.phasesWallMs - measurement.plannedMs)} past the phases' planned ${seconds(measurement.plannedMs)} (the limit is ${seconds(measurement.overrunLimitMs)}): the generator could not send at the requested rate`,
    );
  }
  if (parts.duration > loadTolerance && measurement.stoppedBecause !== 'overrun') {
    warnings.push(`the phases took ${seconds(measurement.phasesWallMs)} where they plan ${seconds(measurement.plannedMs)} (+${percent(parts.duration)}): the requested rate was not held in time`);
  }
  if (parts.late > loadTolerance) {
    warnings.push(
      `${percent(parts.late)} of the requested arrivals were sent more than ${measurement.lateAfterMs} ms behind their schedule or not at all (arrival lag p99 ${measurement.arrivalLagMs.p99} ms, max ${measurement.arrivalLagMs.max} ms)`,
    );
  }
  const short = measurement.perSecond.filter((second) => second.requested > 0 && second.requested - second.achieved > Math.max(1, second.requested * perSecondTolerance));
  if (short.length > 0) {
    const worst = short.reduce((a, b) => (b.achieved / b.requested < a.achieved / a.requested ? b : a));
    warnings.push(
      `in ${short.length} of ${measurement.perSecond.filter((second) => second.requested > 0).length} seconds the generator sent over ${percent(perSecondTolerance)} less than asked (worst: second ${worst.tSec}, ${worst.achieved} of ${worst.requested})`,
    );
  }
  if (measurement.eventLoopDelayMs.max > lateArrivalMs) {
    const stalled = measurement.perSecond.reduce((a, b) => (b.loopDelayMaxMs > a.loopDelayMaxMs ? b : a), measurement.perSecond[0] ?? { tSec: 0, loopDelayMaxMs: 0 });
    warnings.push(`the run's own event loop was held up for ${measurement.eventLoopDelayMs.max} ms (second ${stalled.tSec}): arrivals due then were sent late`);
  }
  return warnings;
}
