/**
 * A sweep's analysis: one table per pattern (setting → cost, latency, throughput, scaling,
 * failures), the setting each strategy chooses and why, rendered as Markdown and as an HTML
 * page with a cost-vs-p99 chart per pattern. Pure functions of the settings' RunResults.
 */
import type { PatternResult, RunResult } from './run-result.ts';
import { formatCount, formatMs, formatRate, formatUsd, markdownTable } from './report-format.ts';

export type SweepStrategyName = 'cost' | 'speed' | 'balanced';

/** One setting of a sweep: the values it gave its keys, and its run (absent when it could not start). */
export interface SweepSetting {
  index: number;
  /** `memoryMb=512, architecture=arm64`. */
  label: string;
  assignments: Array<{ key: string; value: number | string | boolean }>;
  /** Where its run folder is, relative to the sweep's folder. */
  folder: string;
  result?: RunResult;
  /** Why it has no result, or why its run failed. */
  failure?: string;
}

/** One row of a pattern's sweep table. */
export interface SweepRow {
  setting: number;
  label: string;
  status: 'ok' | 'failed';
  /** What made it fail (out of memory, time-outs, throttling, events not completed, the run failing). */
  failures: string[];
  costPerMillionUsd?: number;
  p50EndToEndMs?: number;
  p99EndToEndMs?: number;
  throughputOutPerSecond?: number;
  peakConcurrency?: number;
  coldStarts?: number;
  throttles?: number;
}

export interface SweepChoice {
  strategy: SweepStrategyName;
  /** The chosen row's setting index, or undefined when no setting ran clean. */
  setting?: number;
  label?: string;
  reason: string;
}

export interface SweepPatternSummary {
  pattern: string;
  source?: string;
  rows: SweepRow[];
  /** One choice per strategy; `chosen` is the sweep's own strategy's. */
  choices: SweepChoice[];
  chosen: SweepChoice;
}

export interface SweepSummary {
  scenario: string;
  strategy: SweepStrategyName;
  balancedWeight: number;
  keys: string[];
  settings: Array<Pick<SweepSetting, 'index' | 'label' | 'assignments' | 'folder' | 'failure'> & { status: 'completed' | 'interrupted' | 'failed' | 'not run' }>;
  patterns: SweepPatternSummary[];
}

/** The row of one pattern in one setting's run. */
export function sweepRowOf(setting: SweepSetting, patternName: string): SweepRow {
  const base = { setting: setting.index, label: setting.label };
  const pattern = setting.result?.patterns.find((p) => p.name === patternName);
  if (!pattern) {
    const why = setting.failure ?? setting.result?.failure?.message ?? 'the pattern did not run';
    return { ...base, status: 'failed', failures: [why] };
  }
  const failures = failuresOf(pattern);
  if (setting.result?.status === 'failed') failures.unshift(`the run failed: ${setting.result.failure?.message ?? 'unknown reason'}`);
  if (setting.result?.status === 'interrupted') failures.unshift('the run was interrupted');
  return {
    ...base,
    status: failures.length > 0 ? 'failed' : 'ok',
    failures,
    ...(pattern.cost ? { costPerMillionUsd: pattern.cost.perMillionEventsUsd } : {}),
    ...(pattern.latency.endToEndMs.count > 0 ? { p50EndToEndMs: pattern.latency.endToEndMs.p50, p99EndToEndMs: pattern.latency.endToEndMs.p99 } : {}),
    throughputOutPerSecond: pattern.summary.throughputOutPerSecond,
    peakConcurrency: pattern.summary.peakConcurrency,
    coldStarts: pattern.summary.coldStarts,
    throttles: pattern.summary.functionThrottles + pattern.summary.sourceThrottles,
  };
}

/**
 * What makes a setting unfit to choose, each said: invokes that ran out of memory or timed
 * out, invokes refused for concurrency, events that did not complete (failed, dead-lettered,
 * still pending at the end, lost).
 */
export function failuresOf(pattern: PatternResult): string[] {
  const failures: string[] = [];
  const usage = pattern.functionUsage;
  if (usage && usage.outOfMemory > 0) failures.push(`out of memory (${formatCount(usage.outOfMemory)} invokes)`);
  if (usage && usage.timeouts > 0) failures.push(`timed out (${formatCount(usage.timeouts)} invokes)`);
  if (pattern.summary.functionThrottles > 0) failures.push(`throttled (${formatCount(pattern.summary.functionThrottles)} invokes refused)`);
  if (pattern.summary.sourceThrottles > 0) failures.push(`source throttled (${formatCount(pattern.summary.sourceThrottles)} attempts)`);
  const { failed, deadLettered, pendingAtEnd, lost } = pattern.accounting;
  const unfinished = failed + deadLettered + pendingAtEnd + lost;
  if (unfinished > 0) failures.push(`${formatCount(unfinished)} events not completed (failed ${failed}, dead-lettered ${deadLettered}, pending ${pendingAtEnd}, lost ${lost})`);
  return failures;
}

/**
 * The setting a strategy picks among the rows that ran clean, as aws-lambda-power-tuning
 * does: `cost` the lowest cost per million events (ties: the faster), `speed` the lowest p99
 * end-to-end (ties: the cheaper), `balanced` the lowest `weight × cost/cost_max + (1 −
 * weight) × p99/p99_max` (0 weighs only speed, 1 only cost).
 *
 * @example chooseSetting(rows, 'balanced', 0.5) // { strategy: 'balanced', setting: 2, label: 'memoryMb=1024', reason: '…' }
 */
export function chooseSetting(rows: SweepRow[], strategy: SweepStrategyName, balancedWeight = 0.5): SweepChoice {
  const candidates = rows.filter((row) => row.status === 'ok' && row.costPerMillionUsd !== undefined && row.p99EndToEndMs !== undefined);
  const failed = rows.length - candidates.length;
  if (candidates.length === 0) return { strategy, reason: `no setting ran clean (${rows.length} failed): nothing to choose` };
  const cost = (row: SweepRow) => row.costPerMillionUsd!;
  const p99 = (row: SweepRow) => row.p99EndToEndMs!;
  const costMax = Math.max(...candidates.map(cost)) || 1;
  const p99Max = Math.max(...candidates.map(p99)) || 1;
  const score = (row: SweepRow) =>
    strategy === 'cost' ? [cost(row), p99(row)] : strategy === 'speed' ? [p99(row), cost(row)] : [balancedWeight * (cost(row) / costMax) + (1 - balancedWeight) * (p99(row) / p99Max), cost(row)];
  const ranked = [...candidates].sort((a, b) => {
    const [a1, a2] = score(a);
    const [b1, b2] = score(b);
    return a1! - b1! || a2! - b2! || a.setting - b.setting;
  });
  const best = ranked[0]!;
  const runnerUp = ranked[1];
  const also = failed > 0 ? `; ${failed} failed setting${failed === 1 ? ' was' : 's were'} not considered` : '';
  const clean = `${candidates.length} clean setting${candidates.length === 1 ? '' : 's'}`;
  const against = runnerUp ? ` (next: ${runnerUp.label} at ${formatUsd(cost(runnerUp))}/M, p99 ${formatMs(p99(runnerUp))})` : '';
  const what = `${formatUsd(cost(best))} per million events, p99 ${formatMs(p99(best))}`;
  const reason =
    strategy === 'cost'
      ? `cheapest of ${clean}: ${what}${against}${also}`
      : strategy === 'speed'
        ? `lowest p99 end-to-end of ${clean}: ${what}${against}${also}`
        : `best weighted score (${balancedWeight} × cost/${formatUsd(costMax)} + ${(1 - balancedWeight).toFixed(2).replace(/\.?0+$/, '')} × p99/${formatMs(p99Max)} = ${score(best)[0]!.toFixed(3)}) of ${clean}: ${what}${against}${also}`;
  return { strategy, setting: best.setting, label: best.label, reason };
}

/** The sweep's summary: per pattern, its rows and the choice of every strategy. */
export function summarizeSweep(options: { scenario: string; strategy: SweepStrategyName; balancedWeight: number; keys: string[]; settings: SweepSetting[] }): SweepSummary {
  const patternNames: Array<{ name: string; source?: string }> = [];
  for (const setting of options.settings) {
    for (const pattern of setting.result?.patterns ?? []) {
      if (!patternNames.some((known) => known.name === pattern.name)) patternNames.push({ name: pattern.name, source: pattern.source });
    }
  }
  const patterns = patternNames.map(({ name, source }) => {
    const rows = options.settings.map((setting) => sweepRowOf(setting, name));
    const choices = (['cost', 'speed', 'balanced'] as const).map((strategy) => chooseSetting(rows, strategy, options.balancedWeight));
    return { pattern: name, ...(source ? { source } : {}), rows, choices, chosen: choices.find((choice) => choice.strategy === options.strategy)! };
  });
  return {
    scenario: options.scenario,
    strategy: options.strategy,
    balancedWeight: options.balancedWeight,
    keys: options.keys,
    settings: options.settings.map((setting) => ({
      index: setting.index,
      label: setting.label,
      assignments: setting.assignments,
      folder: setting.folder,
      status: setting.result?.status ?? 'not run',
      ...(setting.failure ? { failure: setting.failure } : {}),
    })),
    patterns,
  };
}

/**
 * The run the chosen settings make together: each pattern's result from the setting its
 * strategy chose, so the scenario's thresholds apply to what the sweep recommends.
 */
export function chosenRunOf(summary: SweepSummary, settings: SweepSetting[]): RunResult | undefined {
  const first = settings.find((setting) => setting.result)?.result;
  if (!first) return undefined;
  const patterns = summary.patterns.flatMap((pattern) => {
    const chosen = settings.find((setting) => setting.index === pattern.chosen.setting);
    const result = chosen?.result?.patterns.find((p) => p.name === pattern.pattern);
    return result ? [result] : [];
  });
  return { ...first, patterns };
}

/** The sweep as Markdown: one table per pattern, then each strategy's choice with its reason. */
export function renderSweepMarkdown(summary: SweepSummary): string {
  const lines = [`# sluice sweep: ${summary.scenario}`, '', `Varied: ${summary.keys.join(', ')}. Strategy: ${summary.strategy}${summary.strategy === 'balanced' ? ` (weight ${summary.balancedWeight})` : ''}. ${summary.settings.length} settings; each setting's run is in its folder.`, ''];
  for (const pattern of summary.patterns) {
    lines.push(`## ${pattern.pattern}${pattern.source && pattern.source !== pattern.pattern ? ` (${pattern.source})` : ''}`, '');
    lines.push(sweepTableMarkdown(pattern), '');
    for (const choice of pattern.choices) {
      lines.push(`- **${choice.strategy}**${choice.strategy === summary.strategy ? ' (this sweep’s strategy)' : ''}: ${choice.label ?? 'none'} — ${choice.reason}`);
    }
    lines.push('');
  }
  const unrun = summary.settings.filter((setting) => setting.failure);
  if (unrun.length > 0) {
    lines.push('## Settings that failed to run', '');
    for (const setting of unrun) lines.push(`- ${setting.label}: ${setting.failure}`);
    lines.push('');
  }
  return lines.join('\n');
}

/** One pattern's sweep table: setting → cost per million, p50/p99, throughput out, peak concurrency, cold starts, throttles, status. */
export function sweepTableMarkdown(pattern: SweepPatternSummary): string {
  return markdownTable(
    ['setting', 'cost / million', 'p50 e2e', 'p99 e2e', 'throughput out (/s)', 'peak concurrency', 'cold starts', 'throttles', 'status'],
    pattern.rows.map((row) => [
      `${row.label}${row.setting === pattern.chosen.setting ? ' ◀' : ''}`,
      formatUsd(row.costPerMillionUsd),
      formatMs(row.p50EndToEndMs),
      formatMs(row.p99EndToEndMs),
      formatRate(row.throughputOutPerSecond),
      formatCount(row.peakConcurrency),
      formatCount(row.coldStarts),
      formatCount(row.throttles),
      row.status === 'ok' ? 'ok' : `FAILED: ${row.failures.join('; ')}`,
    ]),
    ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
  );
}

/**
 * The sweep as one self-contained HTML page: per pattern its table and a chart of cost per
 * million against p99 end-to-end (one point per setting; failed settings as crosses; the
 * chosen setting, the sweet spot, ringed). The charts are inline SVG, so the page opens offline.
 */
export function renderSweepHtml(summary: SweepSummary): string {
  const sections = summary.patterns.map((pattern) => {
    const rows = pattern.rows
      .map(
        (row) =>
          `<tr class="${row.status}${row.setting === pattern.chosen.setting ? ' chosen' : ''}"><td>${escapeHtml(row.label)}</td><td>${formatUsd(row.costPerMillionUsd)}</td><td>${formatMs(row.p50EndToEndMs)}</td><td>${formatMs(row.p99EndToEndMs)}</td><td>${formatRate(row.throughputOutPerSecond)}</td><td>${formatCount(row.peakConcurrency)}</td><td>${formatCount(row.coldStarts)}</td><td>${formatCount(row.throttles)}</td><td>${row.status === 'ok' ? 'ok' : `FAILED: ${escapeHtml(row.failures.join('; '))}`}</td></tr>`,
      )
      .join('\n');
    const choices = pattern.choices.map((choice) => `<li><b>${choice.strategy}</b>: ${escapeHtml(choice.label ?? 'none')} — ${escapeHtml(choice.reason)}</li>`).join('\n');
    return `<section id="pattern-${escapeHtml(pattern.pattern)}">
<h2>${escapeHtml(pattern.pattern)}</h2>
${costLatencyChart(pattern)}
<table><thead><tr><th>setting</th><th>cost / million</th><th>p50 e2e</th><th>p99 e2e</th><th>throughput out (/s)</th><th>peak concurrency</th><th>cold starts</th><th>throttles</th><th>status</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<ul>
${choices}
</ul>
</section>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sluice sweep: ${escapeHtml(summary.scenario)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: right; }
td:first-child, td:last-child, th:first-child { text-align: left; }
tr.failed td { color: #b00020; }
tr.chosen td { font-weight: bold; background: #fff6d5; }
svg text { font: 11px system-ui, sans-serif; }
</style></head>
<body>
<h1>sluice sweep: ${escapeHtml(summary.scenario)}</h1>
<p>Varied: ${escapeHtml(summary.keys.join(', '))}. Strategy: ${summary.strategy}${summary.strategy === 'balanced' ? ` (weight ${summary.balancedWeight})` : ''}. The ringed point is the chosen setting (the sweet spot); crosses are settings that failed.</p>
${sections.join('\n')}
</body></html>
`;
}

/** An SVG scatter of cost per million (x) against p99 end-to-end (y), one point per setting that has both. */
function costLatencyChart(pattern: SweepPatternSummary): string {
  const points = pattern.rows.filter((row) => row.costPerMillionUsd !== undefined && row.p99EndToEndMs !== undefined);
  const width = 640;
  const height = 360;
  const margin = { left: 70, right: 20, top: 20, bottom: 45 };
  if (points.length === 0) return `<p>No setting has both a cost and a p99 to chart.</p>`;
  const xs = points.map((row) => row.costPerMillionUsd!);
  const ys = points.map((row) => row.p99EndToEndMs!);
  const [xMin, xMax] = paddedRange(xs);
  const [yMin, yMax] = paddedRange(ys);
  const x = (value: number) => margin.left + ((value - xMin) / (xMax - xMin)) * (width - margin.left - margin.right);
  const y = (value: number) => height - margin.bottom - ((value - yMin) / (yMax - yMin)) * (height - margin.top - margin.bottom);
  const marks = points
    .map((row) => {
      const cx = x(row.costPerMillionUsd!).toFixed(1);
      const cy = y(row.p99EndToEndMs!).toFixed(1);
      // Points on the right half are labelled to their left, so no label runs off the chart.
      const onRight = Number(cx) > width / 2;
      const label = `<text x="${(Number(cx) + (onRight ? -8 : 8)).toFixed(1)}" y="${(Number(cy) - 6).toFixed(1)}"${onRight ? ' text-anchor="end"' : ''}>${escapeHtml(row.label)}</text>`;
      const title = `<title>${escapeHtml(row.label)}: ${formatUsd(row.costPerMillionUsd)}/M, p99 ${formatMs(row.p99EndToEndMs)}${row.status === 'failed' ? ' (failed)' : ''}</title>`;
      const mark =
        row.status === 'failed'
          ? `<path class="failed-setting" d="M${Number(cx) - 5},${Number(cy) - 5}L${Number(cx) + 5},${Number(cy) + 5}M${Number(cx) - 5},${Number(cy) + 5}L${Number(cx) + 5},${Number(cy) - 5}" stroke="#b00020" stroke-width="2">${title}</path>`
          : `<circle class="setting" cx="${cx}" cy="${cy}" r="5" fill="#0072B2">${title}</circle>`;
      const ring = row.setting === pattern.chosen.setting ? `<circle class="sweet-spot" cx="${cx}" cy="${cy}" r="11" fill="none" stroke="#E69F00" stroke-width="3"><title>chosen (${pattern.chosen.strategy})</title></circle>` : '';
      return mark + ring + label;
    })
    .join('\n');
  const axis = `<line x1="${margin.left}" y1="${height - margin.bottom}" x2="${width - margin.right}" y2="${height - margin.bottom}" stroke="#444"/>
<line x1="${margin.left}" y1="${margin.top}" x2="${margin.left}" y2="${height - margin.bottom}" stroke="#444"/>
<text x="${margin.left}" y="${height - margin.bottom + 16}">${formatUsd(xMin)}</text>
<text x="${width - margin.right}" y="${height - margin.bottom + 16}" text-anchor="end">${formatUsd(xMax)}</text>
<text x="${(margin.left + width - margin.right) / 2}" y="${height - 8}" text-anchor="middle">cost per million events</text>
<text x="${margin.left - 6}" y="${height - margin.bottom}" text-anchor="end">${formatMs(yMin)}</text>
<text x="${margin.left - 6}" y="${margin.top + 10}" text-anchor="end">${formatMs(yMax)}</text>
<text transform="translate(14 ${(margin.top + height - margin.bottom) / 2}) rotate(-90)" text-anchor="middle">p99 end-to-end</text>`;
  return `<svg class="sweep-chart" id="chart-${escapeHtml(pattern.pattern)}-cost-p99" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="cost per million against p99 end-to-end, ${escapeHtml(pattern.pattern)}">
${axis}
${marks}
</svg>`;
}

function paddedRange(values: number[]): [number, number] {
  const min = Math.min(...values);
  const max = Math.max(...values);
  const pad = max > min ? (max - min) * 0.1 : Math.max(Math.abs(max) * 0.1, 1e-6);
  return [Math.max(0, min - pad), max + pad];
}

function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}
