import type { PatternResult, RunResult } from './run-result.ts';
import { formatDelta, formatRelative, formatValue, type ValueKind } from './value-format.ts';
import { baselineMetricNames, patternMetrics, readMetric, type Better, type CostModels, type MetricName } from './metrics.ts';

/** How much worse a metric may get before it counts as a regression. */
export interface Tolerance {
  /** Relative change allowed, as a fraction of the baseline (0.1 = 10 %). */
  relative: number;
  /** Change allowed in the metric's own unit whatever the relative change (ms, count, /s, …). */
  absolute: number;
}

export interface BaselineOptions {
  /** Relative tolerance for every metric; default 0.1 (10 %). */
  tolerance?: number;
  /** Per-metric tolerances, overriding the default relative one and the metric's absolute floor. */
  tolerances?: Partial<Record<MetricName, Partial<Tolerance>>>;
  /** Metrics to compare; default all of them. */
  metrics?: MetricName[];
  /** Each source's cost model by source name, for `costPerMillion` of a result that recorded no cost. */
  costModels?: CostModels;
}

/** Default relative tolerance: a 10 % change is within run-to-run noise on a shared machine. */
export const defaultRelativeTolerance = 0.1;

export const deltaStatuses = {
  /** Worse than the baseline beyond both the relative and the absolute tolerance. */
  regressed: 'regressed',
  /** Better than the baseline beyond both tolerances. */
  improved: 'improved',
  unchanged: 'unchanged',
  /** One side has the metric and the other does not (e.g. the source changed). */
  notComparable: 'notComparable',
} as const;

export type DeltaStatus = keyof typeof deltaStatuses;

/** One metric of one pattern, current against baseline. */
export interface MetricDelta {
  metric: MetricName;
  label: string;
  kind: ValueKind;
  better: Better;
  baseline?: number;
  current?: number;
  /** current − baseline, in the metric's own unit. */
  delta?: number;
  /** delta / |baseline|; null when the baseline is 0. */
  relative?: number | null;
  status: DeltaStatus;
  tolerance: Tolerance;
  message: string;
}

export interface PatternBaselineComparison {
  pattern: string;
  source: string;
  /** `missing`: in the baseline but not in this run; `new`: only in this run. */
  status: 'compared' | 'new' | 'missing';
  deltas: MetricDelta[];
}

export interface BaselineComparison {
  runId: string;
  baselineRunId: string;
  patterns: PatternBaselineComparison[];
  regressions: number;
  improvements: number;
  /** True when any metric of any pattern regressed, or a baseline pattern is missing. */
  regressed: boolean;
}

/**
 * Compares a run with a baseline run, pattern by pattern (matched by name). A metric has
 * regressed when it moved in its bad direction (lower throughput, higher latency) by more
 * than the relative tolerance of the baseline value and by more than the metric's
 * absolute floor, so 1 ms → 2 ms is not a regression and 0 → 1 lost event is.
 *
 * @example
 * const comparison = compareWithBaseline(current, baseline, { tolerance: 0.15 });
 * comparison.regressed // true if any metric got worse by more than 15 %
 */
export function compareWithBaseline(current: RunResult, baseline: RunResult, options: BaselineOptions = {}): BaselineComparison {
  const metrics = options.metrics ?? baselineMetricNames;
  const patterns: PatternBaselineComparison[] = [];
  for (const pattern of current.patterns) {
    const before = baseline.patterns.find((p) => p.name === pattern.name);
    if (!before) {
      patterns.push({ pattern: pattern.name, source: pattern.source, status: 'new', deltas: [] });
      continue;
    }
    patterns.push({
      pattern: pattern.name,
      source: pattern.source,
      status: 'compared',
      deltas: metrics.flatMap((metric) => compareMetric(metric, before, pattern, toleranceFor(metric, options), options.costModels) ?? []),
    });
  }
  for (const before of baseline.patterns) {
    if (!current.patterns.some((p) => p.name === before.name)) {
      patterns.push({ pattern: before.name, source: before.source, status: 'missing', deltas: [] });
    }
  }
  const all = patterns.flatMap((p) => p.deltas);
  const regressions = all.filter((d) => d.status === 'regressed').length;
  return {
    runId: current.runId,
    baselineRunId: baseline.runId,
    patterns,
    regressions,
    improvements: all.filter((d) => d.status === 'improved').length,
    regressed: regressions > 0 || patterns.some((p) => p.status === 'missing'),
  };
}

/** The tolerance used for one metric, after options. */
export function toleranceFor(metric: MetricName, options: BaselineOptions = {}): Tolerance {
  const override = options.tolerances?.[metric];
  return {
    relative: override?.relative ?? options.tolerance ?? defaultRelativeTolerance,
    absolute: override?.absolute ?? patternMetrics[metric].absoluteFloor,
  };
}

function compareMetric(metric: MetricName, before: PatternResult, after: PatternResult, tolerance: Tolerance, costModels: CostModels | undefined): MetricDelta | undefined {
  const definition = patternMetrics[metric];
  const baselineValue = readMetric(before, metric, costModels);
  const currentValue = readMetric(after, metric, costModels);
  const base = { metric, label: definition.label, kind: definition.kind as ValueKind, better: definition.better as Better, tolerance };
  if (baselineValue === undefined && currentValue === undefined) return undefined;
  if (baselineValue === undefined || currentValue === undefined) {
    return {
      ...base,
      ...(baselineValue !== undefined ? { baseline: baselineValue } : {}),
      ...(currentValue !== undefined ? { current: currentValue } : {}),
      status: 'notComparable',
      message: `${definition.label}: ${formatValue(base.kind, baselineValue)} → ${formatValue(base.kind, currentValue)} (not comparable)`,
    };
  }
  const delta = currentValue - baselineValue;
  const relative = baselineValue === 0 ? (delta === 0 ? 0 : null) : delta / Math.abs(baselineValue);
  // Positive when the metric moved in its bad direction.
  const worseBy = definition.better === 'lower' ? delta : -delta;
  const allowed = Math.max(tolerance.relative * Math.abs(baselineValue), tolerance.absolute);
  const status: DeltaStatus = worseBy > allowed ? 'regressed' : -worseBy > allowed ? 'improved' : 'unchanged';
  const change = `${formatDelta(base.kind, delta)}, ${formatRelative(relative)}`;
  const message = `${definition.label}: ${formatValue(base.kind, baselineValue)} → ${formatValue(base.kind, currentValue)} (${change})${
    status === 'regressed' ? `, beyond the tolerance (the larger of ${formatTolerance(base.kind, tolerance)})` : ''
  }`;
  return { ...base, baseline: baselineValue, current: currentValue, delta, relative, status, message };
}

function formatTolerance(kind: ValueKind, tolerance: Tolerance): string {
  return `${Math.round(tolerance.relative * 1000) / 10} % and ${formatValue(kind, tolerance.absolute)}`;
}
