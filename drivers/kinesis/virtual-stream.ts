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

/** A record as a read hands it out: its sequence number is a string only when asked for. */
class VirtualRecord implements StreamRecord {
  constructor(
    private readonly sequence: number,
    readonly partitionKey: string,
    readonly data: Uint8Array,
    readonly approximateArrivalTimestampMs: number,
    readonly eventId: number | undefined,
  ) {}

  get sequenceNumber(): string {
    return sequenceNumberOf(this.sequence);
  }
}

function sequenceNumberOf(sequence: number): string {
  return String(sequence).padStart(21, '0');
}

/** Released records are dropped from the front of a shard in runs of at least this many. */
const releaseRunRecordsMin = 4096;

/** What {@link VirtualStream.store} gives for a record its shard's quota refused. */
const refused = 0;

/** `eventId` of a record written without one. */
const noEventId = -1;

/** What a slot no record holds keeps as its data. */
const noData = new Uint8Array(0);

/**
 * A shard's held records, oldest first, as columns in a ring that doubles when full: no
 * object per stored record. A prediction holds about a second of a stream's records (Lambda
 * reads an idle shard once a second), and objects for them were most of its garbage
 * collection; a read builds objects for the page it returns only.
 */
class ShardRecords {
  private capacity = 1024;
  private head = 0;
  private count = 0;
  private sequences = new Float64Array(this.capacity);
  private arrivalsMs = new Float64Array(this.capacity);
  private eventIds = new Float64Array(this.capacity);
  /** Data plus key bytes: what a read of the record is charged. */
  private sizesBytes = new Float64Array(this.capacity);
  private partitionKeys: string[] = new Array<string>(this.capacity).fill('');
  private datas: Uint8Array[] = new Array<Uint8Array>(this.capacity).fill(noData);

  get length(): number {
    return this.count;
  }

  push(sequence: number, partitionKey: string, data: Uint8Array, arrivalMs: number, eventId: number | undefined, sizeBytes: number): void {
    if (this.count === this.capacity) this.grow();
    const slot = (this.head + this.count) & (this.capacity - 1);
    this.sequences[slot] = sequence;
    this.arrivalsMs[slot] = arrivalMs;
    this.eventIds[slot] = eventId ?? noEventId;
    this.sizesBytes[slot] = sizeBytes;
    this.partitionKeys[slot] = partitionKey;
    this.datas[slot] = data;
    this.count += 1;
  }

  /** Records `from` … `to` − 1 (from the oldest held) as objects, and the bytes they weigh. */
  slice(from: number, to: number): { records: StreamRecord[]; bytes: number } {
    const records = new Array<StreamRecord>(Math.max(0, to - from));
    let bytes = 0;
    const mask = this.capacity - 1;
    for (let index = from; index < to; index += 1) {
      const slot = (this.head + index) & mask;
      const eventId = this.eventIds[slot]!;
      records[index - from] = new VirtualRecord(this.sequences[slot]!, this.partitionKeys[slot]!, this.datas[slot]!, this.arrivalsMs[slot]!, eventId === noEventId ? undefined : eventId);
      bytes += this.sizesBytes[slot]!;
    }
    return { records, bytes };
  }

  /** The index of the record with this sequence number, or −1. */
  indexOfSequenceNumber(sequenceNumber: string): number {
    const sequence = Number(sequenceNumber);
    for (let index = 0; index < this.count; index += 1) if (this.sequences[(this.head + index) & (this.capacity - 1)] === sequence) return index;
    return -1;
  }

  dropFirst(count: number): void {
    const dropped = Math.min(count, this.count);
    for (let index = 0; index < dropped; index += 1) {
      const slot = (this.head + index) & (this.capacity - 1);
      this.datas[slot] = noData;
    }
    this.head = (this.head + dropped) & (this.capacity - 1);
    this.count -= dropped;
  }

  private grow(): void {
    const capacity = this.capacity * 2;
    const inOrder = <T extends Float64Array | unknown[]>(column: T, into: T): T => {
      for (let index = 0; index < this.count; index += 1) into[index] = column[(this.head + index) & (this.capacity - 1)]!;
      return into;
    };
    this.sequences = inOrder(this.sequences, new Float64Array(capacity));
    this.arrivalsMs = inOrder(this.arrivalsMs, new Float64Array(capacity));
    this.eventIds = inOrder(this.eventIds, new Float64Array(capacity));
    this.sizesBytes = inOrder(this.sizesBytes, new Float64Array(capacity));
    this.partitionKeys = inOrder(this.partitionKeys, new Array<string>(capacity).fill(''));
    this.datas = inOrder(this.datas, new Array<Uint8Array>(capacity).fill(noData));
    this.head = 0;
    this.capacity = capacity;
  }
}

interface VirtualShard {
  range: ShardHashRange;
  /** Records held; the first is at offset `releasedCount` of the shard. */
  records: ShardRecords;
  /** Records released after their read ({@link VirtualStreamOptions.releaseReadRecords}). */
  releasedCount: number;
  /** The shard's write quota, looked up once. */
  admitStoredWrite: (sizeBytes: number) => boolean;
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
      records: new ShardRecords(),
      releasedCount: 0,
      admitStoredWrite: this.quotas.storedWriteAdmitter(this.streamName, `shardId-${String(index).padStart(12, '0')}`),
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
    const { records } = this.shard(shardId);
    return records.slice(0, records.length).records;
  }

  /** Writes records as one PutRecords would: each is judged on its own by its shard's write quota. */
  putRecords(entries: readonly { partitionKey: string; data: Uint8Array | string; eventId?: number }[]): VirtualPutResult[] {
    // Record by record in request order: what the quotas admit is stored at once.
    return entries.map((entry) => this.put(entry.partitionKey, entry.data, entry.eventId));
  }

  /** Writes one record (PutRecord). */
  put(partitionKey: string, data: Uint8Array | string, eventId?: number): VirtualPutResult {
    const shardId = this.route(partitionKey).shard.range.shardId;
    const sequence = this.store(partitionKey, typeof data === 'string' ? Buffer.from(data) : data, eventId);
    return sequence === refused ? { shardId, errorCode: 'ProvisionedThroughputExceededException' } : { shardId, sequenceNumber: sequenceNumberOf(sequence) };
  }

  /** Writes one record as {@link put} does, and says only whether its shard took it (a prediction's producer needs no more). */
  write(partitionKey: string, data: Uint8Array, eventId: number): boolean {
    return this.store(partitionKey, data, eventId) !== refused;
  }

  /** Stores a record its shard's write quota admits: its sequence, or {@link refused}. */
  private store(partitionKey: string, data: Uint8Array, eventId: number | undefined): number {
    const { shard, keyBytes } = this.route(partitionKey);
    const sizeBytes = data.length + keyBytes;
    if (!shard.admitStoredWrite(sizeBytes)) return refused;
    const sequence = this.nextSequence++;
    shard.records.push(sequence, partitionKey, data, this.clock.nowMs(), eventId, sizeBytes);
    return sequence;
  }

  async getShardIterator(shardId: string, position: IteratorPosition): Promise<string> {
    const shard = this.shard(shardId);
    let offset: number;
    if (position.type === 'TRIM_HORIZON') offset = shard.releasedCount;
    else if (position.type === 'LATEST') offset = shard.releasedCount + shard.records.length;
    else offset = shard.releasedCount + shard.records.indexOfSequenceNumber(position.sequenceNumber) + 1;
    return JSON.stringify({ shardId, offset, createdAtMs: this.clock.nowMs() });
  }

  async getRecords(shardIterator: string, limit: number): Promise<GetRecordsPage> {
    const { shardId, offset, createdAtMs } = JSON.parse(shardIterator) as { shardId: string; offset: number; createdAtMs: number };
    const nowMs = this.clock.nowMs();
    if (nowMs - createdAtMs > iteratorLifetimeMs) throw new ExpiredShardIteratorError();
    if (!this.quotas.admitRead(this.streamName, shardId)) throw new ShardReadThrottledError(`Rate exceeded for shard ${shardId} in stream ${this.streamName}`);
    const shard = this.shard(shardId);
    const from = Math.max(0, offset - shard.releasedCount);
    const { records, bytes } = shard.records.slice(from, Math.min(shard.records.length, from + Math.max(1, Math.floor(limit))));
    this.quotas.chargeReadBytes(this.streamName, shardId, bytes);
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

  /** Drops the first `readCount` held records of a shard, in runs (a reader a little behind the last read still finds its records). */
  private release(shard: VirtualShard, readCount: number): void {
    if (readCount < releaseRunRecordsMin || readCount * 2 < shard.records.length) return;
    shard.records.dropFirst(readCount);
    shard.releasedCount += readCount;
  }

  private shard(shardId: string): VirtualShard {
    const shard = this.shardsById.get(shardId);
    if (!shard) throw new Error(`no shard ${shardId} in ${this.streamName}`);
    return shard;
  }
}
