import { awsDefaults } from '../../../core/aws-defaults.ts';
import { monotonicClock, type NowClock } from '../../../core/clock.ts';
import { hashKeyMax, hashKeyOfPartitionKey } from '../../../core/shard-routing.ts';
import { TokenBucket } from '../../../core/token-bucket.ts';
import { SluiceError } from '../../../core/sluice-error.ts';

/**
 * Kinesis Data Streams' per-shard quotas, enforced by sluice itself: no local emulator
 * (kinesalite, LocalStack's kinesis-mock) throttles, yet the quotas shape the numbers a
 * load test is run for. This module is the pure part — hash keys, record sizes, token
 * buckets and counters — with an injected clock and no I/O, so the rules are tested
 * deterministically. `kinesis-service.ts` puts it in front of an emulator; which shard a
 * record goes to is core/shard-routing.ts.
 *
 * Quotas: https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html
 */

/**
 * The default of each quota setting: its row of the AWS defaults table (provisioned mode,
 * which is what a shard count means). `kinesis-service.ts` takes any of them as an override.
 */
export const kinesisShardQuotaDefaults = {
  writeRecordsPerSecondPerShard: awsDefaults.kinesisWriteRecordsPerSecondPerShard,
  writeBytesPerSecondPerShard: awsDefaults.kinesisWriteBytesPerSecondPerShard,
  readCallsPerSecondPerShard: awsDefaults.kinesisGetRecordsCallsPerSecondPerShard,
  readBytesPerSecondPerShard: awsDefaults.kinesisReadBytesPerSecondPerShard,
} as const satisfies Record<keyof KinesisShardQuotaSettings, { value: number; source: string }>;

/** The quota values in force, per shard. */
export interface KinesisShardQuotaSettings {
  writeRecordsPerSecondPerShard: number;
  writeBytesPerSecondPerShard: number;
  readCallsPerSecondPerShard: number;
  readBytesPerSecondPerShard: number;
}

/** Stable codes of {@link KinesisQuotaConfigError}. */
export const kinesisQuotaErrorCodes = {
  invalidQuota: 'INVALID_KINESIS_QUOTA',
  invalidHashKey: 'INVALID_HASH_KEY',
} as const;

type KinesisQuotaErrorCode = (typeof kinesisQuotaErrorCodes)[keyof typeof kinesisQuotaErrorCodes];

const kinesisQuotaErrorHints: Record<KinesisQuotaErrorCode, string> = {
  INVALID_KINESIS_QUOTA: "Give each per-shard quota override as a positive number, or leave it out for AWS's default.",
  INVALID_HASH_KEY: 'An ExplicitHashKey is a decimal integer from 0 to 2^128 - 1 (https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecord.html).',
};

/**
 * A quota override or a hash key that cannot be used. `problems` lists every one found.
 *
 * @example
 * if (error instanceof KinesisQuotaConfigError) for (const problem of error.problems) console.error(problem);
 */
export class KinesisQuotaConfigError extends SluiceError<KinesisQuotaErrorCode> {
  constructor(
    code: KinesisQuotaErrorCode,
    readonly problems: readonly string[],
  ) {
    super(code, problems.join('; '), kinesisQuotaErrorHints[code]);
  }
}

/**
 * Fills in the documented defaults and checks every override (all problems at once, not
 * the first one).
 *
 * @example
 * resolveKinesisShardQuotas({ writeRecordsPerSecondPerShard: 500 }).writeBytesPerSecondPerShard; // 1048576
 */
export function resolveKinesisShardQuotas(overrides: Partial<KinesisShardQuotaSettings> = {}): KinesisShardQuotaSettings {
  const settings: KinesisShardQuotaSettings = {
    writeRecordsPerSecondPerShard: overrides.writeRecordsPerSecondPerShard ?? kinesisShardQuotaDefaults.writeRecordsPerSecondPerShard.value,
    writeBytesPerSecondPerShard: overrides.writeBytesPerSecondPerShard ?? kinesisShardQuotaDefaults.writeBytesPerSecondPerShard.value,
    readCallsPerSecondPerShard: overrides.readCallsPerSecondPerShard ?? kinesisShardQuotaDefaults.readCallsPerSecondPerShard.value,
    readBytesPerSecondPerShard: overrides.readBytesPerSecondPerShard ?? kinesisShardQuotaDefaults.readBytesPerSecondPerShard.value,
  };
  const problems: string[] = [];
  for (const [key, value] of Object.entries(settings)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      problems.push(`${key} must be a positive finite number, got ${String(value)}`);
    }
  }
  if (problems.length > 0) throw new KinesisQuotaConfigError(kinesisQuotaErrorCodes.invalidQuota, problems);
  return settings;
}

// ---------------------------------------------------------------------------------------
// Hash keys and record sizes
// ---------------------------------------------------------------------------------------

/**
 * Parses an `ExplicitHashKey` (a decimal string in [0, 2^128 - 1]), which overrides the
 * partition key's hash.
 */
export function parseExplicitHashKey(explicitHashKey: string): bigint {
  if (!/^(0|[1-9]\d{0,38})$/.test(explicitHashKey)) {
    throw new KinesisQuotaConfigError(kinesisQuotaErrorCodes.invalidHashKey, [`ExplicitHashKey "${explicitHashKey}" is not a decimal integer`]);
  }
  const value = BigInt(explicitHashKey);
  if (value > hashKeyMax) {
    throw new KinesisQuotaConfigError(kinesisQuotaErrorCodes.invalidHashKey, [`ExplicitHashKey ${explicitHashKey} is over 2^128 - 1`]);
  }
  return value;
}

/** The hash key a record is routed by: its ExplicitHashKey if given, else the MD5 of its partition key. */
export function hashKeyOfRecord(record: { PartitionKey: string; ExplicitHashKey?: string | null }): bigint {
  return record.ExplicitHashKey != null ? parseExplicitHashKey(record.ExplicitHashKey) : hashKeyOfPartitionKey(record.PartitionKey);
}

/**
 * Bytes a record counts against the write quota: its data blob (before base64) plus its
 * partition key, as the PutRecords page counts a request's size "including partition keys".
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecords.html
 */
export function recordSizeBytes(record: { PartitionKey: string; Data?: string | null }): number {
  return base64DecodedLengthBytes(record.Data ?? '') + Buffer.byteLength(record.PartitionKey, 'utf8');
}

/** Decoded length of a base64 string, without decoding it (hot path: 500 records a call). */
export function base64DecodedLengthBytes(base64: string): number {
  const length = base64.length;
  if (length === 0) return 0;
  let padding = 0;
  if (base64.charCodeAt(length - 1) === 61 /* = */) padding++;
  if (length > 1 && base64.charCodeAt(length - 2) === 61) padding++;
  return Math.floor((length * 3) / 4) - padding;
}

// ---------------------------------------------------------------------------------------
// The quotas of every shard, and what they did
// ---------------------------------------------------------------------------------------

/** What happened on one shard. Plain numbers, so the object serialises into a RunResult. */
export interface KinesisShardCounters {
  /** Records the upstream stored after sluice admitted them. */
  recordsAccepted: number;
  /** Records refused with ProvisionedThroughputExceededException by the write quotas. */
  recordsThrottled: number;
  /** Bytes (data + partition key) of the accepted records. */
  bytesIn: number;
  /** GetRecords calls admitted. */
  getRecordsCalls: number;
  /** GetRecords calls refused with ProvisionedThroughputExceededException. */
  getRecordsThrottled: number;
  /** Bytes (data + partition key) GetRecords returned. */
  bytesOut: number;
}

/** Counters per stream and shard, as {@link KinesisShardQuotas.stats} returns them. */
export interface KinesisQuotaStats {
  /** Whether refusals were made (false: only counted). */
  enforced: boolean;
  /** Who enforced them, for the RunResult's record of quotas. */
  enforcedBy: 'sluice';
  quotas: KinesisShardQuotaSettings;
  streams: Record<string, { totals: KinesisShardCounters; shards: Record<string, KinesisShardCounters> }>;
}

/** The verdict on one PutRecords (or PutRecord) call; hand it back to {@link KinesisShardQuotas.settleWrites}. */
export interface WriteAdmission {
  readonly streamName: string;
  /** Per record of the request, in order: true when the quotas let it through. */
  readonly admitted: readonly boolean[];
  readonly records: readonly { readonly shardId: string; readonly sizeBytes: number }[];
}

/** A record as the quotas see it: the shard it maps to and its size. */
export interface QuotaRecord {
  shardId: string;
  sizeBytes: number;
}

/**
 * One shard's quotas: a continuous token bucket each, holding one second's worth. So a
 * shard takes 1,000 records at once and refuses the next 500 of a 1,500-record burst, and a
 * consumer polling 5 times a second is never refused for how its polls fall in a window.
 * The read-byte level may go into debt: a GetRecords answer can be larger than the read
 * quota (up to 10 MiB), and Kinesis then refuses reads until it is repaid ("if a call
 * returns 10 MiB, subsequent calls made within the next 5 seconds throw an exception").
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_GetRecords.html
 */
interface ShardState {
  writeRecords: TokenBucket;
  writeBytes: TokenBucket;
  readCalls: TokenBucket;
  readBytes: TokenBucket;
  counters: KinesisShardCounters;
}

/** Options of {@link KinesisShardQuotas}. */
export interface KinesisShardQuotasOptions extends Partial<KinesisShardQuotaSettings> {
  /** Defaults to a monotonic clock (core/clock.ts `monotonicClock`). */
  clock?: NowClock;
  /** False: count only, refuse nothing (a baseline run, or quotas enforced elsewhere). Default true. */
  enforce?: boolean;
}

function emptyCounters(): KinesisShardCounters {
  return { recordsAccepted: 0, recordsThrottled: 0, bytesIn: 0, getRecordsCalls: 0, getRecordsThrottled: 0, bytesOut: 0 };
}

/**
 * The per-shard write and read quotas of every stream, and their counters.
 *
 * @example
 * const quotas = new KinesisShardQuotas({ clock: { nowMs: () => 0 } });
 * const admission = quotas.admitWrites('orders', records.map((r) => ({ shardId: 'shardId-000000000000', sizeBytes: 100 })));
 * // forward the admitted records, then:
 * quotas.settleWrites(admission, storedFlags);
 */
export class KinesisShardQuotas {
  readonly settings: KinesisShardQuotaSettings;
  readonly enforce: boolean;
  private readonly clock: NowClock;
  private readonly streams = new Map<string, Map<string, ShardState>>();

  constructor(options: KinesisShardQuotasOptions = {}) {
    this.settings = resolveKinesisShardQuotas(options);
    this.enforce = options.enforce ?? true;
    this.clock = options.clock ?? monotonicClock;
  }

  /**
   * Decides, record by record in request order, which records fit the write quotas of
   * their shard: 1 record token and `sizeBytes` byte tokens each. A record refused does
   * not consume anything, so a smaller record after it may still fit — Kinesis judges each
   * record of a PutRecords on its own.
   */
  admitWrites(streamName: string, records: readonly QuotaRecord[]): WriteAdmission {
    const admitted = records.map((record) => this.admitWrite(this.shard(streamName, record.shardId), record.sizeBytes));
    return { streamName, admitted, records };
  }

  /**
   * Judges records written to an upstream that stores every record it is let through (a
   * simulated stream), one shard's: each as {@link admitWrites} judges it and, when admitted,
   * counted as accepted at once, with no admission to settle. The shard is looked up once,
   * not at every record.
   */
  storedWriteAdmitter(streamName: string, shardId: string): (sizeBytes: number) => boolean {
    const shard = this.shard(streamName, shardId);
    return (sizeBytes) => {
      if (!this.admitWrite(shard, sizeBytes)) return false;
      this.countStored(shard, sizeBytes);
      return true;
    };
  }

  private countStored(shard: ShardState, sizeBytes: number): void {
    shard.counters.recordsAccepted++;
    shard.counters.bytesIn += sizeBytes;
  }

  private admitWrite(shard: ShardState, sizeBytes: number): boolean {
    if (!this.enforce) return true;
    // A record larger than the byte bucket (1 MiB of data plus its key) could never fit;
    // it is let through when the bucket is full, and the debt throttles what follows.
    const bytesNeeded = Math.min(sizeBytes, shard.writeBytes.burst);
    if (!shard.writeRecords.has(1) || !shard.writeBytes.has(bytesNeeded)) {
      shard.counters.recordsThrottled++;
      return false;
    }
    shard.writeRecords.forceTake(1);
    shard.writeBytes.forceTake(sizeBytes);
    return true;
  }

  /**
   * Records what the upstream did with the admitted records. `stored[i]` is for the i-th
   * record of the request (ignored where it was not admitted); pass `undefined` when the
   * whole call failed upstream. Records the upstream did not store give their tokens back:
   * a request Kinesis rejects (no such stream, bad argument) uses no throughput.
   */
  settleWrites(admission: WriteAdmission, stored: readonly boolean[] | undefined): void {
    admission.records.forEach((record, index) => {
      if (!admission.admitted[index]) return;
      const shard = this.shard(admission.streamName, record.shardId);
      if (stored?.[index]) this.countStored(shard, record.sizeBytes);
      else {
        shard.writeRecords.giveBack(1);
        shard.writeBytes.giveBack(record.sizeBytes);
      }
    });
  }

  /**
   * Admits one GetRecords call on a shard: it needs a call token and a read-byte level above
   * zero (the bytes are charged afterwards by {@link chargeReadBytes}, once the answer's
   * size is known, as Kinesis does).
   */
  admitRead(streamName: string, shardId: string): boolean {
    const shard = this.shard(streamName, shardId);
    if (this.enforce && (shard.readBytes.availableTokens <= 0 || !shard.readCalls.tryTake(1))) {
      shard.counters.getRecordsThrottled++;
      return false;
    }
    shard.counters.getRecordsCalls++;
    return true;
  }

  /** Charges the bytes a GetRecords call returned; the level may go into debt. */
  chargeReadBytes(streamName: string, shardId: string, bytes: number): void {
    const shard = this.shard(streamName, shardId);
    shard.readBytes.forceTake(bytes);
    shard.counters.bytesOut += bytes;
  }

  /** A snapshot of the counters: a fresh plain object, safe to keep or serialise. */
  stats(): KinesisQuotaStats {
    const streams: KinesisQuotaStats['streams'] = {};
    for (const [streamName, shards] of this.streams) {
      const totals = emptyCounters();
      const perShard: Record<string, KinesisShardCounters> = {};
      for (const [shardId, state] of shards) {
        perShard[shardId] = { ...state.counters };
        for (const key of Object.keys(totals) as (keyof KinesisShardCounters)[]) totals[key] += state.counters[key];
      }
      streams[streamName] = { totals, shards: perShard };
    }
    return { enforced: this.enforce, enforcedBy: 'sluice', quotas: { ...this.settings }, streams };
  }

  private shard(streamName: string, shardId: string): ShardState {
    let shards = this.streams.get(streamName);
    if (!shards) {
      shards = new Map();
      this.streams.set(streamName, shards);
    }
    let state = shards.get(shardId);
    if (!state) {
      const { writeRecordsPerSecondPerShard, writeBytesPerSecondPerShard, readCallsPerSecondPerShard, readBytesPerSecondPerShard } = this.settings;
      const perSecond = (ratePerSecond: number) => new TokenBucket({ ratePerSecond, burst: ratePerSecond, clock: this.clock });
      state = {
        writeRecords: perSecond(writeRecordsPerSecondPerShard),
        writeBytes: perSecond(writeBytesPerSecondPerShard),
        readCalls: perSecond(readCallsPerSecondPerShard),
        readBytes: perSecond(readBytesPerSecondPerShard),
        counters: emptyCounters(),
      };
      shards.set(shardId, state);
    }
    return state;
  }
}

/**
 * The message Kinesis gives with ProvisionedThroughputExceededException, which names the
 * shard, stream and account (PutRecordsResultEntry: "an error message that includes the
 * account ID, stream name, and shard ID").
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecordsResultEntry.html
 */
export function throughputExceededMessage(shardId: string, streamName: string, accountId: string): string {
  return `Rate exceeded for shard ${shardId} in stream ${streamName} under account ${accountId}.`;
}
