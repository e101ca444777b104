import type { CostEstimate, PatternResult } from './run-result.ts';
import { isPriceTable, resolvePrices, type PriceOverrides, type PriceTable } from './pricing.ts';

type CostLine = CostEstimate['lines'][number];

/** The workload's default event size; used, with a note, when a result does not record it. */
const defaultEventSizeBytes = 256;
/** SQS ReceiveMessage and DeleteMessageBatch handle at most 10 messages per call. */
const sqsMessagesPerCallMax = 10;
const bytesPerGb = 1024 ** 3;
const msPerHour = 3_600_000;

/**
 * Estimates what a pattern's run would cost on AWS at list prices: the function's
 * invocations and GB-seconds, and the source's own request pricing. The figure per
 * million events divides the total by the events the source accepted.
 *
 * What is read: `summary.invocations`, `latency.invokeDurationMs.mean` (GB-s = mean ×
 * invocations × memory), `function.memoryMb` and `function.architecture`, the accounting,
 * `load.eventSizeBytes` (payload chunks) and the source's settings: `sqs` `batchSize`,
 * `sendBatchSize`, `fifo`; `kinesis` `shards`, `streamMode` (`provisioned` | `on-demand`);
 * `apigateway` `type` (`http` | `rest`). Whatever had to be assumed is listed in `notes`.
 *
 * @example
 * const cost = estimateCost(result.patterns[0]);
 * cost.perMillionEventsUsd // 3.92
 * const discounted = estimateCost(result.patterns[0], { lambdaGbSecondArm64Usd: 0.0000108 });
 */
export function estimateCost(pattern: PatternResult, prices?: PriceTable | PriceOverrides): CostEstimate {
  const table = isPriceTable(prices) ? prices : resolvePrices(prices);
  const notes: string[] = [];
  const lines: CostLine[] = [...lambdaLines(pattern, table, notes), ...sourceLines(pattern, table, notes)];
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
  // The mean times the count is the sum of the invoke durations; AWS bills each one rounded
  // up to the millisecond, a difference below 1 % for handlers longer than 50 ms.
  const invokeGbSeconds = ((pattern.latency.invokeDurationMs.mean * invocations) / 1000) * memoryGb;
  const lines: CostLine[] = [
    line('Lambda requests', invocations, 'invocation', rows.lambdaRequestsPerMillionUsd.value / 1_000_000),
    line(`Lambda duration (${architectureLabel}, ${memoryMb ?? 128} MB)`, invokeGbSeconds, 'GB-second', gbSecondPrice),
  ];

  // Since 1 August 2025 the INIT phase of on-demand functions is billed as duration too.
  // https://aws.amazon.com/blogs/compute/aws-lambda-standardizes-billing-for-init-phase/
  const coldStarts = pattern.summary.coldStarts;
  const initMeanMs = pattern.latency.initDurationMs.count > 0 ? pattern.latency.initDurationMs.mean : 0;
  if (coldStarts > 0 && initMeanMs > 0) {
    const initGbSeconds = ((initMeanMs * coldStarts) / 1000) * memoryGb;
    lines.push(line(`Lambda init duration (${coldStarts} cold starts)`, initGbSeconds, 'GB-second', gbSecondPrice));
  }
  const provisioned = numberSetting(pattern.function, 'provisionedConcurrency');
  if (provisioned !== undefined && provisioned > 0) {
    notes.push('provisioned concurrency is not priced (its own per-GB-s rate applies while it is configured)');
  }
  return lines;
}

function sourceLines(pattern: PatternResult, prices: PriceTable, notes: string[]): CostLine[] {
  const rows = prices.rows;
  const { accounting, settings } = pattern;
  const recordedSize = pattern.load.eventSizeBytes;
  const eventSizeBytes = recordedSize ?? defaultEventSizeBytes;
  const needsSize = pattern.source === 'sqs' || pattern.source === 'kinesis' || pattern.source === 'eventbridge';
  if (recordedSize === undefined && needsSize) {
    notes.push(`event size not recorded; assumed ${defaultEventSizeBytes} bytes`);
  }
  const deliveries = accounting.delivered + accounting.duplicateDeliveries;

  switch (pattern.source) {
    case 'sqs': {
      const fifo = settings['fifo'] === true;
      const price = (fifo ? rows.sqsFifoRequestsPerMillionUsd.value : rows.sqsStandardRequestsPerMillionUsd.value) / 1_000_000;
      const chunkBytes = rows.sqsRequestChunkBytes.value;
      const sendBatch = clamp(numberSetting(settings, 'sendBatchSize') ?? 1, 1, sqsMessagesPerCallMax);
      // Lambda's pollers receive and delete at most 10 messages per call, whatever the batchSize.
      const perCall = clamp(numberSetting(settings, 'batchSize') ?? 10, 1, sqsMessagesPerCallMax);
      const sends = Math.ceil(accounting.sent / sendBatch) * Math.ceil((sendBatch * eventSizeBytes) / chunkBytes);
      const receives = Math.ceil(deliveries / perCall) * Math.ceil((perCall * eventSizeBytes) / chunkBytes);
      const deletes = Math.ceil(accounting.completed / perCall);
      notes.push('SQS receives and deletes assume full batches; empty long polls are not counted');
      const queue = fifo ? 'FIFO' : 'standard';
      return [
        line(`SQS ${queue} send requests (${sendBatch} per call)`, sends, 'request', price),
        line(`SQS ${queue} receive requests (${perCall} per call)`, receives, 'request', price),
        line(`SQS ${queue} delete requests (${perCall} per call)`, deletes, 'request', price),
      ];
    }
    case 'kinesis': {
      const runHours = Math.max(0, pattern.endedAtMs - pattern.startedAtMs) / msPerHour;
      if (isOnDemand(settings['streamMode'])) {
        const roundedBytes = roundUp(eventSizeBytes, rows.kinesisOnDemandRecordRoundingBytes.value);
        return [
          line('Kinesis on-demand stream-hours', runHours, 'stream-hour', rows.kinesisOnDemandStreamHourUsd.value),
          line('Kinesis on-demand data in', (accounting.accepted * roundedBytes) / bytesPerGb, 'GB', rows.kinesisOnDemandIngestPerGbUsd.value),
          line('Kinesis on-demand data out', (deliveries * roundedBytes) / bytesPerGb, 'GB', rows.kinesisOnDemandRetrievalPerGbUsd.value),
        ];
      }
      const shards = numberSetting(settings, 'shards');
      if (shards === undefined) notes.push('shard count not recorded; assumed 1 shard');
      const unitsPerRecord = Math.ceil(eventSizeBytes / rows.kinesisPutPayloadUnitBytes.value);
      return [
        line(`Kinesis shard-hours (${shards ?? 1} shards)`, (shards ?? 1) * runHours, 'shard-hour', rows.kinesisShardHourUsd.value),
        line(
          'Kinesis PUT payload units',
          accounting.accepted * unitsPerRecord,
          'payload unit',
          rows.kinesisPutPayloadUnitsPerMillionUsd.value / 1_000_000,
        ),
      ];
    }
    case 'eventbridge': {
      const chunks = Math.ceil(eventSizeBytes / rows.eventBridgeEventChunkBytes.value);
      return [
        line('EventBridge custom events', accounting.accepted * chunks, 'event', rows.eventBridgeCustomEventsPerMillionUsd.value / 1_000_000),
      ];
    }
    case 's3':
      return [line('S3 PUT requests', accounting.accepted, 'request', rows.s3PutRequestsPerThousandUsd.value / 1000)];
    case 'apigateway': {
      const rest = settings['type'] === 'rest';
      const price = rest ? rows.apiGatewayRestRequestsPerMillionUsd.value : rows.apiGatewayHttpRequestsPerMillionUsd.value;
      return [line(`API Gateway ${rest ? 'REST' : 'HTTP'} API requests`, accounting.accepted, 'request', price / 1_000_000)];
    }
    default:
      notes.push(`no source prices for "${pattern.source}"; only the function is priced`);
      return [];
  }
}

function line(item: string, quantity: number, unit: string, unitPriceUsd: number): CostLine {
  return { item, quantity, unit, unitPriceUsd, usd: quantity * unitPriceUsd };
}

function numberSetting(settings: Record<string, unknown>, key: string): number | undefined {
  const value = settings[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function isOnDemand(mode: unknown): boolean {
  return typeof mode === 'string' && mode.replace(/[-_\s]/g, '').toLowerCase() === 'ondemand';
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

function roundUp(value: number, step: number): number {
  return Math.ceil(value / step) * step;
}
