import type { EventAccounting, PatternSummary, SeriesPoint } from './run-result.ts';

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function maxOf(series: SeriesPoint[], pick: (point: SeriesPoint) => number | undefined): number | undefined {
  const values = series.map(pick).filter((value): value is number => value !== undefined);
  return values.length > 0 ? Math.max(...values) : undefined;
}

function p99Of(series: SeriesPoint[], pick: (point: SeriesPoint) => number | undefined): number | undefined {
  const values = series.map(pick).filter((value): value is number => value !== undefined).sort((a, b) => a - b);
  if (values.length === 0) return undefined;
  return values[Math.min(values.length - 1, Math.ceil(values.length * 0.99) - 1)];
}

export interface SummaryInput {
  series: SeriesPoint[];
  accounting: EventAccounting;
  invocations: number;
  invocationErrors: number;
  /** Seconds during which load was sent (the phases as achieved). */
  loadDurationMs: number;
}

/**
 * The headline numbers of a pattern run, from its series and accounting.
 *
 * - throughput in: events accepted per second of load.
 * - throughput out: events completed per second, from the first send to the last
 *   completion; the steady figure is the median of the busiest half of the seconds with
 *   completions, which is what a consumer sustains once scaled.
 * - ages: maxima of the per-second gauges, and p99 over the seconds.
 */
export function summarize(input: SummaryInput): PatternSummary {
  const { series, accounting } = input;
  const completionSeconds = series.filter((point) => point.completed > 0).map((point) => point.tSec);
  // Seconds from the start of load to the last completion.
  const activeSeconds = completionSeconds.length > 0 ? Math.max(...completionSeconds) + 1 : 0;
  const busiest = series
    .filter((point) => point.completed > 0)
    .map((point) => point.completed)
    .sort((a, b) => b - a);
  const steady = median(busiest.slice(0, Math.max(1, Math.ceil(busiest.length / 2))));
  const coldStarts = series.reduce((sum, point) => sum + point.coldStarts, 0);
  const functionThrottles = series.reduce((sum, point) => sum + point.functionThrottles, 0);
  const sourceThrottles = series.reduce((sum, point) => sum + point.sourceThrottles, 0);
  const attempts = accounting.sent + sourceThrottles;
  return {
    throughputInPerSecond: round(input.loadDurationMs > 0 ? accounting.accepted / (input.loadDurationMs / 1000) : 0),
    throughputOutPerSecond: round(activeSeconds > 0 ? accounting.completed / activeSeconds : 0),
    throughputOutPerSecondSteady: round(steady),
    peakConcurrency: maxOf(series, (point) => point.concurrency) ?? 0,
    coldStarts,
    coldStartShare: round(input.invocations > 0 ? coldStarts / input.invocations : 0, 4),
    functionThrottles,
    sourceThrottles,
    throttleRate: round(attempts > 0 ? sourceThrottles / attempts : 0, 6),
    invocationErrors: input.invocationErrors,
    invocations: input.invocations,
    queueDepthMax: maxOf(series, (point) => point.queueDepth),
    queueAgeMsMax: maxOf(series, (point) => point.queueAgeMsMax),
    iteratorAgeMsMax: maxOf(series, (point) => point.iteratorAgeMsMax),
    iteratorAgeMsP99: p99Of(series, (point) => point.iteratorAgeMsMax),
    asyncEventAgeMsMax: maxOf(series, (point) => point.asyncEventAgeMsMax),
    asyncEventAgeMsP99: p99Of(series, (point) => point.asyncEventAgeMsMax),
  };
}

function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
