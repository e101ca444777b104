import { resolvePrices, type PriceName, type PriceTable } from '../analysis/pricing.ts';
import type { AnySourceCostModel, SourceUsage } from '../analysis/cost.ts';
import type { Scenario } from '../scenario/schema.ts';
import { coldStartDistributionOf, type Phase, type TargetName } from '../scenario/parts.ts';
import { formatDurationMs } from '../core/duration.ts';
import { arrivalScheduleOf, phaseDurationMs as loadPhaseDurationMs, requestedArrivals } from '../load/phases.ts';
import { sourceModuleFor, type SourceRegistry } from '../drivers/registry.ts';
import { buildStackTemplate, describeTemplateResources, stackNameFor, templateCreatesResources, type BuildStackTemplateOptions } from '../targets/aws/template.ts';

/**
 * `sluice run --target aws --dry-run`: what would be created, for how long, and roughly
 * what it would cost — computed from the scenario alone, without calling AWS. The source's
 * requests are priced by the source's own cost model (drivers/<source>/cost.ts), the same
 * one that prices a finished run; every price comes from analysis/pricing.ts, with the
 * scenario's `prices` overrides laid over it as a finished run's estimate does.
 */

/**
 * Assumptions of the estimate, each a number a reader can check. They are deliberately on
 * the expensive side where unsure.
 */
export const costAssumptions = {
  /** Time a stack exists beyond the load: create, drain and delete. */
  stackOverheadMs: 10 * 60_000,
  /** Handler time beyond the synthetic sleep: writing completions to the sink queue. */
  sinkWriteMs: 20,
  /** One completion record in the sink queue. */
  completionRecordBytes: 140,
  /** Lambda's START/END/REPORT log lines per invocation. */
  logBytesPerInvocation: 400,
  /** The harness long-polls the sink queue, 20 s a call, for the stack's lifetime. */
  sinkLongPollMs: 20_000,
  /** Metrics the harness reads per pattern when the run ends. */
  metricsPerPattern: 20,
} as const;

/** One line of a cost estimate: the same item priced at full batches (low) and one event per invocation (high). */
export interface CostLine {
  item: string;
  quantity: number;
  unit: string;
  usdLow: number;
  usdHigh: number;
}

/** What one pattern of the run would create and cost. */
export interface PatternPlan {
  name: string;
  source: string;
  stackName: string;
  /** False when the pattern brings everything it needs (see template.ts): no stack is deployed. */
  deploysStack: boolean;
  resources: Array<{ logicalId: string; type: string }>;
  bringYourOwn: Array<{ field: string; value: string }>;
  consumer: 'synthetic' | 'yours' | 'none';
  notes: string[];
  events: number;
  invocations: { low: number; high: number };
  cost: CostLine[];
  costUsd: { low: number; high: number };
}

/** The whole dry run. */
export interface AwsRunPlan {
  scenario: string;
  region: string;
  runId: string;
  /** Sum of the phases, pauses included. */
  durationMs: number;
  drainTimeoutMs: number;
  /** Events the load generator sends per pattern. */
  eventsPerPattern: number;
  patterns: PatternPlan[];
  costUsd: { low: number; high: number };
  prices: { recordedAt: string; region: string; note: string };
}

/** Options of {@link planAwsRun}. */
export interface AwsDryRunOptions extends BuildStackTemplateOptions {
  runId?: string;
  /** The sources the scenario was parsed with (default: sluice's own, drivers/registry.ts): each pattern's stack piece and cost model. */
  sources?: SourceRegistry;
}

/** Arrivals of one phase: a constant rate, or a linear ramp between two rates. */
function arrivalsOf(phase: Phase): number {
  if ('pause' in phase) return 0;
  if (isShape(phase)) return requestedArrivals([phase]);
  const seconds = phase.duration / 1000;
  return phase.rampTo === undefined ? phase.arrivalRate * seconds : ((phase.arrivalRate + phase.rampTo) / 2) * seconds;
}

function phaseDurationMs(phase: Phase): number {
  if (isShape(phase)) return loadPhaseDurationMs(phase);
  return 'pause' in phase ? phase.pause : phase.duration;
}

/** Bursts, a daily curve or a trace: their arrivals and length are their schedule's (load/arrival-schedule.ts). */
function isShape(phase: Phase): phase is Extract<Phase, { bursts: unknown } | { daily: unknown } | { replay: unknown }> {
  return 'bursts' in phase || 'daily' in phase || 'replay' in phase;
}

function peakRatePerSecond(phases: Phase[]): number {
  return Math.max(0, ...phases.map((phase) => ('pause' in phase ? 0 : isShape(phase) ? arrivalScheduleOf([phase]).peakArrivalsPerSecond() : Math.max(phase.arrivalRate, phase.rampTo ?? 0))));
}

/** Mean of the handler's duration: fixed, or the lognormal's mean exp(mu + sigma²/2). */
function meanHandlerMs(scenario: Scenario): number {
  const handler = scenario.function.handler;
  if (handler.type !== 'synthetic') return 100;
  const duration = handler.duration;
  if (duration.kind === 'fixed') return duration.fixedMs;
  const mu = Math.log(Math.max(duration.p50Ms, 0.001));
  const sigma = Math.max(0, Math.log(Math.max(duration.p99Ms, 0.001)) - mu) / 2.3263478740408408;
  return Math.exp(mu + (sigma * sigma) / 2);
}

/** Expected attempts per event when each attempt fails with `p`, up to `maxAttempts`. */
function attemptsPerEvent(p: number, maxAttempts: number): number {
  let total = 0;
  for (let k = 0; k < maxAttempts; k++) total += p ** k;
  return total;
}

const line = (item: string, quantity: number, unit: string, usdLow: number, usdHigh = usdLow): CostLine => ({ item, quantity, unit, usdLow, usdHigh });

/**
 * The source's requests at both ends of the range: the source's cost model prices the low
 * usage and the high usage, and each item becomes one line with both figures (the quantity
 * shown is the high one).
 */
function sourceCostLines(model: AnySourceCostModel, pattern: Scenario['patterns'][number], usage: { low: SourceUsage; high: SourceUsage }, prices: PriceTable, notes: string[]): CostLine[] {
  const settings = pattern as never;
  const lowLines = new Map(model.lines(settings, usage.low, prices, notes).map((l) => [l.item, l]));
  return model.lines(settings, usage.high, prices, notes).map((h) => line(h.item, h.quantity, h.unit, lowLines.get(h.item)?.usd ?? 0, h.usd));
}

function planPattern(scenario: Scenario, pattern: Scenario['patterns'][number], runId: string, events: number, prices: PriceTable, options: AwsDryRunOptions): PatternPlan {
  const price = (name: PriceName) => prices.rows[name].value;
  const module = sourceModuleFor(pattern.source, options.sources);
  const template = buildStackTemplate(scenario, pattern, module.aws, runId, options);
  const meta = template.Metadata.sluice;
  const model: AnySourceCostModel = module.cost;
  const facts = pattern as never;
  const fn = scenario.function;
  const lifetimeMs = scenario.workload.phases.reduce((sum, phase) => sum + phaseDurationMs(phase), 0) + scenario.drainTimeout + costAssumptions.stackOverheadMs;
  const handler = fn.handler;
  const errorRate = handler.type === 'synthetic' ? handler.errorRate : 0;
  const copies = model.copiesPerEvent(facts);
  const deliveries = events * copies * attemptsPerEvent(errorRate, model.maxAttemptsPerEvent(facts));
  const invocations =
    meta.consumer === 'none' ? { low: 0, high: 0 } : { low: Math.ceil(deliveries / model.eventsPerInvocationMax(facts)), high: deliveries };

  const notes = [...meta.notes];
  // The load's requests to your own resource are billed to your account, not to this plan.
  const ownsSource = meta.bringYourOwn.some((own) => own.field !== 'functionName');
  const usage = (invocationCount: number): SourceUsage => ({
    eventsSent: events,
    eventsAccepted: events,
    deliveries,
    invocations: invocationCount,
    eventsCompleted: events * copies,
    resourceHours: Math.ceil(lifetimeMs / 3_600_000),
    eventSizeBytes: scenario.workload.eventSizeBytes,
    ...(model.emptyReceivesPlanned ? { emptyReceives: model.emptyReceivesPlanned(facts, lifetimeMs) } : {}),
  });
  const cost = ownsSource ? [] : sourceCostLines(model, pattern, { low: usage(invocations.low), high: usage(invocations.high) }, prices, notes);

  if (meta.consumer === 'synthetic') {
    const gb = fn.memoryMb / 1024;
    const billedSec = (meanHandlerMs(scenario) + costAssumptions.sinkWriteMs) / 1000;
    const peakInvokesPerSecondHigh = peakRatePerSecond(scenario.workload.phases) * scenario.workload.eventsPerArrival * copies;
    // Little's law: environments needed at the peak = invocation rate × duration; each is one cold start.
    const coldStartsHigh = Math.max(1, Math.ceil(peakInvokesPerSecondHigh * billedSec));
    const coldStartsLow = Math.max(1, Math.ceil(coldStartsHigh * (invocations.low / Math.max(1, invocations.high))));
    const initSec = coldStartDistributionOf(fn).p50Ms / 1000;
    const gbSecond = fn.architecture === 'arm64' ? price('lambdaGbSecondArm64Usd') : price('lambdaGbSecondX86Usd');
    const requestsPerMillion = price('lambdaRequestsPerMillionUsd');
    cost.push(line('Lambda requests', invocations.high, 'requests', (invocations.low / 1e6) * requestsPerMillion, (invocations.high / 1e6) * requestsPerMillion));
    // Since 1 Aug 2025 the INIT phase of on-demand functions is billed like duration.
    // https://aws.amazon.com/blogs/compute/aws-lambda-standardizes-billing-for-init-phase/
    cost.push(
      line(
        'Lambda duration (handler + sink write + billed init)',
        (invocations.high * billedSec + coldStartsHigh * initSec) * gb,
        'GB-s',
        (invocations.low * billedSec + coldStartsLow * initSec) * gb * gbSecond,
        (invocations.high * billedSec + coldStartsHigh * initSec) * gb * gbSecond,
      ),
    );
    if (fn.provisionedConcurrency > 0) {
      const pcGbSeconds = fn.provisionedConcurrency * gb * (lifetimeMs / 1000);
      const pcPrice = fn.architecture === 'arm64' ? price('lambdaProvisionedGbSecondArm64Usd') : price('lambdaProvisionedGbSecondX86Usd');
      cost.push(line('Lambda provisioned concurrency', pcGbSeconds, 'GB-s', pcGbSeconds * pcPrice));
    }
    // Sink queue: at least one SendMessageBatch per invocation, plus the harness's receives.
    const sinkBytes = deliveries * costAssumptions.completionRecordBytes;
    const sinkReceives = Math.ceil(sinkBytes / price('sqsRequestChunkBytes')) + lifetimeMs / costAssumptions.sinkLongPollMs;
    const sinkLow = invocations.low + sinkReceives;
    const sinkHigh = invocations.high + sinkReceives;
    const sqsPrice = price('sqsStandardRequestsPerMillionUsd');
    cost.push(line('SQS sink queue requests (completion records)', sinkHigh, 'requests', (sinkLow / 1e6) * sqsPrice, (sinkHigh / 1e6) * sqsPrice));
    const logGb = (invocations.high * costAssumptions.logBytesPerInvocation) / 1e9;
    const logPrice = price('cloudWatchLogsIngestPerGbUsd');
    cost.push(line('CloudWatch Logs ingestion', logGb, 'GB', ((invocations.low * costAssumptions.logBytesPerInvocation) / 1e9) * logPrice, logGb * logPrice));
  }
  cost.push(
    line(
      'CloudWatch GetMetricData',
      costAssumptions.metricsPerPattern,
      'metrics',
      (costAssumptions.metricsPerPattern / 1000) * price('cloudWatchGetMetricDataPerThousandMetricsUsd'),
    ),
  );
  const name = pattern.name ?? pattern.source;
  return {
    name,
    source: pattern.source,
    stackName: stackNameFor(scenario.name, name, runId),
    deploysStack: templateCreatesResources(template),
    resources: describeTemplateResources(template),
    bringYourOwn: meta.bringYourOwn,
    consumer: meta.consumer,
    notes: [...new Set(notes)],
    events,
    invocations: { low: Math.round(invocations.low), high: Math.round(invocations.high) },
    cost,
    costUsd: { low: sum(cost.map((c) => c.usdLow)), high: sum(cost.map((c) => c.usdHigh)) },
  };
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/**
 * Plans an `aws` run without calling AWS: per pattern the stack and its resources (and the
 * existing resources it leaves alone), the run's duration, the events sent, and a cost
 * range from full batches (low) to one event per invocation (high).
 *
 * @example
 * const plan = planAwsRun(scenario);
 * process.stdout.write(formatAwsPlan(plan)); // in the CLI
 */
export function planAwsRun(scenario: Scenario, options: AwsDryRunOptions = {}): AwsRunPlan {
  const runId = options.runId ?? 'dry-run';
  const phases = scenario.workload.phases;
  const events = Math.round(sum(phases.map(arrivalsOf)) * scenario.workload.eventsPerArrival);
  const prices = resolvePrices(scenario.prices ?? {});
  const patterns = scenario.patterns.map((pattern) => planPattern(scenario, pattern, runId, events, prices, options));
  return {
    scenario: scenario.name,
    region: scenario.region,
    runId,
    durationMs: sum(phases.map(phaseDurationMs)),
    drainTimeoutMs: scenario.drainTimeout,
    eventsPerPattern: events,
    patterns,
    costUsd: { low: sum(patterns.map((p) => p.costUsd.low)), high: sum(patterns.map((p) => p.costUsd.high)) },
    prices: {
      recordedAt: prices.asOf,
      region: prices.region,
      note:
        `list prices (${prices.asOf}), free tiers ignored` +
        (prices.overridden.length > 0 ? `; overridden: ${prices.overridden.join(', ')}` : '') +
        (scenario.region === prices.region ? '' : `; prices in ${scenario.region} differ`),
    },
  };
}

function usd(value: number): string {
  if (value === 0) return '$0';
  if (value < 0.01) return `$${value.toFixed(4)}`;
  return `$${value.toFixed(2)}`;
}

function usdRange(range: { low: number; high: number }): string {
  return Math.abs(range.high - range.low) < 0.00005 ? usd(range.high) : `${usd(range.low)}–${usd(range.high)}`;
}

function count(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/**
 * Renders a plan as plain text for the terminal.
 *
 * @example
 * formatAwsPlan(planAwsRun(scenario))
 * // 'sluice dry run — orders-sqs on aws (us-east-1)\nduration 2m (+ drain up to 1m), 12,000 events per pattern\n…'
 */
export function formatAwsPlan(plan: AwsRunPlan, options: { runTarget?: TargetName } = {}): string {
  const lines: string[] = [];
  const runTarget = options.runTarget ?? 'aws';
  // The plan is always AWS's (what --target aws creates and costs); a local run creates and costs nothing there.
  lines.push(
    runTarget === 'aws'
      ? `sluice dry run — ${plan.scenario} on aws (${plan.region})`
      : `sluice dry run — ${plan.scenario} runs on the ${runTarget} target, which creates nothing on AWS and costs nothing; with --target aws (${plan.region}) it would create and cost:`,
  );
  lines.push(`duration ${formatDurationMs(plan.durationMs)} (+ drain up to ${formatDurationMs(plan.drainTimeoutMs)}), ${count(plan.eventsPerPattern)} events per pattern`);
  for (const pattern of plan.patterns) {
    lines.push('');
    lines.push(`pattern ${pattern.name} (${pattern.source}) → ${pattern.deploysStack ? `stack ${pattern.stackName}` : 'no stack: sluice creates nothing, it sends load and reads CloudWatch'}`);
    for (const own of pattern.bringYourOwn) lines.push(`  uses your ${own.field}: ${own.value} (not created)`);
    if (pattern.bringYourOwn.some((own) => own.field !== 'functionName')) lines.push('  (the load’s requests to your resource are billed to your account and not included)');
    if (pattern.deploysStack) {
      lines.push(`  creates ${pattern.resources.length} resources:`);
      for (const resource of pattern.resources) lines.push(`    ${resource.type.padEnd(34)} ${resource.logicalId}`);
    }
    lines.push(`  consumer: ${{ synthetic: 'sluice synthetic consumer', yours: 'your function', none: 'none (sluice cannot wire your resource)' }[pattern.consumer]}`);
    if (pattern.consumer === 'yours') lines.push('  (your function’s own Lambda cost is not included)');
    if (pattern.consumer !== 'none') {
      const { low, high } = pattern.invocations;
      lines.push(`  invocations: ${low === high ? count(high) : `${count(low)}–${count(high)}`}`);
    }
    lines.push('  cost:');
    for (const c of pattern.cost) lines.push(`    ${c.item.padEnd(52)} ${usdRange({ low: c.usdLow, high: c.usdHigh }).padStart(17)}`);
    lines.push(`    ${'total'.padEnd(52)} ${usdRange(pattern.costUsd).padStart(17)}`);
    if (pattern.events > 0) {
      lines.push(`    ${'per million events'.padEnd(52)} ${usdRange({ low: (pattern.costUsd.low / pattern.events) * 1e6, high: (pattern.costUsd.high / pattern.events) * 1e6 }).padStart(17)}`);
    }
    for (const note of pattern.notes) lines.push(`  note: ${note}`);
  }
  lines.push('');
  lines.push(`estimated total ${usdRange(plan.costUsd)} (${plan.prices.note})`);
  return `${lines.join('\n')}\n`;
}
