import { createHash } from 'node:crypto';
import { PutBucketNotificationConfigurationCommand, type S3Client } from '@aws-sdk/client-s3';
import { SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DeleteRuleCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand, RemoveTargetsCommand } from '@aws-sdk/client-eventbridge';
import type { PatternRunContext } from '../driver.ts';
import type { S3Pattern } from './schema.ts';
import { eventPatternObjectOf } from './schema.ts';
import { sdkClientConfig } from '../../core/client-config.ts';
import { compileEventPattern } from '../../core/event-pattern.ts';
import { decodeS3EventKey } from '../../core/s3-key-encoding.ts';
import { sluiceControl } from '../../localstack/embedded/sluice-control.ts';
import { notificationMatches } from '../../localstack/embedded/s3/notification-config.ts';
import { eventBridgeDetailTypeOf, isS3TestEvent, nextSequencer, s3EventBridgeEntry, s3EventBridgeEnvelope } from '../../localstack/embedded/s3/object-events.ts';
import { AsyncLambdaTarget, asyncConsumerSide, type AsyncConsumerSide } from '../async-invoke/async-lambda-target.ts';
import { asyncInvokeSettingsOf } from '../async-invoke/async-invoke-schema.ts';
import { QueueConsumer, createQueueWithDeadLetter, type QueueWithDeadLetter } from '../sqs/queue-consumer.ts';
import type { QueueMessage } from '../sqs/polled-queue.ts';

/**
 * Where an s3 pattern's notifications go — the function itself, a queue feeding it through
 * an SQS event source mapping, or the default event bus with a rule targeting it — and the
 * consumer side of each, built from the parts the sqs and eventbridge sources use: the SQS
 * mapping (drivers/sqs/queue-consumer.ts) and Lambda's asynchronous invoke
 * (drivers/async-invoke/).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-event-types-and-destinations.html
 */

/** The path an s3 pattern's events take to the function, as reports name it. */
export function s3PathOf(pattern: Pick<S3Pattern, 'notify'>): string {
  return pattern.notify.to === 'lambda' ? 's3 → lambda' : `s3 → ${pattern.notify.to} → lambda`;
}

/** Escapes a literal for an EventBridge `wildcard` pattern (`*` and `\` are special). */
function wildcardLiteral(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('*', '\\*');
}

/**
 * The event pattern of the rule that takes the bucket's events to the function on the
 * default bus: S3's source, the detail-types of the notification's event types, the bucket,
 * the notification's key filter, and the scenario's further conditions (`notify.eventPattern`).
 * `bucketName` may be a CloudFormation `Fn::Sub` on a managed stack.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html and
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
 *
 * @example
 * s3EventBridgeRulePattern(pattern, 'my-bucket')
 * // { source: ['aws.s3'], 'detail-type': ['Object Created'], detail: { bucket: { name: ['my-bucket'] }, object: { key: [{ wildcard: 'incoming/*.json' }] } } }
 */
export function s3EventBridgeRulePattern(pattern: Pick<S3Pattern, 'notify' | 'notification'>, bucketName: unknown): Record<string, unknown> {
  const extra = pattern.notify.to === 'eventbridge' ? (eventPatternObjectOf(pattern.notify.eventPattern) ?? {}) : {};
  const detailTypes = [...new Set(pattern.notification.events.map(eventBridgeDetailTypeOf).filter((type): type is string => type !== undefined))];
  const { prefix, suffix } = pattern.notification;
  const keyMatch = prefix && suffix ? [{ wildcard: `${wildcardLiteral(prefix)}*${wildcardLiteral(suffix)}` }] : prefix ? [{ prefix }] : suffix ? [{ suffix }] : undefined;
  const extraDetail = (extra.detail ?? {}) as Record<string, unknown>;
  const extraObject = (extraDetail.object ?? {}) as Record<string, unknown>;
  const object = keyMatch && extraObject.key === undefined ? { ...extraObject, key: keyMatch } : extraObject;
  return {
    ...extra,
    source: extra.source ?? ['aws.s3'],
    'detail-type': extra['detail-type'] ?? detailTypes,
    detail: { ...extraDetail, bucket: { name: [bucketName] }, ...(Object.keys(object).length > 0 ? { object } : {}) },
  };
}

/**
 * Whether an object the driver writes will notify the consumer: the rule the target (or the
 * managed stack's configuration) applies, judged before the PutObject so events no
 * notification will deliver are counted as filtered, not awaited.
 */
export function objectNotifiesFor(pattern: S3Pattern, bucket: string, region: string): (key: string, body: string) => boolean {
  const filter = { id: 'sluice-consumer', events: pattern.notification.events, prefix: pattern.notification.prefix, suffix: pattern.notification.suffix };
  if (pattern.notify.to !== 'eventbridge') return (key) => notificationMatches(filter, 'ObjectCreated:Put', key);
  const rule = compileEventPattern(s3EventBridgeRulePattern(pattern, bucket));
  return (key, body) => {
    const entry = s3EventBridgeEntry({
      eventName: 'ObjectCreated:Put',
      bucket,
      key,
      region,
      eventTimeMs: Date.now(),
      sizeBytes: Buffer.byteLength(body),
      eTag: createHash('md5').update(body).digest('hex'),
      sequencer: nextSequencer(Date.now()),
      requestId: 'SLUICEPREDICTION',
      sourceIpAddress: '127.0.0.1',
    });
    return entry !== undefined && rule.matches(s3EventBridgeEnvelope(entry, region, 'prediction'));
  };
}

/** sluice's consumer side of an s3 pattern, whichever path the notifications take. */
export interface NotificationDestination extends AsyncConsumerSide {
  /** Forgets the expectation of an event the source refused after all. */
  forget(id: number): void;
  /** Deletes what it created (queues, rules, the function's endpoint). Safe to call twice. */
  teardown(): Promise<void>;
}

export interface DestinationOptions {
  context: PatternRunContext<S3Pattern>;
  s3: S3Client;
  bucket: string;
  /** The sluice event id an object key carries, undefined for a key sluice did not write. */
  idOfKey(key: string): number | undefined;
  /** Told about each delivery of an object the driver judged outside the notification. */
  onUnexpectedDelivery(id: number): void;
  isOutsideFilter(id: number): boolean;
}

/** The configuration's filter rules, as the SDK takes them. */
function filterOf(pattern: S3Pattern): { Filter?: { Key: { FilterRules: Array<{ Name: 'prefix' | 'suffix'; Value: string }> } } } {
  const rules = [
    ...(pattern.notification.prefix !== undefined ? [{ Name: 'prefix' as const, Value: pattern.notification.prefix }] : []),
    ...(pattern.notification.suffix !== undefined ? [{ Name: 'suffix' as const, Value: pattern.notification.suffix }] : []),
  ];
  return rules.length > 0 ? { Filter: { Key: { FilterRules: rules } } } : {};
}

/**
 * Provisions the pattern's destination and wires the bucket's notification configuration to
 * it: the function's Invoke endpoint (lambda, eventbridge), the queue and its DLQ (sqs), the
 * rule on the default bus (eventbridge). Cleans up what it made when a step fails.
 */
export async function provisionNotificationDestination(options: DestinationOptions): Promise<NotificationDestination> {
  const { pattern } = options.context;
  if (pattern.notify.to === 'sqs') return provisionQueueDestination(options);
  return provisionAsyncDestination(options);
}

/** The ids of the records of one S3 notification (`{"Records":[…]}`), counting unexpected deliveries. */
function idsOfRecords(options: DestinationOptions, notification: unknown): number[] {
  const records = (notification as { Records?: Array<{ s3?: { object?: { key?: unknown } } }> } | null)?.Records ?? [];
  const ids: number[] = [];
  for (const record of records) {
    const key = record.s3?.object?.key;
    if (typeof key !== 'string') continue;
    // Keys in notification records are URL-encoded, spaces as '+'.
    const id = options.idOfKey(decodeS3EventKey(key));
    if (id === undefined) continue;
    if (options.isOutsideFilter(id)) options.onUnexpectedDelivery(id);
    ids.push(id);
  }
  return ids;
}

/** S3 → Lambda, and S3 → EventBridge → Lambda: the function invoked asynchronously. */
async function provisionAsyncDestination(options: DestinationOptions): Promise<NotificationDestination> {
  const { context, s3, bucket } = options;
  const { pattern, target } = context;
  const settings = target.clientSettings;
  const toEventBridge = pattern.notify.to === 'eventbridge';
  const asyncTarget = await AsyncLambdaTarget.create({
    context: context as PatternRunContext<unknown>,
    settings: asyncInvokeSettingsOf(pattern.asyncInvoke),
    duplicateRate: pattern.duplicateNotificationRate,
    idsOf(payload) {
      if (!toEventBridge) return idsOfRecords(options, payload);
      // EventBridge hands the target S3's event, whose detail names the object (the key as stored).
      const key = (payload as { detail?: { object?: { key?: unknown } } } | null)?.detail?.object?.key;
      const id = typeof key === 'string' ? options.idOfKey(key) : undefined;
      if (id === undefined) return [];
      if (options.isOutsideFilter(id)) options.onUnexpectedDelivery(id);
      return [id];
    },
  });
  const undo: Array<() => Promise<unknown>> = [];
  const events = toEventBridge ? new EventBridgeClient(sdkClientConfig(settings)) : undefined;
  const ruleName = `${asyncTarget.functionName.slice(0, 58)}-s3`;
  try {
    if (events) {
      // A rule on the default bus, where S3 puts every event of a bucket with EventBridge on.
      // https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-mapping-troubleshooting.html
      await events.send(new PutRuleCommand({ Name: ruleName, EventPattern: JSON.stringify(s3EventBridgeRulePattern(pattern, bucket)), State: 'ENABLED' }));
      undo.push(() => events.send(new DeleteRuleCommand({ Name: ruleName })));
      await events.send(new PutTargetsCommand({ Rule: ruleName, Targets: [{ Id: 'sluice-consumer', Arn: asyncTarget.functionArn }] }));
      undo.push(() => events.send(new RemoveTargetsCommand({ Rule: ruleName, Ids: ['sluice-consumer'] })));
    }
    await s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: bucket,
        NotificationConfiguration: events
          ? { EventBridgeConfiguration: {} }
          : { LambdaFunctionConfigurations: [{ Id: 'sluice-consumer', LambdaFunctionArn: asyncTarget.functionArn, Events: pattern.notification.events as never, ...filterOf(pattern) }] },
      }),
    );
  } catch (error) {
    for (const step of undo.reverse()) await step().catch(() => undefined);
    events?.destroy();
    await asyncTarget.teardown();
    throw error;
  }
  const side = asyncConsumerSide({
    consumer: asyncTarget,
    context,
    readServiceStats: async () => {
      const s3Stats = (await sluiceControl(settings, 's3', 'GET', '/_sluice/s3/stats')) as Record<string, unknown> | undefined;
      if (!events) return s3Stats;
      const busStats = (await sluiceControl(settings, 'events', 'GET', '/_sluice/events/stats').catch(() => undefined)) as Record<string, unknown> | undefined;
      return { ...s3Stats, ...(busStats ? { eventBridge: { serviceEvents: busStats['serviceEvents'], deliveries: busStats['deliveries'], entriesUnmatched: busStats['entriesUnmatched'] } } : {}) };
    },
  });
  return {
    ...side,
    extras: () => ({ ...side.extras(), ...(events ? { rule: { name: ruleName, bus: 'default', eventPattern: s3EventBridgeRulePattern(pattern, bucket) } } : {}) }),
    forget: (id) => asyncTarget.forget(id),
    async teardown() {
      for (const step of undo.reverse()) await step().catch(() => undefined);
      undo.length = 0;
      events?.destroy();
      await asyncTarget.teardown();
    },
  };
}

/**
 * The queue policy that lets S3 send this bucket's notifications to the queue.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/grant-destinations-permissions-to-s3.html
 */
export function s3QueuePolicy(queueArn: unknown, bucketArn: unknown, accountId: unknown): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: 's3.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: queueArn,
        Condition: { ArnLike: { 'aws:SourceArn': bucketArn }, StringEquals: { 'aws:SourceAccount': accountId } },
      },
    ],
  };
}

/** S3 → SQS → Lambda: the queue and its DLQ, the bucket's QueueConfiguration, the SQS mapping. */
async function provisionQueueDestination(options: DestinationOptions): Promise<NotificationDestination> {
  const { context, s3, bucket } = options;
  const { pattern, target, ledger } = context;
  if (pattern.notify.to !== 'sqs') throw new RangeError('not an sqs destination');
  const mapping = pattern.notify;
  const sqs = new SQSClient(sdkClientConfig(target.clientSettings));
  const baseName = `sluice-${context.runId}-${context.patternName}`.slice(0, 70).replace(/[^A-Za-z0-9_-]/g, '-');
  let queue: QueueWithDeadLetter | undefined;
  // Message ids, since a message's ids are read when it is delivered and again when it completes.
  const testEventMessages = new Set<string>();
  const messagesWithoutEvents = new Set<string>();
  try {
    queue = await createQueueWithDeadLetter(sqs, { baseName, visibilityTimeoutMs: mapping.visibilityTimeout, maxReceiveCount: mapping.maxReceiveCount });
    const { queueArn } = queue;
    // The policy S3 needs on AWS; the embedded target checks only that the queue exists.
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: queue.queueUrl, Attributes: { Policy: JSON.stringify(s3QueuePolicy(queueArn, `arn:aws:s3:::${bucket}`, queueArn.split(':')[4])) } }));
    await s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: bucket,
        NotificationConfiguration: { QueueConfigurations: [{ Id: 'sluice-consumer', QueueArn: queueArn, Events: pattern.notification.events as never, ...filterOf(pattern) }] },
      }),
    );
  } catch (error) {
    await queue?.deleteBoth();
    sqs.destroy();
    throw error;
  }
  const idsOf = (message: QueueMessage): number[] => {
    let body: unknown;
    try {
      body = JSON.parse(message.body);
    } catch {
      body = undefined;
    }
    // S3's test message when the configuration was set: the function sees it, as on AWS, but it is no event.
    if (isS3TestEvent(body)) {
      testEventMessages.add(message.messageId);
      return [];
    }
    const ids = idsOfRecords(options, body);
    if (ids.length === 0) messagesWithoutEvents.add(message.messageId);
    return ids;
  };
  const consumer = new QueueConsumer({ context, client: sqs, queueUrl: queue.queueUrl, queueArn: queue.queueArn, deadLetterQueueUrl: queue.deadLetterQueueUrl, mapping, idsOf });
  let serviceStats: Record<string, unknown> | undefined;
  const readS3Stats = async () => (await sluiceControl(target.clientSettings, 's3', 'GET', '/_sluice/s3/stats').catch(() => undefined)) as Record<string, unknown> | undefined;
  const created = queue;
  return {
    async startConsumer() {
      consumer.start();
    },
    sample: (nowMs) => consumer.sample(nowMs),
    async isDrained() {
      // S3 sends asynchronously: the queue is empty for a moment before its last messages arrive.
      if (!(await consumer.isDrained())) return false;
      if (ledger.unfinished === 0) return true;
      const stats = await readS3Stats();
      return stats !== undefined && stats['queueSendsInFlight'] === 0;
    },
    stopConsumer: () => consumer.stop(),
    async pendingAtEnd() {
      const pending = await consumer.pendingAtEnd();
      serviceStats = await readS3Stats();
      return pending;
    },
    extras: () => ({
      queueUrl: created.queueUrl,
      deadLetterQueueUrl: created.deadLetterQueueUrl,
      batchesThrottled: consumer.batchesThrottled,
      testEventsReceived: testEventMessages.size,
      messagesWithoutEvents: messagesWithoutEvents.size,
      ...(consumer.polling() ? { polling: consumer.polling() } : {}),
      ...(serviceStats ? { serviceStats } : {}),
    }),
    forget: () => undefined,
    async teardown() {
      await created.deleteBoth();
      sqs.destroy();
    },
  };
}
