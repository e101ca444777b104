import { fileURLToPath } from 'node:url';
import { AwsTemplateError } from '../../targets/aws/errors.ts';
import type { AwsStackPiece } from '../../targets/aws/stack-piece.ts';
import { getAtt, ref, stackOutputKeys, sub, wholeSeconds, type TemplateBuilder } from '../../targets/aws/template-builder.ts';
import { functionNameOutput } from '../bring-your-own.ts';
import { queueUrlParts } from './bring-your-own.ts';
import type { SqsPattern } from './schema.ts';

/** 14 days, SQS's longest retention: a dead-letter queue keeps what failed as long as it can. https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html */
const deadLetterRetentionSec = 1_209_600;

/** `https://sqs.<region>.amazonaws.com/<account>/<name>` → ARN parts. */
function parseQueueUrl(queueUrl: string, fallbackRegion: string): { region: string; accountId: string; name: string } {
  // The schema has checked it (drivers/sqs/bring-your-own.ts); this guards patterns code builds by hand.
  const parts = queueUrlParts(queueUrl);
  if (!parts) {
    throw new AwsTemplateError([`queueUrl: "${queueUrl}" is not a queue URL ending in /<account-id>/<queue-name>`], 'Copy the queue URL from the SQS console or `aws sqs get-queue-url`.');
  }
  return { region: parts.region ?? fallbackRegion, accountId: parts.accountId, name: parts.name };
}

function addSqsSource(b: TemplateBuilder, s: SqsPattern): void {
  const problems: string[] = [];
  if (b.consumer && s.fifo && s.maximumBatchingWindow > 0) {
    // https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html ("Batching window is not supported for FIFO queues")
    problems.push('maximumBatchingWindow: FIFO queues do not support a batching window on AWS');
  }
  if (s.fifo && s.batchSize > 10) problems.push('batchSize: FIFO queues allow at most 10');
  const timeoutSec = b.functionTimeoutSec();
  if (!s.queueUrl && b.consumer?.created && wholeSeconds(s.visibilityTimeout) < timeoutSec) {
    // AWS refuses the mapping otherwise; it recommends six times the function timeout.
    // https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html#events-sqs-queueconfig
    problems.push(`visibilityTimeout: ${wholeSeconds(s.visibilityTimeout)}s is shorter than the function timeout ${timeoutSec}s`);
  }
  if (problems.length) throw new AwsTemplateError(problems.map((p) => `pattern "${b.patternName}" ${p}`), 'Adjust the sqs pattern; AWS would refuse these settings.');

  let queueArn: unknown;
  if (s.queueUrl) {
    const parsed = parseQueueUrl(s.queueUrl, b.scenario.region);
    if (parsed.region !== b.scenario.region) {
      // Lambda reads a queue of its own region only, and the run sends and reads CloudWatch in one region.
      // https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html ("must be in the same AWS Region")
      throw new AwsTemplateError(
        [`pattern "${b.patternName}" queueUrl: your queue is in ${parsed.region}, the run in ${b.scenario.region}`],
        `Set the scenario's region: ${parsed.region}, or name a queue in ${b.scenario.region}.`,
      );
    }
    queueArn = sub(`arn:\${AWS::Partition}:sqs:${parsed.region}:${parsed.accountId}:${parsed.name}`);
    b.bringYourOwn.push({ field: 'queueUrl', value: s.queueUrl });
    b.output(stackOutputKeys.queueUrl, s.queueUrl, 'Your queue (not created by sluice)');
    b.output(stackOutputKeys.queueName, parsed.name, 'Name of your queue');
    b.notes.push('queueUrl: your queue keeps its own visibility timeout and redrive policy; the pattern’s visibilityTimeout and maxReceiveCount describe a queue sluice creates and are not applied.');
    if (b.consumer?.created) {
      // https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html#events-sqs-queueconfig
      b.notes.push(
        `queueUrl: AWS refuses the event source mapping if your queue's visibility timeout is shorter than the function timeout (${timeoutSec}s); ` +
          'any consumer your queue already has competes with sluice’s for the messages, and those it takes never complete (counted as lost).',
      );
    }
  } else {
    const fifoSuffix = s.fifo ? '.fifo' : '';
    // The load generator gives every message its own MessageDeduplicationId (drivers/sqs/sqs-driver.ts),
    // so content-based deduplication stays off, as on the queues sluice creates itself.
    const fifo = s.fifo
      ? {
          FifoQueue: true,
          // High-throughput FIFO: the quota applies per message group, not per queue.
          // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/high-throughput-fifo.html
          DeduplicationScope: 'messageGroup',
          FifoThroughputLimit: 'perMessageGroupId',
        }
      : {};
    b.add('SourceDeadLetterQueue', 'AWS::SQS::Queue', {
      QueueName: b.name(`-dlq${fifoSuffix}`, 80),
      ...(s.fifo ? { FifoQueue: true } : {}),
      MessageRetentionPeriod: deadLetterRetentionSec,
    });
    b.add('SourceQueue', 'AWS::SQS::Queue', {
      QueueName: b.name(fifoSuffix, 80),
      // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html (0–43,200 s)
      VisibilityTimeout: b.seconds('visibilityTimeout', s.visibilityTimeout),
      ...fifo,
      // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
      RedrivePolicy: { deadLetterTargetArn: getAtt('SourceDeadLetterQueue', 'Arn'), maxReceiveCount: s.maxReceiveCount },
    });
    queueArn = getAtt('SourceQueue', 'Arn');
    b.output(stackOutputKeys.queueUrl, ref('SourceQueue'), 'Queue the load generator sends to');
    b.output(stackOutputKeys.queueName, getAtt('SourceQueue', 'QueueName'), 'Name of the source queue');
    b.output(stackOutputKeys.deadLetterQueueUrl, ref('SourceDeadLetterQueue'), 'Dead-letter queue (maxReceiveCount)');
    b.output(stackOutputKeys.deadLetterQueueArn, getAtt('SourceDeadLetterQueue', 'Arn'), 'ARN of the dead-letter queue');
    b.output(stackOutputKeys.deadLetterQueueName, getAtt('SourceDeadLetterQueue', 'QueueName'), 'Name of the dead-letter queue');
  }
  b.output(stackOutputKeys.queueArn, queueArn, 'ARN of the source queue');
  if (!b.consumer) return;

  // https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html#events-sqs-permissions
  b.allow(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'], queueArn);
  // https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html
  b.add(
    'SourceEventSourceMapping',
    'AWS::Lambda::EventSourceMapping',
    {
      EventSourceArn: queueArn,
      FunctionName: b.consumer.arn,
      Enabled: true,
      BatchSize: s.batchSize,
      // FIFO queues take no batching window at all (refused above when one is set).
      ...(s.fifo ? {} : { MaximumBatchingWindowInSeconds: b.seconds('maximumBatchingWindow', s.maximumBatchingWindow) }),
      // https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html#events-sqs-max-concurrency
      ...(s.maximumConcurrency !== undefined ? { ScalingConfig: { MaximumConcurrency: s.maximumConcurrency } } : {}),
      // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-lambda-eventsourcemapping-provisionedpollerconfig.html
      ...(s.provisionedPollerConfig !== undefined ? { ProvisionedPollerConfig: { MinimumPollers: s.provisionedPollerConfig.minimumPollers, MaximumPollers: s.provisionedPollerConfig.maximumPollers } } : {}),
    },
    b.consumer.created ? ['ConsumerRole'] : undefined,
  );
  b.output(stackOutputKeys.eventSourceMappingId, ref('SourceEventSourceMapping'), 'Event source mapping id');
}

/**
 * The sqs pattern on a managed stack: a queue and its dead-letter queue (or your queue),
 * and an event source mapping to the consumer.
 * https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
 */
export const sqsAwsStack: AwsStackPiece<SqsPattern> = {
  source: 'sqs',
  resourceNoun: 'queue',
  bringYourOwnField: 'queueUrl',
  pollsForConsumer: true,
  bringYourOwnOutputs: (pattern) => ({
    ...functionNameOutput(pattern),
    ...(pattern.queueUrl ? { [stackOutputKeys.queueUrl]: pattern.queueUrl, [stackOutputKeys.queueName]: parseQueueUrl(pattern.queueUrl, '').name } : {}),
  }),
  consumerCanBeWired: () => true,
  addSource: addSqsSource,
  consumerReader: { entryFile: fileURLToPath(new URL('./consumer-reader.ts', import.meta.url)), readerExport: 'readSqsEvent' },
  tagStyles: { 'AWS::SQS::Queue': 'list', 'AWS::Lambda::EventSourceMapping': 'list' },
};
