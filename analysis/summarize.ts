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
 * The function-side throttle rate from a summary's own counts: function throttles over
 * invoke attempts, where an invoke attempt is an invocation that ran or one Lambda refused
 * for concurrency. Recompute it whenever those counts change (a managed stack's CloudWatch
 * figures replace sluice's own).
 *
 * @example invokeThrottleRate({ functionThrottles: 1054, invocations: 3946 }) // { invokeAttempts: 5000, functionThrottleRate: 0.2108 }
 */
export function invokeThrottleRate(counts: { functionThrottles: number; invocations: number }): { invokeAttempts: number; functionThrottleRate: number } {
  const invokeAttempts = counts.invocations + counts.functionThrottles;
  return { invokeAttempts, functionThrottleRate: round(invokeAttempts > 0 ? counts.functionThrottles / invokeAttempts : 0, 6) };
}

/**
 * The headline numbers of a pattern run, from its series and accounting.
 *
 * - throughput in: events accepted per second of load.
 * - throughput out: events completed per second, from the first send to the last
 *   completion; the steady figure is the median of the busiest half of the seconds with
 *   completions, which is what a consumer sustains once scaled.
 * - throttle rates, each a share of attempts (docs/analysis.md, "Throttle rates"):
 *   `throttleRate` = source throttles / source attempts, where source attempts are each
 *   event's first attempt plus every producer retry (`sent + sourceRetries`): an event given
 *   up after a refusal is not attempted again, so its refusals are not followed by another
 *   attempt; `functionThrottleRate` = function throttles / invoke attempts
 *   ({@link invokeThrottleRate}).
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
  const sourceRetries = series.reduce((sum, point) => sum + (point.sourceRetries ?? 0), 0);
  const sourceAttempts = accounting.sent + sourceRetries;
  return {
    throughputInPerSecond: round(input.loadDurationMs > 0 ? accounting.accepted / (input.loadDurationMs / 1000) : 0),
    throughputOutPerSecond: round(activeSeconds > 0 ? accounting.completed / activeSeconds : 0),
    throughputOutPerSecondSteady: round(steady),
    peakConcurrency: maxOf(series, (point) => point.concurrency) ?? 0,
    coldStarts,
    coldStartShare: round(input.invocations > 0 ? coldStarts / input.invocations : 0, 4),
    functionThrottles,
    sourceThrottles,
    sourceAttempts,
    throttleRate: round(sourceAttempts > 0 ? sourceThrottles / sourceAttempts : 0, 6),
    ...invokeThrottleRate({ functionThrottles, invocations: input.invocations }),
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
