import type { Clock } from '../../core/clock.ts';
import { hashKeyOfPartitionKey, shardForHashKey, type ShardHashRange } from '../../core/shard-routing.ts';
import { KinesisShardQuotas, type KinesisShardQuotaSettings } from '../../localstack/embedded/kinesis/shard-quotas.ts';
import { ExpiredShardIteratorError, ShardReadThrottledError, type GetRecordsPage, type IteratorPosition, type ShardReader, type StreamRecord } from './shard-reader.ts';

/** Iterators expire after 5 minutes. https://docs.aws.amazon.com/kinesis/latest/APIReference/API_GetShardIterator.html */
const iteratorLifetimeMs = 300_000;

/** What one record of a {@link VirtualStream.put} came to. */
export type VirtualPutResult = { shardId: string; sequenceNumber: string } | { shardId: string; errorCode: 'ProvisionedThroughputExceededException' };

export interface VirtualStreamOptions {
  shards: number;
  streamName?: string;
  /** Per-shard quotas (AWS's by default); `enforce: false` counts only. */
  quotas?: Partial<KinesisShardQuotaSettings> & { enforce?: boolean };
}

interface VirtualShard {
  range: ShardHashRange;
  records: StreamRecord[];
}

/**
 * A Kinesis stream in memory on an injected clock: shards with Kinesis's even split of the
 * hash-key space, MD5 routing of partition keys, sequence numbers, ApproximateArrivalTimestamp,
 * iterators, and the same per-shard quotas the embedded edge enforces (one
 * {@link KinesisShardQuotas} on this clock). With a VirtualClock it lets the mapping's
 * rules run deterministically, and without waiting.
 *
 * @example
 * const stream = new VirtualStream(clock, { shards: 2 });
 * stream.put('order-1', '{"sluiceId":0}');
 * const iterator = await stream.getShardIterator(stream.shardIds[0], { type: 'TRIM_HORIZON' });
 */
export class VirtualStream implements ShardReader {
  readonly streamName: string;
  readonly quotas: KinesisShardQuotas;
  private readonly shards: VirtualShard[];
  private readonly ranges: ShardHashRange[];
  private nextSequence = 1n;

  constructor(
    private readonly clock: Clock,
    options: VirtualStreamOptions,
  ) {
    this.streamName = options.streamName ?? 'virtual-stream';
    const { enforce, ...quotaSettings } = options.quotas ?? {};
    this.quotas = new KinesisShardQuotas({ ...quotaSettings, enforce: enforce ?? true, clock });
    const space = 1n << 128n;
    const count = BigInt(options.shards);
    this.shards = Array.from({ length: options.shards }, (_, index) => ({
      range: {
        shardId: `shardId-${String(index).padStart(12, '0')}`,
        startingHashKey: (space * BigInt(index)) / count,
        endingHashKey: (space * BigInt(index + 1)) / count - 1n,
      },
      records: [],
    }));
    this.ranges = this.shards.map((shard) => shard.range);
  }

  get shardIds(): string[] {
    return this.ranges.map((range) => range.shardId);
  }

  /** The shard a partition key maps to. */
  shardOf(partitionKey: string): string {
    return shardForHashKey(this.ranges, hashKeyOfPartitionKey(partitionKey))!.shardId;
  }

  /** Records stored on a shard, oldest first. */
  recordsOf(shardId: string): readonly StreamRecord[] {
    return this.shard(shardId).records;
  }

  /** Writes records as one PutRecords would: each is judged on its own by its shard's write quota. */
  putRecords(entries: readonly { partitionKey: string; data: Uint8Array | string; eventId?: number }[]): VirtualPutResult[] {
    const shards = entries.map((entry) => this.shard(this.shardOf(entry.partitionKey)));
    const datas = entries.map((entry) => (typeof entry.data === 'string' ? Buffer.from(entry.data) : entry.data));
    const admission = this.quotas.admitWrites(
      this.streamName,
      entries.map((entry, index) => ({ shardId: shards[index].range.shardId, sizeBytes: datas[index].length + Buffer.byteLength(entry.partitionKey) })),
    );
    this.quotas.settleWrites(admission, admission.admitted);
    const nowMs = this.clock.nowMs();
    return entries.map((entry, index) => {
      const shardId = shards[index].range.shardId;
      if (!admission.admitted[index]) return { shardId, errorCode: 'ProvisionedThroughputExceededException' as const };
      const sequenceNumber = String(this.nextSequence++).padStart(21, '0');
      shards[index].records.push({ sequenceNumber, partitionKey: entry.partitionKey, data: datas[index], approximateArrivalTimestampMs: nowMs, eventId: entry.eventId });
      return { shardId, sequenceNumber };
    });
  }

  /** Writes one record (PutRecord). */
  put(partitionKey: string, data: Uint8Array | string, eventId?: number): VirtualPutResult {
    return this.putRecords([{ partitionKey, data, eventId }])[0];
  }

  async getShardIterator(shardId: string, position: IteratorPosition): Promise<string> {
    const shard = this.shard(shardId);
    let offset: number;
    if (position.type === 'TRIM_HORIZON') offset = 0;
    else if (position.type === 'LATEST') offset = shard.records.length;
    else offset = shard.records.findIndex((record) => record.sequenceNumber === position.sequenceNumber) + 1;
    return JSON.stringify({ shardId, offset, createdAtMs: this.clock.nowMs() });
  }

  async getRecords(shardIterator: string, limit: number): Promise<GetRecordsPage> {
    const { shardId, offset, createdAtMs } = JSON.parse(shardIterator) as { shardId: string; offset: number; createdAtMs: number };
    const nowMs = this.clock.nowMs();
    if (nowMs - createdAtMs > iteratorLifetimeMs) throw new ExpiredShardIteratorError();
    if (!this.quotas.admitRead(this.streamName, shardId)) throw new ShardReadThrottledError(`Rate exceeded for shard ${shardId} in stream ${this.streamName}`);
    const shard = this.shard(shardId);
    const records = shard.records.slice(offset, offset + Math.max(1, Math.floor(limit)));
    this.quotas.chargeReadBytes(
      this.streamName,
      shardId,
      records.reduce((sum, record) => sum + record.data.length + Buffer.byteLength(record.partitionKey), 0),
    );
    const nextOffset = offset + records.length;
    const last = records.at(-1);
    return {
      records,
      nextShardIterator: JSON.stringify({ shardId, offset: nextOffset, createdAtMs: nowMs }),
      millisBehindLatest: nextOffset < shard.records.length && last ? Math.max(1, nowMs - last.approximateArrivalTimestampMs) : 0,
    };
  }

  private shard(shardId: string): VirtualShard {
    const shard = this.shards.find((candidate) => candidate.range.shardId === shardId);
    if (!shard) throw new Error(`no shard ${shardId} in ${this.streamName}`);
    return shard;
  }
}
