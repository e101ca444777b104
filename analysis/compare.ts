import type { CostEstimate, PatternResult, RunResult } from './run-result.ts';
import type { ValueKind } from './value-format.ts';
import { estimateCost, type AnySourceCostModel } from './cost.ts';
import { sourcePathOf } from './report-format.ts';
import type { PriceOverrides, PriceTable } from './pricing.ts';
import { patternMetrics, readMetric, type Better, type MetricName } from './metrics.ts';

/** A run to compare, with an optional label used when pattern names collide across runs. */
export interface CompareInput {
  result: RunResult;
  label?: string;
}

export interface CompareOptions {
  /** Rows of the table, in order; default {@link defaultComparisonMetrics}. */
  metrics?: MetricName[];
  /** Prices for the cost row; when given, a recorded `cost` is recomputed with them. */
  prices?: PriceTable | PriceOverrides;
  /**
   * Each source's cost model by source name (the source modules' `cost`), for results that
   * recorded no cost or when `prices` are given; without its model a source is not priced.
   */
  costModels?: Readonly<Record<string, AnySourceCostModel>>;
  /** Values within this fraction of the best one tie with it; default 0.02 (2 %). */
  tieRelative?: number;
}

/** One compared pattern (a column of the table). */
export interface ComparedPattern {
  /** Unique column name: the pattern name, prefixed by its run's label when names collide. */
  key: string;
  runId: string;
  scenarioName: string;
  runStatus: RunResult['status'];
  runFailure?: RunResult['failure'];
  patternName: string;
  source: string;
  pattern: PatternResult;
  cost: CostEstimate;
}

export const comparisonVerdicts = {
  /** One or more columns are best (several only when they tie and others do not). */
  winner: 'winner',
  /** Every column with the metric is equally good. */
  tie: 'tie',
  /** Only one column has the metric (iterator age when one pattern is Kinesis): nothing to compare. */
  single: 'single',
} as const;

export type ComparisonVerdict = keyof typeof comparisonVerdicts;

/** One metric across every column. */
export interface ComparisonRow {
  metric: MetricName;
  label: string;
  kind: ValueKind;
  better: Better;
  /** One value per column; undefined where the pattern does not have the metric. */
  values: Array<number | undefined>;
  /** Indexes of the winning columns. Empty unless the verdict is `winner`. */
  winners: number[];
  verdict: ComparisonVerdict;
}

export interface Comparison {
  columns: ComparedPattern[];
  /** Rows in metric order; a metric no column has is left out. */
  rows: ComparisonRow[];
  /** Values within this fraction of the best one tied with it. */
  tieRelative: number;
}

/** The metrics a comparison shows by default, in order. */
export const defaultComparisonMetrics: readonly MetricName[] = [
  'throughputIn',
  'throughputOut',
  'p50EndToEnd',
  'p95EndToEnd',
  'p99EndToEnd',
  'maxQueueAge',
  'p99QueueAge',
  'maxIteratorAge',
  'p99IteratorAge',
  'maxAsyncEventAge',
  'p99AsyncEventAge',
  'sourceThrottles',
  'functionThrottles',
  'peakConcurrency',
  'coldStarts',
  'errors',
  'dlq',
  'lost',
  'costPerMillion',
];

/**
 * Differences below these, in the metric's unit, are a tie whatever the relative change:
 * half a millisecond of latency or a hundredth of a percentage point decides nothing.
 */
const tieAbsoluteByKind = { durationMs: 0.5, rate: 0.0001, count: 0, perSecond: 0.05, usd: 0.005 } as const satisfies Record<ValueKind, number>;

/**
 * Puts the patterns of one or several runs side by side and names, per metric, which
 * pattern wins (lower latency, higher throughput, …). Values within 2 % of the best tie
 * with it; a pattern without the metric takes no part in its verdict.
 *
 * @example
 * const comparison = comparePatterns([sqsRun, kinesisRun]);
 * const p99 = comparison.rows.find((row) => row.metric === 'p99EndToEnd');
 * p99?.winners.map((i) => comparison.columns[i].key) // ['sqs-standard']
 */
export function comparePatterns(inputs: RunResult | Array<RunResult | CompareInput>, options: CompareOptions = {}): Comparison {
  const runs = (Array.isArray(inputs) ? inputs : [inputs]).map((input) => ('result' in input ? input : { result: input }));
  const columns = buildColumns(runs, options);
  const tieRelative = options.tieRelative ?? 0.02;
  const rows: ComparisonRow[] = [];
  for (const metric of options.metrics ?? defaultComparisonMetrics) {
    const definition = patternMetrics[metric];
    const values = columns.map((column) => valueFor(column, metric));
    const present = values.flatMap((value, index) => (value === undefined ? [] : [{ value, index }]));
    if (present.length === 0) continue;
    const row = { metric, label: definition.label, kind: definition.kind as ValueKind, better: definition.better as Better, values };
    if (present.length === 1) {
      rows.push({ ...row, winners: [], verdict: 'single' });
      continue;
    }
    const best = definition.better === 'lower' ? Math.min(...present.map((p) => p.value)) : Math.max(...present.map((p) => p.value));
    const tolerance = Math.max(tieRelative * Math.abs(best), tieAbsoluteByKind[row.kind]);
    const winners = present.filter((p) => Math.abs(p.value - best) <= tolerance).map((p) => p.index);
    rows.push(winners.length === present.length ? { ...row, winners: [], verdict: 'tie' } : { ...row, winners, verdict: 'winner' });
  }
  return { columns, rows, tieRelative };
}

function valueFor(column: ComparedPattern, metric: MetricName): number | undefined {
  // The cost row follows the prices of this comparison, not whatever the run recorded.
  if (metric === 'costPerMillion') return column.pattern.accounting.accepted > 0 ? column.cost.perMillionEventsUsd : undefined;
  return readMetric(column.pattern, metric);
}

function buildColumns(runs: CompareInput[], { prices, costModels }: CompareOptions): ComparedPattern[] {
  const entries = runs.flatMap(({ result, label }) => result.patterns.map((pattern) => ({ result, label, pattern })));
  const names = entries.map((e) => e.pattern.name);
  const namesUnique = new Set(names).size === names.length;
  const keys = entries.map((e) => (namesUnique ? e.pattern.name : `${e.label ?? e.result.scenario.name}/${e.pattern.name}`));
  // Two runs of the same scenario share its name; fall back to the run id to tell them apart.
  const keysUnique = new Set(keys).size === keys.length;
  return entries.map((entry, index) => ({
    key: keysUnique ? keys[index] : `${entry.label ?? entry.result.runId}/${entry.pattern.name}`,
    runId: entry.result.runId,
    scenarioName: entry.result.scenario.name,
    runStatus: entry.result.status,
    ...(entry.result.failure ? { runFailure: entry.result.failure } : {}),
    patternName: entry.pattern.name,
    source: sourcePathOf(entry.pattern),
    pattern: entry.pattern,
    cost: prices === undefined && entry.pattern.cost ? entry.pattern.cost : estimateCost(entry.pattern, prices, costModels?.[entry.pattern.source]),
  }));
}
