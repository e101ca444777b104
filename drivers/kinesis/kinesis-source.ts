import type { SourceModule } from '../source-module.ts';
import { kinesisAwsStack } from './aws-stack.ts';
import { kinesisCost } from './cost.ts';
import { kinesisCloudWatchMetrics } from './cloudwatch-metrics.ts';
import { kinesisResourcesFrom, type KinesisResources } from './kinesis-resources.ts';
import { kinesisPatternSchema } from './schema.ts';

/** Shards a local target (embedded, LocalStack) holds in one stream; AWS's own bound is in the schema. */
const localShardsMax = 200;

/**
 * Kinesis Data Streams: shards read by Lambda's stream poller, one batch per shard (times the
 * parallelization factor) at a time. https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html
 */
export const kinesisSource = {
  source: 'kinesis',
  patternSchema: kinesisPatternSchema,
  defaults: [
    'kinesisWriteRecordsPerSecondPerShard',
    'kinesisWriteBytesPerSecondPerShard',
    'kinesisGetRecordsCallsPerSecondPerShard',
    'kinesisReadBytesPerSecondPerShard',
    'kinesisGetRecordsRecordsMax',
    'kinesisPutRecordsRecordsMax',
    'kinesisPutRecordsBytesMax',
    'kinesisOnDemandInitialShards',
    'kinesisBatchSizeMax',
    'kinesisParallelizationFactorMax',
    'kinesisMaximumRetryAttemptsMax',
    'kinesisMaximumRecordAgeRangeMs',
    'kinesisPollIntervalMs',
    'kinesisRetryBackoffMs',
  ],
  embeddedServices: ['kinesis'],
  localstackServices: ['kinesis'],
  loadDriver: async () => (await import('./kinesis-driver.ts')).kinesisDriver,
  // A stream keeps every record for its retention, read or not.
  existingResources: kinesisResourcesFrom,
  holdsWhatIsUnread: false,
  aws: kinesisAwsStack,
  cost: kinesisCost,
  cloudWatchMetrics: kinesisCloudWatchMetrics,
  localTargetProblems: (pattern) =>
    pattern.shards > localShardsMax
      ? [
          {
            field: 'shards',
            message:
              `${pattern.shards} shards is more than a local target holds (at most ${localShardsMax}): every shard is a stream partition in one emulator process ` +
              `and a reader polling it at least once a second, so beyond that creating and reading the stream outlasts the SDK's request time-out ` +
              `(measured on 2 cores: 200 shards provision and run in about 40 s, 500 do not within 2 minutes); use --target aws for more shards`,
          },
        ]
      : [],
} as const satisfies SourceModule<'kinesis', typeof kinesisPatternSchema, KinesisResources>;
