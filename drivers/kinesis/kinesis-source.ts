import type { SourceModule } from '../source-module.ts';
import { kinesisAwsStack } from './aws-stack.ts';
import { kinesisCost } from './cost.ts';
import { kinesisCloudWatchMetrics } from './cloudwatch-metrics.ts';
import { kinesisResourcesFrom, type KinesisResources } from './kinesis-resources.ts';
import { kinesisPatternSchema } from './schema.ts';

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
} as const satisfies SourceModule<'kinesis', typeof kinesisPatternSchema, KinesisResources>;
