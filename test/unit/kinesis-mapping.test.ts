import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../core/clock.ts';
import { LambdaFunction } from '../../runtime/lambda-function.ts';
import { syntheticHandler, type RunnableHandler } from '../../runtime/handler.ts';
import { seededRandom } from '../../runtime/random.ts';
import { kinesisPatternSchema, type KinesisPatternInput } from '../../drivers/kinesis/schema.ts';
import { KinesisEventSourceMapping, kinesisEvent, type DiscardReason, type KinesisBatch } from '../../drivers/kinesis/kinesis-mapping.ts';
import { VirtualStream } from '../../drivers/kinesis/virtual-stream.ts';
import type { KinesisShardQuotaSettings } from '../../localstack/embedded/kinesis/shard-quotas.ts';
import { account, functionSpec } from '../support/scenarios.ts';

const streamArn = 'arn:aws:kinesis:us-east-1:000000000000:stream/virtual-stream';

interface Completion {
  shardId: string;
  lane: number;
  partitionKey: string;
  sequenceNumber: string;
  eventId: number;
  atMs: number;
}

/** A handler that fails every batch holding one of `poisonIds`, the first `failures` times (default: always). */
function poisonHandler(clock: VirtualClock, poisonIds: number[], options: { durationMs?: number; failures?: number } = {}): RunnableHandler {
  let failed = 0;
  return {
    async run(event) {
      await clock.sleep(options.durationMs ?? 10);
      const ids = (event as ReturnType<typeof kinesisEvent>).Records.map((record) => (JSON.parse(Buffer.from(record.kinesis.data, 'base64').toString()) as { id: number }).id);
      if (ids.some((id) => poisonIds.includes(id)) && failed < (options.failures ?? Number.POSITIVE_INFINITY)) {
        failed += 1;
        throw new Error(`poison record in batch ${ids.join(',')}`);
      }
      return { ok: true };
    },
  };
}

function setUp(options: {
  shards?: number;
  pattern?: Partial<KinesisPatternInput>;
  fn?: Record<string, unknown>;
  handler?: (clock: VirtualClock) => RunnableHandler;
  quotas?: Partial<KinesisShardQuotaSettings>;
}) {
  const clock = new VirtualClock(0);
  const spec = functionSpec({ initDuration: '0ms', ...options.fn });
  const settings = kinesisPatternSchema.parse({ source: 'kinesis', shards: options.shards ?? 1, ...options.pattern });
  const stream = new VirtualStream(clock, { shards: settings.shards, quotas: options.quotas });
  const handler = options.handler?.(clock) ?? syntheticHandler(spec.handler as never, clock, seededRandom(1));
  const fn = new LambdaFunction({ spec, account: account(), clock, handler });

  const inFlightByLane = new Map<string, number>();
  let inFlight = 0;
  let maxInFlight = 0;
  let maxInFlightPerLane = 0;
  const delivered: KinesisBatch[] = [];
  const completions: Completion[] = [];
  const discarded: { ids: number[]; reason: DiscardReason; atMs: number }[] = [];
  let throttledBatches = 0;
  const deliveredAges: number[] = [];
  const laneKey = (batch: KinesisBatch) => `${batch.shardId}/${batch.lane}`;
  const settle = (batch: KinesisBatch) => {
    inFlight -= 1;
    inFlightByLane.set(laneKey(batch), (inFlightByLane.get(laneKey(batch)) ?? 0) - 1);
  };

  const mapping = new KinesisEventSourceMapping({
    reader: stream,
    shardIds: stream.shardIds,
    streamArn,
    region: 'us-east-1',
    fn,
    settings,
    clock,
    observer: {
      onDelivered(batch) {
        delivered.push({ ...batch, records: [...batch.records] });
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        const lane = (inFlightByLane.get(laneKey(batch)) ?? 0) + 1;
        inFlightByLane.set(laneKey(batch), lane);
        maxInFlightPerLane = Math.max(maxInFlightPerLane, lane);
        for (const record of batch.records) deliveredAges.push(clock.nowMs() - record.approximateArrivalTimestampMs);
      },
      onCompleted(batch) {
        settle(batch);
        for (const record of batch.records) {
          completions.push({ shardId: batch.shardId, lane: batch.lane, partitionKey: record.partitionKey, sequenceNumber: record.sequenceNumber, eventId: record.eventId!, atMs: clock.nowMs() });
        }
      },
      onFunctionError: settle,
      onThrottled(batch) {
        settle(batch);
        throttledBatches += 1;
      },
      onDiscarded(batch, reason) {
        discarded.push({ ids: batch.records.map((record) => record.eventId!), reason, atMs: clock.nowMs() });
      },
    },
  });

  let nextId = 0;
  /** Writes one record with the next id. */
  const put = (partitionKey: string) => {
    const id = nextId++;
    stream.put(partitionKey, JSON.stringify({ id, key: partitionKey }), id);
    return id;
  };
  /** Writes `ratePerSecond` records a second for `seconds`, in 10 ms steps, moving the clock on. */
  const drive = async (ratePerSecond: number, seconds: number, keyOf: (id: number) => string, onSecond?: (second: number) => void) => {
    const perStep = ratePerSecond / 100;
    let owed = 0;
    for (let step = 0; step < seconds * 100; step += 1) {
      owed += perStep;
      while (owed >= 1) {
        put(keyOf(nextId));
        owed -= 1;
      }
      await clock.advanceBy(10);
      if ((step + 1) % 100 === 0) onSecond?.((step + 1) / 100);
    }
  };
  /** Stops the mapping while moving time on, so in-flight invokes can finish. */
  const stop = async () => {
    const stopping = mapping.stop();
    await clock.advanceBy(60_000);
    await stopping;
  };
  return {
    clock,
    stream,
    fn,
    mapping,
    put,
    drive,
    stop,
    delivered,
    completions,
    discarded,
    deliveredAges,
    maxInFlight: () => maxInFlight,
    maxInFlightPerLane: () => maxInFlightPerLane,
    throttledBatches: () => throttledBatches,
    sent: () => nextId,
  };
}

/** Least-squares slope of y over x. */
function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  const meanX = points.reduce((sum, p) => sum + p.x, 0) / n;
  const meanY = points.reduce((sum, p) => sum + p.y, 0) / n;
  const covariance = points.reduce((sum, p) => sum + (p.x - meanX) * (p.y - meanY), 0);
  const variance = points.reduce((sum, p) => sum + (p.x - meanX) ** 2, 0);
  return covariance / variance;
}

const bySequence = (a: string, b: string) => (a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0);

describe('kinesis event source mapping', () => {
  it('runs at most one batch per shard × parallelizationFactor, and uses every lane', async () => {
    const { drive, mapping, stop, maxInFlight, maxInFlightPerLane, completions, sent } = setUp({
      shards: 2,
      pattern: { parallelizationFactor: 3, batchSize: 10 },
      fn: { handler: { duration: '500ms' } },
    });
    await mapping.start();
    await drive(600, 5, (id) => `key-${id % 60}`);
    expect(maxInFlightPerLane()).toBe(1);
    expect(maxInFlight()).toBe(6);
    expect(new Set(completions.map((c) => `${c.shardId}/${c.lane}`)).size).toBe(6);
    await stop();
    expect(completions.length).toBeLessThan(sent());
  });

  it('keeps order per partition key with parallelizationFactor 4, while keys overtake one another', async () => {
    const { drive, mapping, stop, completions, maxInFlight, sent, clock } = setUp({
      pattern: { parallelizationFactor: 4, batchSize: 5 },
      fn: { handler: { duration: { p50: '20ms', p99: '200ms' } } },
    });
    await mapping.start();
    await drive(200, 10, (id) => `key-${(id * 7) % 50}`);
    await clock.advanceBy(20_000);
    await stop();
    expect(completions).toHaveLength(sent());
    expect(maxInFlight()).toBe(4);
    const byKey = new Map<string, string[]>();
    for (const completion of completions) byKey.set(completion.partitionKey, [...(byKey.get(completion.partitionKey) ?? []), completion.sequenceNumber]);
    expect(byKey.size).toBe(50);
    for (const sequence of byKey.values()) expect(sequence).toEqual([...sequence].sort(bySequence));
    // Across keys there is no global order: the lanes run side by side.
    const all = completions.map((completion) => completion.sequenceNumber);
    expect(all).not.toEqual([...all].sort(bySequence));
  });

  it('retries a failing batch, the same records, while it blocks its lane', async () => {
    const { put, clock, mapping, stop, delivered, completions } = setUp({
      pattern: { batchSize: 10 },
      handler: (c) => poisonHandler(c, [5], { failures: 3 }),
    });
    for (let i = 0; i < 30; i += 1) put(`key-${i % 3}`);
    await mapping.start();
    await clock.advanceBy(5_000);
    const firstBatch = delivered[0].records.map((record) => record.sequenceNumber);
    expect(delivered.slice(0, 4).map((batch) => batch.records.map((record) => record.sequenceNumber))).toEqual([firstBatch, firstBatch, firstBatch, firstBatch]);
    expect(delivered).toHaveLength(6);
    // Nothing behind the failing batch ran before it succeeded.
    const firstSuccessMs = Math.min(...completions.filter((c) => c.eventId < 10).map((c) => c.atMs));
    expect(Math.min(...completions.filter((c) => c.eventId >= 10).map((c) => c.atMs))).toBeGreaterThan(firstSuccessMs);
    expect(completions.map((c) => c.eventId)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    await stop();
  });

  it('gives up on a batch after maximumRetryAttempts retries, then moves on', async () => {
    const { put, clock, mapping, stop, delivered, discarded, completions } = setUp({
      pattern: { batchSize: 10, maximumRetryAttempts: 2 },
      handler: (c) => poisonHandler(c, [3]),
    });
    for (let i = 0; i < 20; i += 1) put('key-0');
    await mapping.start();
    await clock.advanceBy(5_000);
    // The first batch: the first attempt and two retries, then discarded.
    expect(delivered.map((batch) => batch.records[0].eventId)).toEqual([0, 0, 0, 10]);
    expect(discarded).toEqual([{ ids: Array.from({ length: 10 }, (_, i) => i), reason: 'maximumRetryAttempts', atMs: expect.any(Number) }]);
    expect(completions.map((c) => c.eventId)).toEqual(Array.from({ length: 10 }, (_, i) => 10 + i));
    expect(mapping.stats().recordsDiscarded).toEqual({ maximumRetryAttempts: 10, maximumRecordAge: 0 });
    await stop();
  });

  it('bisects a failing batch until the bad record is alone, without spending retries on the splits', async () => {
    const { put, clock, mapping, stop, delivered, discarded, completions } = setUp({
      pattern: { batchSize: 8, maximumRetryAttempts: 1, bisectBatchOnFunctionError: true },
      handler: (c) => poisonHandler(c, [5]),
    });
    for (let i = 0; i < 8; i += 1) put('key-0');
    await mapping.start();
    await clock.advanceBy(5_000);
    expect(delivered.map((batch) => batch.records.map((record) => record.eventId))).toEqual([
      [0, 1, 2, 3, 4, 5, 6, 7],
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [4, 5],
      [4],
      [5],
      [5],
      [6, 7],
    ]);
    expect(discarded).toEqual([{ ids: [5], reason: 'maximumRetryAttempts', atMs: expect.any(Number) }]);
    expect(completions.map((c) => c.eventId)).toEqual([0, 1, 2, 3, 4, 6, 7]);
    expect(mapping.stats().bisections).toBe(3);
    await stop();
  });

  it('drops records older than maximumRecordAge instead of sending them again', async () => {
    const { put, clock, mapping, stop, discarded, deliveredAges, completions } = setUp({
      pattern: { batchSize: 10, maximumRecordAge: '60s' },
      handler: (c) => poisonHandler(c, [0, 10], { durationMs: 100 }),
    });
    for (let i = 0; i < 10; i += 1) put('key-0');
    await mapping.start();
    await clock.advanceBy(30_000);
    for (let i = 0; i < 10; i += 1) put('key-0');
    await clock.advanceBy(70_000);
    expect(discarded.map((d) => d.reason)).toEqual(['maximumRecordAge', 'maximumRecordAge']);
    expect(discarded[0].ids).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(discarded[0].atMs).toBeGreaterThan(60_000);
    expect(discarded[0].atMs).toBeLessThanOrEqual(60_200);
    expect(discarded[1].atMs).toBeGreaterThan(90_000);
    expect(discarded[1].atMs).toBeLessThanOrEqual(90_200);
    expect(Math.max(...deliveredAges)).toBeLessThanOrEqual(60_000);
    expect(completions).toHaveLength(0);
    await stop();
  });

  it('grows iterator age linearly at (arrival − capacity) / arrival when arrival exceeds capacity', async () => {
    // One lane of 100-record batches and a 200 ms handler: 500 records/s.
    const { drive, mapping, stop } = setUp({ pattern: { batchSize: 100 }, fn: { handler: { duration: '200ms' } } });
    await mapping.start();
    const ages: { x: number; y: number }[] = [];
    await drive(700, 20, (id) => `key-${id % 100}`, (second) => ages.push({ x: second, y: mapping.takeIteratorAgeMs('shardId-000000000000') / 1000 }));
    const growth = slope(ages.filter((point) => point.x >= 5));
    expect(growth).toBeGreaterThan(((700 - 500) / 700) * 0.9);
    expect(growth).toBeLessThan(((700 - 500) / 700) * 1.1);
    await stop();
  });

  it('keeps iterator age near the handler time below capacity, and 0 once the shard is caught up and idle', async () => {
    const { drive, mapping, stop, clock } = setUp({ pattern: { batchSize: 100 }, fn: { handler: { duration: '200ms' } } });
    await mapping.start();
    const ages: { x: number; y: number }[] = [];
    await drive(300, 15, (id) => `key-${id % 100}`, (second) => ages.push({ x: second, y: mapping.takeIteratorAgeMs('shardId-000000000000') / 1000 }));
    expect(Math.max(...ages.slice(2).map((point) => point.y))).toBeLessThan(0.5);
    expect(Math.abs(slope(ages.slice(2)))).toBeLessThan(0.01);
    await clock.advanceBy(3_000);
    expect(mapping.iteratorAgeMs('shardId-000000000000')).toBe(0);
    await stop();
  });

  it('polls at most 5 times a second per shard, and backs off when the read quota refuses', async () => {
    // A quota of 2 reads a second against a poller that allows itself 5: refusals, then backoff.
    const { drive, mapping, stop, stream } = setUp({ pattern: { batchSize: 10 }, fn: { handler: { duration: '100ms' } }, quotas: { readCallsPerSecondPerShard: 2 } });
    await mapping.start();
    await drive(200, 10, (id) => `key-${id % 10}`);
    const shard = stream.quotas.stats().streams['virtual-stream'].shards['shardId-000000000000'];
    // Refused, yet still reading close to the quota's 2 calls a second…
    expect(shard.getRecordsThrottled).toBeGreaterThan(0);
    expect(shard.getRecordsCalls).toBeGreaterThanOrEqual(2 * 10 * 0.75);
    // …with fewer attempts than a poller that kept calling 5 times a second would make.
    expect(shard.getRecordsCalls + shard.getRecordsThrottled).toBeLessThan(5 * 10 * 0.8);
    expect(mapping.stats().shards['shardId-000000000000'].getRecordsThrottled).toBe(shard.getRecordsThrottled);
    await stop();

    const free = setUp({ pattern: { batchSize: 10 }, fn: { handler: { duration: '10ms' } } });
    await free.mapping.start();
    const callsBySecond: number[] = [];
    let before = 0;
    await free.drive(2_000, 5, (id) => `key-${id % 10}`, () => {
      const calls = free.mapping.stats().shards['shardId-000000000000'].getRecordsCalls;
      callsBySecond.push(calls - before);
      before = calls;
    });
    expect(Math.max(...callsBySecond)).toBeLessThanOrEqual(5);
    expect(free.mapping.stats().shards['shardId-000000000000'].getRecordsThrottled).toBe(0);
    await free.stop();
  });

  it('retries a throttled batch with backoff until the function has room', async () => {
    const { put, clock, mapping, stop, completions, throttledBatches, fn } = setUp({
      shards: 2,
      pattern: { batchSize: 10 },
      fn: { handler: { duration: '300ms' }, reservedConcurrency: 1 },
    });
    for (let i = 0; i < 200; i += 1) put(`key-${i}`);
    await mapping.start();
    await clock.advanceBy(20_000);
    expect(throttledBatches()).toBeGreaterThan(0);
    expect(fn.concurrency).toBeLessThanOrEqual(1);
    expect(completions).toHaveLength(200);
    // Backoff: far fewer throttled attempts than a busy loop over 20 s would make.
    expect(throttledBatches()).toBeLessThan(100);
    await stop();
  });

  it('hands the function the event Lambda builds for Kinesis', () => {
    const event = kinesisEvent(
      { shardId: 'shardId-000000000003', lane: 0, records: [{ sequenceNumber: '42', partitionKey: 'key-1', data: Buffer.from('hello'), approximateArrivalTimestampMs: 1_700_000_000_123 }] },
      'arn:aws:kinesis:eu-west-1:123456789012:stream/orders',
      'eu-west-1',
    );
    expect(event.Records[0]).toEqual({
      kinesis: { kinesisSchemaVersion: '1.0', partitionKey: 'key-1', sequenceNumber: '42', data: 'aGVsbG8=', approximateArrivalTimestamp: 1_700_000_000.123 },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: 'shardId-000000000003:42',
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::123456789012:role/sluice-consumer',
      awsRegion: 'eu-west-1',
      eventSourceARN: 'arn:aws:kinesis:eu-west-1:123456789012:stream/orders',
    });
  });
});
