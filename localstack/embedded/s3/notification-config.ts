import { SluiceError } from '../../../core/sluice-error.ts';

/**
 * S3 event notifications to Lambda, as the embedded target applies them: the bucket's
 * notification configuration (event types, prefix/suffix key filters) and the rule that
 * decides whether an object event invokes a function.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-filtering.html
 *
 * s3rver implements no notification configuration, so the embedded S3 service answers
 * `PutBucketNotificationConfiguration` itself and keeps what this module parses.
 */

/** One `LambdaFunctionConfiguration` (XML: `CloudFunctionConfiguration`). */
export interface LambdaNotification {
  id: string;
  functionArn: string;
  /** `s3:ObjectCreated:*`, `s3:ObjectCreated:Put`, `s3:ObjectRemoved:*`, … */
  events: string[];
  prefix?: string;
  suffix?: string;
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
export function notificationMatches(notification: LambdaNotification, eventName: string, key: string): boolean {
  const qualified = eventName.startsWith('s3:') ? eventName : `s3:${eventName}`;
  const typeMatches = notification.events.some((pattern) => (pattern.endsWith('*') ? qualified.startsWith(pattern.slice(0, -1)) : qualified === pattern));
  if (!typeMatches) return false;
  if (notification.prefix && !key.startsWith(notification.prefix)) return false;
  if (notification.suffix && !key.endsWith(notification.suffix)) return false;
  return true;
}

const knownEventPrefixes = ['s3:ObjectCreated:', 's3:ObjectRemoved:', 's3:ObjectRestore:', 's3:ReducedRedundancyLostObject', 's3:Replication:', 's3:LifecycleExpiration:', 's3:LifecycleTransition', 's3:IntelligentTiering', 's3:ObjectTagging:', 's3:ObjectAcl:Put'];

/**
 * Parses the body of `PUT /<bucket>?notification`. Only Lambda destinations are
 * supported; queue, topic and EventBridge destinations are refused with NotImplemented
 * rather than accepted and silently never delivered. `NotImplemented` (HTTP 501) is S3's
 * own error code for a feature a server does not offer, so SDKs report it as S3 would.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
 */
export function parseNotificationConfiguration(xml: string): LambdaNotification[] {
  const root = /<NotificationConfiguration\b[^>]*>([\s\S]*)<\/NotificationConfiguration>|<NotificationConfiguration\b[^>]*\/>/.exec(xml);
  if (!root) throw new NotificationConfigError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema');
  const inner = root[1] ?? '';
  for (const unsupported of ['QueueConfiguration', 'TopicConfiguration', 'EventBridgeConfiguration']) {
    if (new RegExp(`<${unsupported}\\b`).test(inner)) {
      throw new NotificationConfigError('NotImplemented', `${unsupported} is not supported by sluice's embedded S3; use a Lambda function configuration`);
    }
  }
  const notifications: LambdaNotification[] = [];
  for (const match of inner.matchAll(/<CloudFunctionConfiguration>([\s\S]*?)<\/CloudFunctionConfiguration>/g)) {
    const block = match[1]!;
    const functionArn = textOf(block, 'CloudFunction');
    if (!functionArn) throw new NotificationConfigError('InvalidArgument', 'A Lambda function configuration needs its function ARN');
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
    notifications.push({ id: textOf(block, 'Id') ?? `notification-${notifications.length + 1}`, functionArn, events, prefix, suffix });
  }
  // S3 refuses two configurations whose event types and filters overlap.
  for (let i = 0; i < notifications.length; i += 1) {
    for (let j = i + 1; j < notifications.length; j += 1) {
      if (overlaps(notifications[i]!, notifications[j]!)) {
        throw new NotificationConfigError('InvalidArgument', 'Configurations overlap. Configurations on the same bucket cannot share a common event type.');
      }
    }
  }
  return notifications;
}

/** The configuration as `GetBucketNotificationConfiguration` answers it. */
export function notificationConfigurationXml(notifications: readonly LambdaNotification[]): string {
  const blocks = notifications.map((notification) => {
    const rules = [
      notification.prefix !== undefined ? `<FilterRule><Name>prefix</Name><Value>${encodeXml(notification.prefix)}</Value></FilterRule>` : '',
      notification.suffix !== undefined ? `<FilterRule><Name>suffix</Name><Value>${encodeXml(notification.suffix)}</Value></FilterRule>` : '',
    ].join('');
    return (
      `<CloudFunctionConfiguration><Id>${encodeXml(notification.id)}</Id><CloudFunction>${encodeXml(notification.functionArn)}</CloudFunction>` +
      notification.events.map((event) => `<Event>${encodeXml(event)}</Event>`).join('') +
      (rules ? `<Filter><S3Key>${rules}</S3Key></Filter>` : '') +
      '</CloudFunctionConfiguration>'
    );
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${blocks.join('')}</NotificationConfiguration>`;
}

function overlaps(a: LambdaNotification, b: LambdaNotification): boolean {
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
