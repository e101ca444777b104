import { fileURLToPath } from 'node:url';
import { awsDefaults } from '../../core/aws-defaults.ts';
import type { AwsStackPiece } from '../../targets/aws/stack-piece.ts';
import { ref, sanitizeName, shortHash, stackOutputKeys, sub, type TemplateBuilder } from '../../targets/aws/template-builder.ts';
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
  if (consumer) {
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
    // One configuration per event type (a LambdaConfiguration takes one). S3 refuses
    // configurations whose event types and filters overlap, so a type a wildcard of the
    // same family covers is left to the wildcard.
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-filtering.html
    const events = [...new Set(s.notification.events)];
    const kept = events.filter((event) => !coveredBy(event, events));
    if (kept.length < events.length) {
      b.notes.push(`notification.events: ${events.filter((event) => !kept.includes(event)).join(', ')} left to the wildcard that covers it (S3 refuses overlapping configurations).`);
    }
    const rules = [
      ...(s.notification.prefix ? [{ Name: 'prefix', Value: s.notification.prefix }] : []),
      ...(s.notification.suffix ? [{ Name: 'suffix', Value: s.notification.suffix }] : []),
    ];
    properties.NotificationConfiguration = {
      LambdaConfigurations: kept.map((event) => ({ Event: event, Function: consumer.arn, ...(rules.length ? { Filter: { S3Key: { Rules: rules } } } : {}) })),
    };
    addS3KeyNotes(b, s, kept);
  }
  b.add('SourceBucket', 'AWS::S3::Bucket', properties, dependsOn);
  b.output(stackOutputKeys.bucketName, ref('SourceBucket'), 'Bucket the load generator writes objects to');
  if (consumer) b.asyncInvokeConfig(s.asyncInvoke);
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
 * consumer, with Lambda's asynchronous-invoke settings. A bucket of yours keeps its own
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
  tagStyles: { 'AWS::S3::Bucket': 'list', 'AWS::Lambda::Permission': 'none' },
};
