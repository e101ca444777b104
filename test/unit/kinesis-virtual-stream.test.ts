import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../core/clock.ts';
import { hashKeyOfPartitionKey, shardForHashKey } from '../../core/shard-routing.ts';
import { VirtualStream } from '../../drivers/kinesis/virtual-stream.ts';

describe('virtual kinesis stream', () => {
  it('routes each partition key by MD5 to the shard whose range holds it, the same on every write', () => {
    const stream = new VirtualStream(new VirtualClock(0), { shards: 4, quotas: { enforce: false } });
    const ranges = stream.shardIds.map((shardId, index) => ({ shardId, startingHashKey: ((1n << 128n) * BigInt(index)) / 4n, endingHashKey: ((1n << 128n) * BigInt(index + 1)) / 4n - 1n }));
    for (let key = 0; key < 200; key += 1) {
      const expected = shardForHashKey(ranges, hashKeyOfPartitionKey(`order-${key}`))!.shardId;
      expect(stream.put(`order-${key}`, 'a').shardId).toBe(expected);
      expect(stream.put(`order-${key}`, 'b').shardId).toBe(expected);
    }
  });

  it('keeps every record by default, so a TRIM_HORIZON iterator reads from the first', async () => {
    const stream = new VirtualStream(new VirtualClock(0), { shards: 1, quotas: { enforce: false } });
    for (let id = 0; id < 6000; id += 1) stream.put('k', `${id}`, id);
    const [shardId] = stream.shardIds;
    const page = await stream.getRecords(await stream.getShardIterator(shardId!, { type: 'TRIM_HORIZON' }), 10_000);
    expect(page.records).toHaveLength(6000);
    expect(stream.recordsOf(shardId!)).toHaveLength(6000);
    const again = await stream.getRecords(await stream.getShardIterator(shardId!, { type: 'TRIM_HORIZON' }), 10);
    expect(again.records[0]!.eventId).toBe(0);
  });

  it('with releaseReadRecords, lets go of what was read and reads on from where it was, in order', async () => {
    const stream = new VirtualStream(new VirtualClock(0), { shards: 1, quotas: { enforce: false }, releaseReadRecords: true });
    const [shardId] = stream.shardIds;
    for (let id = 0; id < 20_000; id += 1) stream.put('k', `${id}`, id);
    let iterator = await stream.getShardIterator(shardId!, { type: 'TRIM_HORIZON' });
    const read: number[] = [];
    for (let call = 0; call < 3; call += 1) {
      const page = await stream.getRecords(iterator, 5000);
      read.push(...page.records.map((record) => record.eventId!));
      iterator = page.nextShardIterator!;
      expect(page.millisBehindLatest).toBeGreaterThanOrEqual(0);
    }
    expect(read).toEqual(Array.from({ length: 15_000 }, (_, id) => id));
    // Released in runs: what is held is the unread tail (and at most the last page read).
    expect(stream.recordsOf(shardId!).length).toBeLessThanOrEqual(10_000);
    expect(stream.recordsOf(shardId!).at(-1)!.eventId).toBe(19_999);
    // Writes after a release keep their order and sequence; an iterator after the last read record reads on.
    for (let id = 20_000; id < 20_010; id += 1) stream.put('k', `${id}`, id);
    const held = stream.recordsOf(shardId!);
    const after = await stream.getShardIterator(shardId!, { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: held[0]!.sequenceNumber });
    expect((await stream.getRecords(after, 9)).records.map((record) => record.eventId)).toEqual(Array.from({ length: 9 }, (_, index) => held[0]!.eventId! + 1 + index));
    const rest = await stream.getRecords(iterator, 10_000);
    expect(rest.records.map((record) => record.eventId)).toEqual(Array.from({ length: 5010 }, (_, index) => 15_000 + index));
    expect(rest.millisBehindLatest).toBe(0);
    const sequences = rest.records.map((record) => BigInt(record.sequenceNumber));
    expect(sequences.every((sequence, index) => index === 0 || sequence > sequences[index - 1]!)).toBe(true);
    // Everything read is released now: TRIM_HORIZON starts at the oldest record still held (the next write).
    expect(stream.recordsOf(shardId!)).toHaveLength(0);
    stream.put('k', 'next', 20_010);
    const horizon = await stream.getRecords(await stream.getShardIterator(shardId!, { type: 'TRIM_HORIZON' }), 10);
    expect(horizon.records.map((record) => record.eventId)).toEqual([20_010]);
  });
});
