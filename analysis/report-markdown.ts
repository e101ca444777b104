import type { AccountSettings, PatternResult, RunResult } from './run-result.ts';
import { readMetric } from './metrics.ts';
import { formatCount, formatMs, formatRate, formatShare, formatUsd, markdownTable, sourcePathOf } from './report-format.ts';

/**
 * The headline table of a run: one column per pattern. The CLI prints it at the end of a
 * run and report.md starts with it.
 */
export function summaryTable(result: RunResult): string {
  const patterns = result.patterns;
  const rows: Array<[string, (pattern: PatternResult) => string]> = [
    ['source', (p) => sourcePathOf(p)],
    ['events sent / accepted', (p) => `${formatCount(p.accounting.sent)} / ${formatCount(p.accounting.accepted)}`],
    ['completed', (p) => formatCount(p.accounting.completed)],
    ['throughput in (events/s)', (p) => formatRate(p.summary.throughputInPerSecond)],
    ['throughput out (events/s, steady)', (p) => `${formatRate(p.summary.throughputOutPerSecond)} (${formatRate(p.summary.throughputOutPerSecondSteady)})`],
    ['end-to-end p50 / p95 / p99', (p) => `${formatMs(p.latency.endToEndMs.p50)} / ${formatMs(p.latency.endToEndMs.p95)} / ${formatMs(p.latency.endToEndMs.p99)}`],
    ['end-to-end max', (p) => formatMs(p.latency.endToEndMs.max)],
    ['invoke duration p50 / p99', (p) => `${formatMs(p.latency.invokeDurationMs.p50)} / ${formatMs(p.latency.invokeDurationMs.p99)}`],
    ['max queue depth', (p) => formatCount(p.summary.queueDepthMax)],
    ['max age of oldest message', (p) => formatMs(p.summary.queueAgeMsMax)],
    ['max / p99 iterator age', (p) => (p.summary.iteratorAgeMsMax === undefined ? '–' : `${formatMs(p.summary.iteratorAgeMsMax)} / ${formatMs(p.summary.iteratorAgeMsP99)}`)],
    ['max / p99 async event age', (p) => (p.summary.asyncEventAgeMsMax === undefined ? '–' : `${formatMs(p.summary.asyncEventAgeMsMax)} / ${formatMs(p.summary.asyncEventAgeMsP99)}`)],
    ['peak concurrency', (p) => formatCount(p.summary.peakConcurrency)],
    ['cold starts (share)', (p) => `${formatCount(p.summary.coldStarts)} (${formatShare(p.summary.coldStartShare)})`],
    ['throttles: source / function', (p) => `${formatCount(p.summary.sourceThrottles)} / ${formatCount(p.summary.functionThrottles)}`],
    ['throttle rate: source / function (of attempts)', (p) => `${formatShare(p.summary.throttleRate)} / ${formatShare(readMetric(p, 'functionThrottleRate'))}`],
    ['invocations (errors)', (p) => `${formatCount(p.summary.invocations)} (${formatCount(p.summary.invocationErrors)})`],
    ['duplicate deliveries', (p) => formatCount(p.accounting.duplicateDeliveries)],
    ['dead-lettered', (p) => formatCount(p.accounting.deadLettered)],
    ['failed / pending at end', (p) => `${formatCount(p.accounting.failed)} / ${formatCount(p.accounting.pendingAtEnd)}`],
    ['lost', (p) => formatCount(p.accounting.lost)],
    ['cost per million events', (p) => (p.cost ? formatUsd(p.cost.perMillionEventsUsd) : '–')],
  ];
  return markdownTable(
    ['metric', ...patterns.map((p) => p.name)],
    rows.map(([label, read]) => [label, ...patterns.map(read)]),
    ['left', ...patterns.map(() => 'right' as const)],
  );
}

/** report.md for one run: what ran, the summary, accounting, warnings and a per-second digest. */
/**
 * What kind of result this is: a measurement, or a prediction — a model, with its fidelity,
 * the rules' version and the figures sluice models beyond what AWS documents.
 */
export function modeLines(result: RunResult): string[] {
  if (result.mode !== 'predicted') return result.mode === 'measured' ? ['- mode: measured'] : [];
  const prediction = result.prediction;
  const lines = [
    `- mode: **predicted** — a model, not a measurement: sluice's scaling rules on simulated time${prediction ? ` (${prediction.fidelity} fidelity, ${prediction.rulesVersion}; ${prediction.simulatedEventsPerWallSecond.toLocaleString('en-US')} simulated events per wall second)` : ''}`,
  ];
  if (prediction && prediction.modelled.length > 0) {
    lines.push('- figures beyond what AWS documents (sluice\'s model, marked ‡):');
    for (const figure of prediction.modelled) lines.push(`  - ‡ ${figure}`);
  }
  return lines;
}

export function renderRunMarkdown(result: RunResult): string {
  const lines: string[] = [];
  lines.push(`# sluice ${result.mode === 'predicted' ? 'predict' : 'run'}: ${result.scenario.name}`);
  lines.push('');
  if (result.scenario.description) lines.push(result.scenario.description, '');
  lines.push(`- status: **${result.status}**${result.failure ? ` — ${result.failure.message}` : ''}`);
  lines.push(...modeLines(result));
  lines.push(`- run id: \`${result.runId}\`, started ${new Date(result.startedAtMs).toISOString()}, took ${formatMs(result.endedAtMs - result.startedAtMs)}`);
  // An endpoint the user runs is named by what answered there (moto, LocalStack, …) when its routes told.
  const endpointKind = result.target.endpointKind && result.target.endpointKind !== 'aws-compatible' ? `, ${result.target.endpointKind}` : '';
  lines.push(`- target: ${result.target.kind}${result.target.endpoint ? ` (${result.target.endpoint}${endpointKind})` : ''}, region ${result.target.region}, consumer: ${result.target.consumer}`);
  lines.push(`- machine: ${result.environment.cpuCount} CPUs, Node ${result.environment.node}, ${result.environment.platform}`);
  lines.push(`- scenario file: \`${result.scenario.file}\``);
  lines.push('');
  if (result.patterns.length === 0) {
    lines.push('No pattern produced results.');
    return lines.join('\n') + '\n';
  }
  lines.push('## Summary', '', summaryTable(result), '');
  for (const pattern of result.patterns) {
    lines.push(`## ${pattern.name} (${sourcePathOf(pattern)})`, '');
    lines.push(...settingsInForce(pattern), '');
    const load = pattern.load;
    lines.push(
      `Load: ${formatCount(load.achievedArrivals)} of ${formatCount(load.requestedArrivals)} requested arrivals (${(load.arrivalRateDeviation * 100).toFixed(1)} %) over ${formatMs(load.achievedDurationMs)}${load.requestedDurationMs ? ` of a planned ${formatMs(load.requestedDurationMs)}` : ''}${load.arrivalLagMs ? `; arrival lag p99 ${formatMs(load.arrivalLagMs.p99)}, max ${formatMs(load.arrivalLagMs.max)}` : ''}${load.shortfall !== undefined ? `; shortfall ${(load.shortfall * 100).toFixed(1)} %` : ''}.`,
      '',
    );
    lines.push('### Accounting', '');
    const a = pattern.accounting;
    lines.push(
      markdownTable(
        ['sent', 'accepted', 'filtered', 'source-throttled', 'source-failed', 'delivered', 'duplicates', 'completed', 'failed', 'dead-lettered', 'pending', 'lost'],
        [[a.sent, a.accepted, a.filtered ?? 0, a.sourceThrottled, a.sourceFailed, a.delivered, a.duplicateDeliveries, a.completed, a.failed, a.deadLettered, a.pendingAtEnd, a.lost].map(formatCount)],
        Array(12).fill('right'),
      ),
      '',
    );
    if (pattern.latency.initDurationMs.count > 0) {
      lines.push(`Cold starts: ${pattern.latency.initDurationMs.count}, init p50 ${formatMs(pattern.latency.initDurationMs.p50)}, max ${formatMs(pattern.latency.initDurationMs.max)}.`, '');
    }
    const usage = pattern.functionUsage;
    if (usage && (usage.provisionedConcurrencyMax > 0 || usage.keepWarm || usage.outOfMemory > 0 || usage.timeouts > 0)) {
      const parts = [
        ...(usage.provisionedConcurrencyMax > 0 ? [`provisioned concurrency up to ${usage.provisionedConcurrencyMax} (${formatCount(usage.provisionedConcurrencyMs / 1000)} environment-seconds), ${usage.onDemandColdStarts} on-demand cold starts beyond it`] : []),
        ...usage.scalingActions.map((action) => `${action.reason} ${action.from} → ${action.to}`),
        ...(usage.keepWarm ? [`${formatCount(usage.keepWarm.pings)} keep-warm pings (${usage.keepWarm.coldStarts} of them cold)`] : []),
        ...(usage.outOfMemory > 0 ? [`${formatCount(usage.outOfMemory)} invokes out of memory`] : []),
        ...(usage.timeouts > 0 ? [`${formatCount(usage.timeouts)} invokes timed out`] : []),
      ];
      lines.push(`Function: ${parts.join('; ')}.`, '');
    }
    if (pattern.latency.clientMs) {
      const c = pattern.latency.clientMs;
      lines.push(
        markdownTable(
          ['client latency', 'count', 'p50', 'p95', 'p99', 'max'],
          (['all', 'warm', 'cold'] as const).map((k) => [k, formatCount(c[k].count), formatMs(c[k].p50), formatMs(c[k].p95), formatMs(c[k].p99), formatMs(c[k].max)]),
          ['left', 'right', 'right', 'right', 'right', 'right'],
        ),
        '',
      );
    }
    const shardTable = iteratorAgeByShard(pattern);
    if (shardTable) lines.push('### Iterator age per shard', '', shardTable, '');
    const statusCodes = pattern.extras?.statusCodes as Record<string, number> | undefined;
    if (statusCodes && Object.keys(statusCodes).length > 0) {
      lines.push(`Status codes: ${Object.entries(statusCodes).map(([code, count]) => `${code} × ${formatCount(count)}`).join(', ')}.`, '');
    }
    if (pattern.quotas.length > 0) {
      lines.push('Quotas: ' + pattern.quotas.map((q) => `${q.name} (${q.limit}) enforced by ${q.enforcedBy}`).join('; ') + '.', '');
    }
    if (pattern.warnings.length > 0) {
      lines.push('### Warnings', '', ...pattern.warnings.map((w) => `- ${w}`), '');
    }
    lines.push('### Per second', '');
    lines.push(
      markdownTable(
        ['t (s)', 'sent', 'accepted', 'completed', 'e2e p50', 'e2e p99', 'queue depth', 'oldest age', 'iterator age', 'concurrency', 'cold', 'fn throttles', 'src throttles', 'errors'],
        digest(pattern).map((p) => [
          String(p.tSec),
          formatCount(p.sent),
          formatCount(p.accepted),
          formatCount(p.completed),
          formatMs(p.endToEndMsP50),
          formatMs(p.endToEndMsP99),
          formatCount(p.queueDepth),
          formatMs(p.queueAgeMsMax),
          formatMs(p.iteratorAgeMsMax),
          formatCount(p.concurrency),
          formatCount(p.coldStarts),
          formatCount(p.functionThrottles),
          formatCount(p.sourceThrottles),
          formatCount(p.failedInvocations),
        ]),
        ['right', ...Array(13).fill('right')],
      ),
      '',
    );
  }
  return lines.join('\n') + '\n';
}

/**
 * The settings that produced a pattern's numbers, defaults included: the account (which
 * burst-scaling model was in force), the function, the pattern.
 */
function settingsInForce(pattern: PatternResult): string[] {
  return [
    '### Settings in force',
    '',
    'Defaults included; durations in milliseconds.',
    '',
    `- account: ${pattern.account ? accountLine(pattern.account) : 'not recorded (the result predates it)'}`,
    `- function: ${settingsLine(pattern.function)}`,
    `- pattern: ${settingsLine(pattern.settings)}`,
  ];
}

function accountLine(account: AccountSettings): string {
  const model =
    account.scalingModel === 'legacy'
      ? `**legacy** burst scaling: ${formatCount(account.legacyInitialBurst)} environments at once, then +${formatCount(account.legacyBurstIncrementPerMinute)} a minute (current model's ${formatCount(account.burstEnvironmentsPer10Seconds)} per 10 s not in force)`
      : `**current** burst scaling: +${formatCount(account.burstEnvironmentsPer10Seconds)} environments per 10 s per function (legacy model's ${formatCount(account.legacyInitialBurst)} then +${formatCount(account.legacyBurstIncrementPerMinute)}/min not in force)`;
  const appliedBy = account.appliedBy === 'sluice' ? "applied by sluice's runtime" : "the scenario's values; the target's own Lambda applied its account's real settings";
  return `concurrency limit ${formatCount(account.concurrencyLimit)}, ${model}; ${appliedBy}`;
}

function settingsLine(settings: Record<string, unknown>): string {
  const entries = Object.entries(settings).filter(([, value]) => value !== undefined);
  if (entries.length === 0) return 'none';
  return entries.map(([key, value]) => `\`${key}\` ${typeof value === 'string' ? value : JSON.stringify(value)}`).join(', ');
}

/**
 * Per shard: the highest iterator age, its p99 over the seconds, and the age in the last
 * second with a sample — a hot shard stands out against the others.
 */
function iteratorAgeByShard(pattern: PatternResult): string | undefined {
  const byShard = new Map<string, number[]>();
  for (const point of pattern.series) {
    for (const [shard, ageMs] of Object.entries(point.iteratorAgeMsByShard ?? {})) {
      const ages = byShard.get(shard) ?? [];
      ages.push(ageMs);
      byShard.set(shard, ages);
    }
  }
  if (byShard.size === 0) return undefined;
  const rows = [...byShard.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([shard, ages]) => {
      const sorted = [...ages].sort((a, b) => a - b);
      const p99 = sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)];
      return [shard, formatMs(sorted[sorted.length - 1]), formatMs(p99), formatMs(ages[ages.length - 1])];
    });
  return markdownTable(['shard', 'max', 'p99 over seconds', 'last'], rows, ['left', 'right', 'right', 'right']);
}

/** At most 60 rows: every second for short runs, evenly spaced seconds for long ones. */
function digest(pattern: PatternResult) {
  const series = pattern.series;
  if (series.length <= 60) return series;
  const step = Math.ceil(series.length / 60);
  return series.filter((_, index) => index % step === 0 || index === series.length - 1);
}
