import { fileURLToPath } from 'node:url';
import type { AwsStackPiece } from '../../targets/aws/stack-piece.ts';
import { getAtt, ref, stackOutputKeys, sub, type TemplateBuilder } from '../../targets/aws/template-builder.ts';
import { functionNameOutput } from '../bring-your-own.ts';
import type { KinesisPattern } from './schema.ts';

/** A day, Kinesis's shortest (and default) retention. https://docs.aws.amazon.com/streams/latest/dev/kinesis-extended-retention.html */
const streamRetentionHours = 24;

function addKinesisSource(b: TemplateBuilder, s: KinesisPattern): void {
  let streamArn: unknown;
  if (s.streamName) {
    streamArn = sub(`arn:\${AWS::Partition}:kinesis:\${AWS::Region}:\${AWS::AccountId}:stream/${s.streamName}`);
    b.bringYourOwn.push({ field: 'streamName', value: s.streamName });
    b.output(stackOutputKeys.streamName, s.streamName, 'Your stream (not created by sluice)');
    b.notes.push('streamName: your stream keeps its own capacity mode and shards; the pattern’s mode and shards describe a stream sluice creates and are not applied.');
  } else {
    // https://docs.aws.amazon.com/streams/latest/dev/how-do-i-size-a-stream.html
    b.add('SourceStream', 'AWS::Kinesis::Stream', {
      Name: b.name('', 128),
      RetentionPeriodHours: streamRetentionHours,
      ...(s.streamMode === 'on-demand' ? { StreamModeDetails: { StreamMode: 'ON_DEMAND' } } : { ShardCount: s.shards, StreamModeDetails: { StreamMode: 'PROVISIONED' } }),
    });
    streamArn = getAtt('SourceStream', 'Arn');
    b.output(stackOutputKeys.streamName, ref('SourceStream'), 'Stream the load generator writes to');
    if (s.streamMode === 'on-demand') {
      b.notes.push(`mode on-demand: AWS sizes the stream (a new one writes like ${s.shards} shards) and scales it, which sluice's own streams do not model.`);
    }
  }
  b.output(stackOutputKeys.streamArn, streamArn, 'ARN of the source stream');
  if (!b.consumer) return;

  const failure = b.failureQueue();
  // https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html (execution role permissions)
  b.allow(['kinesis:DescribeStream', 'kinesis:DescribeStreamSummary', 'kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards', 'kinesis:SubscribeToShard'], streamArn);
  b.allow(['sqs:SendMessage'], failure.arn);
  // https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-parameters.html
  b.add(
    'SourceEventSourceMapping',
    'AWS::Lambda::EventSourceMapping',
    {
      EventSourceArn: streamArn,
      FunctionName: b.consumer.arn,
      Enabled: true,
      StartingPosition: s.startingPosition,
      BatchSize: s.batchSize,
      MaximumBatchingWindowInSeconds: b.seconds('maximumBatchingWindow', s.maximumBatchingWindow),
      ParallelizationFactor: s.parallelizationFactor,
      // -1 is AWS's own "retry until the record expires" and "no age limit"; the schema keeps it as -1.
      MaximumRetryAttempts: s.maximumRetryAttempts,
      MaximumRecordAgeInSeconds: s.maximumRecordAge === -1 ? -1 : b.seconds('maximumRecordAge', s.maximumRecordAge),
      BisectBatchOnFunctionError: s.bisectBatchOnFunctionError,
      DestinationConfig: { OnFailure: { Destination: failure.arn } },
    },
    b.consumer.created ? ['ConsumerRole'] : undefined,
  );
  if (s.startingPosition === 'LATEST') b.notes.push('startingPosition LATEST: records written before the mapping starts polling are skipped.');
  b.output(stackOutputKeys.eventSourceMappingId, ref('SourceEventSourceMapping'), 'Event source mapping id');
}

/**
 * The kinesis pattern on a managed stack: a stream (or yours) and an event source mapping
 * to the consumer, whose failures go to the stack's failure queue.
 * https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html
 */
export const kinesisAwsStack: AwsStackPiece<KinesisPattern> = {
  source: 'kinesis',
  resourceNoun: 'stream',
  bringYourOwnField: 'streamName',
  pollsForConsumer: true,
  bringYourOwnOutputs: (pattern) => ({ ...functionNameOutput(pattern), ...(pattern.streamName ? { [stackOutputKeys.streamName]: pattern.streamName } : {}) }),
  consumerCanBeWired: () => true,
  addSource: addKinesisSource,
  consumerReader: { entryFile: fileURLToPath(new URL('./consumer-reader.ts', import.meta.url)), readerExport: 'readKinesisEvent' },
  tagStyles: { 'AWS::Kinesis::Stream': 'list', 'AWS::Lambda::EventSourceMapping': 'list' },
};
