import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashKeyOfPartitionKey, openShardRanges, shardForHashKey, type ListedShard } from '../../core/shard-routing.ts';
import { TokenBucket } from '../../core/token-bucket.ts';
import {
  KinesisQuotaConfigError,
  KinesisShardQuotas,
  base64DecodedLengthBytes,
  hashKeyOfRecord,
  kinesisShardQuotaDefaults,
  parseExplicitHashKey,
  recordSizeBytes,
  resolveKinesisShardQuotas,
  throughputExceededMessage,
} from '../../localstack/embedded/kinesis/shard-quotas.ts';

/** A clock the test moves by hand. */
function fakeClock(startMs = 1_000) {
  let nowMs = startMs;
  return {
    nowMs: () => nowMs,
    advance(deltaMs: number) {
      nowMs += deltaMs;
    },
  };
}

/** MD5 as an unsigned 128-bit integer, computed here independently of the code under test. */
function md5BigInt(text: string): bigint {
  return BigInt(`0x${createHash('md5').update(text, 'utf8').digest('hex')}`);
}

/** Hash-key ranges as CreateStream splits the space evenly: floor(2^128 / n) per shard, the last one to 2^128 - 1. */
function evenShards(count: number): ListedShard[] {
  const space = 1n << 128n;
  const step = space / BigInt(count);
  return Array.from({ length: count }, (_, index) => ({
    ShardId: `shardId-${String(index).padStart(12, '0')}`,
    HashKeyRange: {
      StartingHashKey: (step * BigInt(index)).toString(),
      EndingHashKey: (index === count - 1 ? space - 1n : step * BigInt(index + 1) - 1n).toString(),
    },
    SequenceNumberRange: { StartingSequenceNumber: '1' },
  }));
}

const shard0 = 'shardId-000000000000';

describe('kinesis shard mapping', () => {
  it('hashes a partition key to the MD5 digest read as a 128-bit unsigned integer', () => {
    for (const key of ['a', 'orders-42', 'ключ', '🙂', 'x'.repeat(256)]) {
      expect(hashKeyOfPartitionKey(key)).toBe(md5BigInt(key));
    }
    // A published digest, so the test does not only compare the code with itself: md5("a").
    expect(hashKeyOfPartitionKey('a')).toBe(0x0cc175b9c0f1b6a831c399e269772661n);
  });

  it('routes a record to the shard whose hash-key range holds its hash', () => {
    const shards = openShardRanges(evenShards(4));
    const quarter = (1n << 128n) / 4n;
    for (let index = 0; index < 200; index++) {
      const key = `key-${index}`;
      const expectedShardIndex = Number(md5BigInt(key) / quarter);
      expect(shardForHashKey(shards, hashKeyOfPartitionKey(key))?.shardId).toBe(`shardId-${String(expectedShardIndex).padStart(12, '0')}`);
    }
  });

  it('puts both ends of each range in that range', () => {
    const shards = openShardRanges(evenShards(3));
    for (const shard of shards) {
      expect(shardForHashKey(shards, shard.startingHashKey)?.shardId).toBe(shard.shardId);
      expect(shardForHashKey(shards, shard.endingHashKey)?.shardId).toBe(shard.shardId);
    }
    expect(shardForHashKey(shards, (1n << 128n) - 1n)?.shardId).toBe('shardId-000000000002');
  });

  it('lets an ExplicitHashKey override the partition key', () => {
    const shards = openShardRanges(evenShards(2));
    const record = { PartitionKey: 'anything', ExplicitHashKey: ((1n << 128n) - 1n).toString() };
    expect(shardForHashKey(shards, hashKeyOfRecord(record))?.shardId).toBe('shardId-000000000001');
    expect(shardForHashKey(shards, hashKeyOfRecord({ PartitionKey: 'anything', ExplicitHashKey: '0' }))?.shardId).toBe(shard0);
  });

  it('refuses ExplicitHashKeys outside [0, 2^128 - 1] or not decimal', () => {
    expect(() => parseExplicitHashKey((1n << 128n).toString())).toThrow(KinesisQuotaConfigError);
    expect(() => parseExplicitHashKey('-1')).toThrow(KinesisQuotaConfigError);
    expect(() => parseExplicitHashKey('0x10')).toThrow(KinesisQuotaConfigError);
    expect(() => parseExplicitHashKey('007')).toThrow(KinesisQuotaConfigError);
  });

  it('leaves closed parent shards out after a split', () => {
    const [parent] = evenShards(1);
    const half = 1n << 127n;
    const listed: ListedShard[] = [
      { ...parent, SequenceNumberRange: { StartingSequenceNumber: '1', EndingSequenceNumber: '99' } },
      { ShardId: 'shardId-000000000002', HashKeyRange: { StartingHashKey: half.toString(), EndingHashKey: ((1n << 128n) - 1n).toString() } },
      { ShardId: 'shardId-000000000001', HashKeyRange: { StartingHashKey: '0', EndingHashKey: (half - 1n).toString() } },
    ];
    const shards = openShardRanges(listed);
    expect(shards.map((shard) => shard.shardId)).toEqual(['shardId-000000000001', 'shardId-000000000002']);
    expect(shardForHashKey(shards, 5n)?.shardId).toBe('shardId-000000000001');
  });

  it('finds no shard for a hash key no open shard owns', () => {
    expect(shardForHashKey([], 1n)).toBeUndefined();
  });
});

describe('kinesis record sizes', () => {
  it('counts the decoded data blob plus the UTF-8 partition key', () => {
    for (const size of [0, 1, 2, 3, 100, 1_000]) {
      const data = Buffer.alloc(size, 7).toString('base64');
      expect(base64DecodedLengthBytes(data)).toBe(size);
      expect(recordSizeBytes({ PartitionKey: 'é', Data: data })).toBe(size + 2);
    }
  });
});

describe('kinesis quota settings', () => {
  it('defaults to the documented per-shard quotas', () => {
    expect(resolveKinesisShardQuotas()).toEqual({
      writeRecordsPerSecondPerShard: 1_000,
      writeBytesPerSecondPerShard: 1_048_576,
      readCallsPerSecondPerShard: 5,
      readBytesPerSecondPerShard: 2_097_152,
    });
    for (const row of Object.values(kinesisShardQuotaDefaults)) expect(row.source).toContain('https://docs.aws.amazon.com/');
  });

  it('reports every invalid override, not only the first', () => {
    try {
      resolveKinesisShardQuotas({ writeRecordsPerSecondPerShard: 0, readCallsPerSecondPerShard: Number.NaN });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(KinesisQuotaConfigError);
      expect((error as KinesisQuotaConfigError).code).toBe('INVALID_KINESIS_QUOTA');
      expect((error as KinesisQuotaConfigError).problems).toHaveLength(2);
    }
  });
});

describe('kinesis write quotas', () => {
  const records = (count: number, sizeBytes = 100, shardId = shard0) => Array.from({ length: count }, () => ({ shardId, sizeBytes }));

  it('throttles the records over 1,000 per second when 1,500 arrive at once on one shard', () => {
    const clock = fakeClock();
    const quotas = new KinesisShardQuotas({ clock });
    const admissions = [0, 1, 2].map(() => quotas.admitWrites('orders', records(500)));
    for (const admission of admissions) quotas.settleWrites(admission, admission.admitted);

    const throttled = admissions.flatMap((admission) => admission.admitted).filter((admitted) => !admitted).length;
    expect(throttled).toBe(500);
    // The first two batches fit whole; the third is refused whole.
    expect(admissions.map((admission) => admission.admitted.filter(Boolean).length)).toEqual([500, 500, 0]);
    expect(quotas.stats().streams.orders.shards[shard0]).toMatchObject({ recordsAccepted: 1_000, recordsThrottled: 500, bytesIn: 100_000 });
  });

  it('keeps each shard to its own quota', () => {
    const quotas = new KinesisShardQuotas({ clock: fakeClock() });
    const admission = quotas.admitWrites('orders', [...records(1_000, 10, shard0), ...records(1_000, 10, 'shardId-000000000001'), ...records(1, 10, shard0)]);
    expect(admission.admitted.filter(Boolean)).toHaveLength(2_000);
    expect(admission.admitted.at(-1)).toBe(false);
  });

  it('throttles on bytes when records are large: 1 MiB per second per shard', () => {
    const quotas = new KinesisShardQuotas({ clock: fakeClock() });
    const admission = quotas.admitWrites('orders', records(20, 100 * 1024));
    expect(admission.admitted.filter(Boolean)).toHaveLength(10); // 10 × 100 KiB fit in 1,024 KiB, the 11th does not
  });

  it('admits a smaller record after a large one was refused', () => {
    const quotas = new KinesisShardQuotas({ clock: fakeClock() });
    const admission = quotas.admitWrites('orders', [...records(1, 1_000_000), ...records(1, 100_000), ...records(1, 40_000)]);
    expect(admission.admitted).toEqual([true, false, true]);
  });

  it('refills the write bucket as time passes', () => {
    const clock = fakeClock();
    const quotas = new KinesisShardQuotas({ clock });
    expect(quotas.admitWrites('orders', records(1_000)).admitted.every(Boolean)).toBe(true);
    expect(quotas.admitWrites('orders', records(1)).admitted).toEqual([false]);

    clock.advance(250); // a quarter of a second: 250 records' worth
    const afterQuarterSecond = quotas.admitWrites('orders', records(300));
    expect(afterQuarterSecond.admitted.filter(Boolean)).toHaveLength(250);

    clock.advance(60_000); // never more than one second's worth, however long the pause
    expect(quotas.admitWrites('orders', records(1_200)).admitted.filter(Boolean)).toHaveLength(1_000);
  });

  it('holds sustained over-rate traffic to the quota: 1,500 records/s for 10 s', () => {
    const clock = fakeClock();
    const quotas = new KinesisShardQuotas({ clock });
    let admittedTotal = 0;
    for (let tick = 0; tick < 100; tick++) {
      admittedTotal += quotas.admitWrites('orders', records(150)).admitted.filter(Boolean).length;
      clock.advance(100);
    }
    // One second's burst allowance, then 1,000 per second for the 9.9 s that followed.
    expect(admittedTotal).toBeGreaterThanOrEqual(10_800);
    expect(admittedTotal).toBeLessThanOrEqual(10_900);
  });

  it('gives the tokens back when the upstream did not store the records', () => {
    const quotas = new KinesisShardQuotas({ clock: fakeClock() });
    const failed = quotas.admitWrites('orders', records(1_000));
    quotas.settleWrites(failed, undefined);
    const retried = quotas.admitWrites('orders', records(1_000));
    expect(retried.admitted.every(Boolean)).toBe(true);
    quotas.settleWrites(retried, retried.admitted);
    expect(quotas.stats().streams.orders.totals.recordsAccepted).toBe(1_000);
  });

  it('uses overridden quotas', () => {
    const quotas = new KinesisShardQuotas({ clock: fakeClock(), writeRecordsPerSecondPerShard: 10 });
    expect(quotas.admitWrites('orders', records(15)).admitted.filter(Boolean)).toHaveLength(10);
  });

  it('only counts when enforcement is off', () => {
    const quotas = new KinesisShardQuotas({ clock: fakeClock(), enforce: false });
    const admission = quotas.admitWrites('orders', records(5_000));
    quotas.settleWrites(admission, admission.admitted);
    expect(admission.admitted.every(Boolean)).toBe(true);
    expect(quotas.stats()).toMatchObject({ enforced: false, streams: { orders: { totals: { recordsAccepted: 5_000, recordsThrottled: 0 } } } });
  });
});

describe('kinesis read quotas', () => {
  it('refuses the 6th GetRecords on a shard within a second', () => {
    const clock = fakeClock();
    const quotas = new KinesisShardQuotas({ clock });
    const verdicts = Array.from({ length: 6 }, () => {
      clock.advance(10);
      return quotas.admitRead('orders', shard0);
    });
    expect(verdicts).toEqual([true, true, true, true, true, false]);
    // Another shard has its own five calls.
    expect(quotas.admitRead('orders', 'shardId-000000000001')).toBe(true);
    expect(quotas.stats().streams.orders.shards[shard0]).toMatchObject({ getRecordsCalls: 5, getRecordsThrottled: 1 });
  });

  it('admits another GetRecords once a fifth of a second has passed', () => {
    const clock = fakeClock();
    const quotas = new KinesisShardQuotas({ clock });
    for (let call = 0; call < 5; call++) quotas.admitRead('orders', shard0);
    clock.advance(199);
    expect(quotas.admitRead('orders', shard0)).toBe(false);
    clock.advance(1);
    expect(quotas.admitRead('orders', shard0)).toBe(true);
  });

  it('refuses reads after an answer larger than 2 MiB until the debt is repaid', () => {
    const clock = fakeClock();
    const quotas = new KinesisShardQuotas({ clock });
    expect(quotas.admitRead('orders', shard0)).toBe(true);
    quotas.chargeReadBytes('orders', shard0, 10 * 1_048_576); // a 10 MiB answer leaves 8 MiB of debt
    clock.advance(3_900);
    expect(quotas.admitRead('orders', shard0)).toBe(false);
    clock.advance(200);
    expect(quotas.admitRead('orders', shard0)).toBe(true);
    expect(quotas.stats().streams.orders.shards[shard0].bytesOut).toBe(10 * 1_048_576);
  });
});

describe('token bucket', () => {
  it('never holds more than its capacity and can go into debt', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ ratePerSecond: 5, burst: 5, clock });
    clock.advance(10_000);
    expect(bucket.availableTokens).toBe(5);
    bucket.forceTake(8);
    expect(bucket.availableTokens).toBe(-3);
    expect(bucket.tryTake(1)).toBe(false);
    clock.advance(1_000);
    expect(bucket.availableTokens).toBeCloseTo(2);
  });
});

describe('kinesis throttle message', () => {
  it('names the shard, stream and account as Kinesis does', () => {
    expect(throughputExceededMessage(shard0, 'orders', '000000000000')).toBe('Rate exceeded for shard shardId-000000000000 in stream orders under account 000000000000.');
  });
});
