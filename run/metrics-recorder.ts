import * as hdr from 'hdr-histogram-js';
import type { Percentiles, SeriesPoint } from '../analysis/run-result.ts';
import type { CounterName, GaugeName, SourceMetrics } from '../drivers/event-reporting.ts';

type Histogram = ReturnType<typeof hdr.build>;

/** Latencies from 1 ms to 1 hour at 3 significant digits: every latency histogram of a run, so they merge without loss. */
export function newLatencyHistogram(): Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000, numberOfSignificantValueDigits: 3 });
}

/** A module handler's own usage per invoke: CPU time in microseconds, peak heap in kilobytes (sub-millisecond and sub-megabyte figures matter). */
function newUsageHistogram(): Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
}

/** Percentiles of a histogram kept in finer units, back in the reported unit (µs → ms: 1000). */
export function scaledPercentilesOf(histogram: Histogram, unitsPerReported: number): Percentiles {
  const raw = percentilesOf(histogram);
  const scale = (value: number) => Math.round((value / unitsPerReported) * 1000) / 1000;
  return { count: raw.count, p50: scale(raw.p50), p90: scale(raw.p90), p95: scale(raw.p95), p99: scale(raw.p99), max: scale(raw.max), mean: scale(raw.mean) };
}

export function percentilesOf(histogram: Histogram): Percentiles {
  if (histogram.totalCount === 0) return { count: 0, p50: 0, p90: 0, p95: 0, p99: 0, max: 0, mean: 0 };
  return {
    count: histogram.totalCount,
    p50: histogram.getValueAtPercentile(50),
    p90: histogram.getValueAtPercentile(90),
    p95: histogram.getValueAtPercentile(95),
    p99: histogram.getValueAtPercentile(99),
    max: histogram.maxValue,
    mean: Math.round(histogram.mean * 100) / 100,
  };
}

/** End-to-end latencies below this (ms) are tallied before they are recorded; longer ones are recorded at once. */
const latencyTallyMsMax = 16_384;

function clampMs(valueMs: number): number {
  return Math.min(3_600_000, Math.max(1, Math.round(valueMs)));
}

/**
 * Per-second records kept while the origin is unknown, at most: beyond them the earliest one
 * becomes the origin, so a recorder whose load never starts cannot grow without bound.
 */
const waitingRecordsMax = 100_000;

function emptyPoint(tSec: number): SeriesPoint {
  return { tSec, sent: 0, accepted: 0, completed: 0, failedInvocations: 0, sourceThrottles: 0, sourceRetries: 0, functionThrottles: 0, coldStarts: 0, concurrency: 0, deadLettered: 0 };
}

/**
 * Per-second series and whole-run histograms of one pattern run. Counters add, gauges keep
 * the second's maximum, and end-to-end latency is kept per second (p50/p99) and overall.
 *
 * Second 0 of the series is the load's start, for every pattern, so `tSec` lines up with the
 * load's own per-second record (`load.perSecond`) and a series never opens with seconds of
 * provisioning. A run creates the recorder before it provisions (drivers report into it from
 * then on) and calls {@link startLoadAt} when the first phase starts; what was recorded
 * before is placed at negative seconds, and until then per-second records wait. Given an
 * origin at construction, the recorder uses that one.
 */
export class MetricsRecorder implements SourceMetrics {
  private readonly points = new Map<number, SeriesPoint>();
  private readonly secondHistograms = new Map<number, Histogram>();
  private readonly endToEndHistogram = newLatencyHistogram();
  readonly invokeDuration = newLatencyHistogram();
  readonly initDuration = newLatencyHistogram();
  readonly clientLatency = { all: newLatencyHistogram(), warm: newLatencyHistogram(), cold: newLatencyHistogram() };
  /** Module handlers only (run in their own environments): CPU time (µs) and peak heap (KB) of each invoke. */
  readonly handlerCpuMicros = newUsageHistogram();
  readonly handlerPeakMemoryKb = newUsageHistogram();
  private readonly shardAges = new Map<number, Record<string, number>>();
  /** The second the last end-to-end latency went to, and its histogram. */
  private latestLatencySecond: number | undefined;
  private latestLatencyHistogram: Histogram | undefined;
  /**
   * The current second's end-to-end latencies below {@link latencyTallyMsMax}, as a count per
   * millisecond, recorded into the histograms once per value when the second changes or a
   * reader asks: a histogram's record was the largest cost of an event's completion, and a
   * second's latencies take a few hundred values.
   */
  private readonly latencyTally = new Uint32Array(latencyTallyMsMax);
  private readonly talliedLatencies: number[] = [];
  /** The second the last count or gauge went to, and its point. */
  private latestPointSecond: number | undefined;
  private latestPoint: SeriesPoint | undefined;
  private originAtMs: number | undefined;
  /** Per-second records made before the origin was known, replayed once it is. */
  private waiting: Array<{ atMs: number; replay: () => void }> = [];

  /** `originMs`: the series' second 0; leave it out to set it with {@link startLoadAt}. */
  constructor(originMs?: number) {
    this.originAtMs = originMs;
  }

  /** The series' time origin (the load's start), once known. */
  get originMs(): number | undefined {
    return this.originAtMs;
  }

  /**
   * The load's first phase started at `atMs`: second 0 of the series. Records made before
   * it land at negative seconds. Only the first call counts.
   */
  startLoadAt(atMs: number): void {
    if (this.originAtMs !== undefined) return;
    this.originAtMs = atMs;
    const waiting = this.waiting;
    this.waiting = [];
    for (const { replay } of waiting) replay();
  }

  private startAtEarliestRecord(): void {
    this.startLoadAt(this.waiting.reduce((earliest, { atMs }) => Math.min(earliest, atMs), Number.POSITIVE_INFINITY));
  }

  /** Runs a per-second record now, or once the origin is known. */
  private placed(atMs: number, replay: () => void): void {
    if (this.originAtMs !== undefined) {
      replay();
      return;
    }
    this.waiting.push({ atMs, replay });
    if (this.waiting.length >= waitingRecordsMax) this.startAtEarliestRecord();
  }

  private second(atMs: number): number {
    return Math.floor((atMs - (this.originAtMs ?? atMs)) / 1000);
  }

  private point(atMs: number): SeriesPoint {
    const tSec = this.second(atMs);
    if (tSec === this.latestPointSecond) return this.latestPoint!;
    let point = this.points.get(tSec);
    if (!point) {
      point = emptyPoint(tSec);
      this.points.set(tSec, point);
    }
    this.latestPointSecond = tSec;
    this.latestPoint = point;
    return point;
  }

  count(name: CounterName, atMs: number, amount = 1): void {
    // Several times per arrival: no replay closure once the origin is known.
    if (this.originAtMs === undefined) this.placed(atMs, () => this.count(name, atMs, amount));
    else {
      const point = this.point(atMs);
      point[name] = (point[name] ?? 0) + amount;
    }
  }

  gauge(name: GaugeName, atMs: number, value: number): void {
    if (this.originAtMs === undefined) this.placed(atMs, () => this.gauge(name, atMs, value));
    else {
      const point = this.point(atMs);
      point[name] = Math.max(point[name] ?? 0, value);
    }
  }

  shardIteratorAge(shardId: string, atMs: number, ageMs: number): void {
    this.placed(atMs, () => {
      const tSec = this.second(atMs);
      const ages = this.shardAges.get(tSec) ?? {};
      ages[shardId] = Math.max(ages[shardId] ?? 0, ageMs);
      this.shardAges.set(tSec, ages);
    });
    this.gauge('iteratorAgeMsMax', atMs, ageMs);
  }

  /** Every end-to-end latency recorded so far. */
  get endToEnd(): Histogram {
    this.recordTalliedLatencies();
    return this.endToEndHistogram;
  }

  endToEndLatency(atMs: number, latencyMs: number): void {
    const value = clampMs(latencyMs);
    if (this.originAtMs === undefined) {
      this.endToEndHistogram.recordValue(value);
      this.placed(atMs, () => this.secondLatency(atMs, value));
      return;
    }
    const tSec = this.second(atMs);
    if (tSec !== this.latestLatencySecond) this.moveLatenciesTo(tSec);
    if (value < latencyTallyMsMax) {
      if (this.latencyTally[value]++ === 0) this.talliedLatencies.push(value);
    } else {
      this.endToEndHistogram.recordValue(value);
      this.latestLatencyHistogram!.recordValue(value);
    }
  }

  /** A latency recorded before the origin was known, replayed into its second's histogram. */
  private secondLatency(atMs: number, value: number): void {
    this.moveLatenciesTo(this.second(atMs));
    this.latestLatencyHistogram!.recordValue(value);
  }

  /** Records what is tallied, and makes `tSec` the second latencies go to. */
  private moveLatenciesTo(tSec: number): void {
    this.recordTalliedLatencies();
    let histogram = this.secondHistograms.get(tSec);
    if (!histogram) {
      histogram = newLatencyHistogram();
      this.secondHistograms.set(tSec, histogram);
    }
    this.latestLatencySecond = tSec;
    this.latestLatencyHistogram = histogram;
  }

  private recordTalliedLatencies(): void {
    for (const value of this.talliedLatencies) {
      const count = this.latencyTally[value]!;
      this.endToEndHistogram.recordValueWithCount(value, count);
      this.latestLatencyHistogram!.recordValueWithCount(value, count);
      this.latencyTally[value] = 0;
    }
    this.talliedLatencies.length = 0;
  }

  invocation(durationMs: number, initDurationMs: number, coldStart: boolean, endedAtMs: number): void {
    this.invokeDuration.recordValue(clampMs(durationMs));
    if (coldStart) {
      this.initDuration.recordValue(clampMs(initDurationMs));
      this.count('coldStarts', endedAtMs);
    }
  }

  handlerUsage(cpuMs: number | undefined, peakMemoryMb: number | undefined): void {
    if (cpuMs !== undefined) this.handlerCpuMicros.recordValue(Math.min(3_600_000_000, Math.max(1, Math.round(cpuMs * 1000))));
    if (peakMemoryMb !== undefined) this.handlerPeakMemoryKb.recordValue(Math.min(3_600_000_000, Math.max(1, Math.round(peakMemoryMb * 1024))));
  }

  clientObserved(latencyMs: number, coldStart?: boolean): void {
    const value = clampMs(latencyMs);
    this.clientLatency.all.recordValue(value);
    if (coldStart !== undefined) (coldStart ? this.clientLatency.cold : this.clientLatency.warm).recordValue(value);
  }

  /**
   * The series from the load's start (second 0) to the last second, with no gaps. Seconds
   * before the load's start appear, at negative `tSec`, only when something was recorded in
   * them (an invocation, a sample); provisioning itself leaves no seconds. A recorder whose
   * load never started places its records from the first of them on.
   */
  series(): SeriesPoint[] {
    // The load never started (provisioning failed, Ctrl-C before the first phase).
    if (this.originAtMs === undefined && this.waiting.length > 0) this.startAtEarliestRecord();
    this.recordTalliedLatencies();
    const seconds = [...this.points.keys()];
    const first = seconds.length > 0 ? Math.min(0, ...seconds) : 0;
    const last = seconds.length > 0 ? Math.max(...seconds) : -1;
    const series: SeriesPoint[] = [];
    for (let tSec = first; tSec <= last; tSec += 1) {
      const point = this.points.get(tSec) ?? emptyPoint(tSec);
      const histogram = this.secondHistograms.get(tSec);
      if (histogram && histogram.totalCount > 0) {
        point.endToEndMsP50 = histogram.getValueAtPercentile(50);
        point.endToEndMsP99 = histogram.getValueAtPercentile(99);
      }
      const shardAges = this.shardAges.get(tSec);
      if (shardAges) point.iteratorAgeMsByShard = shardAges;
      series.push(point);
    }
    return series;
  }

  /** Totals of the current second so far, for the live progress line. */
  latest(atMs: number): SeriesPoint | undefined {
    if (this.originAtMs === undefined) return undefined;
    return this.points.get(this.second(atMs) - 1);
  }
}
