import * as hdr from 'hdr-histogram-js';
import type { Percentiles, SeriesPoint } from '../analysis/run-result.ts';
import type { CounterName, GaugeName, SourceMetrics } from '../drivers/event-reporting.ts';

type Histogram = ReturnType<typeof hdr.build>;

/** Latencies from 1 ms to 1 hour at 3 significant digits. */
function newHistogram(): Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000, numberOfSignificantValueDigits: 3 });
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

function clampMs(valueMs: number): number {
  return Math.min(3_600_000, Math.max(1, Math.round(valueMs)));
}


/**
 * Per-second series and whole-run histograms of one pattern run. Counters add, gauges keep
 * the second's maximum, and end-to-end latency is kept per second (p50/p99) and overall.
 */
export class MetricsRecorder implements SourceMetrics {
  private readonly points = new Map<number, SeriesPoint>();
  private readonly secondHistograms = new Map<number, Histogram>();
  readonly endToEnd = newHistogram();
  readonly invokeDuration = newHistogram();
  readonly initDuration = newHistogram();
  readonly clientLatency = { all: newHistogram(), warm: newHistogram(), cold: newHistogram() };
  private readonly shardAges = new Map<number, Record<string, number>>();

  constructor(private readonly startMs: number) {}

  private second(atMs: number): number {
    return Math.max(0, Math.floor((atMs - this.startMs) / 1000));
  }

  private point(atMs: number): SeriesPoint {
    const tSec = this.second(atMs);
    let point = this.points.get(tSec);
    if (!point) {
      point = { tSec, sent: 0, accepted: 0, completed: 0, failedInvocations: 0, sourceThrottles: 0, functionThrottles: 0, coldStarts: 0, concurrency: 0, deadLettered: 0 };
      this.points.set(tSec, point);
    }
    return point;
  }

  count(name: CounterName, atMs: number, amount = 1): void {
    this.point(atMs)[name] += amount;
  }

  gauge(name: GaugeName, atMs: number, value: number): void {
    const point = this.point(atMs);
    point[name] = Math.max(point[name] ?? 0, value);
  }

  shardIteratorAge(shardId: string, atMs: number, ageMs: number): void {
    const tSec = this.second(atMs);
    const ages = this.shardAges.get(tSec) ?? {};
    ages[shardId] = Math.max(ages[shardId] ?? 0, ageMs);
    this.shardAges.set(tSec, ages);
    this.gauge('iteratorAgeMsMax', atMs, ageMs);
  }

  endToEndLatency(atMs: number, latencyMs: number): void {
    const value = clampMs(latencyMs);
    this.endToEnd.recordValue(value);
    const tSec = this.second(atMs);
    let histogram = this.secondHistograms.get(tSec);
    if (!histogram) {
      histogram = newHistogram();
      this.secondHistograms.set(tSec, histogram);
    }
    histogram.recordValue(value);
  }

  invocation(durationMs: number, initDurationMs: number, coldStart: boolean, endedAtMs: number): void {
    this.invokeDuration.recordValue(clampMs(durationMs));
    if (coldStart) {
      this.initDuration.recordValue(clampMs(initDurationMs));
      this.count('coldStarts', endedAtMs);
    }
  }

  clientObserved(latencyMs: number, coldStart?: boolean): void {
    const value = clampMs(latencyMs);
    this.clientLatency.all.recordValue(value);
    if (coldStart !== undefined) (coldStart ? this.clientLatency.cold : this.clientLatency.warm).recordValue(value);
  }

  /** The series from the first to the last second, with no gaps. */
  series(): SeriesPoint[] {
    const seconds = [...this.points.keys()];
    const last = seconds.length > 0 ? Math.max(...seconds) : -1;
    const series: SeriesPoint[] = [];
    for (let tSec = 0; tSec <= last; tSec += 1) {
      const point = this.points.get(tSec) ?? { tSec, sent: 0, accepted: 0, completed: 0, failedInvocations: 0, sourceThrottles: 0, functionThrottles: 0, coldStarts: 0, concurrency: 0, deadLettered: 0 };
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
    return this.points.get(this.second(atMs) - 1);
  }
}
