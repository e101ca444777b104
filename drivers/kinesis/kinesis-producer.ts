import { PutRecordsCommand, type KinesisClient, type PutRecordsCommandOutput } from '@aws-sdk/client-kinesis';
import type { Clock } from '../../core/clock.ts';
import type { RandomSource } from '../../runtime/random.ts';
import type { EventFates, SourceMetrics } from '../event-reporting.ts';
import type { OutgoingEvent } from '../../load/event-factory.ts';
import { awsDefaults } from '../../core/aws-defaults.ts';

const throughputExceeded = 'ProvisionedThroughputExceededException';

/** The client call the producer makes; a KinesisClient, or a stub in tests. */
export type PutRecordsClient = Pick<KinesisClient, 'send'>;

export interface KinesisProducerOptions {
  client: PutRecordsClient;
  streamName: string;
  clock: Clock;
  ledger: EventFates;
  recorder: SourceMetrics;
  /** Records per PutRecords call (≤ 500); a call is also cut at 5 MiB. */
  putRecordsBatchSize: number;
  /** Times a refused record is sent again, with backoff, before it counts as a source failure. */
  producerRetries: number;
  /** Jitter of the backoff; seeded in runs so they repeat. */
  random: RandomSource;
  /**
   * The shard a partition key maps to, for refused records (Kinesis names the shard only in
   * the error message). When absent, the shard is read from that message.
   */
  shardOfKey?: (partitionKey: string) => string | undefined;
  /** First and largest backoff before a retry, ms. */
  retryBackoffMs?: readonly [number, number];
}

/** What the producer did, per shard and in total. */
export interface KinesisProducerStats {
  putRecordsCalls: number;
  /** Calls that failed as a whole (network, 5xx after the SDK's own retries). */
  putRecordsCallErrors: number;
  /** Record sends after the first, for refused records. */
  recordsRetried: number;
  /** Records the stream stored, by shard (from the answers' ShardId). */
  recordsAcceptedByShard: Record<string, number>;
  /** ProvisionedThroughputExceeded refusals (every attempt), by shard. */
  recordsThrottledByShard: Record<string, number>;
  /** Refusals and call errors by error code. */
  errorsByCode: Record<string, number>;
}

/** `Rate exceeded for shard shardId-000000000001 in stream …` → the shard id. */
const shardInMessage = /shard (shardId-\d+)/;

/**
 * sluice's Kinesis producer: sends one arrival's events with PutRecords (≤ 500 records and
 * ≤ 5 MiB a call), and retries the records Kinesis refused — each record of a PutRecords is
 * judged on its own, and a refused one comes back with ProvisionedThroughputExceeded in an
 * HTTP 200 answer, which the SDK does not retry — with exponential backoff and jitter, up to
 * `producerRetries` times, as the KPL and AWS's guidance do.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecords.html
 *
 * Every event ends in the ledger as accepted, or (after the last retry) source-failed; each
 * refusal is counted as a source throttle.
 *
 * @example
 * const producer = new KinesisProducer({ client, streamName, clock, ledger, recorder, putRecordsBatchSize: 500, producerRetries: 3, random });
 * await producer.send(events);
 */
export class KinesisProducer {
  private readonly counters = { putRecordsCalls: 0, putRecordsCallErrors: 0, recordsRetried: 0 };
  private readonly acceptedByShard = new Map<string, number>();
  private readonly throttledByShard = new Map<string, number>();
  private readonly errorsByCode = new Map<string, number>();
  private readonly recordsPerCallMax: number;
  private readonly bytesPerCallMax = awsDefaults.kinesisPutRecordsBytesMax.value;

  constructor(private readonly options: KinesisProducerOptions) {
    this.recordsPerCallMax = Math.max(1, Math.min(awsDefaults.kinesisPutRecordsRecordsMax.value, options.putRecordsBatchSize));
  }

  /** Sends the events; resolves when each is accepted or has failed for good. Never throws for a refused record. */
  async send(events: readonly OutgoingEvent[]): Promise<void> {
    await Promise.all(this.chunks(events).map((chunk) => this.sendChunk(chunk)));
  }

  stats(): KinesisProducerStats {
    return {
      ...this.counters,
      recordsAcceptedByShard: Object.fromEntries(this.acceptedByShard),
      recordsThrottledByShard: Object.fromEntries(this.throttledByShard),
      errorsByCode: Object.fromEntries(this.errorsByCode),
    };
  }

  /** Splits at the record count and at 5 MiB (data plus partition keys, as Kinesis counts). */
  private chunks(events: readonly OutgoingEvent[]): OutgoingEvent[][] {
    const chunks: OutgoingEvent[][] = [];
    let current: OutgoingEvent[] = [];
    let currentBytes = 0;
    for (const event of events) {
      const sizeBytes = Buffer.byteLength(event.body) + Buffer.byteLength(event.key);
      if (current.length > 0 && (current.length >= this.recordsPerCallMax || currentBytes + sizeBytes > this.bytesPerCallMax)) {
        chunks.push(current);
        current = [];
        currentBytes = 0;
      }
      current.push(event);
      currentBytes += sizeBytes;
    }
    if (current.length > 0) chunks.push(current);
    return chunks;
  }

  private async sendChunk(events: OutgoingEvent[]): Promise<void> {
    const { client, streamName, clock, ledger, recorder, producerRetries } = this.options;
    let pending = events;
    for (let attempt = 0; ; attempt += 1) {
      if (attempt > 0) {
        this.counters.recordsRetried += pending.length;
        recorder.count('sourceRetries', clock.nowMs(), pending.length);
      }
      let answer: PutRecordsCommandOutput | undefined;
      this.counters.putRecordsCalls += 1;
      try {
        answer = await client.send(new PutRecordsCommand({ StreamName: streamName, Records: pending.map((event) => ({ PartitionKey: event.key, Data: Buffer.from(event.body) })) }));
      } catch (error) {
        this.counters.putRecordsCallErrors += 1;
        this.countError((error as Error).name || 'Error', pending.length);
      }
      const refused: OutgoingEvent[] = [];
      if (answer) {
        const results = answer.Records ?? [];
        const nowMs = clock.nowMs();
        let acceptedCount = 0;
        pending.forEach((event, index) => {
          const result = results[index];
          if (result && !result.ErrorCode && result.SequenceNumber) {
            ledger.recordAccepted(event.id);
            acceptedCount += 1;
            if (result.ShardId) this.acceptedByShard.set(result.ShardId, (this.acceptedByShard.get(result.ShardId) ?? 0) + 1);
            return;
          }
          const code = result?.ErrorCode ?? 'MissingResult';
          if (code === throughputExceeded) {
            ledger.recordThrottled(event.id);
            recorder.count('sourceThrottles', nowMs);
            const shardId = this.options.shardOfKey?.(event.key) ?? shardInMessage.exec(result?.ErrorMessage ?? '')?.[1] ?? 'unknown';
            this.throttledByShard.set(shardId, (this.throttledByShard.get(shardId) ?? 0) + 1);
          }
          this.countError(code, 1);
          refused.push(event);
        });
        if (acceptedCount > 0) recorder.count('accepted', nowMs, acceptedCount);
      } else {
        refused.push(...pending);
      }
      if (refused.length === 0) return;
      if (attempt >= producerRetries) {
        for (const event of refused) ledger.recordSourceFailed(event.id);
        return;
      }
      await clock.sleep(this.backoffMs(attempt + 1));
      pending = refused;
    }
  }

  /** Exponential backoff with jitter (half to all of the step), between the first and largest delay. */
  private backoffMs(retry: number): number {
    const [firstMs, largestMs] = this.options.retryBackoffMs ?? awsDefaults.kinesisRetryBackoffMs.value;
    const stepMs = Math.min(largestMs, firstMs * 2 ** (retry - 1));
    return stepMs * (0.5 + this.options.random.next() / 2);
  }

  private countError(code: string, count: number): void {
    this.errorsByCode.set(code, (this.errorsByCode.get(code) ?? 0) + count);
  }
}
