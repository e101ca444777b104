import { createHash } from 'node:crypto';

/**
 * Which Kinesis shard a record goes to: the MD5 digest of its partition key, read as a
 * 128-bit unsigned integer, is its hash key, and the open shard whose hash-key range holds
 * it takes the record.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecord.html
 */

/** The largest hash key: the hash-key space is [0, 2^128 - 1]. */
export const hashKeyMax = (1n << 128n) - 1n;

/**
 * The hash key of a partition key: its MD5 digest read as a 128-bit unsigned integer.
 *
 * @example
 * hashKeyOfPartitionKey('a'); // 0x0cc175b9c0f1b6a831c399e269772661n, md5("a")
 */
export function hashKeyOfPartitionKey(partitionKey: string): bigint {
  return BigInt(`0x${createHash('md5').update(partitionKey, 'utf8').digest('hex')}`);
}

/** One open shard and the hash keys it owns (both ends inclusive). */
export interface ShardHashRange {
  readonly shardId: string;
  readonly startingHashKey: bigint;
  readonly endingHashKey: bigint;
}

/** The shape ListShards and DescribeStream answer with (only the fields used here). */
export interface ListedShard {
  ShardId: string;
  HashKeyRange: { StartingHashKey: string; EndingHashKey: string };
  SequenceNumberRange?: { StartingSequenceNumber?: string; EndingSequenceNumber?: string | null };
}

/**
 * The shards that take writes, from a ListShards answer, sorted by range start: closed
 * shards (a parent after a split or merge has an `EndingSequenceNumber`) keep their range
 * but no longer take records.
 * https://docs.aws.amazon.com/streams/latest/dev/kinesis-using-sdk-java-after-resharding.html
 */
export function openShardRanges(shards: readonly ListedShard[]): ShardHashRange[] {
  return shards
    .filter((shard) => shard.SequenceNumberRange?.EndingSequenceNumber == null)
    .map((shard) => ({
      shardId: shard.ShardId,
      startingHashKey: BigInt(shard.HashKeyRange.StartingHashKey),
      endingHashKey: BigInt(shard.HashKeyRange.EndingHashKey),
    }))
    .sort((a, b) => (a.startingHashKey < b.startingHashKey ? -1 : a.startingHashKey > b.startingHashKey ? 1 : 0));
}

/**
 * The shard whose range holds `hashKey`, by binary search over ranges sorted by start (as
 * {@link openShardRanges} returns them). Undefined when no open shard owns it.
 *
 * @example
 * shardForHashKey(openShardRanges(listShardsAnswer.Shards), hashKeyOfPartitionKey('orders-42'))?.shardId;
 */
export function shardForHashKey(shards: readonly ShardHashRange[], hashKey: bigint): ShardHashRange | undefined {
  let low = 0;
  let high = shards.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const shard = shards[middle];
    if (hashKey < shard.startingHashKey) high = middle - 1;
    else if (hashKey > shard.endingHashKey) low = middle + 1;
    else return shard;
  }
  return undefined;
}
