import type { PatternResult, SeriesPoint } from './run-result.ts';
import type { ValueKind } from './value-format.ts';
import { estimateCost, type AnySourceCostModel } from './cost.ts';

/** Whether a bigger number is better or worse; comparisons and baselines read it. */
export type Better = 'lower' | 'higher';

/** Each source's cost model by source name, for a result that recorded no cost (see estimateCost). */
export type CostModels = Readonly<Record<string, AnySourceCostModel>>;

/** How a metric is read from one pattern; `undefined` means the pattern does not have it. */
export type MetricReader = (pattern: PatternResult, costModels?: CostModels) => number | undefined;

interface MetricDefinition {
  /** Column label in reports. */
  label: string;
  kind: ValueKind;
  better: Better;
  /**
   * The smallest change worth calling a regression, in the metric's own unit, whatever the
   * relative change: 1 ms → 2 ms is +100 % and still noise.
   */
  absoluteFloor: number;
  read: MetricReader;
  /** Said when the metric does not apply, e.g. "no iterator (not a stream source)". */
  notApplicableReason: string;
  /**
   * Measures the harness (did the load generator apply the load?), not the system: judged by
   * thresholds against an absolute limit, never as a regression against a baseline, where
   * a busier machine would read as a slower system.
   */
  harness?: true;
}

/**
 * Every metric sluice names, and how each is read from a {@link PatternResult}. Threshold
 * expressions, comparisons and baselines all use these names, so `p99EndToEnd` means the
 * same thing in a scenario file, a PR comment and a JUnit report.
 *
 * @example
 * patternMetrics.p99EndToEnd.read(result.patterns[0]) // 1843.2 (ms)
 */
export const patternMetrics = {
  throughputIn: {
    label: 'Throughput in',
    kind: 'perSecond',
    better: 'higher',
    absoluteFloor: 1,
    read: (p) => p.summary.throughputInPerSecond,
    notApplicableReason: 'no events were sent',
  },
  throughputOut: {
    label: 'Throughput out',
    kind: 'perSecond',
    better: 'higher',
    absoluteFloor: 1,
    read: (p) => p.summary.throughputOutPerSecond,
    notApplicableReason: 'no events were sent',
  },
  p50EndToEnd: endToEnd('p50'),
  p90EndToEnd: endToEnd('p90'),
  p95EndToEnd: endToEnd('p95'),
  p99EndToEnd: endToEnd('p99'),
  maxEndToEnd: endToEnd('max'),
  maxQueueAge: {
    label: 'Queue age max',
    kind: 'durationMs',
    better: 'lower',
    absoluteFloor: 100,
    read: (p) => p.summary.queueAgeMsMax ?? seriesMax(p.series, 'queueAgeMsMax'),
    notApplicableReason: 'no queue (not an SQS source)',
  },
  p99QueueAge: {
    label: 'Queue age p99',
    kind: 'durationMs',
    better: 'lower',
    absoluteFloor: 100,
    // The summary keeps only the maximum; the p99 over time comes from the 1 s samples.
    read: (p) => seriesP99(p.series, 'queueAgeMsMax'),
    notApplicableReason: 'no queue (not an SQS source)',
  },
  maxIteratorAge: {
    label: 'Iterator age max',
    kind: 'durationMs',
    better: 'lower',
    absoluteFloor: 100,
    read: (p) => p.summary.iteratorAgeMsMax ?? seriesMax(p.series, 'iteratorAgeMsMax'),
    notApplicableReason: 'no iterator (not a stream source)',
  },
  p99IteratorAge: {
    label: 'Iterator age p99',
    kind: 'durationMs',
    better: 'lower',
    absoluteFloor: 100,
    read: (p) => p.summary.iteratorAgeMsP99 ?? seriesP99(p.series, 'iteratorAgeMsMax'),
    notApplicableReason: 'no iterator (not a stream source)',
  },
  maxAsyncEventAge: {
    label: 'Async event age max',
    kind: 'durationMs',
    better: 'lower',
    absoluteFloor: 100,
    read: (p) => p.summary.asyncEventAgeMsMax ?? seriesMax(p.series, 'asyncEventAgeMsMax'),
    notApplicableReason: 'no asynchronous invoke queue (not an async source)',
  },
  p99AsyncEventAge: {
    label: 'Async event age p99',
    kind: 'durationMs',
    better: 'lower',
    absoluteFloor: 100,
    read: (p) => p.summary.asyncEventAgeMsP99 ?? seriesP99(p.series, 'asyncEventAgeMsMax'),
    notApplicableReason: 'no asynchronous invoke queue (not an async source)',
  },
  throttleRate: {
    label: 'Source throttle rate',
    kind: 'rate',
    better: 'lower',
    absoluteFloor: 0.001,
    // Source throttles / source attempts (sent + producer retries); docs/analysis.md "Throttle rates".
    read: (p) => p.summary.throttleRate,
    notApplicableReason: 'no events were sent',
  },
  functionThrottleRate: {
    label: 'Function throttle rate',
    kind: 'rate',
    better: 'lower',
    absoluteFloor: 0.001,
    // Function throttles / invoke attempts (invocations + function throttles); results
    // before the rate was recorded have both counts, so it is derived the same way.
    read: (p) => functionThrottleRateOf(p),
    notApplicableReason: 'the function was never invoked',
  },
  sourceThrottles: {
    label: 'Source throttles',
    kind: 'count',
    better: 'lower',
    absoluteFloor: 10,
    read: (p) => p.summary.sourceThrottles,
    notApplicableReason: '',
  },
  functionThrottles: {
    label: 'Function throttles',
    kind: 'count',
    better: 'lower',
    absoluteFloor: 10,
    read: (p) => p.summary.functionThrottles,
    notApplicableReason: '',
  },
  peakConcurrency: {
    label: 'Peak concurrency',
    kind: 'count',
    // The same work with fewer environments leaves more of the account's concurrency free.
    better: 'lower',
    absoluteFloor: 2,
    read: (p) => p.summary.peakConcurrency,
    notApplicableReason: '',
  },
  coldStarts: {
    label: 'Cold starts',
    kind: 'count',
    better: 'lower',
    absoluteFloor: 5,
    read: (p) => p.summary.coldStarts,
    notApplicableReason: '',
  },
  errors: {
    label: 'Invocation errors',
    kind: 'count',
    better: 'lower',
    absoluteFloor: 5,
    read: (p) => p.summary.invocationErrors,
    notApplicableReason: '',
  },
  errorRate: {
    label: 'Invocation error rate',
    kind: 'rate',
    better: 'lower',
    absoluteFloor: 0.001,
    read: (p) => (p.summary.invocations > 0 ? p.summary.invocationErrors / p.summary.invocations : undefined),
    notApplicableReason: 'the function was never invoked',
  },
  dlq: {
    label: 'Dead-lettered',
    kind: 'count',
    better: 'lower',
    absoluteFloor: 1,
    read: (p) => p.accounting.deadLettered,
    notApplicableReason: '',
  },
  loadShortfall: {
    label: 'Load shortfall',
    kind: 'rate',
    better: 'lower',
    absoluteFloor: 0.005,
    // The largest of the count shortfall, the phases' overrun and the late share (docs/analysis.md).
    read: (p) => p.load.shortfall,
    notApplicableReason: 'the result predates the load check',
    harness: true,
  },
  arrivalLagP99: {
    label: 'Arrival lag p99',
    kind: 'durationMs',
    better: 'lower',
    absoluteFloor: 50,
    read: (p) => p.load.arrivalLagMs?.p99,
    notApplicableReason: 'the result predates the load check',
    harness: true,
  },
  lost: {
    label: 'Lost',
    kind: 'count',
    better: 'lower',
    // A lost event is a bug, never noise.
    absoluteFloor: 0,
    read: (p) => p.accounting.lost,
    notApplicableReason: '',
  },
  costPerMillion: {
    label: 'Cost per million events',
    kind: 'usd',
    better: 'lower',
    absoluteFloor: 0.01,
    read: (p: PatternResult, costModels?: CostModels) => {
      const cost = p.cost ?? estimateCost(p, undefined, costModels?.[p.source]);
      return p.accounting.accepted > 0 ? cost.perMillionEventsUsd : undefined;
    },
    notApplicableReason: 'no event was accepted',
  },
} as const satisfies Record<string, MetricDefinition>;

export type MetricName = keyof typeof patternMetrics;

/** The metric names in table order. */
export const metricNames = Object.keys(patternMetrics) as MetricName[];

/** The metrics a baseline compares: all but those that measure the harness itself. */
export const baselineMetricNames = metricNames.filter((name) => !(patternMetrics[name] as MetricDefinition).harness);

/**
 * Reads one metric from a pattern; `undefined` when the pattern does not have it, or has no
 * sample of it (no completed event to measure latency on). `costModels` price the source of a
 * result that recorded no cost; without them such a result's cost is the function's alone.
 *
 * @example readMetric(pattern, 'maxIteratorAge') // undefined for an SQS pattern
 */
export function readMetric(pattern: PatternResult, metric: MetricName, costModels?: CostModels): number | undefined {
  // A pattern that completed nothing has latency percentiles of 0, which would look best.
  if (hasNoSamples(pattern, metric)) return undefined;
  const value = (patternMetrics[metric].read as MetricReader)(pattern, costModels);
  return value === undefined || Number.isNaN(value) ? undefined : value;
}

/** True when a metric is a latency percentile and the pattern completed nothing to measure. */
export function hasNoSamples(pattern: PatternResult, metric: MetricName): boolean {
  return metric.endsWith('EndToEnd') && pattern.latency.endToEndMs.count === 0;
}

/** Function throttles / invoke attempts; undefined when nothing tried to invoke the function. */
function functionThrottleRateOf(pattern: PatternResult): number | undefined {
  const { summary } = pattern;
  const invokeAttempts = summary.invokeAttempts ?? summary.invocations + summary.functionThrottles;
  if (invokeAttempts === 0) return undefined;
  return summary.functionThrottleRate ?? summary.functionThrottles / invokeAttempts;
}

function endToEnd(percentile: 'p50' | 'p90' | 'p95' | 'p99' | 'max') {
  return {
    label: `End-to-end ${percentile}`,
    kind: 'durationMs',
    better: 'lower',
    absoluteFloor: 10,
    read: (p: PatternResult) => p.latency.endToEndMs[percentile],
    notApplicableReason: '',
  } as const;
}

type NumericSeriesKey = 'queueAgeMsMax' | 'iteratorAgeMsMax' | 'asyncEventAgeMsMax';

function seriesValues(series: SeriesPoint[], key: NumericSeriesKey): number[] {
  return series.map((point) => point[key]).filter((value): value is number => typeof value === 'number');
}

function seriesMax(series: SeriesPoint[], key: NumericSeriesKey): number | undefined {
  const values = seriesValues(series, key);
  return values.length > 0 ? Math.max(...values) : undefined;
}

/** The p99 of the per-second values (nearest rank), as CloudWatch would over 1 s periods. */
function seriesP99(series: SeriesPoint[], key: NumericSeriesKey): number | undefined {
  const values = seriesValues(series, key).sort((a, b) => a - b);
  if (values.length === 0) return undefined;
  return values[Math.min(values.length - 1, Math.ceil(0.99 * values.length) - 1)];
}
