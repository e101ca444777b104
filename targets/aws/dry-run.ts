import { awsPrices, pricesAsOf, pricesRegion, type PriceName } from '../../analysis/pricing.ts';
import type { Scenario } from '../../scenario/schema.ts';
import type { Phase } from '../../scenario/parts.ts';
import { formatDurationMs } from '../../core/duration.ts';
import { normalizePattern, type AwsPatternSettings } from './pattern-settings.ts';
import { buildStackTemplate, describeTemplateResources, stackNameFor, templateCreatesResources, type BuildStackTemplateOptions } from './template.ts';

/**
 * `sluice run --target aws --dry-run`: what would be created, for how long, and roughly
 * what it would cost — computed from the scenario alone, without calling AWS.
 */

const price = (name: PriceName) => awsPrices[name].value;

/**
 * The prices the estimate uses, in the shape it reads them: every number comes from sluice's
 * one table of list prices (analysis/pricing.ts), with its date; free tiers ignored (a load
 * test should not count on them).
 */
export const awsPriceTable = {
  recordedAt: pricesAsOf,
  region: pricesRegion,
  currency: 'USD',
  lambda: {
    source: awsPrices.lambdaRequestsPerMillionUsd.source,
    requestsPerMillion: price('lambdaRequestsPerMillionUsd'),
    gbSecond: { x86_64: price('lambdaGbSecondX86Usd'), arm64: price('lambdaGbSecondArm64Usd') },
    provisionedGbSecond: { x86_64: price('lambdaProvisionedGbSecondX86Usd'), arm64: price('lambdaProvisionedGbSecondArm64Usd') },
    // Since 1 Aug 2025 the INIT phase of on-demand functions is billed like duration.
    // https://aws.amazon.com/blogs/compute/aws-lambda-standardizes-billing-for-init-phase/
    initBilled: true,
  },
  sqs: {
    source: awsPrices.sqsStandardRequestsPerMillionUsd.source,
    standardRequestsPerMillion: price('sqsStandardRequestsPerMillionUsd'),
    fifoRequestsPerMillion: price('sqsFifoRequestsPerMillionUsd'),
    chunkBytes: price('sqsRequestChunkBytes'),
  },
  kinesis: {
    source: awsPrices.kinesisShardHourUsd.source,
    shardHour: price('kinesisShardHourUsd'),
    putPayloadUnitsPerMillion: price('kinesisPutPayloadUnitsPerMillionUsd'),
    putPayloadUnitBytes: price('kinesisPutPayloadUnitBytes'),
    onDemandStreamHour: price('kinesisOnDemandStreamHourUsd'),
    onDemandIngestPerGb: price('kinesisOnDemandIngestPerGbUsd'),
    onDemandRetrievalPerGb: price('kinesisOnDemandRetrievalPerGbUsd'),
  },
  eventbridge: {
    source: awsPrices.eventBridgeCustomEventsPerMillionUsd.source,
    customEventsPerMillion: price('eventBridgeCustomEventsPerMillionUsd'),
    chunkBytes: price('eventBridgeEventChunkBytes'),
  },
  s3: {
    source: awsPrices.s3PutRequestsPerThousandUsd.source,
    putPerThousand: price('s3PutRequestsPerThousandUsd'),
    listPerThousand: price('s3ListRequestsPerThousandUsd'),
  },
  apigateway: {
    source: awsPrices.apiGatewayHttpRequestsPerMillionUsd.source,
    httpRequestsPerMillion: price('apiGatewayHttpRequestsPerMillionUsd'),
    restRequestsPerMillion: price('apiGatewayRestRequestsPerMillionUsd'),
  },
  cloudwatch: {
    source: awsPrices.cloudWatchLogsIngestPerGbUsd.source,
    logsIngestPerGb: price('cloudWatchLogsIngestPerGbUsd'),
    getMetricDataPerThousandMetrics: price('cloudWatchGetMetricDataPerThousandMetricsUsd'),
  },
} as const;

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
  /** Lambda's SQS pollers long-poll continuously; five at rest, 20 s each. */
  idleSqsPollers: 5,
  sqsLongPollMs: 20_000,
  /** Metrics the harness reads per pattern when the run ends. */
  metricsPerPattern: 20,
} as const;

/** One line of a cost estimate. */
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
  source: AwsPatternSettings['source'];
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

/** Arrivals of one phase: a constant rate, or a linear ramp between two rates. */
function arrivalsOf(phase: Phase): number {
  if ('pause' in phase) return 0;
  const seconds = phase.duration / 1000;
  return phase.rampTo === undefined ? phase.arrivalRate * seconds : ((phase.arrivalRate + phase.rampTo) / 2) * seconds;
}

function phaseDurationMs(phase: Phase): number {
  return 'pause' in phase ? phase.pause : phase.duration;
}

function peakRatePerSecond(phases: Phase[]): number {
  return Math.max(0, ...phases.map((phase) => ('pause' in phase ? 0 : Math.max(phase.arrivalRate, phase.rampTo ?? 0))));
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

/** Invocations of the consumer: full batches (low) to one event per invocation (high). */
function invocationsOf(settings: AwsPatternSettings, deliveries: number): { low: number; high: number } {
  switch (settings.source) {
    case 'sqs':
    case 'kinesis':
      return { low: Math.ceil(deliveries / settings.batchSize), high: deliveries };
    case 's3':
      // S3 notifications carry one record each.
      return { low: deliveries, high: deliveries };
    default:
      return { low: deliveries, high: deliveries };
  }
}

const line = (item: string, quantity: number, unit: string, usdLow: number, usdHigh = usdLow): CostLine => ({ item, quantity, unit, usdLow, usdHigh });

function sourceCost(
  settings: AwsPatternSettings,
  pattern: Scenario['patterns'][number],
  scenario: Scenario,
  events: number,
  invocations: { low: number; high: number },
  lifetimeMs: number,
): CostLine[] {
  const prices = awsPriceTable;
  const eventBytes = scenario.workload.eventSizeBytes;
  const hours = Math.ceil(lifetimeMs / 3_600_000);
  switch (settings.source) {
    case 'sqs': {
      if (settings.queueUrl) return [];
      const perMillion = settings.fifo ? prices.sqs.fifoRequestsPerMillion : prices.sqs.standardRequestsPerMillion;
      const sendBatch = Number((pattern as { sendBatchSize?: number }).sendBatchSize ?? 1);
      const chunks = Math.max(1, Math.ceil((eventBytes * sendBatch) / prices.sqs.chunkBytes));
      const sends = Math.ceil(events / sendBatch) * chunks;
      const idlePolls = (costAssumptions.idleSqsPollers * lifetimeMs) / costAssumptions.sqsLongPollMs;
      // Each invocation is one receive and one delete batch.
      const low = sends + 2 * invocations.low + idlePolls;
      const high = sends + 2 * invocations.high + idlePolls;
      return [line('SQS requests (send, receive, delete, idle polls)', high, 'requests', (low / 1e6) * perMillion, (high / 1e6) * perMillion)];
    }
    case 'kinesis': {
      if (settings.streamName) return [];
      const bytes = events * eventBytes;
      if (settings.mode === 'on-demand') {
        return [
          line('Kinesis on-demand stream hours', hours, 'stream-hours', hours * prices.kinesis.onDemandStreamHour),
          line('Kinesis on-demand data in', bytes / 1e9, 'GB', (bytes / 1e9) * prices.kinesis.onDemandIngestPerGb),
          line('Kinesis on-demand data out', bytes / 1e9, 'GB', (bytes / 1e9) * prices.kinesis.onDemandRetrievalPerGb),
        ];
      }
      const units = events * Math.max(1, Math.ceil(eventBytes / prices.kinesis.putPayloadUnitBytes));
      return [
        line('Kinesis shard hours', settings.shards * hours, 'shard-hours', settings.shards * hours * prices.kinesis.shardHour),
        line('Kinesis PUT payload units', units, 'units', (units / 1e6) * prices.kinesis.putPayloadUnitsPerMillion),
      ];
    }
    case 'eventbridge': {
      if (settings.busName) return [];
      const billed = events * Math.max(1, Math.ceil(eventBytes / prices.eventbridge.chunkBytes));
      return [line('EventBridge custom events', billed, 'events', (billed / 1e6) * prices.eventbridge.customEventsPerMillion)];
    }
    case 's3': {
      if (settings.bucket) return [];
      const lists = Math.ceil(events / 1000);
      return [
        line('S3 PUT requests', events, 'requests', (events / 1000) * prices.s3.putPerThousand),
        line('S3 LIST requests (emptying the bucket)', lists, 'requests', (lists / 1000) * prices.s3.listPerThousand),
      ];
    }
    case 'apigateway': {
      if (settings.apiUrl) return [];
      const perMillion = settings.type === 'http' ? prices.apigateway.httpRequestsPerMillion : prices.apigateway.restRequestsPerMillion;
      return [line(`API Gateway ${settings.type.toUpperCase()} API requests`, events, 'requests', (events / 1e6) * perMillion)];
    }
  }
}

function planPattern(scenario: Scenario, pattern: Scenario['patterns'][number], index: number, runId: string, events: number, options: BuildStackTemplateOptions): PatternPlan {
  const settings = normalizePattern(pattern, `patterns[${index}]`);
  const template = buildStackTemplate(scenario, pattern, runId, options);
  const meta = template.Metadata.sluice;
  const fn = scenario.function;
  const lifetimeMs = scenario.workload.phases.reduce((sum, phase) => sum + phaseDurationMs(phase), 0) + scenario.drainTimeout + costAssumptions.stackOverheadMs;
  const handler = fn.handler;
  const errorRate = handler.type === 'synthetic' ? handler.errorRate : 0;
  const maxAttempts =
    settings.source === 'sqs'
      ? settings.maxReceiveCount
      : settings.source === 'apigateway'
        ? 1
        : settings.source === 'eventbridge' || settings.source === 's3'
          ? settings.asyncInvoke.maximumRetryAttempts + 1
          : settings.maximumRetryAttempts >= 0
            ? settings.maximumRetryAttempts + 1
            : 3;
  // EventBridge invokes the target once per rule an event matches: at most once per rule.
  const copies = settings.source === 'eventbridge' ? settings.rules.length : 1;
  const deliveries = events * copies * attemptsPerEvent(errorRate, maxAttempts);
  const invocations = meta.consumer === 'none' ? { low: 0, high: 0 } : invocationsOf(settings, deliveries);
  const cost = sourceCost(settings, pattern, scenario, events, invocations, lifetimeMs);

  if (meta.consumer === 'synthetic') {
    const prices = awsPriceTable.lambda;
    const gb = fn.memoryMb / 1024;
    const billedSec = (meanHandlerMs(scenario) + costAssumptions.sinkWriteMs) / 1000;
    const peakInvokesPerSecondHigh = peakRatePerSecond(scenario.workload.phases) * scenario.workload.eventsPerArrival * copies;
    // Little's law: environments needed at the peak = invocation rate × duration; each is one cold start.
    const coldStartsHigh = Math.max(1, Math.ceil(peakInvokesPerSecondHigh * billedSec));
    const coldStartsLow = Math.max(1, Math.ceil(coldStartsHigh * (invocations.low / Math.max(1, invocations.high))));
    const initSec = fn.initDuration / 1000;
    const gbSecond = prices.gbSecond[fn.architecture];
    cost.push(line('Lambda requests', invocations.high, 'requests', (invocations.low / 1e6) * prices.requestsPerMillion, (invocations.high / 1e6) * prices.requestsPerMillion));
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
      cost.push(line('Lambda provisioned concurrency', pcGbSeconds, 'GB-s', pcGbSeconds * prices.provisionedGbSecond[fn.architecture]));
    }
    // Sink queue: at least one SendMessageBatch per invocation, plus the harness's receives.
    const sinkBytes = deliveries * costAssumptions.completionRecordBytes;
    const sinkReceives = Math.ceil(sinkBytes / awsPriceTable.sqs.chunkBytes) + lifetimeMs / costAssumptions.sqsLongPollMs;
    const sinkLow = invocations.low + sinkReceives;
    const sinkHigh = invocations.high + sinkReceives;
    const sqsPrice = awsPriceTable.sqs.standardRequestsPerMillion;
    cost.push(line('SQS sink queue requests (completion records)', sinkHigh, 'requests', (sinkLow / 1e6) * sqsPrice, (sinkHigh / 1e6) * sqsPrice));
    const logGb = (invocations.high * costAssumptions.logBytesPerInvocation) / 1e9;
    cost.push(
      line(
        'CloudWatch Logs ingestion',
        logGb,
        'GB',
        ((invocations.low * costAssumptions.logBytesPerInvocation) / 1e9) * awsPriceTable.cloudwatch.logsIngestPerGb,
        logGb * awsPriceTable.cloudwatch.logsIngestPerGb,
      ),
    );
  }
  cost.push(
    line(
      'CloudWatch GetMetricData',
      costAssumptions.metricsPerPattern,
      'metrics',
      (costAssumptions.metricsPerPattern / 1000) * awsPriceTable.cloudwatch.getMetricDataPerThousandMetrics,
    ),
  );
  return {
    name: settings.name,
    source: settings.source,
    stackName: stackNameFor(scenario.name, settings.name, runId),
    deploysStack: templateCreatesResources(template),
    resources: describeTemplateResources(template),
    bringYourOwn: meta.bringYourOwn,
    consumer: meta.consumer,
    notes: meta.notes,
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
export function planAwsRun(scenario: Scenario, options: BuildStackTemplateOptions & { runId?: string } = {}): AwsRunPlan {
  const runId = options.runId ?? 'dry-run';
  const phases = scenario.workload.phases;
  const events = Math.round(sum(phases.map(arrivalsOf)) * scenario.workload.eventsPerArrival);
  const patterns = scenario.patterns.map((pattern, index) => planPattern(scenario, pattern, index, runId, events, options));
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
      recordedAt: awsPriceTable.recordedAt,
      region: awsPriceTable.region,
      note:
        `list prices (${awsPriceTable.recordedAt}), free tiers ignored` +
        (scenario.region === awsPriceTable.region ? '' : `; prices in ${scenario.region} differ`),
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
export function formatAwsPlan(plan: AwsRunPlan): string {
  const lines: string[] = [];
  lines.push(`sluice dry run — ${plan.scenario} on aws (${plan.region})`);
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
