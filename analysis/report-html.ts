import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { SeriesPoint } from './run-result.ts';
import type { ComparedPattern, Comparison } from './compare.ts';
import { sortFailuresFirst, type ThresholdEvaluation } from './thresholds.ts';
import type { BaselineComparison, MetricDelta } from './baseline.ts';
import { patternMetrics } from './metrics.ts';
import { formatDelta, formatQuantity, formatRelative, formatUnitPrice, formatUsd, formatValue, type ValueKind } from './value-format.ts';

/** uPlot's browser build and stylesheet, inlined so the report opens without a network. */
export interface UplotAssets {
  js: string;
  css: string;
}

/**
 * Reads uPlot's IIFE build and CSS from node_modules. The only I/O of the HTML report, kept
 * apart so {@link renderHtmlReport} stays a pure function.
 *
 * @example
 * const html = renderHtmlReport(comparePatterns(result), await loadUplotAssets());
 */
export async function loadUplotAssets(): Promise<UplotAssets> {
  const require = createRequire(import.meta.url);
  const [js, css] = await Promise.all([
    readFile(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    readFile(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  ]);
  return { js, css };
}

export interface HtmlReportOptions {
  /** Page title and first heading; default "sluice: <pattern> vs <pattern>". */
  title?: string;
  /** Lines said under the heading (a prediction: that it is a model, and what it models beyond AWS's documentation). */
  notes?: readonly string[];
  thresholds?: ThresholdEvaluation | ThresholdEvaluation[];
  baseline?: BaselineComparison | BaselineComparison[];
}

/** One series of a chart: its legend label and its values per second (null: no sample). */
export interface ChartSeries {
  label: string;
  color: string;
  values: Array<number | null>;
  dash?: number[];
}

/** One chart as the page draws it. `id` is stable: `chart-<pattern>-<chart name>`. */
export interface ChartSpec {
  id: string;
  /** Chart name: load, load-lag, throughput, latency, ages, shard-ages, concurrency, throttles, or overview-*. */
  chart: string;
  /** Column key of the pattern, or "all" for the overview charts. */
  pattern: string;
  title: string;
  kind: ValueKind;
  xValues: number[];
  series: ChartSeries[];
}

// Okabe–Ito: distinguishable with the common forms of colour blindness.
const palette = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#000000'] as const;

/**
 * The charts of a report, from each pattern's 1 s series: throughput (sent, accepted,
 * completed per second), end-to-end latency p50/p99, ages (queue, iterator, async event),
 * iterator age per shard, concurrency (and pollers), throttles (source vs function), plus two
 * overview charts that put every pattern's output rate and p99 on one axis. A series with no
 * sample is left out, and a chart left with no series is not drawn.
 *
 * @example
 * buildChartSpecs(comparison).map((c) => c.id) // ['chart-all-overview-throughput', …, 'chart-sqs-standard-throughput', …]
 */
export function buildChartSpecs(comparison: Comparison): ChartSpec[] {
  const charts: ChartSpec[] = [];
  if (comparison.columns.length > 1) {
    const longest = Math.max(...comparison.columns.map((c) => lastSecond(c.pattern.series)));
    const xValues = Array.from({ length: longest + 1 }, (_, i) => i);
    const overview = (chart: string, title: string, kind: ValueKind, pick: (p: SeriesPoint) => number | undefined): ChartSpec => ({
      id: `chart-all-${chart}`,
      chart,
      pattern: 'all',
      title,
      kind,
      xValues,
      series: comparison.columns.map((column, index) => ({
        label: column.key,
        color: palette[index % palette.length],
        values: alignTo(xValues, column.pattern.series, pick),
      })),
    });
    charts.push(overview('overview-throughput', 'Completed per second, all patterns', 'perSecond', (p) => p.completed));
    charts.push(overview('overview-latency', 'End-to-end p99, all patterns', 'durationMs', (p) => p.endToEndMsP99));
  }
  for (const column of comparison.columns) charts.push(...patternCharts(column));
  return charts
    .map((chart) => ({ ...chart, series: chart.series.filter((s) => s.values.some((v) => v !== null)) }))
    .filter((chart) => chart.series.length > 0);
}

function patternCharts(column: ComparedPattern): ChartSpec[] {
  const series = [...column.pattern.series].sort((a, b) => a.tSec - b.tSec);
  const xValues = series.map((p) => p.tSec);
  const slug = slugify(column.key);
  const line = (label: string, color: string, pick: (p: SeriesPoint) => number | undefined, dash?: number[]): ChartSeries => ({
    label,
    color,
    values: series.map((p) => {
      const value = pick(p);
      return typeof value === 'number' && Number.isFinite(value) ? value : null;
    }),
    ...(dash ? { dash } : {}),
  });
  const chart = (name: string, title: string, kind: ValueKind, lines: ChartSeries[]): ChartSpec => ({
    id: `chart-${slug}-${name}`,
    chart: name,
    pattern: column.key,
    title,
    kind,
    xValues,
    series: lines,
  });
  const shardIds = [...new Set(series.flatMap((p) => Object.keys(p.iteratorAgeMsByShard ?? {})))].sort();
  // The load check runs on the load's own clock (second 0 = the first phase's start), so its charts have their own x values.
  const loadSeconds = column.pattern.load.perSecond ?? [];
  const loadChart = (name: string, title: string, kind: ValueKind, lines: Array<[string, string, (second: (typeof loadSeconds)[number]) => number]>): ChartSpec => ({
    id: `chart-${slug}-${name}`,
    chart: name,
    pattern: column.key,
    title,
    kind,
    xValues: loadSeconds.map((second) => second.tSec),
    series: lines.map(([label, color, pick]) => ({ label, color, values: loadSeconds.map(pick) })),
  });
  return [
    loadChart('load', "Load applied: requested vs sent per second (the load's own clock)", 'perSecond', [
      ['requested', palette[1], (second) => second.requested],
      ['sent', palette[5], (second) => second.achieved],
    ]),
    loadChart('load-lag', 'Load generator: arrival lag and event-loop delay (max per second)', 'durationMs', [
      ['arrival lag', palette[3], (second) => second.lagMaxMs],
      ['event-loop delay', palette[4], (second) => second.loopDelayMaxMs],
    ]),
    chart('throughput', 'Throughput (events per second)', 'perSecond', [
      line('sent', palette[5], (p) => p.sent),
      line('accepted', palette[0], (p) => p.accepted, [6, 4]),
      line('completed', palette[2], (p) => p.completed),
    ]),
    chart('latency', 'End-to-end latency', 'durationMs', [
      line('p50', palette[0], (p) => p.endToEndMsP50),
      line('p99', palette[3], (p) => p.endToEndMsP99),
    ]),
    chart('ages', 'Ages: queue, iterator and async event', 'durationMs', [
      line('queue age max', palette[1], (p) => p.queueAgeMsMax),
      line('iterator age max', palette[4], (p) => p.iteratorAgeMsMax),
      line('async event age max', palette[3], (p) => p.asyncEventAgeMsMax),
    ]),
    chart(
      'shard-ages',
      'Iterator age per shard',
      'durationMs',
      shardIds.map((shard, index) => line(shard, palette[index % palette.length], (p) => p.iteratorAgeMsByShard?.[shard])),
    ),
    chart('concurrency', 'Concurrency', 'count', [
      line('concurrent executions', palette[0], (p) => p.concurrency),
      line('pollers', palette[1], (p) => p.pollers, [6, 4]),
    ]),
    chart('throttles', 'Throttles per second (source vs function)', 'count', [
      line('source', palette[3], (p) => p.sourceThrottles),
      line('function', palette[4], (p) => p.functionThrottles),
    ]),
  ];
}

/**
 * Renders one self-contained HTML page: verdicts, the comparison table, thresholds,
 * baseline deltas, a section of charts per pattern, cost breakdowns and warnings. uPlot is
 * inlined and a Content-Security-Policy forbids every fetch, so the file opens offline and
 * from a CI artifact. Each chart container carries `data-chart`, `data-pattern` and
 * `data-series-count`, and gets `data-rendered="true"` once uPlot has drawn it.
 *
 * @example
 * const comparison = comparePatterns([sqsRun, kinesisRun]);
 * await writeFile('report.html', renderHtmlReport(comparison, await loadUplotAssets(), { thresholds }));
 */
export function renderHtmlReport(comparison: Comparison, assets: UplotAssets, options: HtmlReportOptions = {}): string {
  const evaluations = toArray(options.thresholds);
  const baselines = toArray(options.baseline);
  const title = options.title ?? `sluice: ${comparison.columns.map((c) => c.key).join(' vs ')}`;
  const charts = buildChartSpecs(comparison);
  const chartById = new Map(charts.map((c) => [c.id, c]));
  const overview = charts.filter((c) => c.pattern === 'all');
  const data = {
    charts: charts.map((c) => ({ id: c.id, kind: c.kind, data: [c.xValues, ...c.series.map((s) => s.values)], series: c.series.map(({ label, color, dash }) => ({ label, color, dash })) })),
  };

  const body: string[] = [];
  const notes = options.notes && options.notes.length > 0 ? `<ul class="notes">${options.notes.map((note) => `<li>${escapeHtml(note)}</li>`).join('')}</ul>` : '';
  body.push(`<header><h1>${escapeHtml(title)}</h1>${notes}${runsList(comparison)}${verdicts(evaluations, baselines)}</header>`);
  body.push(`<section id="comparison"><h2>Comparison</h2>${comparisonTable(comparison)}<p class="note">Bold: best value; values within ${
    Math.round(comparison.tieRelative * 1000) / 10
  } % of the best tie with it. ↓ lower is better, ↑ higher is better. n/a: the pattern does not have the metric.</p></section>`);
  if (evaluations.length > 0) body.push(`<section id="thresholds"><h2>Thresholds</h2>${thresholdTable(evaluations, comparison)}</section>`);
  if (baselines.length > 0) body.push(`<section id="baseline"><h2>Against the baseline</h2>${baselineTables(baselines)}</section>`);
  if (overview.length > 0) body.push(`<section id="overview"><h2>All patterns</h2><div class="charts">${overview.map(chartContainer).join('')}</div></section>`);
  for (const column of comparison.columns) {
    const own = charts.filter((c) => c.pattern === column.key && chartById.has(c.id));
    body.push(
      `<section class="pattern" id="pattern-${escapeHtml(slugify(column.key))}"><h2>${escapeHtml(column.key)} <span class="source">${escapeHtml(column.source)}</span></h2>` +
        `${patternFacts(column)}<div class="charts">${own.map(chartContainer).join('')}</div>${costDetails(column)}${warningList(column)}</section>`,
    );
  }

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title>
<style>${assets.css}</style>
<style>${pageCss}</style>
</head>
<body>
<main>
${body.join('\n')}
</main>
<script type="application/json" id="sluice-report-data">${jsonForScript(data)}</script>
<script>${assets.js.replace(/<\/script/gi, '<\\/script')}</script>
<script>${bootScript}</script>
</body>
</html>
`;
}

function chartContainer(chart: ChartSpec): string {
  return (
    `<figure id="${escapeHtml(chart.id)}" class="sluice-chart sluice-chart--${escapeHtml(chart.chart)}" data-chart="${escapeHtml(chart.chart)}" ` +
    `data-pattern="${escapeHtml(chart.pattern)}" data-series-count="${chart.series.length}">` +
    `<figcaption>${escapeHtml(chart.title)}</figcaption><div class="sluice-chart-plot"></div></figure>`
  );
}

function runsList(comparison: Comparison): string {
  const seen = new Set<string>();
  const items: string[] = [];
  for (const column of comparison.columns) {
    if (seen.has(column.runId)) continue;
    seen.add(column.runId);
    const status = column.runStatus === 'completed' ? '' : ` <strong class="bad">${escapeHtml(column.runStatus)}</strong>`;
    const failure = column.runFailure ? `: ${escapeHtml(column.runFailure.message)}` : '';
    items.push(`<li>run <code>${escapeHtml(column.runId)}</code> · scenario <code>${escapeHtml(column.scenarioName)}</code>${status}${failure}</li>`);
  }
  return `<ul class="runs">${items.join('')}</ul>`;
}

function verdicts(evaluations: ThresholdEvaluation[], baselines: BaselineComparison[]): string {
  const badges: string[] = [];
  if (evaluations.length > 0) {
    const failed = evaluations.reduce((n, e) => n + e.failed, 0);
    const passed = evaluations.reduce((n, e) => n + e.passed, 0);
    const notApplicable = evaluations.reduce((n, e) => n + e.notApplicable, 0);
    badges.push(
      `<span class="badge ${failed > 0 ? 'bad' : 'good'}">${failed > 0 ? `✗ ${failed} threshold${failed === 1 ? '' : 's'} failed` : '✓ thresholds passed'}</span>` +
        `<span class="muted">${passed} passed, ${failed} failed, ${notApplicable} not applicable</span>`,
    );
  }
  for (const baseline of baselines) {
    const missing = baseline.patterns.filter((p) => p.status === 'missing').length;
    badges.push(
      baseline.regressed
        ? `<span class="badge bad">✗ ${baseline.regressions} regression${baseline.regressions === 1 ? '' : 's'}${missing > 0 ? `, ${missing} pattern(s) missing` : ''}</span>`
        : `<span class="badge good">✓ no regression</span>`,
    );
  }
  return badges.length > 0 ? `<p class="verdicts">${badges.join(' ')}</p>` : '';
}

function comparisonTable(comparison: Comparison): string {
  const head = `<tr><th>Metric</th>${comparison.columns.map((c) => `<th class="num">${escapeHtml(c.key)}<br><span class="source">${escapeHtml(c.source)}</span></th>`).join('')}<th>Best</th></tr>`;
  const rows = comparison.rows.map((row) => {
    const cells = row.values
      .map((value, index) => `<td class="num${row.winners.includes(index) ? ' best' : ''}${value === undefined ? ' na' : ''}">${escapeHtml(formatValue(row.kind, value))}</td>`)
      .join('');
    const best =
      row.verdict === 'winner' ? row.winners.map((i) => escapeHtml(comparison.columns[i].key)).join(', ') : row.verdict === 'tie' ? 'tie' : '—';
    return `<tr data-metric="${row.metric}"><th scope="row">${escapeHtml(row.label)} ${row.better === 'lower' ? '↓' : '↑'}</th>${cells}<td>${best}</td></tr>`;
  });
  return `<table class="comparison"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`;
}

function thresholdTable(evaluations: ThresholdEvaluation[], comparison: Comparison): string {
  const icon = { passed: '✓', failed: '✗', notApplicable: '–' } as const;
  const keyOf = (runId: string, pattern: string) => comparison.columns.find((c) => c.runId === runId && c.patternName === pattern)?.key ?? pattern;
  const rows = evaluations.flatMap((evaluation) =>
    sortFailuresFirst(evaluation.outcomes).map(
      (o) =>
        `<tr class="${o.status}"><td>${icon[o.status]}</td><td>${escapeHtml(keyOf(evaluation.runId, o.pattern))}</td><td><code>${escapeHtml(o.expression)}</code></td>` +
        `<td class="num">${escapeHtml(formatValue(patternMetrics[o.metric].kind, o.actual))}</td><td>${escapeHtml(o.message)}</td></tr>`,
    ),
  );
  if (rows.length === 0) return '<p>No thresholds were set.</p>';
  return `<table class="thresholds"><thead><tr><th></th><th>Pattern</th><th>Threshold</th><th class="num">Actual</th><th>Result</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

const deltaLabel = { regressed: 'regressed', improved: 'improved', notComparable: 'not comparable', unchanged: '' } as const;

function baselineTables(baselines: BaselineComparison[]): string {
  return baselines
    .map((baseline) => {
      const notes = baseline.patterns
        .filter((p) => p.status !== 'compared')
        .map((p) => `<li>${escapeHtml(p.pattern)}: ${p.status === 'missing' ? 'in the baseline but not in this run' : 'new, not in the baseline'}</li>`)
        .join('');
      const row = (p: BaselineComparison['patterns'][number], d: MetricDelta) =>
        `<tr class="${d.status}"><td>${escapeHtml(p.pattern)}</td><td>${escapeHtml(d.label)}</td><td class="num">${escapeHtml(formatValue(d.kind, d.baseline))}</td>` +
        `<td class="num">${escapeHtml(formatValue(d.kind, d.current))}</td><td class="num">${
          d.delta === undefined ? 'n/a' : escapeHtml(`${formatDelta(d.kind, d.delta)} (${formatRelative(d.relative ?? null)})`)
        }</td><td>${deltaLabel[d.status]}</td></tr>`;
      const all = baseline.patterns.flatMap((p) => p.deltas.map((d) => ({ p, d })));
      // What moved comes first, regressions on top; what stayed within tolerance is folded away.
      const order = { regressed: 0, improved: 1, notComparable: 2, unchanged: 3 } as const;
      const moved = all.filter((e) => e.d.status !== 'unchanged').sort((a, b) => order[a.d.status] - order[b.d.status]);
      const unchanged = all.filter((e) => e.d.status === 'unchanged');
      const head = '<thead><tr><th>Pattern</th><th>Metric</th><th class="num">Baseline</th><th class="num">Current</th><th class="num">Change</th><th></th></tr></thead>';
      return (
        `<p>Run <code>${escapeHtml(baseline.runId)}</code> against baseline <code>${escapeHtml(baseline.baselineRunId)}</code>.</p>` +
        (notes ? `<ul>${notes}</ul>` : '') +
        (moved.length > 0
          ? `<table class="baseline">${head}<tbody>${moved.map((e) => row(e.p, e.d)).join('')}</tbody></table>`
          : '<p>No metric moved beyond its tolerance.</p>') +
        (unchanged.length > 0
          ? `<details><summary>Within tolerance (${unchanged.length})</summary><table class="baseline">${head}<tbody>${unchanged.map((e) => row(e.p, e.d)).join('')}</tbody></table></details>`
          : '')
      );
    })
    .join('');
}

function patternFacts(column: ComparedPattern): string {
  const { accounting } = column.pattern;
  const facts: Array<[string, string]> = [
    ['sent', formatValue('count', accounting.sent)],
    ['accepted', formatValue('count', accounting.accepted)],
    ['completed', formatValue('count', accounting.completed)],
    ['failed', formatValue('count', accounting.failed)],
    ['dead-lettered', formatValue('count', accounting.deadLettered)],
    ['pending at end', formatValue('count', accounting.pendingAtEnd)],
    ['lost', formatValue('count', accounting.lost)],
    ['duplicate deliveries', formatValue('count', accounting.duplicateDeliveries)],
  ];
  return `<dl class="facts">${facts.map(([k, v]) => `<div><dt>${k}</dt><dd${k === 'lost' && accounting.lost > 0 ? ' class="bad"' : ''}>${v}</dd></div>`).join('')}</dl>`;
}

function costDetails(column: ComparedPattern): string {
  const rows = column.cost.lines
    .map(
      (line) =>
        `<tr><td>${escapeHtml(line.item)}</td><td class="num">${escapeHtml(formatQuantity(line.quantity))} ${escapeHtml(line.unit)}</td>` +
        `<td class="num">${escapeHtml(formatUnitPrice(line.unitPriceUsd, line.unit))}</td><td class="num">${escapeHtml(formatUsd(line.usd))}</td></tr>`,
    )
    .join('');
  const notes = (column.cost.notes ?? []).map((n) => `<li>${escapeHtml(n)}</li>`).join('');
  return (
    `<details class="cost"><summary>Cost: ${escapeHtml(formatUsd(column.cost.perMillionEventsUsd))} per million events (${escapeHtml(formatUsd(column.cost.totalUsd))} for this run; AWS list prices ${escapeHtml(column.cost.pricesAsOf)})</summary>` +
    `<table><thead><tr><th>Item</th><th class="num">Quantity</th><th class="num">Unit price</th><th class="num">Cost</th></tr></thead><tbody>${rows}</tbody></table>${notes ? `<ul>${notes}</ul>` : ''}</details>`
  );
}

function warningList(column: ComparedPattern): string {
  if (column.pattern.warnings.length === 0) return '';
  return `<ul class="warnings">${column.pattern.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul>`;
}

function alignTo(xValues: number[], series: SeriesPoint[], pick: (p: SeriesPoint) => number | undefined): Array<number | null> {
  const bySecond = new Map(series.map((p) => [p.tSec, pick(p)]));
  return xValues.map((t) => {
    const value = bySecond.get(t);
    return typeof value === 'number' && Number.isFinite(value) ? value : null;
  });
}

function lastSecond(series: SeriesPoint[]): number {
  return series.reduce((max, p) => Math.max(max, p.tSec), 0);
}

function slugify(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'pattern';
}

function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');
}

/** JSON inside a script element: `</script>` and the JS line separators must not appear raw. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replaceAll('<', '\\u003c').replaceAll('\u2028', '\\u2028').replaceAll('\u2029', '\\u2029');
}

function toArray<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

const pageCss = `
:root { color-scheme: light; --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --bg-alt: #f6f8fa; --good: #1a7f37; --bad: #cf222e; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: #fff; }
main { max-width: 1280px; margin: 0 auto; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 8px; }
h2 { font-size: 18px; margin: 32px 0 12px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; background: var(--bg-alt); padding: 1px 4px; border-radius: 4px; }
table code { white-space: nowrap; }
.runs { list-style: none; padding: 0; margin: 0 0 8px; color: var(--muted); }
.verdicts { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 12px; font-weight: 600; color: #fff; }
.badge.good { background: var(--good); color: #fff; } .badge.bad { background: var(--bad); color: #fff; }
.muted, .note { color: var(--muted); } .note { font-size: 12px; }
.bad { color: var(--bad); }
table { border-collapse: collapse; width: 100%; margin: 8px 0; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 10px; text-align: left; vertical-align: top; }
thead th { background: var(--bg-alt); font-weight: 600; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
td.best { font-weight: 700; background: #dafbe1; }
td.na { color: var(--muted); }
.source { font-weight: 400; font-size: 12px; color: var(--muted); }
tr.failed td { background: #ffebe9; } tr.notApplicable td { color: var(--muted); }
tr.passed td:first-child { color: var(--good); font-weight: 700; } tr.failed td:first-child { color: var(--bad); font-weight: 700; }
tr.regressed td { background: #ffebe9; } tr.improved td { background: #dafbe1; } tr.unchanged td, tr.notComparable td { color: var(--muted); }
.facts { display: flex; flex-wrap: wrap; gap: 4px 20px; margin: 0 0 12px; }
.facts div { display: flex; gap: 6px; } .facts dt { color: var(--muted); } .facts dd { margin: 0; font-weight: 600; font-variant-numeric: tabular-nums; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 16px; }
.sluice-chart { margin: 0; padding: 8px; border: 1px solid var(--line); border-radius: 6px; min-width: 0; }
.sluice-chart figcaption { font-weight: 600; margin-bottom: 4px; display: flex; justify-content: space-between; gap: 12px; flex-wrap: wrap; }
.sluice-chart-plot { width: 100%; min-height: 240px; }
.sluice-chart .u-legend { font-size: 12px; }
details.cost { margin: 12px 0; } details.cost summary { cursor: pointer; color: var(--muted); }
.warnings { color: #9a6700; }
`;

/**
 * Draws every chart from the embedded JSON. Plain ES2017 as a string: it runs in the browser,
 * not through the TypeScript build, so no bundler helper can leak into it.
 */
const bootScript = String.raw`
(function () {
  var spec = JSON.parse(document.getElementById('sluice-report-data').textContent);
  function formatter(kind) {
    return function (u, splits) {
      return splits.map(function (v) {
        if (v == null) return '';
        if (kind === 'durationMs') return v >= 60000 ? +(v / 60000).toFixed(1) + ' min' : v >= 1000 ? +(v / 1000).toFixed(2) + ' s' : +v.toFixed(1) + ' ms';
        if (kind === 'rate') return +(v * 100).toFixed(2) + ' %';
        if (kind === 'usd') return '$' + v;
        return v >= 10000 ? +(v / 1000).toFixed(1) + 'k' : String(+v.toFixed(2));
      });
    };
  }
  var plots = [];
  spec.charts.forEach(function (chart) {
    var container = document.getElementById(chart.id);
    if (!container) return;
    var target = container.querySelector('.sluice-chart-plot');
    try {
      var options = {
        width: Math.max(320, target.clientWidth || 560),
        height: 240,
        legend: { show: true, live: false },
        cursor: { drag: { x: true, y: false } },
        scales: { x: { time: false } },
        axes: [
          { label: 'seconds since load started', labelSize: 18, size: 36 },
          { values: formatter(chart.kind), size: 64 }
        ],
        series: [{ label: 't (s)' }].concat(chart.series.map(function (s) {
          return { label: s.label, stroke: s.color, width: 2, dash: s.dash, spanGaps: false, points: { show: false } };
        })),
        hooks: {
          draw: [function () { container.setAttribute('data-rendered', 'true'); }]
        }
      };
      plots.push({ plot: new uPlot(options, chart.data, target), target: target });
    } catch (error) {
      container.setAttribute('data-rendered', 'error');
      container.setAttribute('data-error', String(error && error.message || error));
    }
  });
  var pending = 0;
  window.addEventListener('resize', function () {
    clearTimeout(pending);
    pending = setTimeout(function () {
      plots.forEach(function (p) { p.plot.setSize({ width: Math.max(320, p.target.clientWidth), height: 240 }); });
    }, 100);
  });
})();
`;
