import type { CostEstimate, FunctionUsage, PatternResult } from './run-result.ts';
import { isPriceTable, resolvePrices, type PriceOverrides, type PriceTable } from './pricing.ts';

/** One priced line of an estimate: what, how many, at what unit price. */
export type CostLine = CostEstimate['lines'][number];

/**
 * What a source was used for during one run, in the units its prices count. The dry run
 * (run/aws-dry-run.ts) knows it before the run from the scenario; after a run it is read
 * from the RunResult. Both price it with the same {@link SourceCostModel}.
 */
export interface SourceUsage {
  /** Events the load generator sent to the source. */
  eventsSent: number;
  /** Events the source accepted. */
  eventsAccepted: number;
  /** Deliveries to the consumer, every copy and every retry included. */
  deliveries: number;
  /** Invocations of the consumer: a batch is one. */
  invocations: number;
  /** Events the consumer completed. */
  eventsCompleted: number;
  /**
   * Hours the source's hourly-billed resources (a stream's shards) are counted for: a run's
   * window once it is measured; the stack's whole lifetime rounded up to whole hours before it
   * (a plan errs on the expensive side).
   */
  resourceHours: number;
  /** Payload of one event; absent when a result does not record it (see {@link eventSizeBytesOf}). */
  eventSizeBytes?: number;
  /**
   * Receive calls that found nothing (a poller's long polls of an empty queue), when known:
   * estimated before a run, not measured after it (absent).
   */
  emptyReceives?: number;
}

/**
 * What a source's requests cost for a given usage: the same function prices the dry-run
 * estimate and the measured run. Each source implements it in `drivers/<source>/cost.ts`;
 * analysis receives it as a parameter and never imports it.
 *
 * `lines` reads the pattern's settings as a RunResult recorded them (any field may be absent
 * in an older result: the model assumes AWS's default and says so in `notes`); the planning
 * facts read the parsed pattern of a scenario.
 */
export interface SourceCostModel<Pattern> {
  lines(settings: Partial<Pattern>, usage: SourceUsage, prices: PriceTable, notes: string[]): CostLine[];
  /** Events one invocation carries at most: a polled source's batch size, 1 for a push source. */
  eventsPerInvocationMax(pattern: Pattern): number;
  /** Deliveries of one event before the source gives up on it (a queue's maxReceiveCount, retries + 1). */
  maxAttemptsPerEvent(pattern: Pattern): number;
  /** Copies of one event the source delivers (an EventBridge event matching three rules invokes three times). */
  copiesPerEvent(pattern: Pattern): number;
  /** Empty receives the source's pollers make over `lifetimeMs`, for a plan; absent for a source that is not polled. */
  emptyReceivesPlanned?(pattern: Pattern, lifetimeMs: number): number;
}

/** A source's cost model whatever its pattern type, as maps of models hold it. */
export type AnySourceCostModel = SourceCostModel<never>;

/** The workload's default event size; used, with a note, when a result does not record it. */
const defaultEventSizeBytes = 256;
const msPerHour = 3_600_000;

/**
 * Estimates what a pattern's run would cost on AWS at list prices: the function's
 * invocations and GB-seconds, and the source's own request pricing from `sourceCost` (the
 * source module's model; without one only the function is priced, and a note says so). The
 * figure per million events divides the total by the events the source accepted.
 *
 * What is read: `summary.invocations`, `latency.invokeDurationMs.mean` (GB-s = mean ×
 * invocations × memory), `function.memoryMb` and `function.architecture`, the accounting,
 * `load.eventSizeBytes`, the run's window, and — by the source's model — its settings.
 * Whatever had to be assumed is listed in `notes`.
 *
 * @example
 * const cost = estimateCost(result.patterns[0], undefined, sqsCost);
 * cost.perMillionEventsUsd // 3.92
 * const discounted = estimateCost(result.patterns[0], { lambdaGbSecondArm64Usd: 0.0000108 }, sqsCost);
 */
export function estimateCost(pattern: PatternResult, prices?: PriceTable | PriceOverrides, sourceCost?: AnySourceCostModel): CostEstimate {
  const table = isPriceTable(prices) ? prices : resolvePrices(prices);
  const notes: string[] = [];
  const lines: CostLine[] = [...lambdaLines(pattern, table, notes)];
  if (sourceCost) lines.push(...sourceCost.lines(pattern.settings as never, usageOf(pattern), table, notes));
  else notes.push(`no source prices for "${pattern.source}"; only the function is priced`);
  if (table.overridden.length > 0) notes.push(`prices overridden: ${table.overridden.join(', ')}`);

  const totalUsd = lines.reduce((sum, line) => sum + line.usd, 0);
  const accepted = pattern.accounting.accepted;
  if (accepted === 0) notes.push('no event was accepted, so there is no cost per million events');
  return {
    totalUsd,
    perMillionEventsUsd: accepted > 0 ? (totalUsd / accepted) * 1_000_000 : 0,
    lines,
    pricesAsOf: `${table.asOf}`,
    ...(notes.length > 0 ? { notes } : {}),
  };
}

/** A measured run's usage of its source. Empty receives are not measured, so they are absent. */
function usageOf(pattern: PatternResult): SourceUsage {
  const { accounting } = pattern;
  return {
    eventsSent: accounting.sent,
    eventsAccepted: accounting.accepted,
    deliveries: accounting.delivered + accounting.duplicateDeliveries,
    invocations: pattern.summary.invocations,
    eventsCompleted: accounting.completed,
    resourceHours: Math.max(0, pattern.endedAtMs - pattern.startedAtMs) / msPerHour,
    ...(pattern.load.eventSizeBytes !== undefined ? { eventSizeBytes: pattern.load.eventSizeBytes } : {}),
  };
}

/**
 * The usage's event size, or the workload's default with a note when it was not recorded:
 * for the models of sources that bill by payload size.
 *
 * @example eventSizeBytesOf({ …usage, eventSizeBytes: undefined }, notes) // 256, notes: ['event size not recorded; assumed 256 bytes']
 */
export function eventSizeBytesOf(usage: SourceUsage, notes: string[]): number {
  if (usage.eventSizeBytes !== undefined) return usage.eventSizeBytes;
  const note = `event size not recorded; assumed ${defaultEventSizeBytes} bytes`;
  if (!notes.includes(note)) notes.push(note);
  return defaultEventSizeBytes;
}

/**
 * One cost line: `quantity` units at `unitPriceUsd` each.
 *
 * @example costLine('S3 PUT requests', 1000, 'request', 0.000005) // { …, usd: 0.005 }
 */
export function costLine(item: string, quantity: number, unit: string, unitPriceUsd: number): CostLine {
  return { item, quantity, unit, unitPriceUsd, usd: quantity * unitPriceUsd };
}

function lambdaLines(pattern: PatternResult, prices: PriceTable, notes: string[]): CostLine[] {
  const rows = prices.rows;
  const memoryMb = numberSetting(pattern.function, 'memoryMb');
  const architectureSetting = pattern.function['architecture'];
  const architecture = architectureSetting === 'arm64' || architectureSetting === 'x86_64' ? architectureSetting : undefined;
  if (memoryMb === undefined) notes.push('function memory not recorded; assumed 128 MB (the Lambda default)');
  if (architecture === undefined) notes.push('function architecture not recorded; assumed x86_64 (the Lambda default)');
  const memoryGb = (memoryMb ?? 128) / 1024;
  const gbSecondPrice = architecture === 'arm64' ? rows.lambdaGbSecondArm64Usd.value : rows.lambdaGbSecondX86Usd.value;
  const architectureLabel = architecture ?? 'x86_64';
  const invocations = pattern.summary.invocations;
  if (pattern.functionUsage) return lambdaLinesFromUsage(pattern.functionUsage, { invocations, memoryGb, memoryMb: memoryMb ?? 128, architecture: architectureLabel, prices, notes });

  // The mean times the count is the sum of the invoke durations; AWS bills each one rounded
  // up to the millisecond, a difference below 1 % for handlers longer than 50 ms.
  const invokeGbSeconds = ((pattern.latency.invokeDurationMs.mean * invocations) / 1000) * memoryGb;
  const lines: CostLine[] = [
    costLine('Lambda requests', invocations, 'invocation', rows.lambdaRequestsPerMillionUsd.value / 1_000_000),
    costLine(`Lambda duration (${architectureLabel}, ${memoryMb ?? 128} MB)`, invokeGbSeconds, 'GB-second', gbSecondPrice),
  ];

  // Since 1 August 2025 the INIT phase of on-demand functions is billed as duration too.
  // https://aws.amazon.com/blogs/compute/aws-lambda-standardizes-billing-for-init-phase/
  const coldStarts = pattern.summary.coldStarts;
  const initMeanMs = pattern.latency.initDurationMs.count > 0 ? pattern.latency.initDurationMs.mean : 0;
  if (coldStarts > 0 && initMeanMs > 0) {
    const initGbSeconds = ((initMeanMs * coldStarts) / 1000) * memoryGb;
    lines.push(costLine(`Lambda init duration (${coldStarts} cold starts)`, initGbSeconds, 'GB-second', gbSecondPrice));
  }
  const provisioned = numberSetting(pattern.function, 'provisionedConcurrency');
  if (provisioned !== undefined && provisioned > 0) {
    notes.push('provisioned concurrency is not priced: this result does not record how long it was configured (functionUsage)');
  }
  return lines;
}

/**
 * The function's lines from what sluice's runtime recorded it used, each one AWS's formula
 * (https://aws.amazon.com/lambda/pricing/):
 * - requests: invocations (keep-warm pings included) × the request price;
 * - on-demand duration: Σ duration × memory (GB) × the architecture's GB-s price;
 * - billed INIT: Σ INIT of on-demand cold starts × memory × the same price, since 1 August 2025
 *   (https://aws.amazon.com/blogs/compute/aws-lambda-standardizes-billing-for-init-phase/);
 *   a provisioned environment's INIT is covered by its provisioned charge;
 * - provisioned concurrency: configured environments × time × memory × the provisioned GB-s price;
 * - duration on provisioned environments: Σ duration × memory × the lower provisioned duration price.
 *
 * @example lambdaLinesFromUsage(usage, { invocations: 1000, memoryGb: 1, memoryMb: 1024, architecture: 'arm64', prices, notes })
 */
export function lambdaLinesFromUsage(
  usage: FunctionUsage,
  options: { invocations: number; memoryGb: number; memoryMb: number; architecture: 'arm64' | 'x86_64'; prices: PriceTable; notes: string[] },
): CostLine[] {
  const rows = options.prices.rows;
  const arm = options.architecture === 'arm64';
  const gbSecondPrice = arm ? rows.lambdaGbSecondArm64Usd.value : rows.lambdaGbSecondX86Usd.value;
  const gbSeconds = (ms: number) => (ms / 1000) * options.memoryGb;
  const label = `${options.architecture}, ${options.memoryMb} MB`;
  const keepWarm = usage.keepWarm;
  const lines: CostLine[] = [costLine('Lambda requests', options.invocations, 'invocation', rows.lambdaRequestsPerMillionUsd.value / 1_000_000)];
  lines.push(costLine(`Lambda duration (${label})`, gbSeconds(usage.onDemandDurationMs), 'GB-second', gbSecondPrice));
  if (usage.onDemandInitMs > 0) {
    lines.push(costLine(`Lambda init duration (${usage.onDemandColdStarts} on-demand cold starts)`, gbSeconds(usage.onDemandInitMs), 'GB-second', gbSecondPrice));
  }
  if (usage.provisionedConcurrencyMs > 0 || usage.provisionedDurationMs > 0) {
    const provisionedPrice = arm ? rows.lambdaProvisionedGbSecondArm64Usd.value : rows.lambdaProvisionedGbSecondX86Usd.value;
    const provisionedDurationPrice = arm ? rows.lambdaProvisionedDurationGbSecondArm64Usd.value : rows.lambdaProvisionedDurationGbSecondX86Usd.value;
    lines.push(costLine(`Lambda provisioned concurrency (up to ${usage.provisionedConcurrencyMax})`, gbSeconds(usage.provisionedConcurrencyMs), 'GB-second', provisionedPrice));
    lines.push(costLine('Lambda duration on provisioned environments', gbSeconds(usage.provisionedDurationMs), 'GB-second', provisionedDurationPrice));
    options.notes.push('AWS bills provisioned concurrency for whole 5-minute periods from when it is configured: a run shorter than that is billed at least 5 minutes of it');
  }
  if (keepWarm && keepWarm.pings > 0) {
    lines.push(costLine(`Lambda keep-warm pings (${keepWarm.pings})`, keepWarm.pings, 'invocation', rows.lambdaRequestsPerMillionUsd.value / 1_000_000));
    lines.push(costLine('Lambda keep-warm duration and init', gbSeconds(keepWarm.durationMs + keepWarm.initMs), 'GB-second', gbSecondPrice));
  }
  return lines;
}

function numberSetting(settings: Record<string, unknown>, key: string): number | undefined {
  const value = settings[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
