import { z } from 'zod';
import { SluiceError } from '../core/sluice-error.ts';
import type { PatternResult, RunResult } from './run-result.ts';
import { formatValue, type ValueKind } from './value-format.ts';
import { hasNoSamples, metricNames, patternMetrics, readMetric, type CostModels, type MetricName } from './metrics.ts';

/**
 * The metric names a threshold may use, each mapped to how it is read from a
 * {@link PatternResult} (see `analysis/metrics.ts`).
 *
 * @example thresholdMetrics.maxIteratorAge.kind // 'durationMs'
 */
export const thresholdMetrics = patternMetrics;

/**
 * Comparison operators, as in k6's threshold expressions.
 *
 * @example thresholdOperators['<='](1, 2) // true
 */
export const thresholdOperators = {
  '<': (actual: number, limit: number) => actual < limit,
  '<=': (actual: number, limit: number) => actual <= limit || nearlyEqual(actual, limit),
  '>': (actual: number, limit: number) => actual > limit,
  '>=': (actual: number, limit: number) => actual >= limit || nearlyEqual(actual, limit),
  '==': (actual: number, limit: number) => nearlyEqual(actual, limit),
  '!=': (actual: number, limit: number) => !nearlyEqual(actual, limit),
} as const;

export type ThresholdOperator = keyof typeof thresholdOperators;

/**
 * Units a value may carry, and the kind of metric each fits. A duration without a unit is
 * in milliseconds (k6's convention); a rate without `%` is a fraction (0.001 = 0.1 %).
 */
export const thresholdUnits = {
  ms: { kind: 'durationMs', factor: 1 },
  s: { kind: 'durationMs', factor: 1000 },
  m: { kind: 'durationMs', factor: 60_000 },
  '%': { kind: 'rate', factor: 0.01 },
} as const satisfies Record<string, { kind: ValueKind; factor: number }>;

export type ThresholdUnit = keyof typeof thresholdUnits;

/** One parsed threshold expression. `limit` is in the metric's own unit (ms, fraction, count, /s, USD). */
export interface Threshold {
  /** The expression, with its spacing normalised: `p99EndToEnd < 2s`. */
  expression: string;
  metric: MetricName;
  operator: ThresholdOperator;
  limit: number;
  unit?: ThresholdUnit;
}

/** Thresholds after validation: those for every pattern, and those for one pattern by name. */
export interface ThresholdSet {
  kind: 'thresholdSet';
  all: Threshold[];
  byPattern: Record<string, Threshold[]>;
}

/** What a scenario file's `thresholds:` holds before validation. */
export type ThresholdsInput = string[] | Record<string, string[]>;

/** One problem with a threshold, located by its key path inside `thresholds`. */
export interface ThresholdProblem {
  path: Array<string | number>;
  expression: string;
  message: string;
}

/**
 * Thresholds that cannot be evaluated. Lists every problem, not just the first.
 *
 * @example
 * try { parseThresholds(['p99 < 2s']) } catch (error) { (error as ThresholdError).problems[0].message }
 */
export class ThresholdError extends SluiceError<'SLUICE_BAD_THRESHOLD'> {
  constructor(readonly problems: ThresholdProblem[]) {
    super(
      'SLUICE_BAD_THRESHOLD',
      problems.map((p) => `thresholds${p.path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('')}: ${p.message}`).join('\n'),
      'Write each threshold as `<metric> <operator> <value>[unit]`, e.g. `p99 < 2s` or `lost == 0`, in a list or under `all:` or a pattern name.',
    );
  }
}

// metric, operator, number, unit — spaces optional around the operator and before the unit.
const expressionPattern = /^\s*([A-Za-z][A-Za-z0-9]*)\s*(<=|>=|==|!=|<|>)\s*(-?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)\s*([A-Za-z%]*)\s*$/;
const maxExpressionLength = 200;
const maxThresholdsPerList = 100;

/**
 * Parses one expression, `<metric> <op> <value>[unit]`, without throwing.
 *
 * @example
 * tryParseThreshold('throttleRate < 0.1%')
 * // { ok: true, threshold: { metric: 'throttleRate', operator: '<', limit: 0.001, unit: '%', … } }
 * tryParseThreshold('lost == 0ms') // { ok: false, message: 'lost is a count; write the number without a unit' }
 */
export function tryParseThreshold(text: string): { ok: true; threshold: Threshold } | { ok: false; message: string } {
  if (text.length > maxExpressionLength) return { ok: false, message: `an expression is at most ${maxExpressionLength} characters` };
  const match = expressionPattern.exec(text);
  if (!match) {
    return {
      ok: false,
      message: `"${text}" is not a threshold: write <metric> <op> <value>[unit], e.g. "p99EndToEnd < 2s" (ops: ${Object.keys(thresholdOperators).join(' ')})`,
    };
  }
  const [, metricText, operatorText, numberText, unitText] = match;
  if (!(metricText in patternMetrics)) {
    // `p99 < 2s` is the commonest slip: a bare percentile means end-to-end latency.
    const suggestion = `${metricText}EndToEnd` in patternMetrics ? `${metricText}EndToEnd` : closestName(metricText, metricNames);
    return {
      ok: false,
      message: suggestion
        ? `unknown metric "${metricText}"; did you mean ${suggestion}?`
        : `unknown metric "${metricText}" (known: ${metricNames.join(', ')})`,
    };
  }
  const metric = metricText as MetricName;
  const operator = operatorText as ThresholdOperator;
  const kind: ValueKind = patternMetrics[metric].kind;
  const number = Number(numberText);
  let limit = number;
  let unit: ThresholdUnit | undefined;
  if (unitText !== '') {
    if (!(unitText in thresholdUnits)) return { ok: false, message: `unknown unit "${unitText}" (use ms, s or m for times, % for rates)` };
    unit = unitText as ThresholdUnit;
    const unitSpec = thresholdUnits[unit];
    if (unitSpec.kind !== kind) return { ok: false, message: unitMismatch(metric, kind) };
    limit = number * unitSpec.factor;
  } else if (kind === 'rate' && number > 1) {
    return { ok: false, message: `${metric} is a rate: write a percentage (${number}%) or a fraction from 0 to 1` };
  }
  const expression = `${metric} ${operator} ${numberText}${unit ?? ''}`;
  return { ok: true, threshold: { expression, metric, operator, limit, ...(unit ? { unit } : {}) } };
}

function unitMismatch(metric: MetricName, kind: ValueKind): string {
  switch (kind) {
    case 'durationMs':
      return `${metric} is a duration; use ms, s or m (or no unit for milliseconds)`;
    case 'rate':
      return `${metric} is a rate; use % or a fraction from 0 to 1 without a unit`;
    case 'count':
      return `${metric} is a count; write the number without a unit`;
    case 'perSecond':
      return `${metric} is in events per second; write the number without a unit`;
    case 'usd':
      return `${metric} is in US dollars; write the number without a unit`;
  }
}

/** One expression, parsed: a problem of its own when it is not text or not a threshold. */
const expressionSchema = z
  .string({ error: (issue) => `a threshold is an expression such as "lost == 0" or "p99EndToEnd < 2s", not ${describeValue(issue.input)}` })
  .max(maxExpressionLength, `an expression is at most ${maxExpressionLength} characters`)
  .transform((text, ctx): Threshold => {
    const parsed = tryParseThreshold(text);
    if (parsed.ok) return parsed.threshold;
    ctx.addIssue({ code: 'custom', message: parsed.message, input: text });
    return z.NEVER;
  });

const shapeMessage = (value: unknown) => `a list of expressions, or a map of { all: [...], <pattern name>: [...] }, not ${describeValue(value)}`;

/** What a user writes under `thresholds:`, as editors see it (docs/scenario.schema.json). */
const thresholdsInputSchema = z.union([
  z.array(expressionSchema).max(maxThresholdsPerList),
  z.record(z.string().min(1), z.array(expressionSchema).max(maxThresholdsPerList)),
]);
const { $schema: _dialect, ...thresholdsInputJsonSchema } = z.toJSONSchema(thresholdsInputSchema, { io: 'input' });

/**
 * Every problem of a `thresholds:` value, each at its own path, and the thresholds that
 * parsed. Entries are checked one by one, so a number in a list does not hide its
 * neighbours' grammar errors, and a map whose entries are bad still names its patterns.
 */
function checkThresholds(input: unknown): { set: ThresholdSet; problems: ThresholdProblem[] } {
  const problems: ThresholdProblem[] = [];
  const checkList = (value: unknown, path: Array<string | number>): Threshold[] => {
    if (!Array.isArray(value)) {
      problems.push({ path, expression: '', message: `a list of expressions, e.g. [lost == 0, p99EndToEnd < 2s], not ${describeValue(value)}` });
      return [];
    }
    if (value.length > maxThresholdsPerList) problems.push({ path, expression: '', message: `at most ${maxThresholdsPerList} thresholds in one list (this one has ${value.length})` });
    return value.flatMap((entry, index) => {
      const parsed = expressionSchema.safeParse(entry);
      if (parsed.success) return [parsed.data];
      for (const issue of parsed.error.issues) {
        problems.push({ path: [...path, index], expression: typeof entry === 'string' ? entry : '', message: issue.message });
      }
      return [];
    });
  };
  if (Array.isArray(input)) return { set: { kind: 'thresholdSet', all: checkList(input, []), byPattern: {} }, problems };
  if (input === null || typeof input !== 'object') return { set: { kind: 'thresholdSet', all: [], byPattern: {} }, problems: [{ path: [], expression: '', message: shapeMessage(input) }] };
  const lists: Record<string, Threshold[]> = {};
  for (const [key, value] of Object.entries(input)) {
    if (key === '') problems.push({ path: [key], expression: '', message: 'a pattern name cannot be empty' });
    lists[key] = checkList(value, [key]);
  }
  return { set: toThresholdSet(lists), problems };
}

/**
 * The `thresholds:` of a scenario: a list of expressions for every pattern, or a map with
 * `all` and one list per pattern name. Expressions are parsed during validation, each at
 * its own path (`thresholds.sqs-standard[1]`), so every bad one is reported at once. The
 * parsed value keeps the pattern names even when entries are bad, so the scenario's check
 * of those names runs beside them.
 *
 * @example
 * thresholdsSchema.parse(['p99EndToEnd < 2s', 'lost == 0'])
 * thresholdsSchema.parse({ all: ['lost == 0'], 'kinesis-4': ['maxIteratorAge < 30s'] })
 */
export const thresholdsSchema = z
  .unknown()
  .transform((input, ctx): ThresholdSet => {
    const { set, problems } = checkThresholds(input);
    for (const problem of problems) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message, input: problem.expression });
    return set;
  })
  .meta(thresholdsInputJsonSchema);

/**
 * Validates thresholds outside a scenario file; throws a {@link ThresholdError} listing every problem.
 *
 * @example
 * const thresholds = parseThresholds({ all: ['lost == 0'], 'sqs-standard': ['maxQueueAge < 10s'] });
 */
export function parseThresholds(input: ThresholdsInput): ThresholdSet {
  const { set, problems } = checkThresholds(input);
  if (problems.length > 0) throw new ThresholdError(problems);
  return set;
}

function toThresholdSet(lists: Record<string, Threshold[]>): ThresholdSet {
  const byPattern: Record<string, Threshold[]> = {};
  let all: Threshold[] = [];
  for (const [key, list] of Object.entries(lists)) {
    if (key === 'all') all = list;
    else byPattern[key] = list;
  }
  return { kind: 'thresholdSet', all, byPattern };
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'empty';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return `the ${typeof value} ${String(value)}`;
}

/**
 * The pattern names a `thresholds:` map uses, also when some of its entries are invalid
 * (then it is still the map the user wrote), so an unknown name is reported beside them.
 *
 * @example thresholdPatternNames({ all: ['lost == 0'], kinesis: [42] }) // ['kinesis']
 */
export function thresholdPatternNames(thresholds: unknown): string[] {
  if (thresholds === null || typeof thresholds !== 'object' || Array.isArray(thresholds)) return [];
  if (isThresholdSet(thresholds as ThresholdSet)) return Object.keys((thresholds as ThresholdSet).byPattern);
  return Object.keys(thresholds).filter((key) => key !== 'all');
}

/** Returns the names in `thresholds` that match no pattern, for a scenario validator to report. */
export function unknownThresholdPatterns(thresholds: ThresholdSet, patternNames: string[]): string[] {
  return Object.keys(thresholds.byPattern).filter((name) => !patternNames.includes(name));
}

/** What became of one threshold on one pattern. */
export const thresholdStatuses = {
  passed: 'passed',
  failed: 'failed',
  /** The pattern does not have the metric (iterator age on SQS): neither a pass nor a failure. */
  notApplicable: 'notApplicable',
} as const;

export type ThresholdStatus = keyof typeof thresholdStatuses;

/** One threshold checked against one pattern. */
export interface ThresholdOutcome {
  pattern: string;
  /** The pattern's source (`sqs`, `kinesis`, …); empty when the pattern is not in the run. */
  source: string;
  expression: string;
  metric: MetricName;
  status: ThresholdStatus;
  /** The measured value in the metric's own unit; absent when not applicable or not measured. */
  actual?: number;
  /** Where the threshold was written: for every pattern, or for this one. */
  scope: 'all' | 'pattern';
  message: string;
}

/** Every threshold of a run, checked. `ok` is false when at least one failed. */
export interface ThresholdEvaluation {
  runId: string;
  scenarioName: string;
  outcomes: ThresholdOutcome[];
  passed: number;
  failed: number;
  notApplicable: number;
  ok: boolean;
}

export interface EvaluateThresholdsOptions {
  /**
   * `fail` (default): thresholds for a pattern the run does not contain fail, since a typo
   * would otherwise pass silently. `ignore`: skip them, for one set of thresholds applied to
   * several runs in `sluice compare`.
   */
  unknownPatterns?: 'fail' | 'ignore';
  /** Each source's cost model by source name, for `costPerMillion` of a result that recorded no cost. */
  costModels?: CostModels;
}

/**
 * Checks thresholds against every pattern of a run: the `all` list against each pattern,
 * then each pattern's own list. A metric the pattern does not have is `notApplicable`;
 * thresholds for a pattern name the run does not contain fail unless `unknownPatterns` is
 * `ignore`.
 *
 * @example
 * const evaluation = evaluateThresholds(result, ['p99EndToEnd < 2s', 'lost == 0']);
 * if (!evaluation.ok) console.log(evaluation.outcomes.filter((o) => o.status === 'failed'));
 */
export function evaluateThresholds(
  result: RunResult,
  thresholds: ThresholdSet | ThresholdsInput,
  options: EvaluateThresholdsOptions = {},
): ThresholdEvaluation {
  const set = isThresholdSet(thresholds) ? thresholds : parseThresholds(thresholds);
  const outcomes: ThresholdOutcome[] = [];
  const patternNames = result.patterns.map((p) => p.name);
  for (const pattern of result.patterns) {
    const seen = new Set<string>();
    const scoped: Array<[Threshold, 'all' | 'pattern']> = [
      ...set.all.map((t): [Threshold, 'all'] => [t, 'all']),
      ...(set.byPattern[pattern.name] ?? []).map((t): [Threshold, 'pattern'] => [t, 'pattern']),
    ];
    for (const [threshold, scope] of scoped) {
      // The same expression under `all` and under the pattern is one check, not two.
      if (seen.has(threshold.expression)) continue;
      seen.add(threshold.expression);
      outcomes.push(evaluateOne(pattern, threshold, scope, options.costModels));
    }
  }
  const unknownNames = options.unknownPatterns === 'ignore' ? [] : unknownThresholdPatterns(set, patternNames);
  for (const name of unknownNames) {
    for (const threshold of set.byPattern[name]) {
      outcomes.push({
        pattern: name,
        source: '',
        expression: threshold.expression,
        metric: threshold.metric,
        status: 'failed',
        scope: 'pattern',
        message: `no pattern named "${name}" in this run (patterns: ${patternNames.join(', ')})`,
      });
    }
  }
  const count = (status: ThresholdStatus) => outcomes.filter((o) => o.status === status).length;
  const failed = count('failed');
  return {
    runId: result.runId,
    scenarioName: result.scenario.name,
    outcomes,
    passed: count('passed'),
    failed,
    notApplicable: count('notApplicable'),
    ok: failed === 0,
  };
}

function evaluateOne(pattern: PatternResult, threshold: Threshold, scope: 'all' | 'pattern', costModels: CostModels | undefined): ThresholdOutcome {
  const definition = patternMetrics[threshold.metric];
  const base = { pattern: pattern.name, source: pattern.source, expression: threshold.expression, metric: threshold.metric, scope };
  if (hasNoSamples(pattern, threshold.metric)) {
    return { ...base, status: 'failed', message: `${threshold.metric} has no samples: no event completed` };
  }
  const actual = readMetric(pattern, threshold.metric, costModels);
  if (actual === undefined) {
    const reason = definition.notApplicableReason || 'not measured for this source';
    return { ...base, status: 'notApplicable', message: `${threshold.metric} does not apply to ${pattern.name} (${pattern.source}): ${reason}` };
  }
  const shown = formatValue(definition.kind, actual);
  const limit = `${threshold.operator} ${formatValue(definition.kind, threshold.limit)}`;
  const passed = thresholdOperators[threshold.operator](actual, threshold.limit);
  return {
    ...base,
    status: passed ? 'passed' : 'failed',
    actual,
    message: passed ? `${threshold.metric} was ${shown} (limit ${limit})` : `${threshold.metric} was ${shown}, expected ${limit}`,
  };
}

/**
 * Outcomes with failures first, then passes, then not applicable, otherwise in their order,
 * so the reason a check went red is the first thing a reader sees.
 *
 * @example sortFailuresFirst(evaluation.outcomes)[0].status // 'failed' when any failed
 */
export function sortFailuresFirst(outcomes: ThresholdOutcome[]): ThresholdOutcome[] {
  const order = { failed: 0, passed: 1, notApplicable: 2 } as const satisfies Record<ThresholdStatus, number>;
  return outcomes
    .map((outcome, index) => ({ outcome, index }))
    .sort((a, b) => order[a.outcome.status] - order[b.outcome.status] || a.index - b.index)
    .map((entry) => entry.outcome);
}

/** True for validated thresholds (a {@link ThresholdSet}) rather than raw expressions. */
export function isThresholdSet(value: ThresholdSet | ThresholdsInput): value is ThresholdSet {
  return !Array.isArray(value) && (value as { kind?: unknown }).kind === 'thresholdSet';
}

function nearlyEqual(a: number, b: number): boolean {
  // Values derived by division (rates, per-million costs) carry float noise.
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

/** The known name closest to a typo, if it is close enough to be the one meant. */
function closestName(text: string, names: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of names) {
    const distance = editDistance(text.toLowerCase(), name.toLowerCase());
    if (!best || distance < best.distance) best = { name, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(text.length / 3)) ? best.name : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}
