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
  /**
   * Let go of records once a GetRecords has returned them, for a stream with one consumer that
   * reads on and never rewinds (the mapping of a prediction: it retries from the batch it holds,
   * not from the stream). Memory then holds what is unread, not the run's every record, and a
   * TRIM_HORIZON iterator starts at the oldest record not yet read. Off by default: Kinesis keeps
   * records for the retention period, and tests read them back.
   */
  releaseReadRecords?: boolean;
}

/**
 * A stored record; its sequence number is a string only when read (a prediction's mapping
 * reads one a GetRecords page), and it doubles as the put's result.
 */
class VirtualRecord implements StreamRecord {
  constructor(
    private readonly sequence: number,
    readonly partitionKey: string,
    readonly data: Uint8Array,
    readonly approximateArrivalTimestampMs: number,
    readonly eventId: number | undefined,
    readonly shardId: string,
  ) {}

  get sequenceNumber(): string {
    return String(this.sequence).padStart(21, '0');
  }
}

/** Released records are dropped from the front of a shard's array in runs of at least this many. */
const releaseRunRecordsMin = 4096;

interface VirtualShard {
  range: ShardHashRange;
  /** Records held, oldest first; the first is at offset `releasedCount` of the shard. */
  records: StreamRecord[];
  /** Records released after their read ({@link VirtualStreamOptions.releaseReadRecords}). */
  releasedCount: number;
}

/** Where a partition key goes and what it weighs, worked out once per key. */
interface RoutedKey {
  shard: VirtualShard;
  keyBytes: number;
}

/** Keys whose route is remembered; a bound on memory, not on correctness (the hash is recomputed). */
const routedKeysMax = 100_000;

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
  private readonly shardsById: Map<string, VirtualShard>;
  private readonly ranges: ShardHashRange[];
  // MD5 of every record's key was the largest cost of a write on simulated time.
  private readonly routedKeys = new Map<string, RoutedKey>();
  /** A number, not a bigint: exact to 2^53 records, past any run's count. */
  private nextSequence = 1;
  private readonly releaseReadRecords: boolean;

  constructor(
    private readonly clock: Clock,
    options: VirtualStreamOptions,
  ) {
    this.streamName = options.streamName ?? 'virtual-stream';
    this.releaseReadRecords = options.releaseReadRecords ?? false;
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
      releasedCount: 0,
    }));
    this.ranges = this.shards.map((shard) => shard.range);
    this.shardsById = new Map(this.shards.map((shard) => [shard.range.shardId, shard]));
  }

  get shardIds(): string[] {
    return this.ranges.map((range) => range.shardId);
  }

  /** The shard a partition key maps to. */
  shardOf(partitionKey: string): string {
    return this.route(partitionKey).shard.range.shardId;
  }

  private route(partitionKey: string): RoutedKey {
    let routed = this.routedKeys.get(partitionKey);
    if (routed === undefined) {
      const range = shardForHashKey(this.ranges, hashKeyOfPartitionKey(partitionKey))!;
      routed = { shard: this.shardsById.get(range.shardId)!, keyBytes: Buffer.byteLength(partitionKey) };
      if (this.routedKeys.size >= routedKeysMax) this.routedKeys.clear();
      this.routedKeys.set(partitionKey, routed);
    }
    return routed;
  }

  /** Records stored on a shard, oldest first (those not yet released, with releaseReadRecords). */
  recordsOf(shardId: string): readonly StreamRecord[] {
    return this.shard(shardId).records;
  }

  /** Writes records as one PutRecords would: each is judged on its own by its shard's write quota. */
  putRecords(entries: readonly { partitionKey: string; data: Uint8Array | string; eventId?: number }[]): VirtualPutResult[] {
    // Record by record in request order: what the quotas admit is stored at once.
    return entries.map((entry) => this.put(entry.partitionKey, entry.data, entry.eventId));
  }

  /** Writes one record (PutRecord). */
  put(partitionKey: string, data: Uint8Array | string, eventId?: number): VirtualPutResult {
    const { shard, keyBytes } = this.route(partitionKey);
    const shardId = shard.range.shardId;
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    if (!this.quotas.admitStoredWrite(this.streamName, shardId, bytes.length + keyBytes)) return { shardId, errorCode: 'ProvisionedThroughputExceededException' };
    const record = new VirtualRecord(this.nextSequence++, partitionKey, bytes, this.clock.nowMs(), eventId, shardId);
    shard.records.push(record);
    return record;
  }

  async getShardIterator(shardId: string, position: IteratorPosition): Promise<string> {
    const shard = this.shard(shardId);
    let offset: number;
    if (position.type === 'TRIM_HORIZON') offset = shard.releasedCount;
    else if (position.type === 'LATEST') offset = shard.releasedCount + shard.records.length;
    else offset = shard.releasedCount + shard.records.findIndex((record) => record.sequenceNumber === position.sequenceNumber) + 1;
    return JSON.stringify({ shardId, offset, createdAtMs: this.clock.nowMs() });
  }

  async getRecords(shardIterator: string, limit: number): Promise<GetRecordsPage> {
    const { shardId, offset, createdAtMs } = JSON.parse(shardIterator) as { shardId: string; offset: number; createdAtMs: number };
    const nowMs = this.clock.nowMs();
    if (nowMs - createdAtMs > iteratorLifetimeMs) throw new ExpiredShardIteratorError();
    if (!this.quotas.admitRead(this.streamName, shardId)) throw new ShardReadThrottledError(`Rate exceeded for shard ${shardId} in stream ${this.streamName}`);
    const shard = this.shard(shardId);
    const from = Math.max(0, offset - shard.releasedCount);
    const records = shard.records.slice(from, from + Math.max(1, Math.floor(limit)));
    this.quotas.chargeReadBytes(
      this.streamName,
      shardId,
      records.reduce((sum, record) => sum + record.data.length + this.route(record.partitionKey).keyBytes, 0),
    );
    const nextOffset = shard.releasedCount + from + records.length;
    const last = records.at(-1);
    const behind = from + records.length < shard.records.length;
    if (this.releaseReadRecords) this.release(shard, from + records.length);
    return {
      records,
      nextShardIterator: JSON.stringify({ shardId, offset: nextOffset, createdAtMs: nowMs }),
      millisBehindLatest: behind && last ? Math.max(1, nowMs - last.approximateArrivalTimestampMs) : 0,
    };
  }

  /** Drops the first `readCount` held records of a shard, in runs, so each drop costs little per record. */
  private release(shard: VirtualShard, readCount: number): void {
    if (readCount < releaseRunRecordsMin || readCount * 2 < shard.records.length) return;
    shard.records.splice(0, readCount);
    shard.releasedCount += readCount;
  }

  private shard(shardId: string): VirtualShard {
    const shard = this.shardsById.get(shardId);
    if (!shard) throw new Error(`no shard ${shardId} in ${this.streamName}`);
    return shard;
  }
}
