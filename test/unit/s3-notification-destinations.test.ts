import { describe, expect, it } from 'vitest';
import { parseNotificationConfiguration, NotificationConfigError } from '../../localstack/embedded/s3/notification-config.ts';
import { eventBridgeDetailTypeOf, isS3TestEvent, s3EventBridgeEntry, s3NotificationRecord, s3TestEvent, type ObjectEvent } from '../../localstack/embedded/s3/object-events.ts';
import { objectNotifiesFor, s3EventBridgeRulePattern, s3PathOf } from '../../drivers/s3/notification-destinations.ts';
import { s3PatternSchema } from '../../drivers/s3/schema.ts';
import { s3Cost } from '../../drivers/s3/cost.ts';
import { s3EventReader } from '../../drivers/s3/consumer-reader.ts';
import { resolvePrices } from '../../analysis/pricing.ts';

const created: ObjectEvent = {
  eventName: 'ObjectCreated:Put',
  bucket: 'uploads',
  key: 'incoming/red flower+1.json',
  region: 'eu-west-1',
  eventTimeMs: Date.parse('2026-12-01T10:00:00.123Z'),
  sizeBytes: 5,
  eTag: 'b1946ac92492d2347c6235b4d2611184',
  sequencer: '0055AED6DCD90281E5',
  requestId: 'C3D13FE58DE4C810',
  sourceIpAddress: '127.0.0.1',
};

describe('S3 notification shapes', () => {
  it('writes a record of event version 2.1 with the key URL-encoded, as S3 sends to Lambda and SQS', () => {
    const record = s3NotificationRecord(created, 'to-queue');
    expect(record).toMatchObject({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'eu-west-1',
      eventTime: '2026-12-01T10:00:00.123Z',
      eventName: 'ObjectCreated:Put',
      responseElements: { 'x-amz-request-id': 'C3D13FE58DE4C810' },
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'to-queue',
        bucket: { name: 'uploads', arn: 'arn:aws:s3:::uploads' },
        object: { key: 'incoming/red+flower%2B1.json', size: 5, eTag: 'b1946ac92492d2347c6235b4d2611184', sequencer: '0055AED6DCD90281E5' },
      },
    });
    const removed = s3NotificationRecord({ ...created, eventName: 'ObjectRemoved:Delete' }, 'to-queue');
    expect(removed.s3.object).toEqual({ key: 'incoming/red+flower%2B1.json', sequencer: '0055AED6DCD90281E5' });
  });

  it('sends the test event a queue receives when a configuration names it', () => {
    const test = s3TestEvent('uploads', Date.parse('2026-12-01T10:00:00Z'));
    expect(test).toMatchObject({ Service: 'Amazon S3', Event: 's3:TestEvent', Time: '2026-12-01T10:00:00.000Z', Bucket: 'uploads' });
    expect(test.RequestId).toMatch(/^[0-9A-F]{16}$/);
    expect(isS3TestEvent(test)).toBe(true);
    expect(isS3TestEvent({ Records: [] })).toBe(false);
  });

  it('puts Object Created and Object Deleted on EventBridge with the detail AWS documents', () => {
    expect(s3EventBridgeEntry(created)).toEqual({
      source: 'aws.s3',
      detailType: 'Object Created',
      resources: ['arn:aws:s3:::uploads'],
      timeMs: created.eventTimeMs,
      detail: {
        version: '0',
        bucket: { name: 'uploads' },
        object: { key: 'incoming/red flower+1.json', size: 5, etag: 'b1946ac92492d2347c6235b4d2611184', sequencer: '0055AED6DCD90281E5' },
        'request-id': 'C3D13FE58DE4C810',
        requester: '000000000000',
        'source-ip-address': '127.0.0.1',
        reason: 'PutObject',
      },
    });
    const deleted = s3EventBridgeEntry({ ...created, eventName: 'ObjectRemoved:Delete' })!;
    expect(deleted.detailType).toBe('Object Deleted');
    expect(deleted.detail).toMatchObject({ object: { key: 'incoming/red flower+1.json', sequencer: '0055AED6DCD90281E5' }, reason: 'DeleteObject', 'deletion-type': 'Permanently Deleted' });
    expect((deleted.detail.object as Record<string, unknown>).size).toBeUndefined();
    expect(eventBridgeDetailTypeOf('s3:ReducedRedundancyLostObject')).toBeUndefined();
    expect(s3EventBridgeEntry({ ...created, eventName: 'ReducedRedundancyLostObject' })).toBeUndefined();
  });
});

describe('S3 notification configuration', () => {
  const queue = (id: string, arn: string, rules = '') => `<QueueConfiguration><Id>${id}</Id><Queue>${arn}</Queue><Event>s3:ObjectCreated:*</Event>${rules}</QueueConfiguration>`;
  const filter = (prefix: string) => `<Filter><S3Key><FilterRule><Name>prefix</Name><Value>${prefix}</Value></FilterRule></S3Key></Filter>`;

  it('reads queue destinations with their filters and the EventBridge switch', () => {
    const xml = `<NotificationConfiguration>${queue('q', 'arn:aws:sqs:us-east-1:000000000000:orders', filter('in/'))}<EventBridgeConfiguration></EventBridgeConfiguration></NotificationConfiguration>`;
    expect(parseNotificationConfiguration(xml)).toEqual({
      lambda: [],
      queues: [{ id: 'q', queueArn: 'arn:aws:sqs:us-east-1:000000000000:orders', events: ['s3:ObjectCreated:*'], prefix: 'in/', suffix: undefined }],
      eventBridge: true,
    });
    expect(parseNotificationConfiguration('<NotificationConfiguration><EventBridgeConfiguration/></NotificationConfiguration>').eventBridge).toBe(true);
  });

  it('refuses a queue and a function whose event types and filters overlap, and topics', () => {
    const lambda = '<CloudFunctionConfiguration><CloudFunction>arn:aws:lambda:us-east-1:000000000000:function:f</CloudFunction><Event>s3:ObjectCreated:Put</Event></CloudFunctionConfiguration>';
    expect(() => parseNotificationConfiguration(`<NotificationConfiguration>${queue('q', 'arn:aws:sqs:us-east-1:000000000000:a')}${lambda}</NotificationConfiguration>`)).toThrow(/Configurations overlap/);
    // Disjoint prefixes do not overlap.
    expect(parseNotificationConfiguration(`<NotificationConfiguration>${queue('a', 'arn:aws:sqs:us-east-1:000000000000:a', filter('a/'))}${queue('b', 'arn:aws:sqs:us-east-1:000000000000:b', filter('b/'))}</NotificationConfiguration>`).queues).toHaveLength(2);
    const topic = () => parseNotificationConfiguration('<NotificationConfiguration><TopicConfiguration><Topic>arn:aws:sns:us-east-1:000000000000:t</Topic><Event>s3:ObjectCreated:*</Event></TopicConfiguration></NotificationConfiguration>');
    expect(topic).toThrow(NotificationConfigError);
    expect(topic).toThrow(/TopicConfiguration is not supported/);
  });
});

describe('s3 pattern notify', () => {
  const parse = (fields: Record<string, unknown>) => s3PatternSchema.parse({ source: 's3', ...fields });

  it('takes a path by name, or with its settings, and names the path', () => {
    expect(parse({}).notify).toEqual({ to: 'lambda' });
    expect(parse({ notify: 'sqs' }).notify).toEqual({ to: 'sqs', batchSize: 10, maximumBatchingWindow: 0, visibilityTimeout: 30_000, maxReceiveCount: 3 });
    expect(parse({ notify: { to: 'sqs', batchSize: 100, maximumBatchingWindow: '2s', maximumConcurrency: 4 } }).notify).toMatchObject({ batchSize: 100, maximumBatchingWindow: 2000, maximumConcurrency: 4 });
    expect(s3PathOf(parse({}))).toBe('s3 → lambda');
    expect(s3PathOf(parse({ notify: 'sqs' }))).toBe('s3 → sqs → lambda');
    expect(s3PathOf(parse({ notify: 'eventbridge' }))).toBe('s3 → eventbridge → lambda');
  });

  it('makes the rule on the default bus from the notification filter, the bucket and the extra conditions', () => {
    const pattern = parse({ notification: { prefix: 'incoming/', suffix: '.json' }, notify: { to: 'eventbridge', eventPattern: { detail: { object: { size: [{ numeric: ['<', 100] }] } } } } });
    expect(s3EventBridgeRulePattern(pattern, 'b1')).toEqual({
      source: ['aws.s3'],
      'detail-type': ['Object Created'],
      detail: { bucket: { name: ['b1'] }, object: { size: [{ numeric: ['<', 100] }], key: [{ wildcard: 'incoming/*.json' }] } },
    });
    const notifies = objectNotifiesFor(pattern, 'b1', 'us-east-1');
    expect(notifies('incoming/k/1.json', '{"small":1}')).toBe(true);
    expect(notifies('incoming/k/1.csv', '{"small":1}')).toBe(false);
    expect(notifies('archive/k/1.json', '{"small":1}')).toBe(false);
    // The size condition: a 200-byte object does not match.
    expect(notifies('incoming/k/2.json', 'x'.repeat(200))).toBe(false);
    // A wildcard's literal parts are escaped.
    expect(s3EventBridgeRulePattern(parse({ notification: { prefix: 'a*', suffix: '.j' }, notify: 'eventbridge' }), 'b').detail).toMatchObject({ object: { key: [{ wildcard: 'a\\**.j' }] } });
  });

  it('judges queue and Lambda destinations by the prefix and suffix', () => {
    const notifies = objectNotifiesFor(parse({ notification: { prefix: 'incoming/', suffix: '.json' }, notify: 'sqs' }), 'b', 'us-east-1');
    expect([notifies('incoming/1.json', ''), notifies('incoming/1.csv', ''), notifies('archive/1.json', '')]).toEqual([true, false, false]);
  });

  it('prices S3 PUTs plus the queue’s requests, or the EventBridge events', () => {
    const usage = { eventsSent: 1e6, eventsAccepted: 1e6, deliveries: 1e6, invocations: 1e5, eventsCompleted: 1e6, resourceHours: 1, eventSizeBytes: 200_000 };
    const notes: string[] = [];
    const viaQueue = s3Cost.lines(parse({ notify: 'sqs' }), usage, resolvePrices(), notes);
    expect(viaQueue.map((line) => line.item)).toEqual([
      'S3 PUT requests',
      'S3 LIST requests (emptying the bucket)',
      'SQS standard sends by S3 (1 per call)',
      'SQS standard receive requests (up to 10 per call)',
      'SQS standard delete requests (up to 10 per call)',
    ]);
    // One message of about 1 KB per event, whatever the object's size: one 64 KB chunk each.
    expect(viaQueue[2]!.quantity).toBe(1e6);
    const viaBus = s3Cost.lines(parse({ notify: 'eventbridge' }), usage, resolvePrices(), notes);
    expect(viaBus.map((line) => [line.item, line.quantity])).toContainEqual(['EventBridge events from S3 matching a rule', 1e6]);
    expect(s3Cost.lines(parse({}), usage, resolvePrices(), notes)).toHaveLength(2);
    expect(s3Cost.eventsPerInvocationMax(parse({ notify: { to: 'sqs', batchSize: 25, maximumBatchingWindow: 1 } }))).toBe(25);
  });

  it('reads event ids back from every path’s event (the managed stack’s consumer)', () => {
    const key = 'in/key-1/1767225600000-17.json';
    const reader = s3EventReader('.json');
    const record = s3NotificationRecord({ ...created, key }, 'c');
    expect(reader({ Records: [record] })).toEqual([{ eventId: 17, sentAtMs: 1767225600000 }]);
    const sqsBatch = { Records: [{ body: JSON.stringify(s3TestEvent('b', 0)) }, { body: JSON.stringify({ Records: [record] }) }] };
    expect(reader(sqsBatch)).toEqual([{ eventId: 17, sentAtMs: 1767225600000 }]);
    const entry = s3EventBridgeEntry({ ...created, key })!;
    expect(reader({ version: '0', source: 'aws.s3', 'detail-type': entry.detailType, time: '2026-01-01T00:00:00Z', detail: entry.detail })).toEqual([{ eventId: 17, sentAtMs: 1767225600000 }]);
  });
});
