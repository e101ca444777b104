import { randomBytes, randomUUID } from 'node:crypto';
import { encodeS3EventKey } from '../../../core/s3-key-encoding.ts';

/**
 * What S3 tells its notification destinations about an object event, in the shapes AWS
 * writes: the event notification record (Lambda, SQS), the test event a queue receives when a
 * configuration names it, and the event EventBridge receives. The embedded S3 builds every
 * shape from one {@link ObjectEvent}, and the s3 driver builds the same EventBridge event to
 * judge which objects a rule will match.
 */

/** An object event as the embedded S3 saw it. */
export interface ObjectEvent {
  /** As in a record, without `s3:`: `ObjectCreated:Put`, `ObjectCreated:Copy`, `ObjectRemoved:Delete`, … */
  eventName: string;
  bucket: string;
  /** The object's key, as stored (not encoded). */
  key: string;
  region: string;
  eventTimeMs: number;
  sizeBytes?: number;
  /** Without quotes. */
  eTag?: string;
  /** Orders the events of one key: a longer or larger value is later. */
  sequencer: string;
  requestId: string;
  sourceIpAddress: string;
}

/** The account id of every embedded resource (ARNs, `requester`, `account`). */
export const embeddedAccountId = '000000000000';

/**
 * A sequencer for each event: a hexadecimal string, increasing over the process's events, as
 * S3's are over one key's events ("a string representation of a hexadecimal value used to
 * determine event sequence").
 */
let sequence = 0n;
export function nextSequencer(nowMs: number): string {
  sequence += 1n;
  return (BigInt(Math.round(nowMs)) * 1_000_000n + (sequence % 1_000_000n)).toString(16).toUpperCase().padStart(18, '0');
}

/** An S3 request id: 16 uppercase hexadecimal characters. */
export function newS3RequestId(): string {
  return randomBytes(8).toString('hex').toUpperCase();
}

/**
 * One record of an event notification, event version 2.1, as S3 sends it to a Lambda
 * function or an SQS queue inside `{"Records":[…]}`. The key is URL-encoded as S3 writes it.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
 *
 * @example
 * s3NotificationRecord(event, 'sluice-consumer').s3.object.key // 'incoming/key-1/17.json'
 */
export function s3NotificationRecord(event: ObjectEvent, configurationId: string) {
  const created = event.eventName.startsWith('ObjectCreated:');
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: event.region,
    eventTime: new Date(event.eventTimeMs).toISOString(),
    eventName: event.eventName,
    userIdentity: { principalId: `AWS:${embeddedAccountId}` },
    requestParameters: { sourceIPAddress: event.sourceIpAddress },
    responseElements: { 'x-amz-request-id': event.requestId, 'x-amz-id-2': hostIdOf(event.requestId) },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId,
      bucket: { name: event.bucket, ownerIdentity: { principalId: embeddedAccountId }, arn: `arn:aws:s3:::${event.bucket}` },
      object: {
        key: encodeS3EventKey(event.key),
        // Deletions carry no size or ETag.
        ...(created && event.sizeBytes !== undefined ? { size: event.sizeBytes } : {}),
        ...(created && event.eTag !== undefined ? { eTag: event.eTag } : {}),
        sequencer: event.sequencer,
      },
    },
  };
}

export type S3NotificationRecord = ReturnType<typeof s3NotificationRecord>;

/**
 * The message S3 sends to a queue when a notification configuration naming it is set, before
 * any object event ("When you configure an event notification, Amazon S3 sends a test message
 * to the destination").
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
 *
 * @example
 * s3TestEvent('uploads', Date.now()).Event // 's3:TestEvent'
 */
export function s3TestEvent(bucket: string, timeMs: number): { Service: 'Amazon S3'; Event: 's3:TestEvent'; Time: string; Bucket: string; RequestId: string; HostId: string } {
  const requestId = newS3RequestId();
  return { Service: 'Amazon S3', Event: 's3:TestEvent', Time: new Date(timeMs).toISOString(), Bucket: bucket, RequestId: requestId, HostId: hostIdOf(requestId) };
}

/** Whether a queue message's body is S3's test event (which carries no object). */
export function isS3TestEvent(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body as { Event?: unknown }).Event === 's3:TestEvent';
}

/** What S3 puts on the default event bus for one object event (the envelope's own fields are EventBridge's). */
export interface S3EventBridgeEntry {
  source: 'aws.s3';
  detailType: string;
  resources: string[];
  timeMs: number;
  detail: Record<string, unknown>;
}

/**
 * The `detail-type` of an object event on EventBridge; undefined for events S3 does not send
 * there. https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html
 */
export function eventBridgeDetailTypeOf(eventName: string): string | undefined {
  const [family, kind = ''] = eventName.replace(/^s3:/, '').split(':');
  if (family === 'ObjectCreated') return 'Object Created';
  if (family === 'ObjectRemoved') return 'Object Deleted';
  if (family === 'ObjectRestore') return kind === 'Post' ? 'Object Restore Initiated' : kind === 'Completed' ? 'Object Restore Completed' : kind === 'Delete' ? 'Object Restore Expired' : undefined;
  if (family === 'ObjectTagging') return kind === 'Put' ? 'Object Tags Added' : 'Object Tags Deleted';
  if (family === 'ObjectAcl') return 'Object ACL Updated';
  return undefined;
}

/** The S3 API call an event's `reason` names. */
const reasonByEventName: Record<string, string> = {
  'ObjectCreated:Put': 'PutObject',
  'ObjectCreated:Post': 'POST Object',
  'ObjectCreated:Copy': 'CopyObject',
  'ObjectCreated:CompleteMultipartUpload': 'CompleteMultipartUpload',
  'ObjectRemoved:Delete': 'DeleteObject',
  'ObjectRemoved:DeleteMarkerCreated': 'DeleteObject',
};

/**
 * The event S3 sends to EventBridge for an object event, or undefined for an event type it
 * does not send there. The key is the object's key as stored: EventBridge events are JSON and
 * need no form encoding.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html
 *
 * @example
 * s3EventBridgeEntry({ eventName: 'ObjectCreated:Put', bucket: 'b', key: 'in/1.json', sizeBytes: 5, … })
 * // { source: 'aws.s3', detailType: 'Object Created', resources: ['arn:aws:s3:::b'], detail: { version: '0', bucket: { name: 'b' }, object: { key: 'in/1.json', size: 5, … }, reason: 'PutObject', … } }
 */
export function s3EventBridgeEntry(event: ObjectEvent): S3EventBridgeEntry | undefined {
  const detailType = eventBridgeDetailTypeOf(event.eventName);
  if (!detailType) return undefined;
  const created = detailType === 'Object Created';
  const deleted = detailType === 'Object Deleted';
  const object: Record<string, unknown> = { key: event.key };
  if (created && event.sizeBytes !== undefined) object.size = event.sizeBytes;
  if (created && event.eTag !== undefined) object.etag = event.eTag;
  object.sequencer = event.sequencer;
  const reason = reasonByEventName[event.eventName.replace(/^s3:/, '')];
  return {
    source: 'aws.s3',
    detailType,
    resources: [`arn:aws:s3:::${event.bucket}`],
    timeMs: event.eventTimeMs,
    detail: {
      version: '0',
      bucket: { name: event.bucket },
      object,
      'request-id': event.requestId,
      requester: embeddedAccountId,
      'source-ip-address': event.sourceIpAddress,
      ...(reason ? { reason } : {}),
      // An unversioned bucket's object is gone for good.
      ...(deleted ? { 'deletion-type': event.eventName.endsWith('DeleteMarkerCreated') ? 'Delete Marker Created' : 'Permanently Deleted' } : {}),
    },
  };
}

/**
 * The whole event a rule's target receives: EventBridge's envelope around the entry.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events-structure.html
 */
export function s3EventBridgeEnvelope(entry: S3EventBridgeEntry, region: string, id: string = randomUUID()) {
  return {
    version: '0',
    id,
    'detail-type': entry.detailType,
    source: entry.source,
    account: embeddedAccountId,
    time: new Date(entry.timeMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: entry.resources,
    detail: entry.detail,
  };
}

/** `x-amz-id-2`: S3's extended request id, base64. */
function hostIdOf(requestId: string): string {
  return Buffer.from(`sluice-embedded-s3/${requestId}`).toString('base64');
}
