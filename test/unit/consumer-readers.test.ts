import { describe, expect, it } from 'vitest';
import { readSqsEvent } from '../../drivers/sqs/consumer-reader.ts';
import { readKinesisEvent } from '../../drivers/kinesis/consumer-reader.ts';
import { readEventBridgeEvent } from '../../drivers/eventbridge/consumer-reader.ts';
import { readS3Event, s3EventReader, s3ObjectKeyForEvent } from '../../drivers/s3/consumer-reader.ts';
import { apiGatewayResponse, readApiGatewayEvent } from '../../drivers/apigateway/consumer-reader.ts';
import { remoteObjectKeyFor } from '../../drivers/s3/object-keys.ts';
import { encodeS3EventKey } from '../../core/s3-key-encoding.ts';

/**
 * Each source's reader of the synthetic consumer, fed an event of the shape Lambda hands a
 * function for that source (the example events of AWS's guides), carrying what sluice's
 * load generator sends: its envelope `{ sluiceId, sentAtMs, key }` (load/event-factory.ts).
 */
const sentAtMs = 1_767_225_600_123;
const envelope = (sluiceId: number) => ({ sluiceId, sentAtMs, key: 'key-3', pad: 'xxxx' });

describe('sqs consumer reader', () => {
  // https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html (example standard queue message event)
  const record = (body: string) => ({
    messageId: '059f36b4-87a3-44ab-83d2-661975830a7d',
    receiptHandle: 'AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...',
    body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1545082649183', SenderId: 'AIDAIENQZJOLO23YVJ4VO', ApproximateFirstReceiveTimestamp: '1545082649185' },
    messageAttributes: {},
    md5OfBody: '098f6bcd4621d373cade4e832627b4f6',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-2:123456789012:my-queue',
    awsRegion: 'us-east-2',
  });

  it('reads the envelope of every record', () => {
    expect(readSqsEvent({ Records: [record(JSON.stringify(envelope(7))), record(JSON.stringify(envelope(8)))] })).toEqual([
      { eventId: 7, sentAtMs },
      { eventId: 8, sentAtMs },
    ]);
  });

  it('falls back to the message id and SentTimestamp for a body that is not sluice’s', () => {
    expect(readSqsEvent({ Records: [record('Test message.')] })).toEqual([{ eventId: '059f36b4-87a3-44ab-83d2-661975830a7d', sentAtMs: 1545082649183 }]);
  });

  it('reads nothing from an event without records', () => {
    expect(readSqsEvent({})).toEqual([]);
    expect(readSqsEvent(null)).toEqual([]);
  });
});

describe('kinesis consumer reader', () => {
  // https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html (example event)
  const record = (data: string) => ({
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: '1',
      sequenceNumber: '49590338271490256608559692538361571095921575989136588898',
      data,
      approximateArrivalTimestamp: 1545084650.987,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: 'shardId-000000000006:49590338271490256608559692538361571095921575989136588898',
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::123456789012:role/lambda-role',
    awsRegion: 'us-east-2',
    eventSourceARN: 'arn:aws:kinesis:us-east-2:123456789012:stream/lambda-stream',
  });

  it('decodes the base64 data of every record and reads its envelope', () => {
    const data = Buffer.from(JSON.stringify(envelope(11))).toString('base64');
    expect(readKinesisEvent({ Records: [record(data)] })).toEqual([{ eventId: 11, sentAtMs }]);
  });

  it('falls back to the sequence number and the arrival time in ms for data that is not sluice’s', () => {
    const data = Buffer.from('Hello, this is a test.').toString('base64');
    expect(readKinesisEvent({ Records: [record(data)] })).toEqual([{ eventId: '49590338271490256608559692538361571095921575989136588898', sentAtMs: 1545084650987 }]);
  });
});

describe('eventbridge consumer reader', () => {
  // https://docs.aws.amazon.com/eventbridge/latest/ref/overiew-event-structure.html
  const event = (detail: unknown) => ({
    version: '0',
    id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    'detail-type': 'sluice.event',
    source: 'sluice.loadtest',
    account: '111122223333',
    time: '2017-12-22T18:43:48Z',
    region: 'us-west-1',
    resources: [],
    detail,
  });

  it('reads the envelope from the detail', () => {
    expect(readEventBridgeEvent(event(envelope(5)))).toEqual([{ eventId: 5, sentAtMs }]);
  });

  it('falls back to the event id and time for a detail that is not sluice’s', () => {
    expect(readEventBridgeEvent(event({ 'instance-id': 'i-1234567890abcdef0', state: 'terminated' }))).toEqual([
      { eventId: '6a7e8feb-b491-4cf7-a9f1-bf3703467718', sentAtMs: Date.parse('2017-12-22T18:43:48Z') },
    ]);
  });
});

describe('s3 consumer reader', () => {
  // https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
  const record = (key: string) => ({
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: 'us-east-1',
    eventTime: '2026-01-01T00:00:00.000Z',
    eventName: 'ObjectCreated:Put',
    userIdentity: { principalId: 'AWS:AIDAINPONIXQXHT3IKHL2' },
    requestParameters: { sourceIPAddress: '205.255.255.255' },
    responseElements: { 'x-amz-request-id': 'D82B88E5F771F645', 'x-amz-id-2': 'vlR7PnpV2Ce81l0PRw6jlUpck7Jo5ZsQjryTjKlc5aLWGVHPZLj5NeC6qMa0emYBDXOo6QBU0Wo=' },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: 'sluice',
      bucket: { name: 'amzn-s3-demo-bucket', ownerIdentity: { principalId: 'A3I5XTEXAMAI3E' }, arn: 'arn:aws:s3:::amzn-s3-demo-bucket' },
      object: { key: encodeS3EventKey(key), size: 1305107, eTag: 'b21b84d653bb07b05b1e6b33684dc11b', sequencer: '0C0F6F405D6ED209E1' },
    },
  });

  it('reads the id and send time from the last segment of the keys the driver writes to a managed stack', () => {
    const spec = { keyTemplate: '{{ prefix }}{{ key }}/{{ seq }}{{ suffix }}', prefixes: ['in coming/'], suffixes: ['.json'] };
    const keys = [17, 18].map((id) => remoteObjectKeyFor(spec, id, 'key-3', sentAtMs));
    expect(s3EventReader('.json')({ Records: keys.map(record) })).toEqual([
      { eventId: 17, sentAtMs },
      { eventId: 18, sentAtMs },
    ]);
  });

  it('decodes keys as S3 encodes them in events (+ for a space, %2B for +)', () => {
    const key = s3ObjectKeyForEvent({ prefix: 'in/', suffix: '.json', eventId: 'a b+c', sentAtMs });
    expect(s3EventReader('.json')({ Records: [record(key)] })).toEqual([{ eventId: 'a b+c', sentAtMs }]);
  });

  it('falls back to the whole key and the event time for a key sluice did not write', () => {
    expect(s3EventReader('')({ Records: [record('photos/HappyFace.jpg')] })).toEqual([{ eventId: 'photos/HappyFace.jpg', sentAtMs: Date.parse('2026-01-01T00:00:00.000Z') }]);
  });

  it('takes the suffix from SLUICE_S3_SUFFIX in the Lambda', () => {
    const before = process.env.SLUICE_S3_SUFFIX;
    process.env.SLUICE_S3_SUFFIX = '.csv';
    try {
      expect(readS3Event({ Records: [record(s3ObjectKeyForEvent({ eventId: 'order-9', sentAtMs, suffix: '.csv' }))] })).toEqual([{ eventId: 'order-9', sentAtMs }]);
    } finally {
      if (before === undefined) delete process.env.SLUICE_S3_SUFFIX;
      else process.env.SLUICE_S3_SUFFIX = before;
    }
  });
});

describe('apigateway consumer reader', () => {
  // https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html (payload format 2.0)
  const httpEvent = (body: string, isBase64Encoded: boolean) => ({
    version: '2.0',
    routeKey: 'POST /events',
    rawPath: '/events',
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    requestContext: {
      accountId: '123456789012',
      apiId: 'api-id',
      domainName: 'id.execute-api.us-east-1.amazonaws.com',
      http: { method: 'POST', path: '/events', protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'agent' },
      requestId: 'JKJaXmPLvHcESHA=',
      routeKey: 'POST /events',
      stage: '$default',
      time: '10/Mar/2020:00:03:14 +0000',
      timeEpoch: 1583798639428,
    },
    body,
    isBase64Encoded,
  });
  // https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html (payload format 1.0)
  const restEvent = (body: string) => ({
    resource: '/events',
    path: '/events',
    httpMethod: 'POST',
    headers: { 'Content-Type': 'application/json' },
    requestContext: { requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef', stage: 'prod', requestTimeEpoch: 1583798639111, httpMethod: 'POST' },
    body,
    isBase64Encoded: false,
  });

  it('reads the envelope from a body, plain or base64', () => {
    const body = JSON.stringify(envelope(21));
    expect(readApiGatewayEvent(httpEvent(body, false))).toEqual([{ eventId: 21, sentAtMs }]);
    expect(readApiGatewayEvent(httpEvent(Buffer.from(body).toString('base64'), true))).toEqual([{ eventId: 21, sentAtMs }]);
  });

  it('falls back to the request id and the request time of either payload format', () => {
    expect(readApiGatewayEvent(httpEvent('hello', false))).toEqual([{ eventId: 'JKJaXmPLvHcESHA=', sentAtMs: 1583798639428 }]);
    expect(readApiGatewayEvent(restEvent('hello'))).toEqual([{ eventId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef', sentAtMs: 1583798639111 }]);
  });

  it('answers the proxy integration with a status code and a JSON body', () => {
    expect(apiGatewayResponse(3)).toEqual({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"completed":3}' });
  });
});
