import { z } from 'zod';
import { durationMs } from '../../core/duration.ts';
import { awsDefaults } from '../../core/aws-defaults.ts';
import { functionNameSchema } from '../bring-your-own.ts';
import { streamNameSchema } from './bring-your-own.ts';

const [recordAgeMinMs, recordAgeMaxMs] = awsDefaults.kinesisMaximumRecordAgeRangeMs.value;
/** Bound on a stream's shards: a limit on everything, far above what one machine drives. */
const shardsMax = 10_000;

/** `-1` (AWS's "no limit") or a duration in AWS's range (60 s – 7 days). Parsed to ms, -1 kept as -1. */
const maximumRecordAgeSchema = z.union([z.literal(-1), durationMs({ minMs: recordAgeMinMs, maxMs: recordAgeMaxMs })]);

/**
 * A `kinesis` pattern: a stream (provisioned with `shards`, or `mode: on-demand`) feeding the
 * function through sluice's own Kinesis event source mapping, plus the producer's settings
 * (`producerRetries`, `putRecordsBatchSize`). Names follow the mapping's own settings.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-parameters.html
 *
 * The parsed pattern records `shards` (the shard count the stream is created with; an
 * on-demand stream starts with {@link awsDefaults.kinesisOnDemandInitialShards}) and
 * `streamMode` instead of `mode`: the cost model reads both from the RunResult's settings.
 *
 * @example
 * kinesisPatternSchema.parse({ source: 'kinesis', shards: 4, parallelizationFactor: 2 });
 * // → { source: 'kinesis', shards: 4, streamMode: 'provisioned', batchSize: 100, … }
 */
export const kinesisPatternSchema = z
  .object({
    source: z.literal('kinesis'),
    name: z.string().min(1).max(64).optional(),
    mode: z.enum(['provisioned', 'on-demand']).default('provisioned'),
    /** Shards of a provisioned stream (AWS's default account quota is 500; sluice's bound is higher). */
    shards: z.number().int().min(1).max(shardsMax).optional(),
    batchSize: z.number().int().min(1).max(awsDefaults.kinesisBatchSizeMax.value).default(100),
    maximumBatchingWindow: durationMs({ maxMs: 300_000 }).prefault(0),
    parallelizationFactor: z.number().int().min(1).max(awsDefaults.kinesisParallelizationFactorMax.value).default(1),
    /**
     * TRIM_HORIZON by default: the stream is new, and the consumer starts before the load,
     * so it reads every record either way; LATEST is there to mirror a mapping's setting.
     */
    startingPosition: z.enum(['TRIM_HORIZON', 'LATEST']).default('TRIM_HORIZON'),
    /** -1: retry until the record expires (AWS's default). */
    maximumRetryAttempts: z.number().int().min(-1).max(awsDefaults.kinesisMaximumRetryAttemptsMax.value).default(-1),
    /** -1: no limit (AWS's default). In ms once parsed. */
    maximumRecordAge: maximumRecordAgeSchema.prefault(-1),
    bisectBatchOnFunctionError: z.boolean().default(false),
    /** Times the producer sends a record again after ProvisionedThroughputExceeded, with backoff. */
    producerRetries: z.number().int().min(0).max(20).default(3),
    /** Records per PutRecords call (Kinesis takes at most 500, and 5 MiB). */
    putRecordsBatchSize: z.number().int().min(1).max(awsDefaults.kinesisPutRecordsRecordsMax.value).default(awsDefaults.kinesisPutRecordsRecordsMax.value),
    /** An existing stream to write to (`--target aws`): sluice creates none (drivers/bring-your-own.ts). */
    streamName: streamNameSchema.optional(),
    /** An existing function that consumes instead of sluice's synthetic consumer (`--target aws`). */
    functionName: functionNameSchema.optional(),
  })
  .strict()
  .superRefine((pattern, ctx) => {
    if (pattern.mode === 'on-demand' && pattern.shards !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['shards'],
        message: 'an on-demand stream has no shard count to set: drop shards, or use mode: provisioned',
      });
    }
  })
  .transform(({ mode, shards, ...rest }) => ({
    ...rest,
    shards: shards ?? (mode === 'on-demand' ? awsDefaults.kinesisOnDemandInitialShards.value : 1),
    streamMode: mode,
  }));

export type KinesisPattern = z.infer<typeof kinesisPatternSchema>;
export type KinesisPatternInput = z.input<typeof kinesisPatternSchema>;
