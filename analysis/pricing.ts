import { z } from 'zod';

/**
 * When the list prices below were read. They are AWS's public us-east-1 list prices as
 * known in 2025 (first pricing tier, no free tier, no Savings Plans); they were not
 * re-read at run time, so check the source pages before quoting a figure as a bill.
 */
export const pricesAsOf = '2025, us-east-1';

/** The region the table is for; other regions differ by a few percent. */
export const pricesRegion = 'us-east-1';

/**
 * One table of the prices and billing units the cost estimate uses. Each row names the
 * page it comes from. Units are last in the names (`…Usd` is a price, `…Bytes` a billing
 * chunk). Override any row with {@link resolvePrices}.
 *
 * @example
 * awsPrices.lambdaGbSecondArm64Usd.value // 0.0000133334
 */
export const awsPrices = {
  lambdaRequestsPerMillionUsd: {
    value: 0.2,
    unit: 'USD per 1M invocations',
    source: 'https://aws.amazon.com/lambda/pricing/',
  },
  lambdaGbSecondX86Usd: {
    value: 0.0000166667,
    unit: 'USD per GB-second (x86_64, first 6 billion GB-s per month)',
    source: 'https://aws.amazon.com/lambda/pricing/',
  },
  lambdaGbSecondArm64Usd: {
    value: 0.0000133334,
    unit: 'USD per GB-second (arm64, first 7.5 billion GB-s per month)',
    source: 'https://aws.amazon.com/lambda/pricing/',
  },
  lambdaProvisionedGbSecondX86Usd: {
    value: 0.0000041667,
    unit: 'USD per GB-second of provisioned concurrency kept warm (x86_64)',
    source: 'https://aws.amazon.com/lambda/pricing/',
  },
  lambdaProvisionedGbSecondArm64Usd: {
    value: 0.0000033334,
    unit: 'USD per GB-second of provisioned concurrency kept warm (arm64)',
    source: 'https://aws.amazon.com/lambda/pricing/',
  },
  lambdaProvisionedDurationGbSecondX86Usd: {
    value: 0.0000097222,
    unit: 'USD per GB-second of duration on provisioned environments (x86_64)',
    source: 'https://aws.amazon.com/lambda/pricing/ (Provisioned Concurrency: Duration, us-east-1, read 2025)',
  },
  lambdaProvisionedDurationGbSecondArm64Usd: {
    value: 0.0000077778,
    unit: 'USD per GB-second of duration on provisioned environments (arm64)',
    source: 'https://aws.amazon.com/lambda/pricing/ (Provisioned Concurrency: Duration, us-east-1, read 2025)',
  },
  sqsStandardRequestsPerMillionUsd: {
    value: 0.4,
    unit: 'USD per 1M standard-queue requests (first 100 billion per month)',
    source: 'https://aws.amazon.com/sqs/pricing/',
  },
  lambdaSqsEventPollerUnitHourUsd: {
    value: 0.00925,
    unit: 'USD per event-poller-unit hour of an SQS event source mapping in provisioned mode (one unit per provisioned event poller)',
    source: 'https://aws.amazon.com/lambda/pricing/ (provisioned mode for event source mappings: billed per Event-Poller-Unit-hour; the SQS example there uses $0.00925, us-east-1, read 2026). Counting one unit per event poller is sluice\'s reading of that example: check the page before quoting a bill',
  },
  sqsFifoRequestsPerMillionUsd: {
    value: 0.5,
    unit: 'USD per 1M FIFO-queue requests (first 100 billion per month)',
    source: 'https://aws.amazon.com/sqs/pricing/',
  },
  sqsRequestChunkBytes: {
    value: 64 * 1024,
    unit: 'bytes of payload billed as one request',
    source: 'https://aws.amazon.com/sqs/pricing/ (each 64 KB chunk of a payload is billed as 1 request)',
  },
  kinesisShardHourUsd: {
    value: 0.015,
    unit: 'USD per shard-hour (provisioned mode)',
    source: 'https://aws.amazon.com/kinesis/data-streams/pricing/',
  },
  kinesisPutPayloadUnitsPerMillionUsd: {
    value: 0.014,
    unit: 'USD per 1M PUT payload units (provisioned mode)',
    source: 'https://aws.amazon.com/kinesis/data-streams/pricing/',
  },
  kinesisPutPayloadUnitBytes: {
    value: 25 * 1024,
    unit: 'bytes per PUT payload unit (a record uses one unit per 25 KB chunk)',
    source: 'https://aws.amazon.com/kinesis/data-streams/pricing/',
  },
  kinesisOnDemandStreamHourUsd: {
    value: 0.04,
    unit: 'USD per stream-hour (on-demand mode)',
    source: 'https://aws.amazon.com/kinesis/data-streams/pricing/',
  },
  kinesisOnDemandIngestPerGbUsd: {
    value: 0.08,
    unit: 'USD per GB written (on-demand mode)',
    source: 'https://aws.amazon.com/kinesis/data-streams/pricing/',
  },
  kinesisOnDemandRetrievalPerGbUsd: {
    value: 0.04,
    unit: 'USD per GB read (on-demand mode)',
    source: 'https://aws.amazon.com/kinesis/data-streams/pricing/',
  },
  kinesisOnDemandRecordRoundingBytes: {
    value: 1024,
    unit: 'bytes a record is rounded up to (on-demand mode)',
    source: 'https://aws.amazon.com/kinesis/data-streams/pricing/ (record size is rounded up to the nearest 1 KB)',
  },
  eventBridgeCustomEventsPerMillionUsd: {
    value: 1.0,
    unit: 'USD per 1M custom events published',
    source: 'https://aws.amazon.com/eventbridge/pricing/',
  },
  eventBridgeEventChunkBytes: {
    value: 64 * 1024,
    unit: 'bytes of payload billed as one event',
    source: 'https://aws.amazon.com/eventbridge/pricing/ (each 64 KB chunk of a payload is billed as 1 event)',
  },
  s3PutRequestsPerThousandUsd: {
    value: 0.005,
    unit: 'USD per 1,000 PUT requests (S3 Standard)',
    source: 'https://aws.amazon.com/s3/pricing/',
  },
  s3ListRequestsPerThousandUsd: {
    value: 0.005,
    unit: 'USD per 1,000 LIST requests (S3 Standard)',
    source: 'https://aws.amazon.com/s3/pricing/',
  },
  cloudWatchLogsIngestPerGbUsd: {
    value: 0.5,
    unit: 'USD per GB of log data ingested',
    source: 'https://aws.amazon.com/cloudwatch/pricing/',
  },
  cloudWatchGetMetricDataPerThousandMetricsUsd: {
    value: 0.01,
    unit: 'USD per 1,000 metrics requested with GetMetricData',
    source: 'https://aws.amazon.com/cloudwatch/pricing/',
  },
  apiGatewayHttpRequestsPerMillionUsd: {
    value: 1.0,
    unit: 'USD per 1M HTTP API requests (first 300 million per month)',
    source: 'https://aws.amazon.com/api-gateway/pricing/',
  },
  apiGatewayRestRequestsPerMillionUsd: {
    value: 3.5,
    unit: 'USD per 1M REST API requests (first 333 million per month)',
    source: 'https://aws.amazon.com/api-gateway/pricing/',
  },
  // Artillery's run-fargate load workers (sluice run --load-from fargate), Linux/x86_64, read 2026-12.
  fargateVcpuHourUsd: {
    value: 0.04048,
    unit: 'USD per vCPU-hour (Fargate, Linux/x86_64, per second with a 1-minute minimum)',
    source: 'https://aws.amazon.com/fargate/pricing/',
  },
  fargateGbHourUsd: {
    value: 0.004445,
    unit: 'USD per GB-hour of memory (Fargate, Linux/x86_64)',
    source: 'https://aws.amazon.com/fargate/pricing/',
  },
} as const;

export type PriceName = keyof typeof awsPrices;

/** One resolved row: the number used, what it means, where it comes from. */
export interface PriceRow {
  value: number;
  unit: string;
  source: string;
}

/** The full price table the estimate computes with, after overrides. */
export interface PriceTable {
  rows: Record<PriceName, PriceRow>;
  asOf: string;
  region: string;
  /** Rows that an override replaced, so a report can say the figures are not list prices. */
  overridden: PriceName[];
}

/**
 * A partial table: any row's number, or a number with its own source (a negotiated price,
 * another region). Unknown names are rejected by {@link priceOverridesSchema}.
 */
export type PriceOverrides = Partial<Record<PriceName, number | { value: number; source?: string }>>;

const priceOverrideValueSchema = z
  .union([z.number().nonnegative(), z.object({ value: z.number().nonnegative(), source: z.string().optional() }).strict()])
  .optional();

/** A `priceOverrides` mapping for a scenario file; unknown price names are errors. */
export const priceOverridesSchema = z
  .object(
    Object.fromEntries((Object.keys(awsPrices) as PriceName[]).map((name) => [name, priceOverrideValueSchema])) as {
      [K in PriceName]: typeof priceOverrideValueSchema;
    },
  )
  .strict();

/**
 * The list-price table with a partial table laid over it.
 *
 * @example
 * const prices = resolvePrices({ lambdaGbSecondArm64Usd: 0.0000108 });
 * prices.rows.lambdaGbSecondArm64Usd.value // 0.0000108
 * prices.overridden                        // ['lambdaGbSecondArm64Usd']
 */
export function resolvePrices(overrides: PriceOverrides = {}): PriceTable {
  const rows = {} as Record<PriceName, PriceRow>;
  const overridden: PriceName[] = [];
  for (const name of Object.keys(awsPrices) as PriceName[]) {
    const base = awsPrices[name];
    const override = overrides[name];
    if (override === undefined) {
      rows[name] = { value: base.value, unit: base.unit, source: base.source };
      continue;
    }
    overridden.push(name);
    const value = typeof override === 'number' ? override : override.value;
    const source = typeof override === 'number' ? 'overridden' : (override.source ?? 'overridden');
    rows[name] = { value, unit: base.unit, source };
  }
  return { rows, asOf: pricesAsOf, region: pricesRegion, overridden };
}

/** True for a resolved {@link PriceTable} (rather than a partial table of overrides). */
export function isPriceTable(prices: PriceTable | PriceOverrides | undefined): prices is PriceTable {
  return prices !== undefined && 'rows' in prices && typeof (prices as PriceTable).rows === 'object';
}
