import { describe, expect, it } from 'vitest';
import type { PutRecordsCommand, PutRecordsCommandOutput } from '@aws-sdk/client-kinesis';
import { VirtualClock } from '../../core/clock.ts';
import { seededRandom } from '../../runtime/random.ts';
import { EventLedger } from '../../run/event-ledger.ts';
import { MetricsRecorder } from '../../run/metrics-recorder.ts';
import { KinesisProducer, type PutRecordsClient } from '../../drivers/kinesis/kinesis-producer.ts';
import { VirtualStream } from '../../drivers/kinesis/virtual-stream.ts';
import type { OutgoingEvent } from '../../load/event-factory.ts';

/** A PutRecords client over an in-memory stream with Kinesis's per-shard write quotas. */
function streamClient(stream: VirtualStream, calls: number[][]): PutRecordsClient {
  return {
    send: (async (command: PutRecordsCommand) => {
      const records = command.input.Records ?? [];
      calls.push(records.map((record) => JSON.parse(Buffer.from(record.Data!).toString()).sluiceId as number));
      const results = stream.putRecords(records.map((record) => ({ partitionKey: record.PartitionKey!, data: record.Data! })));
      return {
        FailedRecordCount: results.filter((result) => 'errorCode' in result).length,
        Records: results.map((result) =>
          'errorCode' in result
            ? { ErrorCode: result.errorCode, ErrorMessage: `Rate exceeded for shard ${result.shardId} in stream ${stream.streamName} under account 000000000000.` }
            : { ShardId: result.shardId, SequenceNumber: result.sequenceNumber },
        ),
        $metadata: {},
      } satisfies PutRecordsCommandOutput;
    }) as PutRecordsClient['send'],
  };
}

function events(from: number, count: number, key = (id: number) => `key-${id % 10}`): OutgoingEvent[] {
  return Array.from({ length: count }, (_, index) => ({ id: from + index, key: key(from + index), body: JSON.stringify({ sluiceId: from + index, sentAtMs: 0 }) }));
}

function setUp(options: { producerRetries?: number; putRecordsBatchSize?: number; writeRecordsPerSecondPerShard?: number; shards?: number }) {
  const clock = new VirtualClock(0);
  const stream = new VirtualStream(clock, { shards: options.shards ?? 1, quotas: { writeRecordsPerSecondPerShard: options.writeRecordsPerSecondPerShard ?? 1000 } });
  const ledger = new EventLedger(10_000);
  const recorder = new MetricsRecorder(0);
  const calls: number[][] = [];
  const producer = new KinesisProducer({
    client: streamClient(stream, calls),
    streamName: stream.streamName,
    clock,
    ledger,
    recorder,
    putRecordsBatchSize: options.putRecordsBatchSize ?? 500,
    producerRetries: options.producerRetries ?? 3,
    random: seededRandom(1),
  });
  const send = async (batch: OutgoingEvent[]) => {
    for (const event of batch) ledger.recordSent(event.id, clock.nowMs());
    const sending = producer.send(batch);
    await clock.advanceBy(30_000);
    await sending;
  };
  return { clock, stream, ledger, recorder, producer, calls, send };
}

describe('kinesis producer', () => {
  it('sends an arrival in PutRecords calls of at most putRecordsBatchSize records', async () => {
    const { send, calls, ledger } = setUp({ putRecordsBatchSize: 200 });
    await send(events(0, 450));
    expect(calls.map((call) => call.length)).toEqual([200, 200, 50]);
    expect(ledger.accounting(0)).toMatchObject({ sent: 450, accepted: 450, sourceThrottled: 0, sourceFailed: 0 });
  });

  it('cuts a call at 5 MiB', async () => {
    const { send, calls } = setUp({ writeRecordsPerSecondPerShard: 1000, shards: 8 });
    const big = events(0, 30).map((event) => ({ ...event, body: JSON.stringify({ sluiceId: event.id, sentAtMs: 0, pad: 'x'.repeat(256 * 1024) }) }));
    await send(big);
    // 20 records of 256 KiB make 5 MiB; the key and envelope tip the 20th into the next call.
    // (Later calls are retries: 7.5 MiB over 8 shards is more than their 1 MiB/s each.)
    expect(calls.slice(0, 2).map((call) => call.length)).toEqual([19, 11]);
  });

  it('retries refused records with backoff, counts each refusal, and fails them after producerRetries', async () => {
    // 10 records/s on one shard; 100 records at once: 10 fit, then the bucket refills as the retries come.
    const { send, calls, ledger, recorder, producer } = setUp({ writeRecordsPerSecondPerShard: 10, producerRetries: 2 });
    await send(events(0, 100));
    expect(calls).toHaveLength(3);
    expect(calls[0]).toHaveLength(100);
    expect(calls[1]).toHaveLength(90);
    const accounting = ledger.accounting(0);
    expect(accounting.accepted + accounting.sourceFailed).toBe(100);
    expect(accounting.sourceThrottled).toBe(90);
    expect(accounting.accepted).toBeGreaterThanOrEqual(10);
    expect(accounting.accepted).toBeLessThan(30);
    const refusals = calls.reduce((sum, call) => sum + call.length, 0) - accounting.accepted;
    expect(recorder.series().reduce((sum, point) => sum + point.sourceThrottles, 0)).toBe(refusals);
    expect(producer.stats().recordsThrottledByShard).toEqual({ 'shardId-000000000000': refusals });
    expect(producer.stats().recordsRetried).toBe(calls[1].length + calls[2].length);
  });

  it('accepts every record in the end when the retries outlast the burst', async () => {
    const { send, ledger } = setUp({ writeRecordsPerSecondPerShard: 100, producerRetries: 8 });
    await send(events(0, 300));
    expect(ledger.accounting(0)).toMatchObject({ sent: 300, accepted: 300, sourceFailed: 0, sourceThrottled: 200 });
  });

  it('names the refusing shard, from the key or else from the error message', async () => {
    const { send, producer, stream } = setUp({ writeRecordsPerSecondPerShard: 5, producerRetries: 0, shards: 2 });
    await send(events(0, 40, (id) => `key-${id}`));
    const throttled = producer.stats().recordsThrottledByShard;
    expect(Object.keys(throttled).sort()).toEqual(stream.shardIds);
    expect(Object.values(throttled).reduce((a, b) => a + b, 0)).toBe(30);
  });

  it('counts a call that fails as a whole, and retries it', async () => {
    const clock = new VirtualClock(0);
    const ledger = new EventLedger(100);
    let attempts = 0;
    const producer = new KinesisProducer({
      client: {
        send: (async () => {
          attempts += 1;
          if (attempts < 3) throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
          return { FailedRecordCount: 0, Records: [{ ShardId: 'shardId-000000000000', SequenceNumber: '1' }], $metadata: {} };
        }) as PutRecordsClient['send'],
      },
      streamName: 's',
      clock,
      ledger,
      recorder: new MetricsRecorder(0),
      putRecordsBatchSize: 500,
      producerRetries: 3,
      random: seededRandom(1),
    });
    ledger.recordSent(0, 0);
    const sending = producer.send(events(0, 1));
    await clock.advanceBy(10_000);
    await sending;
    expect(ledger.accounting(0)).toMatchObject({ accepted: 1, sourceFailed: 0 });
    expect(producer.stats()).toMatchObject({ putRecordsCalls: 3, putRecordsCallErrors: 2, errorsByCode: { TimeoutError: 2 } });
  });
});
