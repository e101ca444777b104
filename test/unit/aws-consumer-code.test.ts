import { describe, expect, it } from 'vitest';
import type { CompletionRecord } from '../../targets/aws/consumer-code.ts';
import type { ConsumerReaderModule } from '../../targets/aws/stack-piece.ts';
import { syntheticConsumerBundle } from '../../targets/aws/synthetic-consumer/bundle.ts';
import { sqsAwsStack } from '../../drivers/sqs/aws-stack.ts';
import { kinesisAwsStack } from '../../drivers/kinesis/aws-stack.ts';
import { eventBridgeAwsStack } from '../../drivers/eventbridge/aws-stack.ts';
import { s3AwsStack } from '../../drivers/s3/aws-stack.ts';
import { apiGatewayAwsStack } from '../../drivers/apigateway/aws-stack.ts';
import { s3ObjectKeyForEvent } from '../../drivers/s3/consumer-reader.ts';

const pieces = [sqsAwsStack, kinesisAwsStack, eventBridgeAwsStack, s3AwsStack, apiGatewayAwsStack];

/**
 * The bundled Lambda code of a source's consumer (the generic handler and the source's
 * reader), run here as Lambda's Node.js runtime would load index.js, with a fake
 * `@aws-sdk/client-sqs` that records what the consumer sends to the sink queue.
 */
function loadConsumer(reader: ConsumerReaderModule, env: Record<string, string>, options: { failFirstSends?: number } = {}) {
  const sent: Array<{ QueueUrl: string; Entries: Array<{ Id: string; MessageBody: string }> }> = [];
  let failuresLeft = options.failFirstSends ?? 0;
  class SendMessageBatchCommand {
    constructor(readonly input: { QueueUrl: string; Entries: Array<{ Id: string; MessageBody: string }> }) {}
  }
  const clientConfigs: unknown[] = [];
  class SQSClient {
    constructor(config: unknown) {
      clientConfigs.push(config);
    }
    async send(command: SendMessageBatchCommand) {
      sent.push(command.input);
      if (failuresLeft > 0) {
        failuresLeft--;
        return { Failed: command.input.Entries.map((e) => ({ Id: e.Id })) };
      }
      return { Successful: command.input.Entries.map((e) => ({ Id: e.Id })) };
    }
  }
  const fakeRequire = (name: string) => {
    if (name !== '@aws-sdk/client-sqs') throw new Error(`the consumer must need only @aws-sdk/client-sqs, asked for ${name}`);
    return { SQSClient, SendMessageBatchCommand };
  };
  const module = { exports: {} as { handler: (event: unknown) => Promise<unknown> } };
  const fakeProcess = { env: { SLUICE_SINK_QUEUE_URL: 'https://sqs.local/sink', SLUICE_DURATION: JSON.stringify({ kind: 'fixed', fixedMs: 0 }), ...env } };
  new Function('require', 'module', 'exports', 'process', syntheticConsumerBundle(reader))(fakeRequire, module, module.exports, fakeProcess);
  const records = (): CompletionRecord[] => sent.flatMap((call) => call.Entries.flatMap((entry) => JSON.parse(entry.MessageBody) as CompletionRecord[]));
  return { handler: module.exports.handler, sent, records, clientConfigs };
}

const sqsEvent = (bodies: unknown[]) => ({
  Records: bodies.map((body, i) => ({ messageId: `m-${i}`, body: JSON.stringify(body), attributes: { SentTimestamp: '1767225600000' } })),
});

describe('synthetic consumer code', () => {
  it('reports one completion per SQS record, cold only on the first invocation', async () => {
    const consumer = loadConsumer(sqsAwsStack.consumerReader, { SLUICE_SOURCE: 'sqs' });
    await consumer.handler(sqsEvent([{ eventId: 'e1', sentAtMs: 1000 }, { sluice: { eventId: 'e2', sentAtMs: 2000 } }]));
    await consumer.handler(sqsEvent([{ eventId: 'e3', sentAtMs: 3000 }]));
    const records = consumer.records();
    expect(records.map((r) => [r.eventId, r.sentAtMs, r.coldStart])).toEqual([
      ['e1', 1000, true],
      ['e2', 2000, true],
      ['e3', 3000, false],
    ]);
    for (const record of records) {
      expect(record.failed).toBeUndefined();
      expect(record.completedAtMs).toBeGreaterThan(0);
      expect(record.durationMs).toBeGreaterThanOrEqual(0);
    }
    expect(consumer.sent[0].QueueUrl).toBe('https://sqs.local/sink');
  });

  it('reads sluice’s own envelope: sluiceId and sentAtMs', async () => {
    const consumer = loadConsumer(sqsAwsStack.consumerReader, { SLUICE_SOURCE: 'sqs' });
    await consumer.handler(sqsEvent([{ sluiceId: 41, sentAtMs: 1767225600001, key: 'k-1', pad: 'xx' }]));
    expect(consumer.records()[0]).toMatchObject({ eventId: 41, sentAtMs: 1767225600001 });
  });

  it('falls back to the message id and SQS send time when the body carries neither', async () => {
    const consumer = loadConsumer(sqsAwsStack.consumerReader, { SLUICE_SOURCE: 'sqs' });
    await consumer.handler({ Records: [{ messageId: 'm-1', body: 'not json', attributes: { SentTimestamp: '1767225600000' } }] });
    expect(consumer.records()[0]).toMatchObject({ eventId: 'm-1', sentAtMs: 1767225600000 });
  });

  it('sleeps for the fixed duration before completing', async () => {
    const consumer = loadConsumer(sqsAwsStack.consumerReader, { SLUICE_SOURCE: 'sqs', SLUICE_DURATION: JSON.stringify({ kind: 'fixed', fixedMs: 30 }) });
    const started = Date.now();
    await consumer.handler(sqsEvent([{ eventId: 'e1', sentAtMs: 1 }]));
    expect(Date.now() - started).toBeGreaterThanOrEqual(29);
    expect(consumer.records()[0].durationMs).toBeGreaterThanOrEqual(29);
  });

  it('samples lognormal durations around p50 and below p99', async () => {
    const consumer = loadConsumer(sqsAwsStack.consumerReader, { SLUICE_SOURCE: 'sqs', SLUICE_DURATION: JSON.stringify({ kind: 'lognormal', p50Ms: 2, p99Ms: 20 }) });
    const durations: number[] = [];
    for (let i = 0; i < 60; i++) {
      await consumer.handler(sqsEvent([{ eventId: `e${i}`, sentAtMs: 1 }]));
    }
    for (const record of consumer.records()) durations.push(record.durationMs);
    durations.sort((a, b) => a - b);
    const median = durations[Math.floor(durations.length / 2)];
    // Timers round to whole milliseconds; the median of lognormal(2, 20) stays in single digits.
    expect(median).toBeGreaterThanOrEqual(1);
    expect(median).toBeLessThan(10);
  });

  it('throws at the error rate and reports the attempt as failed', async () => {
    const consumer = loadConsumer(sqsAwsStack.consumerReader, { SLUICE_SOURCE: 'sqs', SLUICE_ERROR_RATE: '1' });
    await expect(consumer.handler(sqsEvent([{ eventId: 'e1', sentAtMs: 1 }]))).rejects.toThrow(/sluice synthetic failure/);
    expect(consumer.records()).toEqual([expect.objectContaining({ eventId: 'e1', failed: true })]);
  });

  it('reads Kinesis, EventBridge, S3 and API Gateway events', async () => {
    const kinesis = loadConsumer(kinesisAwsStack.consumerReader, { SLUICE_SOURCE: 'kinesis' });
    await kinesis.handler({
      Records: [{ kinesis: { data: Buffer.from(JSON.stringify({ eventId: 'k1', sentAtMs: 5 })).toString('base64'), sequenceNumber: 's1', approximateArrivalTimestamp: 1767225600.5 } }],
    });
    expect(kinesis.records()[0]).toMatchObject({ eventId: 'k1', sentAtMs: 5 });

    const eventbridge = loadConsumer(eventBridgeAwsStack.consumerReader, { SLUICE_SOURCE: 'eventbridge' });
    await eventbridge.handler({ id: 'ev-1', time: '2026-01-01T00:00:00Z', detail: { eventId: 'b1', sentAtMs: 6 } });
    expect(eventbridge.records()[0]).toMatchObject({ eventId: 'b1', sentAtMs: 6 });

    const s3 = loadConsumer(s3AwsStack.consumerReader, { SLUICE_SOURCE: 's3', SLUICE_S3_SUFFIX: '.json' });
    const keys = [
      s3ObjectKeyForEvent({ prefix: 'in/', suffix: '.json', eventId: 'o 1', sentAtMs: 1767225600123 }),
      s3ObjectKeyForEvent({ prefix: 'in/', suffix: '.json', eventId: 17, sentAtMs: 1767225600124 }),
    ];
    // S3 URL-encodes keys in notifications, with + for spaces.
    await s3.handler({ Records: keys.map((key) => ({ eventTime: '2026-01-01T00:00:00.000Z', s3: { object: { key: encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/') } } })) });
    expect(s3.records().map((r) => [r.eventId, r.sentAtMs])).toEqual([
      ['o 1', 1767225600123],
      [17, 1767225600124],
    ]);

    const api = loadConsumer(apiGatewayAwsStack.consumerReader, { SLUICE_SOURCE: 'apigateway' });
    const answer = await api.handler({ body: JSON.stringify({ eventId: 'a1', sentAtMs: 7 }), isBase64Encoded: false, requestContext: { requestId: 'r1', timeEpoch: 9 } });
    expect(answer).toMatchObject({ statusCode: 200 });
    expect(api.records()[0]).toMatchObject({ eventId: 'a1', sentAtMs: 7 });
  });

  it('packs large batches into messages under 24 KB, ten per request', async () => {
    const consumer = loadConsumer(sqsAwsStack.consumerReader, { SLUICE_SOURCE: 'sqs' });
    const bodies = Array.from({ length: 2500 }, (_, i) => ({ eventId: `event-${i}`, sentAtMs: 1767225600000 + i }));
    await consumer.handler(sqsEvent(bodies));
    expect(consumer.records()).toHaveLength(2500);
    for (const call of consumer.sent) {
      expect(call.Entries.length).toBeLessThanOrEqual(10);
      for (const entry of call.Entries) expect(entry.MessageBody.length).toBeLessThanOrEqual(24_000);
      expect(call.Entries.reduce((size, e) => size + e.MessageBody.length, 0)).toBeLessThan(256 * 1024);
    }
  });

  it('retries entries the sink refused, and fails the invocation after three tries', async () => {
    const recovers = loadConsumer(sqsAwsStack.consumerReader, { SLUICE_SOURCE: 'sqs' }, { failFirstSends: 2 });
    await recovers.handler(sqsEvent([{ eventId: 'e1', sentAtMs: 1 }]));
    expect(recovers.sent).toHaveLength(3);
    const gives = loadConsumer(sqsAwsStack.consumerReader, { SLUICE_SOURCE: 'sqs' }, { failFirstSends: 5 });
    await expect(gives.handler(sqsEvent([{ eventId: 'e1', sentAtMs: 1 }]))).rejects.toThrow(/sink queue refused/);
  });

  it('bounds its own requests to the sink queue', () => {
    const consumer = loadConsumer(sqsAwsStack.consumerReader, { SLUICE_SOURCE: 'sqs' });
    expect(consumer.clientConfigs).toEqual([{ requestHandler: expect.objectContaining({ requestTimeout: expect.any(Number), throwOnRequestTimeout: true }) }]);
  });

  it('spends the init time once, when the environment starts', () => {
    const started = Date.now();
    loadConsumer(sqsAwsStack.consumerReader, { SLUICE_SOURCE: 'sqs', SLUICE_INIT_MS: '40' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(39);
  });

  it.each(pieces.map((piece) => [piece.source, piece] as const))('%s: stays free of template placeholders and needs only the SQS client', (_source, piece) => {
    const code = syntheticConsumerBundle(piece.consumerReader);
    expect(code).not.toContain('${');
    expect([...code.matchAll(/require\((['"])([^'"]+)\1\)/g)].map((m) => m[2])).toEqual(['@aws-sdk/client-sqs']);
  });
});
