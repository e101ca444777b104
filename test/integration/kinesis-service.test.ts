import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  ProvisionedThroughputExceededException,
  PutRecordCommand,
  PutRecordsCommand,
  type PutRecordsCommandOutput,
  type _Record,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { startEdge, type EdgeEndpoint } from '../../localstack/embedded/edge.ts';
import {
  KinesisServiceError,
  createKinesisQuotaService,
  startKinesisService,
  type KinesisService,
} from '../../localstack/embedded/kinesis/kinesis-service.ts';

/** Polls `probe` until it returns a value other than undefined; never a fixed sleep. */
async function pollFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 10_000, intervalMs = 20): Promise<T> {
  const deadlineMs = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadlineMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Whether `error` is Kinesis's throttle as the SDK surfaces it. */
function isThrottle(error: unknown): boolean {
  return error instanceof ProvisionedThroughputExceededException;
}

/** Partition keys whose MD5 falls in the lower half of the hash space: shard 0 of a 2-shard stream. */
function keysOnFirstHalf(count: number): string[] {
  const half = 1n << 127n;
  const keys: string[] = [];
  for (let index = 0; keys.length < count; index++) {
    const key = `order-${index}`;
    if (BigInt(`0x${createHash('md5').update(key).digest('hex')}`) < half) keys.push(key);
  }
  return keys;
}

const shard0 = 'shardId-000000000000';
const shard1 = 'shardId-000000000001';

function kinesisClient(endpoint: string): KinesisClient {
  return new KinesisClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'sluice', secretAccessKey: 'sluice' },
    // One attempt, so throttles reach the test instead of being retried away.
    maxAttempts: 1,
    // HTTP/1.1: the Kinesis client's default handler is HTTP/2, which the edge does not speak.
    requestHandler: new NodeHttpHandler({ requestTimeout: 10_000, throwOnRequestTimeout: true }),
  });
}

describe('embedded kinesis service behind the edge', () => {
  let kinesis: KinesisService;
  let edge: EdgeEndpoint;
  let client: KinesisClient;

  beforeAll(async () => {
    kinesis = await startKinesisService();
    edge = await startEdge([kinesis]);
    client = kinesisClient(edge.url);
  });

  afterAll(async () => {
    client?.destroy();
    await edge?.close();
  });

  async function createActiveStream(streamName: string, shardCount: number): Promise<void> {
    await client.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shardCount }));
    await pollFor(async () => {
      const summary = await client.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
      return summary.StreamDescriptionSummary?.StreamStatus === 'ACTIVE' ? true : undefined;
    }, `${streamName} to become ACTIVE`);
  }

  /** GetRecords, retried (by polling) while the shard's read quota refuses it. */
  async function getRecordsWhenAllowed(shardIterator: string) {
    return pollFor(async () => {
      try {
        return await client.send(new GetRecordsCommand({ ShardIterator: shardIterator, Limit: 10_000 }));
      } catch (error) {
        if (isThrottle(error)) return undefined;
        throw error;
      }
    }, 'GetRecords to be admitted');
  }

  it('throttles the records over a shard\'s 1,000 records/s, per record, and stores the rest in order', async () => {
    const streamName = 'orders-write-quota';
    await createActiveStream(streamName, 2);
    const keys = keysOnFirstHalf(1_500);
    const batches = [0, 1, 2].map((batch) =>
      keys.slice(batch * 500, (batch + 1) * 500).map((key) => ({ PartitionKey: key, Data: Buffer.from(`${key}:`.padEnd(100, '.')) })),
    );

    const startedMs = performance.now();
    const answers: PutRecordsCommandOutput[] = await Promise.all(batches.map((Records) => client.send(new PutRecordsCommand({ StreamName: streamName, Records }))));
    const elapsedMs = performance.now() - startedMs;

    const results = answers.flatMap((answer) => answer.Records ?? []);
    const throttled = results.filter((result) => result.ErrorCode !== undefined);
    const accepted = results.filter((result) => result.ErrorCode === undefined);
    expect(answers.reduce((sum, answer) => sum + (answer.FailedRecordCount ?? 0), 0)).toBe(throttled.length);
    // 1,500 records on one shard: a third over the 1,000 the bucket holds, less what it
    // refilled (1 record per ms) while the three calls were being admitted.
    expect(throttled.length).toBeLessThanOrEqual(500);
    expect(throttled.length).toBeGreaterThanOrEqual(500 - Math.ceil(elapsedMs) - 1);
    for (const result of throttled) {
      expect(result.ErrorCode).toBe('ProvisionedThroughputExceededException');
      expect(result.ErrorMessage).toBe(`Rate exceeded for shard ${shard0} in stream ${streamName} under account 000000000000.`);
    }
    // Kinesis itself stored every accepted record on the shard sluice computed from the MD5.
    expect(new Set(accepted.map((result) => result.ShardId))).toEqual(new Set([shard0]));
    expect(accepted.every((result) => result.SequenceNumber !== undefined)).toBe(true);

    // Accepted bytes are each record's 100-byte data blob plus its partition key.
    const acceptedRecords = answers.flatMap((answer, batch) => (answer.Records ?? []).flatMap((result, index) => (result.ErrorCode ? [] : [batches[batch][index]])));
    const shardCounters = kinesis.quotaStats().streams[streamName].shards[shard0];
    expect(shardCounters).toMatchObject({ recordsAccepted: accepted.length, recordsThrottled: throttled.length });
    expect(shardCounters.bytesIn).toBe(acceptedRecords.reduce((sum, record) => sum + record.Data.length + Buffer.byteLength(record.PartitionKey), 0));

    // Read shard 0 back: exactly the accepted records, each batch's in the order sent.
    const { ShardIterator } = await client.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shard0, ShardIteratorType: 'TRIM_HORIZON' }));
    const read: _Record[] = [];
    let iterator = ShardIterator;
    while (iterator && read.length < accepted.length) {
      const page = await getRecordsWhenAllowed(iterator);
      read.push(...(page.Records ?? []));
      if ((page.Records ?? []).length === 0) break;
      iterator = page.NextShardIterator;
    }
    expect(read.map((record) => record.SequenceNumber)).toEqual(
      [...accepted.map((result) => result.SequenceNumber!)].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1)),
    );
    const readKeys = read.map((record) => record.PartitionKey!);
    expect(new Set(readKeys)).toEqual(new Set(acceptedRecords.map((record) => record.PartitionKey)));
    for (const batch of batches) {
      const sentOrder = batch.map((record) => record.PartitionKey).filter((key) => readKeys.includes(key));
      expect(readKeys.filter((key) => sentOrder.includes(key))).toEqual(sentOrder);
    }
    expect(Buffer.from(read[0].Data!).toString()).toMatch(/^order-\d+:\.+$/);
  });

  it('refuses a PutRecord over quota with HTTP 400 ProvisionedThroughputExceededException', async () => {
    // A service of its own with 10 records/s per shard: the bucket refills one record per
    // 100 ms, so the call right after draining it is refused without a race.
    const slowKinesis = await startKinesisService({ writeRecordsPerSecondPerShard: 10 });
    const slowEdge = await startEdge([slowKinesis]);
    const slowClient = kinesisClient(slowEdge.url);
    try {
      const streamName = 'orders-put-record';
      await slowClient.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: 1 }));
      const first = await pollFor(async () => {
        try {
          return await slowClient.send(new PutRecordCommand({ StreamName: streamName, PartitionKey: 'one', Data: Buffer.alloc(10) }));
        } catch (error) {
          if ((error as Error).name === 'ResourceNotFoundException') return undefined; // still CREATING
          throw error;
        }
      }, `${streamName} to take a record`);
      expect(first.ShardId).toBe(shard0);

      const drain = await slowClient.send(new PutRecordsCommand({ StreamName: streamName, Records: Array.from({ length: 20 }, (_, index) => ({ PartitionKey: `k${index}`, Data: Buffer.alloc(10) })) }));
      expect(drain.FailedRecordCount).toBeGreaterThanOrEqual(10);
      const refusal = await slowClient.send(new PutRecordCommand({ StreamName: streamName, PartitionKey: 'one', Data: Buffer.alloc(10) })).catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(ProvisionedThroughputExceededException);
      const throttle = refusal as ProvisionedThroughputExceededException;
      expect(throttle.name).toBe('ProvisionedThroughputExceededException');
      expect(throttle.$metadata.httpStatusCode).toBe(400);
      expect(throttle.message).toBe(`Rate exceeded for shard ${shard0} in stream ${streamName} under account 000000000000.`);
      expect(slowKinesis.quotas.writeRecordsPerSecondPerShard).toBe(10);
    } finally {
      slowClient.destroy();
      await slowEdge.close();
    }
  });

  it('refuses the 6th GetRecords on a shard within a second, then admits again once the bucket refills', async () => {
    const streamName = 'orders-read-quota';
    await createActiveStream(streamName, 2);
    const { ShardIterator } = await client.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shard1, ShardIteratorType: 'TRIM_HORIZON' }));

    const startedMs = performance.now();
    let admitted = 0;
    let refusal: unknown;
    let iterator = ShardIterator!;
    while (refusal === undefined && admitted < 50) {
      try {
        const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator }));
        iterator = page.NextShardIterator!;
        admitted++;
      } catch (error) {
        refusal = error;
      }
    }
    const elapsedMs = performance.now() - startedMs;
    expect(refusal).toBeInstanceOf(ProvisionedThroughputExceededException);
    expect((refusal as ProvisionedThroughputExceededException).$metadata.httpStatusCode).toBe(400);
    // Five calls a second: the 6th is refused unless a fifth of a second passed meanwhile.
    expect(admitted).toBeGreaterThanOrEqual(5);
    expect(admitted).toBeLessThanOrEqual(5 + Math.floor(elapsedMs / 200));
    expect(kinesis.quotaStats().streams[streamName].shards[shard1].getRecordsThrottled).toBe(1);

    // The other shard's reads are untouched, and this one recovers.
    const other = await client.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shard0, ShardIteratorType: 'LATEST' }));
    await expect(client.send(new GetRecordsCommand({ ShardIterator: other.ShardIterator }))).resolves.toBeDefined();
    await getRecordsWhenAllowed(iterator);
  });

  it('serves the control plane through the same endpoint', async () => {
    const shards = await client.send(new ListShardsCommand({ StreamName: 'orders-write-quota' }));
    expect(shards.Shards?.map((shard) => shard.ShardId)).toEqual([shard0, shard1]);
    expect(kinesis.quotaStats()).toMatchObject({ enforced: true, enforcedBy: 'sluice', unattributedRequests: { cbor: 0, unknownShardIterator: 0 } });
  });

  it('takes a StreamARN where kinesalite needs a StreamName', async () => {
    const streamName = 'orders-by-arn';
    await createActiveStream(streamName, 1);
    const StreamARN = `arn:aws:kinesis:us-east-1:000000000000:stream/${streamName}`;
    const answer = await client.send(new PutRecordsCommand({ StreamARN, Records: [{ PartitionKey: 'a', Data: Buffer.from('x') }] }));
    expect(answer.FailedRecordCount).toBe(0);
    expect(kinesis.quotaStats().streams[streamName].totals.recordsAccepted).toBe(1);
  });

  it('enforces the same quotas in front of an upstream given by URL, as for LocalStack', async () => {
    // kinesalite's own port stands in for a LocalStack endpoint here.
    const proxied = createKinesisQuotaService({ upstream: { url: `http://127.0.0.1:${kinesis.emulatorPort}` }, writeRecordsPerSecondPerShard: 100 });
    const proxiedEdge = await startEdge([proxied]);
    const proxiedClient = kinesisClient(proxiedEdge.url);
    try {
      expect(proxied.upstreamUrl).toBe(`http://127.0.0.1:${kinesis.emulatorPort}`);
      const streamName = 'orders-via-url';
      await proxiedClient.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: 1 }));
      await pollFor(async () => {
        const summary = await proxiedClient.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
        return summary.StreamDescriptionSummary?.StreamStatus === 'ACTIVE' ? true : undefined;
      }, `${streamName} to become ACTIVE`);
      const answer = await proxiedClient.send(
        new PutRecordsCommand({ StreamName: streamName, Records: Array.from({ length: 300 }, (_, index) => ({ PartitionKey: `k${index}`, Data: Buffer.alloc(10) })) }),
      );
      // 100 fit the bucket, plus at most what it refilled (0.1 record per ms) during the call.
      expect(answer.FailedRecordCount).toBeGreaterThanOrEqual(150);
      expect(answer.FailedRecordCount).toBeLessThanOrEqual(200);
      expect(answer.Records?.[0].SequenceNumber).toBeDefined();
      expect(answer.Records?.at(-1)?.ErrorCode).toBe('ProvisionedThroughputExceededException');
      expect(proxied.quotaStats().streams[streamName].totals.recordsThrottled).toBe(answer.FailedRecordCount);
    } finally {
      proxiedClient.destroy();
      await proxiedEdge.close();
    }
  });

  it('refuses an upstream it cannot forward to, with a coded error', () => {
    for (const upstream of [{ url: 'https://kinesis.us-east-1.amazonaws.com' }, { url: 'not a url' }, { port: 70_000 }]) {
      expect(() => createKinesisQuotaService({ upstream })).toThrow(KinesisServiceError);
    }
    try {
      createKinesisQuotaService({ upstream: { url: 'ftp://localhost:4566' } });
    } catch (error) {
      expect((error as KinesisServiceError).code).toBe('INVALID_KINESIS_UPSTREAM');
    }
  });
});
