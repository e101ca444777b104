import { fileURLToPath } from 'node:url';
import { awsDefaults } from '../../core/aws-defaults.ts';
import type { AwsStackPiece } from '../../targets/aws/stack-piece.ts';
import { AwsTemplateError } from '../../targets/aws/errors.ts';
import { getAtt, ref, sanitizeName, shortHash, stackOutputKeys, sub, wholeSeconds, type TemplateBuilder } from '../../targets/aws/template-builder.ts';
import { s3EventBridgeRulePattern, s3QueuePolicy } from './notification-destinations.ts';
import { functionNameOutput } from '../bring-your-own.ts';
import { s3SuffixVariable } from './consumer-reader.ts';
import { remoteObjectKeyFor, type KeySpec } from './object-keys.ts';
import type { S3Pattern } from './schema.ts';

/** A day-one timestamp for sample keys: any 13-digit send time reads the same. */
const sampleSentAtMs = 1_767_225_600_000;

/**
 * The object keys the s3 driver writes to a managed stack's bucket
 * (drivers/s3/object-keys.ts, remoteObjectKeyFor), one per prefix × suffix combination,
 * and what the stack's consumer must strip from them: the consumer reads
 * `<sentAtMs>-<id>` from a key's last segment and strips one suffix, SLUICE_S3_SUFFIX.
 * Deriving the suffix from the driver's own keys keeps the two in agreement.
 */
function remoteKeys(spec: KeySpec): { samples: string[]; consumerSuffix?: string; unreadable: string[] } {
  const count = Math.min(spec.prefixes.length * spec.suffixes.length, 1000);
  const samples: string[] = [];
  const unreadable: string[] = [];
  const tails = new Set<string>();
  for (let id = 0; id < count; id++) {
    const key = remoteObjectKeyFor(spec, id, 'key-0', sampleSentAtMs);
    samples.push(key);
    const last = key.slice(key.lastIndexOf('/') + 1);
    const head = `${sampleSentAtMs}-${id}`;
    if (last.startsWith(head)) tails.add(last.slice(head.length));
    else unreadable.push(key);
  }
  const only = tails.size === 1 ? [...tails][0] : undefined;
  return { samples, unreadable, ...(only ? { consumerSuffix: only } : {}) };
}

/** `s3:ObjectCreated:Put` is covered by itself and by `s3:ObjectCreated:*`. */
function coveredBy(event: string, others: readonly string[]): boolean {
  const [service, family] = event.split(':');
  return others.some((other) => other !== event && other === `${service}:${family}:*`);
}

function addS3Source(b: TemplateBuilder, s: S3Pattern): void {
  if (s.bucket) {
    b.bringYourOwn.push({ field: 'bucket', value: s.bucket });
    b.output(stackOutputKeys.bucketName, s.bucket, 'Your bucket (not created by sluice)');
    b.notes.push('bucket: sluice leaves the objects it writes in your bucket (one per event, under the pattern’s prefixes); delete them or let a lifecycle rule expire them.');
    return;
  }
  // Bucket names are global: account and region make them unique, the hash keeps them short.
  // https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
  const bucketName = `sluice-${shortHash(b.baseName)}-${sanitizeName(b.patternName).slice(0, 14)}-\${AWS::AccountId}-\${AWS::Region}`;
  const dependsOn: string[] = [];
  const properties: Record<string, unknown> = {
    BucketName: sub(bucketName),
    PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    // A safety net if a stack is ever left behind: objects expire after a day.
    LifecycleConfiguration: { Rules: [{ Id: 'expire-sluice-objects', Status: 'Enabled', ExpirationInDays: 1 }] },
  };
  const consumer = b.consumer;
  // One configuration per event type (a configuration takes one). S3 refuses
  // configurations whose event types and filters overlap, so a type a wildcard of the
  // same family covers is left to the wildcard.
  // https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-filtering.html
  const events = [...new Set(s.notification.events)];
  const kept = events.filter((event) => !coveredBy(event, events));
  const rules = [
    ...(s.notification.prefix ? [{ Name: 'prefix', Value: s.notification.prefix }] : []),
    ...(s.notification.suffix ? [{ Name: 'suffix', Value: s.notification.suffix }] : []),
  ];
  const filter = rules.length ? { Filter: { S3Key: { Rules: rules } } } : {};
  if (consumer && s.notify.to === 'lambda') {
    // The documented way out of the bucket ↔ permission cycle: name the bucket explicitly,
    // build the permission's SourceArn from that name (not from a Ref to the bucket), and
    // make the bucket depend on the permission.
    // https://repost.aws/knowledge-center/cloudformation-circular-dependency-sam and
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-s3-bucket-notificationconfiguration.html
    b.add('SourceBucketPermission', 'AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: consumer.functionName,
      Principal: 's3.amazonaws.com',
      SourceAccount: ref('AWS::AccountId'),
      SourceArn: sub(`arn:\${AWS::Partition}:s3:::${bucketName}`),
    });
    dependsOn.push('SourceBucketPermission');
    properties.NotificationConfiguration = { LambdaConfigurations: kept.map((event) => ({ Event: event, Function: consumer.arn, ...filter })) };
  }
  if (consumer && s.notify.to === 'sqs') {
    addQueueDestination(b, s, bucketName);
    // S3 checks that it may send to the queue when the configuration is set: the policy comes first.
    dependsOn.push('SourceQueuePolicy');
    properties.NotificationConfiguration = { QueueConfigurations: kept.map((event) => ({ Event: event, Queue: getAtt('SourceQueue', 'Arn'), ...filter })) };
  }
  if (consumer && s.notify.to === 'eventbridge') {
    // Every event of the bucket goes to the default bus; the rule filters.
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-s3-bucket-eventbridgeconfiguration.html
    properties.NotificationConfiguration = { EventBridgeConfiguration: { EventBridgeEnabled: true } };
    addEventBridgeDestination(b, s, sub(bucketName));
  }
  if (consumer && kept.length < events.length && s.notify.to !== 'eventbridge') {
    b.notes.push(`notification.events: ${events.filter((event) => !kept.includes(event)).join(', ')} left to the wildcard that covers it (S3 refuses overlapping configurations).`);
  }
  if (consumer) addS3KeyNotes(b, s, kept);
  b.add('SourceBucket', 'AWS::S3::Bucket', properties, dependsOn);
  b.output(stackOutputKeys.bucketName, ref('SourceBucket'), 'Bucket the load generator writes objects to');
  if (consumer && s.notify.to !== 'sqs') b.asyncInvokeConfig(s.asyncInvoke);
  if (s.duplicateNotificationRate > 0) {
    b.notes.push(`duplicateNotificationRate ${s.duplicateNotificationRate}: sluice's own S3 injects duplicates; on AWS only S3's own (rare) duplicate notifications occur.`);
  }
  if (
    s.putRequestsPerSecondPerPrefix !== awsDefaults.s3PutRequestsPerSecondPerPrefix.value ||
    s.getRequestsPerSecondPerPrefix !== awsDefaults.s3GetRequestsPerSecondPerPrefix.value
  ) {
    b.notes.push('put/getRequestsPerSecondPerPrefix: on AWS the per-prefix request rates are S3’s own, not a property of the stack.');
  }
  b.notes.push('the bucket must be empty before the stack can be deleted: deleteStack empties it when given an S3 client.');
}

/**
 * S3 → SQS → Lambda on a stack: the queue and its dead-letter queue, the policy that lets S3
 * send the bucket's events to it, and the event source mapping with the pattern's settings.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/ways-to-add-notification-config-to-bucket.html and
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html
 */
function addQueueDestination(b: TemplateBuilder, s: S3Pattern, bucketName: string): void {
  if (s.notify.to !== 'sqs') return;
  const mapping = s.notify;
  const consumer = b.consumer!;
  const timeoutSec = b.functionTimeoutSec();
  if (consumer.created && wholeSeconds(mapping.visibilityTimeout) < timeoutSec) {
    // AWS refuses the mapping otherwise. https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html#events-sqs-queueconfig
    throw new AwsTemplateError([`pattern "${b.patternName}" notify.visibilityTimeout: ${wholeSeconds(mapping.visibilityTimeout)}s is shorter than the function timeout ${timeoutSec}s`], 'Raise notify.visibilityTimeout; AWS would refuse the mapping.');
  }
  b.add('SourceDeadLetterQueue', 'AWS::SQS::Queue', { QueueName: b.name('-dlq', 80), MessageRetentionPeriod: 1_209_600 });
  b.add('SourceQueue', 'AWS::SQS::Queue', {
    QueueName: b.name('', 80),
    VisibilityTimeout: b.seconds('notify.visibilityTimeout', mapping.visibilityTimeout),
    RedrivePolicy: { deadLetterTargetArn: getAtt('SourceDeadLetterQueue', 'Arn'), maxReceiveCount: mapping.maxReceiveCount },
  });
  // The bucket's ARN from its name, not a Ref: the bucket depends on this policy.
  const bucketArn = sub(`arn:\${AWS::Partition}:s3:::${bucketName}`);
  b.add('SourceQueuePolicy', 'AWS::SQS::QueuePolicy', { Queues: [ref('SourceQueue')], PolicyDocument: s3QueuePolicy(getAtt('SourceQueue', 'Arn'), bucketArn, ref('AWS::AccountId')) });
  b.allow(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'], getAtt('SourceQueue', 'Arn'));
  b.add(
    'SourceEventSourceMapping',
    'AWS::Lambda::EventSourceMapping',
    {
      EventSourceArn: getAtt('SourceQueue', 'Arn'),
      FunctionName: consumer.arn,
      Enabled: true,
      BatchSize: mapping.batchSize,
      MaximumBatchingWindowInSeconds: b.seconds('notify.maximumBatchingWindow', mapping.maximumBatchingWindow),
      ...(mapping.maximumConcurrency !== undefined ? { ScalingConfig: { MaximumConcurrency: mapping.maximumConcurrency } } : {}),
      ...(mapping.provisionedPollerConfig !== undefined ? { ProvisionedPollerConfig: { MinimumPollers: mapping.provisionedPollerConfig.minimumPollers, MaximumPollers: mapping.provisionedPollerConfig.maximumPollers } } : {}),
    },
    consumer.created ? ['ConsumerRole'] : undefined,
  );
  b.output(stackOutputKeys.queueUrl, ref('SourceQueue'), 'Queue the bucket notifies');
  b.output(stackOutputKeys.queueArn, getAtt('SourceQueue', 'Arn'), 'ARN of the queue the bucket notifies');
  b.output(stackOutputKeys.deadLetterQueueUrl, ref('SourceDeadLetterQueue'), 'Dead-letter queue (notify.maxReceiveCount)');
  b.output(stackOutputKeys.eventSourceMappingId, ref('SourceEventSourceMapping'), 'Event source mapping id');
  b.notes.push('notify sqs: S3 sends an s3:TestEvent message to the queue when the configuration is set; the consumer receives it as one invocation without events.');
}

/**
 * S3 → EventBridge → Lambda on a stack: a rule on the default bus matching the bucket's
 * events (drivers/s3/notification-destinations.ts builds its pattern), the consumer as its
 * target with the failure queue as the target's dead-letter queue, and the permission.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-mapping-troubleshooting.html
 */
function addEventBridgeDestination(b: TemplateBuilder, s: S3Pattern, bucketName: unknown): void {
  const consumer = b.consumer!;
  const failure = b.failureQueue();
  b.add('SourceRule', 'AWS::Events::Rule', {
    Name: b.name('-s3', 64),
    Description: `sluice rule of pattern ${b.patternName}: the bucket's object events on the default bus`,
    EventPattern: s3EventBridgeRulePattern(s, bucketName),
    State: 'ENABLED',
    Targets: [{ Id: 'sluice-consumer', Arn: consumer.arn, DeadLetterConfig: { Arn: failure.arn } }],
  });
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-lambda-permissions
  b.add('SourceRulePermission', 'AWS::Lambda::Permission', { Action: 'lambda:InvokeFunction', FunctionName: consumer.functionName, Principal: 'events.amazonaws.com', SourceArn: getAtt('SourceRule', 'Arn') });
  b.add('FailureQueuePolicy', 'AWS::SQS::QueuePolicy', {
    Queues: [failure.url],
    PolicyDocument: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: failure.arn, Condition: { ArnEquals: { 'aws:SourceArn': getAtt('SourceRule', 'Arn') } } }],
    },
  });
  b.output(stackOutputKeys.ruleNames, b.name('-s3', 64), 'Rule on the default bus');
}

/**
 * What the notification will make of the keys the load generator writes to this bucket.
 * The driver judges the filter as the notification does (objects outside it count as
 * filtered, not awaited), so only a configuration under which nothing can ever notify is
 * worth a note.
 */
function addS3KeyNotes(b: TemplateBuilder, s: S3Pattern, events: readonly string[]): void {
  // PutObject is what the load generator does: s3:ObjectCreated:Put.
  if (!events.some((event) => event === 's3:ObjectCreated:Put' || event === 's3:ObjectCreated:*')) {
    b.notes.push(`notification.events ${events.join(', ')}: none covers s3:ObjectCreated:Put, the event the load generator's PutObject causes, so no object notifies the consumer.`);
  }
  const keys = remoteKeys(s);
  if (keys.unreadable.length > 0) b.notes.push(`object keys such as ${keys.unreadable[0]} do not end in <sentAtMs>-<id>: the consumer cannot read their events.`);
  const { prefix, suffix } = s.notification;
  if (!prefix && !suffix) return;
  const matching = keys.samples.filter((key) => key.startsWith(prefix ?? '') && key.endsWith(suffix ?? ''));
  if (matching.length === 0) {
    const filter = [prefix ? `prefix ${prefix}` : '', suffix ? `suffix ${suffix}` : ''].filter(Boolean).join(', ');
    b.notes.push(`notification filter ${filter}: the load generator writes keys such as ${keys.samples[0]}; none matches, so every event is filtered and none reaches the consumer.`);
  }
}

/**
 * The s3 pattern on a managed stack: a bucket whose notification configuration invokes the
 * consumer (with Lambda's asynchronous-invoke settings), sends to a queue the consumer's
 * event source mapping reads, or sends to the default bus, where a rule targets the consumer. A bucket of yours keeps its own
 * notification configuration, which sluice cannot change: the stack then creates nothing.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventNotifications.html
 */
export const s3AwsStack: AwsStackPiece<S3Pattern> = {
  source: 's3',
  resourceNoun: 'bucket',
  bringYourOwnField: 'bucket',
  pollsForConsumer: false,
  bringYourOwnOutputs: (pattern) => ({ ...functionNameOutput(pattern), ...(pattern.bucket ? { [stackOutputKeys.bucketName]: pattern.bucket } : {}) }),
  consumerCanBeWired: (pattern) => pattern.bucket === undefined,
  addSource: addS3Source,
  consumerEnvironment(pattern): Record<string, string> {
    const suffix = remoteKeys(pattern).consumerSuffix;
    return suffix ? { [s3SuffixVariable]: suffix } : {};
  },
  consumerReader: { entryFile: fileURLToPath(new URL('./consumer-reader.ts', import.meta.url)), readerExport: 'readS3Event' },
  tagStyles: {
    'AWS::S3::Bucket': 'list',
    'AWS::Lambda::Permission': 'none',
    'AWS::SQS::Queue': 'list',
    'AWS::SQS::QueuePolicy': 'none',
    'AWS::Lambda::EventSourceMapping': 'list',
    'AWS::Events::Rule': 'list',
  },
};
