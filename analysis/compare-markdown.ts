import type { Comparison, ComparisonRow } from './compare.ts';
import { sortFailuresFirst, type ThresholdEvaluation } from './thresholds.ts';
import type { BaselineComparison, MetricDelta } from './baseline.ts';
import { patternMetrics } from './metrics.ts';
import { formatDelta, formatQuantity, formatRelative, formatUnitPrice, formatUsd, formatValue } from './value-format.ts';

export interface ComparisonMarkdownOptions {
  /** First heading; default "sluice: <pattern> vs <pattern>". */
  title?: string;
  /** Threshold results of the compared runs (one per run). */
  thresholds?: ThresholdEvaluation | ThresholdEvaluation[];
  /** Baseline deltas (one per compared run that has a baseline). */
  baseline?: BaselineComparison | BaselineComparison[];
  /** Add the per-pattern cost breakdown in a collapsed section; default true. */
  costBreakdown?: boolean;
}

const statusIcon = { passed: '✅', failed: '❌', notApplicable: '➖' } as const;
const deltaIcon = { regressed: '🔻', improved: '🔺', unchanged: '', notComparable: '➖' } as const;

/**
 * Renders a comparison as Markdown for a pull-request comment: a headline verdict, the
 * side-by-side table with each metric's winner in bold, threshold results, baseline
 * regressions, and (collapsed) cost breakdowns and warnings. Deterministic for the same
 * input, so it can be kept as a golden file.
 *
 * @example
 * const markdown = renderComparisonMarkdown(comparePatterns([sqsRun, kinesisRun]), {
 *   thresholds: [evaluateThresholds(sqsRun, set), evaluateThresholds(kinesisRun, set)],
 * });
 */
export function renderComparisonMarkdown(comparison: Comparison, options: ComparisonMarkdownOptions = {}): string {
  const evaluations = toArray(options.thresholds);
  const baselines = toArray(options.baseline);
  const keyOf = columnKeyLookup(comparison);
  const title = options.title ?? `sluice: ${comparison.columns.map((c) => c.key).join(' vs ')}`;
  const sections: string[] = [`## ${escapeInline(title)}`];

  const runs = uniqueRuns(comparison);
  sections.push(runs.map((run) => `Run \`${run.runId}\` · scenario \`${run.scenarioName}\``).join('  \n'));

  const verdicts = verdictLine(evaluations, baselines);
  if (verdicts) sections.push(verdicts);

  sections.push(comparisonTable(comparison));
  sections.push(`<sub>**Bold**: best value. Values within ${Math.round(comparison.tieRelative * 1000) / 10} % of the best tie with it; n/a: the pattern does not have the metric.</sub>`);

  if (evaluations.length > 0) sections.push(thresholdSection(evaluations, keyOf));
  if (baselines.length > 0) sections.push(baselineSection(baselines));
  if (options.costBreakdown ?? true) sections.push(costSection(comparison));
  const warnings = warningsSection(comparison);
  if (warnings) sections.push(warnings);
  return `${sections.join('\n\n')}\n`;
}

function comparisonTable(comparison: Comparison): string {
  const header = ['Metric', ...comparison.columns.map((c) => `${escapeCell(c.key)}<br><sub>${escapeCell(c.source)}</sub>`), 'Best'];
  const align = ['---', ...comparison.columns.map(() => '---:'), '---'];
  const rows = comparison.rows.map((row) => [
    `${row.label} ${row.better === 'lower' ? '↓' : '↑'}`,
    ...row.values.map((value, index) => {
      const text = formatValue(row.kind, value);
      return row.winners.includes(index) ? `**${text}**` : text;
    }),
    bestCell(comparison, row),
  ]);
  return table(header, align, rows);
}

function bestCell(comparison: Comparison, row: ComparisonRow): string {
  switch (row.verdict) {
    case 'winner':
      return row.winners.map((index) => escapeCell(comparison.columns[index].key)).join(', ');
    case 'tie':
      return 'tie';
    case 'single':
      return '—';
  }
}

function verdictLine(evaluations: ThresholdEvaluation[], baselines: BaselineComparison[]): string {
  const parts: string[] = [];
  if (evaluations.length > 0) {
    const failed = sum(evaluations, (e) => e.failed);
    const passed = sum(evaluations, (e) => e.passed);
    const notApplicable = sum(evaluations, (e) => e.notApplicable);
    const head = failed > 0 ? `❌ **Thresholds: ${failed} failed**` : '✅ **Thresholds passed**';
    parts.push(`${head} (${passed} passed, ${failed} failed, ${notApplicable} not applicable)`);
  }
  if (baselines.length > 0) {
    const regressions = sum(baselines, (b) => b.regressions);
    const missing = baselines.flatMap((b) => b.patterns.filter((p) => p.status === 'missing'));
    const improvements = sum(baselines, (b) => b.improvements);
    if (regressions > 0 || missing.length > 0) {
      const what = [regressions > 0 ? `${regressions} regression${regressions === 1 ? '' : 's'}` : '', missing.length > 0 ? `${missing.length} pattern(s) missing` : '']
        .filter(Boolean)
        .join(', ');
      parts.push(`🔻 **Baseline: ${what}** (${improvements} improved)`);
    } else {
      parts.push(`✅ **No regression against the baseline** (${improvements} improved)`);
    }
  }
  return parts.join(' · ');
}

function thresholdSection(evaluations: ThresholdEvaluation[], keyOf: (runId: string, pattern: string) => string): string {
  const rows = evaluations.flatMap((evaluation) =>
    sortFailuresFirst(evaluation.outcomes).map((outcome) => [
      statusIcon[outcome.status],
      escapeCell(keyOf(evaluation.runId, outcome.pattern)),
      `\`${outcome.expression.replaceAll('|', '\\|')}\``,
      formatValue(patternMetrics[outcome.metric].kind, outcome.actual),
      escapeCell(outcome.message),
    ]),
  );
  if (rows.length === 0) return '### Thresholds\n\nNo thresholds were set.';
  return `### Thresholds\n\n${table(['', 'Pattern', 'Threshold', 'Actual', 'Result'], ['---', '---', '---', '---:', '---'], rows)}`;
}

function baselineSection(baselines: BaselineComparison[]): string {
  const parts: string[] = ['### Against the baseline'];
  for (const baseline of baselines) {
    parts.push(`Run \`${baseline.runId}\` against baseline \`${baseline.baselineRunId}\`.`);
    const changed: Array<{ pattern: string; delta: MetricDelta }> = [];
    const unchanged: Array<{ pattern: string; delta: MetricDelta }> = [];
    for (const pattern of baseline.patterns) {
      if (pattern.status === 'missing') parts.push(`🔻 Pattern \`${pattern.pattern}\` is in the baseline but not in this run.`);
      if (pattern.status === 'new') parts.push(`Pattern \`${pattern.pattern}\` is new (not in the baseline).`);
      for (const delta of pattern.deltas) {
        (delta.status === 'regressed' || delta.status === 'improved' ? changed : unchanged).push({ pattern: pattern.pattern, delta });
      }
    }
    const row = ({ pattern, delta }: { pattern: string; delta: MetricDelta }) => [
      deltaIcon[delta.status],
      escapeCell(pattern),
      delta.label,
      formatValue(delta.kind, delta.baseline),
      formatValue(delta.kind, delta.current),
      delta.delta === undefined ? 'n/a' : `${formatDelta(delta.kind, delta.delta)} (${formatRelative(delta.relative ?? null)})`,
    ];
    const header = ['', 'Pattern', 'Metric', 'Baseline', 'Current', 'Change'];
    const align = ['---', '---', '---', '---:', '---:', '---:'];
    // Regressions first, then improvements.
    changed.sort((a, b) => (a.delta.status === b.delta.status ? 0 : a.delta.status === 'regressed' ? -1 : 1));
    parts.push(changed.length > 0 ? table(header, align, changed.map(row)) : 'No metric moved beyond its tolerance.');
    if (unchanged.length > 0) {
      parts.push(`<details><summary>Within tolerance (${unchanged.length})</summary>\n\n${table(header, align, unchanged.map(row))}\n\n</details>`);
    }
  }
  return parts.join('\n\n');
}

function costSection(comparison: Comparison): string {
  const asOf = [...new Set(comparison.columns.map((c) => c.cost.pricesAsOf))].join('; ');
  const blocks = comparison.columns.map((column) => {
    const rows = column.cost.lines.map((line) => [
      escapeCell(line.item),
      `${formatQuantity(line.quantity)} ${line.unit}${line.quantity === 1 || line.unit.endsWith('s') || line.unit === 'GB' ? '' : 's'}`,
      formatUnitPrice(line.unitPriceUsd, line.unit),
      formatUsd(line.usd),
    ]);
    rows.push(['**Total**', '', '', `**${formatUsd(column.cost.totalUsd)}**`]);
    const notes = (column.cost.notes ?? []).map((note) => `- ${escapeInline(note)}`).join('\n');
    return [
      `**${escapeInline(column.key)}**: ${formatUsd(column.cost.perMillionEventsUsd)} per million events`,
      table(['Item', 'Quantity', 'Unit price', 'Cost'], ['---', '---:', '---:', '---:'], rows),
      notes,
    ]
      .filter(Boolean)
      .join('\n\n');
  });
  return `<details><summary>Cost breakdown (AWS list prices: ${escapeInline(asOf)})</summary>\n\n${blocks.join('\n\n')}\n\n</details>`;
}

function warningsSection(comparison: Comparison): string | undefined {
  const lines = comparison.columns.flatMap((column) => column.pattern.warnings.map((warning) => `- **${escapeInline(column.key)}**: ${escapeInline(warning)}`));
  const runProblems = uniqueRuns(comparison)
    .filter((run) => run.status !== 'completed')
    .map((run) => `- run \`${run.runId}\` ${run.status}${run.failure ? `: ${escapeInline(run.failure.message)}` : ''}`);
  const all = [...runProblems, ...lines];
  if (all.length === 0) return undefined;
  return `<details><summary>Warnings (${all.length})</summary>\n\n${all.join('\n')}\n\n</details>`;
}

function uniqueRuns(comparison: Comparison) {
  const seen = new Map<string, { runId: string; scenarioName: string; status: string; failure?: { message: string } }>();
  for (const column of comparison.columns) {
    if (!seen.has(column.runId)) seen.set(column.runId, { runId: column.runId, scenarioName: column.scenarioName, status: column.runStatus, failure: column.runFailure });
  }
  return [...seen.values()];
}

function columnKeyLookup(comparison: Comparison): (runId: string, pattern: string) => string {
  return (runId, pattern) => comparison.columns.find((c) => c.runId === runId && c.patternName === pattern)?.key ?? pattern;
}

function table(header: string[], align: string[], rows: string[][]): string {
  return [header, align, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

/** Pipes end a cell and newlines end a row; neither may come from data. */
function escapeCell(text: string): string {
  return escapeInline(text).replaceAll('|', '\\|').replace(/\r?\n/g, ' ');
}

/** Keeps run data from opening HTML tags in a PR comment; `p99 < 2 s` stays readable. */
function escapeInline(text: string): string {
  return text.replace(/<(?=[A-Za-z/!?])/g, '&lt;');
}

function toArray<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function sum<T>(items: T[], pick: (item: T) => number): number {
  return items.reduce((total, item) => total + pick(item), 0);
}
