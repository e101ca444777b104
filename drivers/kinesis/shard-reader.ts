import {
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ProvisionedThroughputExceededException,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { SluiceError } from '../../core/sluice-error.ts';

/** A record as the Kinesis poller sees it. */
export interface StreamRecord {
  sequenceNumber: string;
  partitionKey: string;
  data: Uint8Array;
  /** When the stream accepted the record (ApproximateArrivalTimestamp), in epoch ms. */
  approximateArrivalTimestampMs: number;
  /** sluice's event id, when the reader could read it from the record's envelope. */
  eventId?: number;
}

/** Where a shard iterator starts. */
export type IteratorPosition =
  | { type: 'TRIM_HORIZON' }
  | { type: 'LATEST' }
  | { type: 'AFTER_SEQUENCE_NUMBER'; sequenceNumber: string };

/** One GetRecords answer. */
export interface GetRecordsPage {
  records: StreamRecord[];
  /** Undefined once a closed shard has been read to its end. */
  nextShardIterator?: string;
  /** How far the answer is from the tip of the shard; 0 when caught up (kinesalite always says 0). */
  millisBehindLatest?: number;
}

/**
 * The two shard calls Lambda's Kinesis poller makes. The SDK implementation talks to the
 * embedded emulator, LocalStack or AWS; tests of the mapping's rules use an in-memory
 * stream on a virtual clock (see virtual-stream.ts).
 */
export interface ShardReader {
  getShardIterator(shardId: string, position: IteratorPosition): Promise<string>;
  /**
   * Reads up to `limit` records. Rejects with {@link ShardReadThrottledError} when the
   * shard's read quota refuses the call, and with {@link ExpiredShardIteratorError} when the
   * iterator is older than 5 minutes.
   */
  getRecords(shardIterator: string, limit: number, signal: AbortSignal): Promise<GetRecordsPage>;
}

/** The shard's read quota (5 calls/s, 2 MiB/s) refused a GetRecords: ProvisionedThroughputExceededException. */
export class ShardReadThrottledError extends SluiceError<'ProvisionedThroughputExceededException'> {
  constructor(message = 'Rate exceeded for shard', options?: { cause?: unknown }) {
    super(
      'ProvisionedThroughputExceededException',
      message,
      "Back off and read again, as Lambda's poller does; a stream that is read faster needs more shards (https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html).",
      options,
    );
  }
}

/** The shard iterator is older than 5 minutes; get a new one after the last record read. */
export class ExpiredShardIteratorError extends SluiceError<'ExpiredIteratorException'> {
  constructor(message = 'Iterator expired', options?: { cause?: unknown }) {
    super(
      'ExpiredIteratorException',
      message,
      'Get a new shard iterator AFTER_SEQUENCE_NUMBER of the last record read (https://docs.aws.amazon.com/kinesis/latest/APIReference/API_GetShardIterator.html).',
      options,
    );
  }
}

/**
 * {@link ShardReader} over the real Kinesis API. Give the client `maxAttempts: 1`, so a
 * read throttle reaches the mapping (which backs off as Lambda does) instead of being
 * retried inside the SDK. `eventIdOf` reads sluice's event id from a record's data once,
 * when it is read.
 */
export function sdkShardReader(
  client: KinesisClient,
  streamName: string,
  options: { eventIdOf?: (data: Uint8Array) => number | undefined } = {},
): ShardReader {
  return {
    async getShardIterator(shardId, position) {
      const answer = await client.send(
        new GetShardIteratorCommand({
          StreamName: streamName,
          ShardId: shardId,
          ShardIteratorType: position.type,
          ...(position.type === 'AFTER_SEQUENCE_NUMBER' ? { StartingSequenceNumber: position.sequenceNumber } : {}),
        }),
      );
      if (!answer.ShardIterator) throw new Error(`GetShardIterator for ${shardId} of ${streamName} returned no iterator`);
      return answer.ShardIterator;
    },
    async getRecords(shardIterator, limit, signal) {
      let answer;
      try {
        answer = await client.send(new GetRecordsCommand({ ShardIterator: shardIterator, Limit: Math.max(1, Math.floor(limit)) }), { abortSignal: signal });
      } catch (error) {
        if (error instanceof ProvisionedThroughputExceededException) throw new ShardReadThrottledError(error.message, { cause: error });
        if (error instanceof ExpiredIteratorException) throw new ExpiredShardIteratorError(error.message, { cause: error });
        throw error;
      }
      return {
        records: (answer.Records ?? []).map((record) => {
          const data = record.Data ?? new Uint8Array();
          return {
            sequenceNumber: record.SequenceNumber ?? '',
            partitionKey: record.PartitionKey ?? '',
            data,
            approximateArrivalTimestampMs: record.ApproximateArrivalTimestamp?.getTime() ?? 0,
            eventId: options.eventIdOf?.(data),
          };
        }),
        nextShardIterator: answer.NextShardIterator ?? undefined,
        millisBehindLatest: answer.MillisBehindLatest,
      };
    },
  };
}
