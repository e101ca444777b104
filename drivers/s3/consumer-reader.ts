import { decodeS3EventKey } from '../../core/s3-key-encoding.ts';
import { objectOf, parseJsonObject, recordsOf, type EventIdentity } from '../../targets/aws/synthetic-consumer/envelope.ts';

/**
 * The object keys the load generator writes to a managed stack's bucket, and the synthetic
 * consumer's reader that takes each event's id and send time back from them: an S3
 * notification carries the object's key, not its body or metadata.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
 */

/**
 * The S3 object key the load generator must use so the consumer can recover the event's id
 * and send time from the notification: `<prefix><sentAtMs>-<eventId><suffix>`.
 *
 * @example
 * s3ObjectKeyForEvent({ prefix: 'in/', suffix: '.json', eventId: 17, sentAtMs: 1767225600000 }) // 'in/1767225600000-17.json'
 */
export function s3ObjectKeyForEvent(options: { prefix?: string; suffix?: string; eventId: number | string; sentAtMs: number }): string {
  return `${options.prefix ?? ''}${Math.round(options.sentAtMs)}-${options.eventId}${options.suffix ?? ''}`;
}

/** The environment variable with the suffix the keys carry after `<sentAtMs>-<id>` (drivers/s3/aws-stack.ts sets it). */
export const s3SuffixVariable = 'SLUICE_S3_SUFFIX';

/**
 * A reader of S3 notifications for keys that end in `suffix`, on every path they reach the
 * function by: a notification's records (S3 → Lambda), an SQS batch whose messages' bodies
 * are notifications (S3 → SQS → Lambda; S3's `s3:TestEvent` message carries no object), or
 * S3's event on EventBridge (S3 → EventBridge → Lambda, the key unencoded in
 * `detail.object.key`). One identity per object, from the key's last segment,
 * `<sentAtMs>-<eventId>` then the suffix; else the whole key and the event's time.
 *
 * @example
 * s3EventReader('.json')({ Records: [{ eventTime: '2026-01-01T00:00:00.000Z', s3: { object: { key: 'in/1767225600000-17.json' } } }] })
 * // [{ eventId: 17, sentAtMs: 1767225600000 }]
 */
export function s3EventReader(suffix: string): (event: unknown) => EventIdentity[] {
  return (event) => {
    const envelope = objectOf(event);
    if (envelope.source === 'aws.s3' && typeof envelope['detail-type'] === 'string') {
      const key = objectOf(objectOf(envelope.detail).object).key;
      return typeof key === 'string' ? [identifyKey(key, suffix, envelope.time)] : [];
    }
    return recordsOf(event).flatMap((record) => {
      // An SQS record: its body is S3's notification.
      if (typeof record.body === 'string' && record.s3 === undefined) return recordsOf(parseJsonObject(record.body)).map((inner) => identifyObject(inner, suffix));
      return [identifyObject(record, suffix)];
    });
  };
}

/** The reader the consumer Lambda runs: the suffix comes from {@link s3SuffixVariable}. */
export function readS3Event(event: unknown): EventIdentity[] {
  return s3EventReader(process.env[s3SuffixVariable] ?? '')(event);
}

function identifyObject(record: Record<string, unknown>, suffix: string): EventIdentity {
  return identifyKey(decodeS3EventKey(String(objectOf(objectOf(record.s3).object).key)), suffix, record.eventTime);
}

function identifyKey(key: string, suffix: string, eventTime: unknown): EventIdentity {
  let name = key.slice(key.lastIndexOf('/') + 1);
  if (suffix && name.endsWith(suffix)) name = name.slice(0, name.length - suffix.length);
  // sluice's numeric ids may be followed by the pattern's suffixes (.json, .csv, …).
  const numeric = /^(\d+)-(\d+)(?:\D.*)?$/.exec(name);
  if (numeric) return { eventId: Number(numeric[2]), sentAtMs: Number(numeric[1]) };
  const match = /^(\d+)-(.+)$/.exec(name);
  if (!match) return { eventId: key, sentAtMs: (typeof eventTime === 'string' ? Date.parse(eventTime) : NaN) || null };
  return { eventId: /^\d+$/.test(match[2]!) ? Number(match[2]) : match[2]!, sentAtMs: Number(match[1]) };
}
