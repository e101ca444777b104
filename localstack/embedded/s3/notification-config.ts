import { SluiceError } from '../../../core/sluice-error.ts';

/**
 * S3 event notifications as the embedded target applies them: the bucket's notification
 * configuration (Lambda functions and SQS queues with their event types and prefix/suffix
 * key filters, and EventBridge) and the rule that decides whether an object event notifies
 * a destination.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-filtering.html
 *
 * s3rver implements no notification configuration, so the embedded S3 service answers
 * `PutBucketNotificationConfiguration` itself and keeps what this module parses.
 */

/** What every filtered destination has: an id, the event types and the key filter. */
export interface NotificationFilter {
  id: string;
  /** `s3:ObjectCreated:*`, `s3:ObjectCreated:Put`, `s3:ObjectRemoved:*`, … */
  events: string[];
  prefix?: string;
  suffix?: string;
}

/** One `LambdaFunctionConfiguration` (XML: `CloudFunctionConfiguration`). */
export interface LambdaNotification extends NotificationFilter {
  functionArn: string;
}

/** One `QueueConfiguration`: an SQS queue the events are sent to as messages. */
export interface QueueNotification extends NotificationFilter {
  queueArn: string;
}

/**
 * A bucket's whole notification configuration. EventBridge is a switch: with it on, S3 sends
 * every event to the Region's default bus, unfiltered (rules filter).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html
 */
export interface BucketNotificationConfiguration {
  lambda: LambdaNotification[];
  queues: QueueNotification[];
  eventBridge: boolean;
}

/** The S3 error codes a notification configuration is refused with, answered as S3 does. */
export type NotificationConfigErrorCode = 'InvalidArgument' | 'MalformedXML' | 'NotImplemented';

const notificationConfigHints: Record<NotificationConfigErrorCode, string> = {
  InvalidArgument: 'S3 refuses this configuration too: fix it as the message says (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-filtering.html).',
  MalformedXML: 'Send a NotificationConfiguration document as https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketNotificationConfiguration.html describes it.',
  // S3's own error code (HTTP 501) for destinations this S3 does not deliver to: a refusal, not a stub.
  'NotImplemented': "sluice's embedded S3 notifies Lambda functions only: use a Lambda function configuration, or run on LocalStack or AWS for queue and topic destinations.",
};

/**
 * A notification configuration sluice cannot honour, or one S3 would refuse. `code` is the
 * S3 error code the embedded S3 answers with.
 *
 * @example
 * if (error instanceof NotificationConfigError) s3Error(response, error.code === 'NotImplemented' ? 501 : 400, error.code, error.message);
 */
export class NotificationConfigError extends SluiceError<NotificationConfigErrorCode> {
  constructor(code: NotificationConfigErrorCode, message: string) {
    super(code, message, notificationConfigHints[code]);
  }
}

/**
 * Whether an object event (`eventName` as in the record, e.g. `ObjectCreated:Put`) on
 * `key` invokes the configured function: the event type matches one of `events` (a
 * trailing `*` matches any subtype) and the key has the prefix and the suffix.
 *
 * @example
 * notificationMatches({ id: 'n', functionArn: 'arn…', events: ['s3:ObjectCreated:*'], prefix: 'in/', suffix: '.json' }, 'ObjectCreated:Put', 'in/1.json'); // true
 */
export function notificationMatches(notification: NotificationFilter, eventName: string, key: string): boolean {
  const qualified = eventName.startsWith('s3:') ? eventName : `s3:${eventName}`;
  const typeMatches = notification.events.some((pattern) => (pattern.endsWith('*') ? qualified.startsWith(pattern.slice(0, -1)) : qualified === pattern));
  if (!typeMatches) return false;
  if (notification.prefix && !key.startsWith(notification.prefix)) return false;
  if (notification.suffix && !key.endsWith(notification.suffix)) return false;
  return true;
}

const knownEventPrefixes = ['s3:ObjectCreated:', 's3:ObjectRemoved:', 's3:ObjectRestore:', 's3:ReducedRedundancyLostObject', 's3:Replication:', 's3:LifecycleExpiration:', 's3:LifecycleTransition', 's3:IntelligentTiering', 's3:ObjectTagging:', 's3:ObjectAcl:Put'];

/**
 * Parses the body of `PUT /<bucket>?notification`: Lambda and queue destinations and the
 * EventBridge switch. Topic destinations are refused with NotImplemented rather than accepted
 * and silently never delivered: `NotImplemented` (HTTP 501) is S3's own error code for a
 * feature a server does not offer, so SDKs report it as S3 would.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
 * Whether each queue exists is the caller's check (S3 validates destinations when the
 * configuration is set).
 */
export function parseNotificationConfiguration(xml: string): BucketNotificationConfiguration {
  const root = /<NotificationConfiguration\b[^>]*>([\s\S]*)<\/NotificationConfiguration>|<NotificationConfiguration\b[^>]*\/>/.exec(xml);
  if (!root) throw new NotificationConfigError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema');
  const inner = root[1] ?? '';
  if (/<TopicConfiguration\b/.test(inner)) {
    throw new NotificationConfigError('NotImplemented', "TopicConfiguration is not supported by sluice's embedded S3; use a Lambda function, a queue or EventBridge");
  }
  const lambda: LambdaNotification[] = [];
  for (const match of inner.matchAll(/<CloudFunctionConfiguration>([\s\S]*?)<\/CloudFunctionConfiguration>/g)) {
    const block = match[1]!;
    const functionArn = textOf(block, 'CloudFunction');
    if (!functionArn) throw new NotificationConfigError('InvalidArgument', 'A Lambda function configuration needs its function ARN');
    lambda.push({ ...filterOf(block, `notification-${lambda.length + 1}`), functionArn });
  }
  const queues: QueueNotification[] = [];
  for (const match of inner.matchAll(/<QueueConfiguration>([\s\S]*?)<\/QueueConfiguration>/g)) {
    const block = match[1]!;
    const queueArn = textOf(block, 'Queue');
    if (!queueArn) throw new NotificationConfigError('InvalidArgument', 'A queue configuration needs its queue ARN');
    queues.push({ ...filterOf(block, `queue-notification-${queues.length + 1}`), queueArn });
  }
  // S3 refuses two configurations whose event types and filters overlap, whatever their destinations.
  const filtered: NotificationFilter[] = [...lambda, ...queues];
  for (let i = 0; i < filtered.length; i += 1) {
    for (let j = i + 1; j < filtered.length; j += 1) {
      if (overlaps(filtered[i]!, filtered[j]!)) {
        throw new NotificationConfigError('InvalidArgument', 'Configurations overlap. Configurations on the same bucket cannot share a common event type.');
      }
    }
  }
  return { lambda, queues, eventBridge: /<EventBridgeConfiguration\b/.test(inner) };
}

/** The event types and key filter of one destination's block. */
function filterOf(block: string, fallbackId: string): NotificationFilter {
  const events = [...block.matchAll(/<Event>([\s\S]*?)<\/Event>/g)].map((event) => decodeXml(event[1]!.trim()));
  if (events.length === 0) throw new NotificationConfigError('InvalidArgument', 'A notification configuration needs at least one event type');
  for (const event of events) {
    if (!knownEventPrefixes.some((prefix) => event.startsWith(prefix))) throw new NotificationConfigError('InvalidArgument', `The event is not supported for notifications: ${event}`);
  }
  let prefix: string | undefined;
  let suffix: string | undefined;
  for (const rule of block.matchAll(/<FilterRule>([\s\S]*?)<\/FilterRule>/g)) {
    const name = (textOf(rule[1]!, 'Name') ?? '').toLowerCase();
    const value = textOf(rule[1]!, 'Value') ?? '';
    if (name === 'prefix' && prefix === undefined) prefix = value;
    else if (name === 'suffix' && suffix === undefined) suffix = value;
    else throw new NotificationConfigError('InvalidArgument', `Invalid filter rule: ${name || '(no name)'} (each of prefix and suffix at most once)`);
  }
  return { id: textOf(block, 'Id') ?? fallbackId, events, prefix, suffix };
}

/** The configuration as `GetBucketNotificationConfiguration` answers it. */
export function notificationConfigurationXml(configuration: BucketNotificationConfiguration): string {
  const filterXml = (notification: NotificationFilter) => {
    const rules = [
      notification.prefix !== undefined ? `<FilterRule><Name>prefix</Name><Value>${encodeXml(notification.prefix)}</Value></FilterRule>` : '',
      notification.suffix !== undefined ? `<FilterRule><Name>suffix</Name><Value>${encodeXml(notification.suffix)}</Value></FilterRule>` : '',
    ].join('');
    return notification.events.map((event) => `<Event>${encodeXml(event)}</Event>`).join('') + (rules ? `<Filter><S3Key>${rules}</S3Key></Filter>` : '');
  };
  const blocks = [
    ...configuration.queues.map((queue) => `<QueueConfiguration><Id>${encodeXml(queue.id)}</Id><Queue>${encodeXml(queue.queueArn)}</Queue>${filterXml(queue)}</QueueConfiguration>`),
    ...configuration.lambda.map(
      (notification) => `<CloudFunctionConfiguration><Id>${encodeXml(notification.id)}</Id><CloudFunction>${encodeXml(notification.functionArn)}</CloudFunction>${filterXml(notification)}</CloudFunctionConfiguration>`,
    ),
    configuration.eventBridge ? '<EventBridgeConfiguration></EventBridgeConfiguration>' : '',
  ];
  return `<?xml version="1.0" encoding="UTF-8"?>\n<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${blocks.join('')}</NotificationConfiguration>`;
}

/** A bucket without notifications. */
export const noNotifications: BucketNotificationConfiguration = Object.freeze({ lambda: [], queues: [], eventBridge: false }) as BucketNotificationConfiguration;

function overlaps(a: NotificationFilter, b: NotificationFilter): boolean {
  const typesOverlap = a.events.some((x) => b.events.some((y) => x.replace(/\*$/, '').startsWith(y.replace(/\*$/, '')) || y.replace(/\*$/, '').startsWith(x.replace(/\*$/, ''))));
  if (!typesOverlap) return false;
  const prefixesOverlap = !a.prefix || !b.prefix || a.prefix.startsWith(b.prefix) || b.prefix.startsWith(a.prefix);
  const suffixesOverlap = !a.suffix || !b.suffix || a.suffix.endsWith(b.suffix) || b.suffix.endsWith(a.suffix);
  return prefixesOverlap && suffixesOverlap;
}

function textOf(xml: string, tag: string): string | undefined {
  const match = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(xml);
  return match ? decodeXml(match[1]!.trim()) : undefined;
}

function decodeXml(text: string): string {
  return text
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&apos;', "'")
    .replaceAll('&amp;', '&');
}

function encodeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}
