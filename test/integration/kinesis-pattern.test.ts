import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseScenario } from '../../scenario/load.ts';
import { runScenario } from '../../run/run-scenario.ts';
import type { PatternResult, RunResult, SeriesPoint } from '../../analysis/run-result.ts';

/**
 * The kinesis pattern end to end on the embedded target: sluice's producer and consumer
 * against kinesalite behind the edge, with the per-shard quotas enforced there. Each case
 * is a short run; the assertions are the physics (rates, slopes, shares) with tolerances,
 * and the accounting of every event.
 */

const shard0 = 'shardId-000000000000';
const shard1 = 'shardId-000000000001';

/** What the order-recording handler module saw, in completion order. */
interface HandledRecord {
  stream: string;
  key: string;
  sequenceNumber: string;
}
let folder: string;
// The handler runs in its own execution environments (worker threads): it notes each record
// as a line of this file, appended in completion order.
const handledFile = () => join(folder, 'handled.jsonl');
const handled = (): HandledRecord[] =>
  existsSync(handledFile())
    ? readFileSync(handledFile(), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as HandledRecord)
    : [];

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'sluice-kinesis-pattern-'));
  // A slow handler that notes each record as it completes, so order per key is checked
  // from what the function saw, not from sluice's own bookkeeping.
  await writeFile(
    join(folder, 'order-handler.mjs'),
    [
      `import { appendFileSync } from 'node:fs';`,
      'export async function handler(event) {',
      '  await new Promise((resolve) => setTimeout(resolve, 500));',
      `  appendFileSync(${JSON.stringify(join(folder, 'handled.jsonl'))}, event.Records.map((record) => JSON.stringify({ stream: record.eventSourceARN, key: record.kinesis.partitionKey, sequenceNumber: record.kinesis.sequenceNumber }) + '\\n').join(''));`,
      '  return { ok: true };',
      '}',
      '',
    ].join('\n'),
  );
});

afterAll(async () => {
  if (folder) await rm(folder, { recursive: true, force: true });
});

async function run(yaml: string): Promise<RunResult> {
  const scenario = parseScenario(yaml, 'inline.yaml');
  const result = await runScenario({ scenario, scenarioFile: join(folder, 'inline.yaml'), signal: new AbortController().signal });
  expect(result.failure).toBeUndefined();
  expect(result.status).toBe('completed');
  return result;
}

/** Every event has a fate: nothing lost, and what the source refused is counted as such. */
function expectAccounted(pattern: PatternResult): void {
  const { accounting } = pattern;
  expect(accounting.lost).toBe(0);
  expect(accounting.accepted + accounting.sourceFailed).toBe(accounting.sent);
  expect(accounting.completed + accounting.failed + accounting.pendingAtEnd).toBe(accounting.accepted);
}

/** Least-squares slope of y over x. */
function slope(points: readonly { x: number; y: number }[]): number {
  const n = points.length;
  const meanX = points.reduce((sum, p) => sum + p.x, 0) / n;
  const meanY = points.reduce((sum, p) => sum + p.y, 0) / n;
  const covariance = points.reduce((sum, p) => sum + (p.x - meanX) * (p.y - meanY), 0);
  const variance = points.reduce((sum, p) => sum + (p.x - meanX) ** 2, 0);
  return covariance / variance;
}

/**
 * A phase's own seconds: the longest run of consecutive seconds whose sent count is within
 * 10 % of `perSecond` (so a partial second at a phase's edge that happens to match is left out).
 */
function secondsSending(series: readonly SeriesPoint[], perSecond: number): SeriesPoint[] {
  let best: SeriesPoint[] = [];
  let run: SeriesPoint[] = [];
  for (const point of series) {
    if (Math.abs(point.sent - perSecond) <= perSecond * 0.1) run.push(point);
    else run = [];
    if (run.length > best.length) best = [...run];
  }
  return best;
}

/** Iterator age of a shard per second, in seconds. */
function agesOf(points: readonly SeriesPoint[], shardId: string): { x: number; y: number }[] {
  return points.filter((point) => point.iteratorAgeMsByShard?.[shardId] !== undefined).map((point) => ({ x: point.tSec, y: point.iteratorAgeMsByShard![shardId] / 1000 }));
}

/** The shard of a 2-shard stream a partition key lands on (Kinesis splits the MD5 space in halves). */
function shardOfKeyIn2(partitionKey: string): string {
  const hashKey = BigInt(`0x${createHash('md5').update(partitionKey).digest('hex')}`);
  return hashKey < 1n << 127n ? shard0 : shard1;
}

const bySequence = (a: string, b: string) => (a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0);

describe('kinesis pattern on the embedded target', () => {
  it('holds iterator age near handler time below capacity, and grows it at (arrival − capacity) / arrival above', async () => {
    // One shard, one lane of 100-record batches, 200 ms handler: about 500 records/s.
    const result = await run(`
name: kinesis-iterator-age
workload:
  phases:
    - { name: below, duration: 5, arrivalRate: 30 }
    - { name: above, duration: 10, arrivalRate: 70 }
  eventsPerArrival: 10
  keys: { count: 100 }
function:
  handler: { duration: 200ms }
  initDuration: 0ms
drainTimeout: 15
patterns:
  - source: kinesis
    shards: 1
    batchSize: 100
`);
    const [pattern] = result.patterns;
    expectAccounted(pattern);
    expect(pattern.accounting.completed).toBe(pattern.accounting.sent);

    const below = secondsSending(pattern.series, 300);
    const above = secondsSending(pattern.series, 700);
    expect(below.length).toBeGreaterThanOrEqual(3);
    expect(above.length).toBeGreaterThanOrEqual(8);

    // Below capacity: a caught-up shard, its age about one or two handler times.
    const belowAges = agesOf(below.slice(1), shard0);
    expect(Math.max(...belowAges.map((point) => point.y))).toBeLessThan(1.0);

    // Above: capacity is what completes per second while the backlog grows.
    const capacityPerSecond = above.slice(2).reduce((sum, point) => sum + point.completed, 0) / above.slice(2).length;
    const arrivalPerSecond = above.reduce((sum, point) => sum + point.sent, 0) / above.length;
    expect(capacityPerSecond).toBeGreaterThan(400);
    expect(capacityPerSecond).toBeLessThanOrEqual(520);
    const expectedSlope = (arrivalPerSecond - capacityPerSecond) / arrivalPerSecond;
    const measuredSlope = slope(agesOf(above.slice(2), shard0));
    expect(measuredSlope).toBeGreaterThan(expectedSlope * 0.7);
    expect(measuredSlope).toBeLessThan(expectedSlope * 1.3);
    expect(pattern.summary.iteratorAgeMsMax).toBeGreaterThan(2_000);
  });

  it('ages only the shard that holds the hot key', async () => {
    // 400 records/s, 80 % on key-0 (so about 90 % on its shard); 500 ms handler: 200 records/s
    // per shard. Only the ages matter here, so the backlog is not drained.
    const result = await run(`
name: kinesis-hot-key
workload:
  phases: [{ duration: 10, arrivalRate: 40 }]
  eventsPerArrival: 10
  keys: { count: 100, distribution: hot-key, hotKeyShare: 0.8 }
function:
  handler: { duration: 500ms }
  initDuration: 0ms
drainTimeout: 2
patterns:
  - source: kinesis
    shards: 2
    batchSize: 100
`);
    const [pattern] = result.patterns;
    expectAccounted(pattern);
    const hot = shardOfKeyIn2('key-0');
    const cold = hot === shard0 ? shard1 : shard0;
    const loaded = secondsSending(pattern.series, 400);
    const hotAges = agesOf(loaded.slice(2), hot);
    const coldAges = agesOf(loaded.slice(1), cold);
    expect(slope(hotAges)).toBeGreaterThan(0.15);
    expect(Math.max(...hotAges.map((point) => point.y))).toBeGreaterThan(2);
    expect(Math.max(...coldAges.map((point) => point.y))).toBeLessThan(1.5);
    expect(Math.abs(slope(coldAges))).toBeLessThan(0.05);
    const recordsByShard = pattern.extras?.recordsByShard as Record<string, number>;
    expect(recordsByShard[hot]).toBeGreaterThan(recordsByShard[cold] * 4);
  });

  it('throttles about a third of 1,500 records/s written into one shard, and accounts for every record', async () => {
    const result = await run(`
name: kinesis-write-throttle
workload:
  phases: [{ duration: 8, arrivalRate: 150 }]
  eventsPerArrival: 10
  keys: { count: 100 }
function:
  handler: { duration: 5ms }
  initDuration: 0ms
drainTimeout: 15
patterns:
  - source: kinesis
    shards: 1
    batchSize: 500
    producerRetries: 3
`);
    const [pattern] = result.patterns;
    expectAccounted(pattern);
    const { accounting } = pattern;
    // Throttled then accepted on a retry, throttled to the end (source-failed), or accepted at once.
    expect(accounting.sourceThrottled).toBeGreaterThan(accounting.sourceFailed);
    expect(accounting.sourceFailed).toBeGreaterThan(0);
    expect(accounting.completed).toBe(accounting.accepted);

    // While 1,500 a second are sent and the quota binds, the shard takes its 1,000: a third is refused.
    // Seconds need not be consecutive: on a busy machine a second of the generator's can come up short.
    const steady = pattern.series.filter((point) => Math.abs(point.sent - 1_500) <= 300 && point.sourceThrottles >= point.sent * 0.1);
    expect(steady.length).toBeGreaterThanOrEqual(3);
    const acceptedPerSecond = steady.reduce((sum, point) => sum + point.accepted, 0) / steady.length;
    const sentPerSecond = steady.reduce((sum, point) => sum + point.sent, 0) / steady.length;
    const refusedShare = 1 - acceptedPerSecond / sentPerSecond;
    expect(acceptedPerSecond).toBeGreaterThan(850);
    expect(acceptedPerSecond).toBeLessThan(1_150);
    expect(refusedShare).toBeGreaterThan(0.25);
    expect(refusedShare).toBeLessThan(0.42);

    const throttlesByShard = pattern.extras?.throttlesByShard as Record<string, { writeRecordsThrottled: number }>;
    expect(throttlesByShard[shard0].writeRecordsThrottled).toBe(pattern.summary.sourceThrottles);
    expect(pattern.summary.sourceThrottles).toBeGreaterThanOrEqual(accounting.sourceThrottled);
  });

  it('lifts a slow handler’s throughput about 4× with parallelizationFactor 4, in order per key', async () => {
    rmSync(handledFile(), { force: true });
    // 100 records/s over 100 keys; 10-record batches and a 500 ms handler: 20 records/s a lane.
    const result = await run(`
name: kinesis-parallelization
workload:
  phases: [{ duration: 8, arrivalRate: 10 }]
  eventsPerArrival: 10
  keys: { count: 100 }
function:
  handler: { type: module, module: ./order-handler.mjs#handler }
  initDuration: 0ms
drainTimeout: 1
patterns:
  - { source: kinesis, name: pf1, shards: 1, batchSize: 10, parallelizationFactor: 1 }
  - { source: kinesis, name: pf4, shards: 1, batchSize: 10, parallelizationFactor: 4 }
`);
    const [pf1, pf4] = result.patterns;
    for (const pattern of [pf1, pf4]) {
      expectAccounted(pattern);
      expect((pattern.extras?.consumer as { outOfOrderCompletions: number }).outOfOrderCompletions).toBe(0);
    }
    const steadyRate = (pattern: PatternResult) => {
      // From the 5th second: the module handler's cold starts are real (a worker thread each; 4 at once take 1–2 s on a busy 2-core machine).
      const seconds = secondsSending(pattern.series, 100).slice(4);
      return seconds.reduce((sum, point) => sum + point.completed, 0) / seconds.length;
    };
    const ratio = steadyRate(pf4) / steadyRate(pf1);
    expect(steadyRate(pf1)).toBeGreaterThan(15);
    expect(steadyRate(pf1)).toBeLessThanOrEqual(21);
    expect(ratio).toBeGreaterThan(3.3);
    // Four lanes of at most 20 records/s each (plus the second-boundary jitter pf1 is bounded by):
    // the ratio itself may pass 4 when pf1's one lane loses more to per-batch overhead than pf4's four.
    expect(steadyRate(pf4)).toBeLessThanOrEqual(4 * 21);
    expect(pf4.summary.peakConcurrency).toBe(4);
    expect(pf1.summary.peakConcurrency).toBe(1);

    // Order per key, from the order in which the handler finished the records.
    for (const pattern of [pf1, pf4]) {
      const streamArn = pattern.extras?.streamArn as string;
      const byKey = new Map<string, string[]>();
      for (const record of handled().filter((entry) => entry.stream === streamArn)) byKey.set(record.key, [...(byKey.get(record.key) ?? []), record.sequenceNumber]);
      expect(byKey.size).toBeGreaterThan(50);
      for (const sequence of byKey.values()) expect(sequence).toEqual([...sequence].sort(bySequence));
    }
  });
});
