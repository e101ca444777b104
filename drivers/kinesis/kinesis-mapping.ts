import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { Clock, TimerHandle } from '../../core/clock.ts';
import type { LambdaFunction } from '../../runtime/lambda-function.ts';
import { ConcurrencyThrottleError } from '../../runtime/errors.ts';
import { DeferredEvent } from '../../runtime/handler.ts';
import { awsDefaults } from '../../core/aws-defaults.ts';
import type { KinesisPattern } from './schema.ts';
import { ExpiredShardIteratorError, ShardReadThrottledError, type GetRecordsPage, type IteratorPosition, type ShardReader, type StreamRecord } from './shard-reader.ts';

/** The pattern settings the mapping reads (durations in ms; -1 means no limit). */
export type KinesisMappingSettings = Pick<
  KinesisPattern,
  'batchSize' | 'maximumBatchingWindow' | 'parallelizationFactor' | 'startingPosition' | 'maximumRetryAttempts' | 'maximumRecordAge' | 'bisectBatchOnFunctionError'
>;

/** Records handed to the function together: from one shard, one lane (in-order slot) of it. */
export interface KinesisBatch {
  shardId: string;
  /** The in-order lane of the shard (0 … parallelizationFactor − 1) that carries these records' keys. */
  lane: number;
  records: StreamRecord[];
}

/** Why records were given up on; AWS then sends their metadata to the on-failure destination. */
export type DiscardReason = 'maximumRetryAttempts' | 'maximumRecordAge';

export interface KinesisMappingObserver {
  /** A GetRecords answer with records. */
  onRead?(shardId: string, records: readonly StreamRecord[]): void;
  /** The shard's read quota refused a GetRecords. */
  onReadThrottled?(shardId: string): void;
  /** A batch is about to be handed to the function (every attempt). */
  onDelivered?(batch: KinesisBatch): void;
  onCompleted?(batch: KinesisBatch): void;
  /** The function failed the batch; it is retried (or bisected, or discarded). */
  onFunctionError?(batch: KinesisBatch, error: Error): void;
  /** The function had no concurrency left; the batch is retried after a backoff. */
  onThrottled?(batch: KinesisBatch): void;
  /** Records given up on: retries exhausted, or older than maximumRecordAge. */
  onDiscarded?(batch: KinesisBatch, reason: DiscardReason): void;
  /** A failing batch was split in two. */
  onBisected?(batch: KinesisBatch): void;
}

export interface KinesisMappingOptions {
  reader: ShardReader;
  shardIds: readonly string[];
  streamArn: string;
  region: string;
  fn: LambdaFunction;
  settings: KinesisMappingSettings;
  clock: Clock;
  observer?: KinesisMappingObserver;
  /** Wait between polls of a shard that is caught up (Lambda's base rate: once a second). */
  pollIntervalMs?: number;
  /** GetRecords calls a second the poller allows itself per shard (the shard's read quota). */
  getRecordsPerSecond?: number;
  /** Records read ahead of the lanes per shard; bounds memory and what "last record read" runs ahead of processing. */
  readAheadRecords?: number;
}

/** What one shard's poller did. */
export interface ShardPollerStats {
  getRecordsCalls: number;
  getRecordsThrottled: number;
  getRecordsErrors: number;
  recordsRead: number;
}

/** What the mapping did, for the report. */
export interface KinesisMappingStats {
  batchesInvoked: number;
  batchesSucceeded: number;
  functionErrors: number;
  functionThrottles: number;
  bisections: number;
  recordsDiscarded: Record<DiscardReason, number>;
  shards: Record<string, ShardPollerStats>;
}

interface PendingBatch {
  records: StreamRecord[];
  /** Function errors so far that counted against maximumRetryAttempts. */
  retries: number;
}

interface Waitable {
  waiter?: () => void;
}

interface Lane extends Waitable {
  index: number;
  /** Records read but not yet in a batch, in shard order. */
  queue: StreamRecord[];
  /** Halves of bisected batches, to run before anything new, in order. */
  retryQueue: PendingBatch[];
  /** A batch is in flight or being retried. */
  busy: boolean;
}

interface ShardPoller extends Waitable {
  shardId: string;
  iterator?: string;
  lastSequenceNumber?: string;
  /** ApproximateArrivalTimestamp of the last record read. */
  lastReadArrivalMs?: number;
  /** Highest iterator age seen when a batch was dispatched since the last {@link KinesisEventSourceMapping.takeIteratorAgeMs}. */
  agePeakMs: number;
  /** The last GetRecords reached the tip of the shard. */
  caughtUp: boolean;
  closed: boolean;
  /** Records read and waiting in the lanes' queues. */
  buffered: number;
  lastCallAtMs: number;
  throttleStreak: number;
  lanes: Lane[];
  stats: ShardPollerStats;
}

/** Keys whose lane is remembered; a bound on memory, not on correctness (the hash is recomputed). */
const laneCacheEntriesMax = 100_000;
/** Room for a record's JSON fields beside its base64 data in the event, for the 6 MB payload cut. */
const eventOverheadBytesPerRecord = 400;

/**
 * Lambda's Kinesis event source mapping (standard iterators), as sluice's consumer runtime
 * runs it. https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html
 *
 * - One poller per shard reads with GetShardIterator / GetRecords, at most
 *   `getRecordsPerSecond` calls a second (the shard's 5 calls/s, which the service enforces and
 *   which other consumers share), once a second when it has caught up with the shard — Lambda's
 *   base rate — and backing off exponentially when the read quota refuses a call.
 * - Records are split by partition key into `parallelizationFactor` lanes per shard (MD5 of
 *   the key, so one key always takes the same lane); each lane runs one batch at a time, in
 *   shard order. That is "one concurrent batch per shard × parallelizationFactor, in order
 *   per partition key".
 *   https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-parameters.html
 * - A lane invokes with up to `batchSize` records, waiting at most `maximumBatchingWindow`
 *   for a full batch, and never more than the 6 MB invoke payload.
 * - A function error blocks the lane: the same batch is retried until it succeeds, its
 *   retries pass `maximumRetryAttempts`, or its records pass `maximumRecordAge` — then the
 *   records are discarded and the lane moves on. With `bisectBatchOnFunctionError` a failing
 *   batch is split in two and each half retried, first half first; a split does not count
 *   towards the retry quota. AWS documents no delay between these retries.
 *   https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html
 * - A throttled invoke (no concurrency left) is retried with exponential backoff until the
 *   records expire; throttles do not count as retries.
 * - Iterator age of a shard = now − ApproximateArrivalTimestamp of the last record read,
 *   and 0 for a shard that is caught up with nothing waiting or in flight.
 */
export class KinesisEventSourceMapping {
  private readonly abort = new AbortController();
  private readonly pollers: ShardPoller[];
  private readonly running = new Set<Promise<void>>();
  private readonly laneCache = new Map<string, number>();
  private readonly pollIntervalMs: number;
  private readonly minCallIntervalMs: number;
  private readonly readAheadRecords: number;
  private readonly counters = { batchesInvoked: 0, batchesSucceeded: 0, functionErrors: 0, functionThrottles: 0, bisections: 0 };
  private readonly discarded: Record<DiscardReason, number> = { maximumRetryAttempts: 0, maximumRecordAge: 0 };
  private started = false;

  constructor(private readonly options: KinesisMappingOptions) {
    // Every lane and poller waits on this one signal.
    setMaxListeners(0, this.abort.signal);
    const { settings } = options;
    this.pollIntervalMs = options.pollIntervalMs ?? awsDefaults.kinesisPollIntervalMs.value;
    this.minCallIntervalMs = 1000 / (options.getRecordsPerSecond ?? awsDefaults.kinesisGetRecordsCallsPerSecondPerShard.value);
    const getRecordsMax = awsDefaults.kinesisGetRecordsRecordsMax.value;
    this.readAheadRecords = Math.max(1, Math.floor(options.readAheadRecords ?? Math.min(2 * getRecordsMax, Math.max(2 * settings.batchSize * settings.parallelizationFactor, 500))));
    this.pollers = options.shardIds.map((shardId) => ({
      shardId,
      caughtUp: false,
      closed: false,
      agePeakMs: 0,
      buffered: 0,
      lastCallAtMs: Number.NEGATIVE_INFINITY,
      throttleStreak: 0,
      lanes: Array.from({ length: settings.parallelizationFactor }, (_, index) => ({ index, queue: [], retryQueue: [], busy: false })),
      stats: { getRecordsCalls: 0, getRecordsThrottled: 0, getRecordsErrors: 0, recordsRead: 0 },
    }));
  }

  /**
   * Takes each shard's starting iterator, then starts polling and the lanes. Resolves once
   * every shard has its iterator, so with LATEST nothing written afterwards is skipped.
   */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const position: IteratorPosition = { type: this.options.settings.startingPosition };
    await Promise.all(
      this.pollers.map(async (poller) => {
        poller.iterator = await this.options.reader.getShardIterator(poller.shardId, position);
      }),
    );
    for (const poller of this.pollers) {
      this.track(this.runPoller(poller));
      for (const lane of poller.lanes) this.track(this.runLane(poller, lane));
    }
  }

  /** Stops reading and dispatching; batches already handed to the function finish first. */
  async stop(): Promise<void> {
    this.abort.abort(new Error('mapping stopped'));
    // Every poller and lane waiting on records or room wakes, sees the mapping stopped and ends.
    for (const poller of this.pollers) {
      this.wake(poller);
      for (const lane of poller.lanes) this.wake(lane);
    }
    await Promise.allSettled([...this.running]);
  }

  /**
   * The shard's iterator age: now − ApproximateArrivalTimestamp of the last record read, or
   * 0 when the shard is caught up and nothing of it waits or runs.
   */
  iteratorAgeMs(shardId: string, nowMs = this.options.clock.nowMs()): number {
    const poller = this.pollers.find((candidate) => candidate.shardId === shardId);
    if (!poller || poller.lastReadArrivalMs === undefined) return 0;
    const idle = poller.caughtUp && poller.buffered === 0 && poller.lanes.every((lane) => !lane.busy && lane.retryQueue.length === 0);
    return idle ? 0 : Math.max(0, nowMs - poller.lastReadArrivalMs);
  }

  /**
   * The shard's iterator age for a once-a-second sample: the highest of its age now and its
   * age at each batch dispatched since the previous sample (what AWS's IteratorAge metric
   * reports per invoke), so a sample does not miss a busy moment between two idle ones.
   */
  takeIteratorAgeMs(shardId: string, nowMs = this.options.clock.nowMs()): number {
    const poller = this.pollers.find((candidate) => candidate.shardId === shardId);
    if (!poller) return 0;
    const ageMs = Math.max(this.iteratorAgeMs(shardId, nowMs), poller.agePeakMs);
    poller.agePeakMs = 0;
    return ageMs;
  }

  /** Iterator age of every shard. */
  iteratorAges(nowMs = this.options.clock.nowMs()): Record<string, number> {
    return Object.fromEntries(this.pollers.map((poller) => [poller.shardId, this.iteratorAgeMs(poller.shardId, nowMs)]));
  }

  /** Batches in flight or being retried, over all lanes. */
  get busyLanes(): number {
    return this.pollers.reduce((sum, poller) => sum + poller.lanes.filter((lane) => lane.busy).length, 0);
  }

  /** Records read from the stream and not yet handed to the function. */
  get bufferedRecords(): number {
    return this.pollers.reduce((sum, poller) => sum + poller.buffered, 0);
  }

  stats(): KinesisMappingStats {
    return {
      ...this.counters,
      recordsDiscarded: { ...this.discarded },
      shards: Object.fromEntries(this.pollers.map((poller) => [poller.shardId, { ...poller.stats }])),
    };
  }

  private track(task: Promise<void>): void {
    this.running.add(task);
    void task.finally(() => this.running.delete(task));
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  /** The lane of a partition key: MD5 of the key, so a key keeps its lane (and its order). */
  private laneOf(partitionKey: string): number {
    const lanes = this.options.settings.parallelizationFactor;
    if (lanes === 1) return 0;
    let lane = this.laneCache.get(partitionKey);
    if (lane === undefined) {
      lane = createHash('md5').update(partitionKey).digest().readUInt32BE(0) % lanes;
      if (this.laneCache.size >= laneCacheEntriesMax) this.laneCache.clear();
      this.laneCache.set(partitionKey, lane);
    }
    return lane;
  }

  // -------------------------------------------------------------------------------------
  // Reading
  // -------------------------------------------------------------------------------------

  private async runPoller(poller: ShardPoller): Promise<void> {
    const { clock, reader, observer, settings } = this.options;
    const getRecordsMax = awsDefaults.kinesisGetRecordsRecordsMax.value;
    while (!this.stopped && !poller.closed) {
      // Declared before the waits: an async function's locals live across its awaits, and a
      // page kept from the last call held a whole second of a shard's records until the next.
      let page: GetRecordsPage;
      const room = this.readAheadRecords - poller.buffered;
      if (room <= 0) {
        await this.waitOn(poller);
        continue;
      }
      // At most `getRecordsPerSecond` calls a second, and once a second while caught up.
      const nextCallAtMs = poller.lastCallAtMs + (poller.caughtUp ? Math.max(this.pollIntervalMs, this.minCallIntervalMs) : this.minCallIntervalMs);
      const waitMs = nextCallAtMs - clock.nowMs();
      if (waitMs > 0) {
        await clock.sleep(waitMs, this.abort.signal).catch(() => undefined);
        continue;
      }
      const limit = Math.min(getRecordsMax, room);
      try {
        poller.iterator ??= await reader.getShardIterator(
          poller.shardId,
          poller.lastSequenceNumber !== undefined ? { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: poller.lastSequenceNumber } : { type: settings.startingPosition },
        );
        poller.lastCallAtMs = clock.nowMs();
        poller.stats.getRecordsCalls += 1;
        page = await reader.getRecords(poller.iterator, limit, this.abort.signal);
      } catch (error) {
        if (this.stopped) return;
        if (error instanceof ShardReadThrottledError) {
          poller.stats.getRecordsThrottled += 1;
          observer?.onReadThrottled?.(poller.shardId);
          poller.throttleStreak += 1;
          await clock.sleep(this.backoffMs(poller.throttleStreak), this.abort.signal).catch(() => undefined);
        } else if (error instanceof ExpiredShardIteratorError) {
          poller.iterator = undefined;
        } else {
          // The source answered with an error (emulator busy, network): try again at the base rate.
          poller.stats.getRecordsErrors += 1;
          await clock.sleep(this.pollIntervalMs, this.abort.signal).catch(() => undefined);
        }
        continue;
      }
      poller.throttleStreak = 0;
      this.bufferPage(poller, page, limit);
      if (page.nextShardIterator === undefined) {
        // A closed shard read to its end (after resharding): its children are not followed.
        poller.closed = true;
        poller.caughtUp = true;
        return;
      }
      poller.iterator = page.nextShardIterator;
    }
  }

  /** A page's records onto their lanes' queues (a function of its own: its locals die with it, not at the next read). */
  private bufferPage(poller: ShardPoller, page: GetRecordsPage, limit: number): void {
    const { records } = page;
    if (records.length > 0) {
      const last = records[records.length - 1];
      poller.lastSequenceNumber = last.sequenceNumber;
      poller.lastReadArrivalMs = last.approximateArrivalTimestampMs;
      poller.stats.recordsRead += records.length;
      this.options.observer?.onRead?.(poller.shardId, records);
      poller.buffered += records.length;
      const touched = new Set<Lane>();
      for (const record of records) {
        const lane = poller.lanes[this.laneOf(record.partitionKey)];
        lane.queue.push(record);
        touched.add(lane);
      }
      for (const lane of touched) this.wake(lane);
    }
    poller.caughtUp = records.length === 0 || (records.length < limit && (page.millisBehindLatest ?? 0) === 0);
  }

  /** Exponential backoff after the n-th throttle in a row, between the first and largest delay. */
  private backoffMs(streak: number): number {
    const [firstMs, largestMs] = awsDefaults.kinesisRetryBackoffMs.value;
    return Math.min(largestMs, firstMs * 2 ** Math.max(0, streak - 1));
  }

  // -------------------------------------------------------------------------------------
  // Lanes
  // -------------------------------------------------------------------------------------

  private async runLane(poller: ShardPoller, lane: Lane): Promise<void> {
    while (!this.stopped) await this.processNextBatch(poller, lane);
  }

  /**
   * One batch of a lane, gathered and processed. A call of its own: an async function's
   * locals live across its awaits, and a loop's batch was held while the next was gathered.
   */
  private async processNextBatch(poller: ShardPoller, lane: Lane): Promise<void> {
    const pending = lane.retryQueue.shift() ?? (await this.gatherBatch(poller, lane));
    if (!pending) return;
    lane.busy = true;
    try {
      await this.process(poller, lane, pending);
    } finally {
      lane.busy = false;
    }
  }

  /** Waits for records, then for a full batch or the end of the batching window. */
  private async gatherBatch(poller: ShardPoller, lane: Lane): Promise<PendingBatch | undefined> {
    const { clock, settings } = this.options;
    if (lane.queue.length === 0) {
      await this.waitOn(lane);
      return undefined;
    }
    if (settings.maximumBatchingWindow > 0 && lane.queue.length < settings.batchSize) {
      const windowEndsAtMs = clock.nowMs() + settings.maximumBatchingWindow;
      while (!this.stopped && lane.queue.length < settings.batchSize && clock.nowMs() < windowEndsAtMs) {
        await this.waitOn(lane, windowEndsAtMs - clock.nowMs());
      }
      if (this.stopped) return undefined;
    }
    let count = 0;
    let payloadBytes = 0;
    const payloadBytesMax = awsDefaults.lambdaPayloadBytesMax.value;
    while (count < lane.queue.length && count < settings.batchSize) {
      const record = lane.queue[count];
      const recordBytes = Math.ceil(record.data.length / 3) * 4 + record.partitionKey.length + eventOverheadBytesPerRecord;
      if (count > 0 && payloadBytes + recordBytes > payloadBytesMax) break;
      payloadBytes += recordBytes;
      count += 1;
    }
    const records = lane.queue.splice(0, count);
    poller.buffered -= records.length;
    this.wake(poller);
    return { records, retries: 0 };
  }

  /** Runs one batch to its end: success, or discarded; blocks the lane meanwhile. */
  private async process(poller: ShardPoller, lane: Lane, pending: PendingBatch): Promise<void> {
    const { clock, settings, observer, fn } = this.options;
    let { records, retries } = pending;
    let throttles = 0;
    const batchOf = (batchRecords: StreamRecord[]): KinesisBatch => ({ shardId: poller.shardId, lane: lane.index, records: batchRecords });
    for (;;) {
      // Records older than maximumRecordAge are never sent to the function.
      if (settings.maximumRecordAge >= 0) {
        const nowMs = clock.nowMs();
        const expired = records.filter((record) => nowMs - record.approximateArrivalTimestampMs > settings.maximumRecordAge);
        if (expired.length > 0) {
          records = records.filter((record) => nowMs - record.approximateArrivalTimestampMs <= settings.maximumRecordAge);
          this.discard(batchOf(expired), 'maximumRecordAge');
        }
      }
      if (records.length === 0) return;
      // Stopping: the records stay in the stream, unprocessed (pending at the end).
      if (this.stopped) return;
      const batch = batchOf(records);
      if (poller.lastReadArrivalMs !== undefined) poller.agePeakMs = Math.max(poller.agePeakMs, clock.nowMs() - poller.lastReadArrivalMs);
      observer?.onDelivered?.(batch);
      this.counters.batchesInvoked += 1;
      try {
        await fn.invoke(new DeferredEvent(() => kinesisEvent(batch, this.options.streamArn, this.options.region)), 'poll');
        this.counters.batchesSucceeded += 1;
        observer?.onCompleted?.(batch);
        return;
      } catch (error) {
        if (error instanceof ConcurrencyThrottleError) {
          this.counters.functionThrottles += 1;
          observer?.onThrottled?.(batch);
          throttles += 1;
          await clock.sleep(this.backoffMs(throttles), this.abort.signal).catch(() => undefined);
          continue;
        }
        this.counters.functionErrors += 1;
        observer?.onFunctionError?.(batch, error as Error);
        if (settings.bisectBatchOnFunctionError && records.length > 1) {
          // Split in two; the second half waits at the front of the lane, so order holds.
          const middle = Math.ceil(records.length / 2);
          this.counters.bisections += 1;
          observer?.onBisected?.(batch);
          lane.retryQueue.unshift({ records: records.slice(middle), retries });
          records = records.slice(0, middle);
          continue;
        }
        retries += 1;
        if (settings.maximumRetryAttempts >= 0 && retries > settings.maximumRetryAttempts) {
          this.discard(batch, 'maximumRetryAttempts');
          return;
        }
      }
    }
  }

  private discard(batch: KinesisBatch, reason: DiscardReason): void {
    this.discarded[reason] += batch.records.length;
    this.options.observer?.onDiscarded?.(batch, reason);
  }

  // -------------------------------------------------------------------------------------
  // Waiting
  // -------------------------------------------------------------------------------------

  /**
   * Resolves when `target` is woken, after `timeoutMs`, or when the mapping stops ({@link stop}
   * wakes every waiter: one listener on the abort signal per wait cost more than the wait).
   */
  private waitOn(target: Waitable, timeoutMs?: number): Promise<void> {
    const { clock } = this.options;
    return new Promise<void>((resolve) => {
      if (this.stopped) return resolve();
      let timer: TimerHandle | undefined;
      const done = () => {
        if (target.waiter === done) target.waiter = undefined;
        if (timer) clock.clearTimer(timer);
        resolve();
      };
      target.waiter = done;
      if (timeoutMs !== undefined) timer = clock.setTimer(done, Math.max(0, timeoutMs));
    });
  }

  private wake(target: Waitable): void {
    target.waiter?.();
  }
}

/**
 * The event Lambda hands a Kinesis-triggered function.
 * https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html (example event)
 */
export function kinesisEvent(batch: KinesisBatch, streamArn: string, region: string) {
  const invokeIdentityArn = `arn:aws:iam::${accountOfArn(streamArn)}:role/sluice-consumer`;
  return {
    Records: batch.records.map((record) => ({
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: record.partitionKey,
        sequenceNumber: record.sequenceNumber,
        data: base64Of(record.data),
        approximateArrivalTimestamp: record.approximateArrivalTimestampMs / 1000,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${batch.shardId}:${record.sequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn,
      awsRegion: region,
      eventSourceARN: streamArn,
    })),
  };
}

// The last record's data and its base64: records that share one buffer (a prediction's
// records all carry the workload's one payload) encode it once, not once a record.
let lastData: Uint8Array | undefined;
let lastDataBase64 = '';

function base64Of(data: Uint8Array): string {
  if (data !== lastData) {
    lastDataBase64 = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
    lastData = data;
  }
  return lastDataBase64;
}

function accountOfArn(arn: string): string {
  return arn.split(':')[4] || '000000000000';
}
