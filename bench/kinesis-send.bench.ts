import { Agent } from 'node:http';
import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient, PutRecordsCommand, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { startEdge, type EdgeEndpoint } from '../localstack/embedded/edge.ts';
import { createKinesisQuotaService, startKinesisService } from '../localstack/embedded/kinesis/kinesis-service.ts';
import { sdkClientConfig } from '../core/client-config.ts';
import { KinesisProducer } from '../drivers/kinesis/kinesis-producer.ts';
import { EventFactory, type OutgoingEvent } from '../load/event-factory.ts';
import { EventLedger } from '../run/event-ledger.ts';
import { MetricsRecorder } from '../run/metrics-recorder.ts';
import { realClock } from '../core/clock.ts';
import { seededRandom } from '../runtime/random.ts';
import { workloadSchema } from '../scenario/parts.ts';

/**
 * What sluice's edge and Kinesis quota layer cost a producer, measured in one run against
 * the same kinesalite: a plain SDK PutRecords loop straight to kinesalite, the same loop
 * through the edge with quotas off (count only), and through the edge with quotas on for a
 * stream with enough shards that they never bind. The three are run in alternating rounds,
 * so a neighbour's load on the shared cores weighs on each alike. Then the embedded Kinesis
 * ceiling: the best records/s the edge + quotas + kinesalite sustain at 2, 4 or 8 loops in
 * flight, quotas on and never binding.
 *
 * Client, edge and kinesalite share one Node process (one event loop), as in an embedded
 * run, so the figures are that process's, not a network's.
 *
 * Then sluice's own send path — the kinesis driver's producer (`KinesisProducer.send`: one
 * arrival of 500 events, chunked into PutRecords, answers read record by record into the
 * event ledger and the metrics) — against a plain SDK PutRecords loop sending the same events,
 * with the same client (sluice's `sdkClientConfig`) to the same endpoint (edge, quotas on,
 * never binding), in alternating rounds. Both build each record from the event (key, body
 * bytes), which any producer must; the ratio is what sluice's bookkeeping costs on top.
 *
 * Bounded to about 15 s: 6 comparison phases of 0.8 s, 2 ceiling phases of 0.6 s and 4
 * producer phases of 0.8 s (each overshoots by the batch in flight when time is up, which the
 * rate accounts for), after a short warm-up per stream.
 */

const recordsPerBatch = 500;
const recordSizeBytes = 100;
/** 1,000 records/s per shard × 200 shards: far above what one process pushes through kinesalite, so quotas never bind. */
const shardCount = 200;
const loopsInFlight = 4;
const ceilingLoopsInFlight = [2, 8] as const;
const rounds = 2;
const phaseMs = 800;
const ceilingPhaseMs = 600;
const warmupMs = 200;

interface PhaseResult {
  recordsPerSecond: number;
  recordsSent: number;
  recordsFailed: number;
}

function clientFor(endpoint: string): KinesisClient {
  return new KinesisClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'sluice', secretAccessKey: 'sluice' },
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({
      httpAgent: new Agent({ keepAlive: true, maxSockets: 64 }),
      requestTimeout: 10_000,
      throwOnRequestTimeout: true,
    }),
  });
}

/** A few ready batches with distinct keys, reused so record building is not what is measured. */
function makeBatches(): PutRecordsRequestEntry[][] {
  const data = Buffer.alloc(recordSizeBytes, 0x61);
  return Array.from({ length: 8 }, (_, batch) =>
    Array.from({ length: recordsPerBatch }, (_, index) => ({ PartitionKey: `pk-${batch}-${index}`, Data: data })),
  );
}

async function createStream(client: KinesisClient, streamName: string): Promise<void> {
  await client.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shardCount }));
  for (let attempt = 0; attempt < 500; attempt++) {
    const summary = await client.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    if (summary.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`stream ${streamName} did not become ACTIVE`);
}

/** `loops` concurrent PutRecords loops for `durationMs`; records/s counts records the stream accepted. */
async function runPhase(client: KinesisClient, streamName: string, loops: number, durationMs: number): Promise<PhaseResult> {
  const batches = makeBatches();
  let recordsSent = 0;
  let recordsFailed = 0;
  const startedMs = performance.now();
  const deadlineMs = startedMs + durationMs;
  await Promise.all(
    Array.from({ length: loops }, async (_, loop) => {
      for (let call = loop; performance.now() < deadlineMs; call += loops) {
        const answer = await client.send(new PutRecordsCommand({ StreamName: streamName, Records: batches[call % batches.length] }));
        recordsSent += recordsPerBatch;
        recordsFailed += answer.FailedRecordCount ?? 0;
      }
    }),
  );
  const elapsedMs = performance.now() - startedMs;
  return { recordsPerSecond: ((recordsSent - recordsFailed) * 1000) / elapsedMs, recordsSent, recordsFailed };
}

/** Events made once, so making them (JSON, padding) is not what the producer phases measure. */
const producerEventPoolSize = 40 * recordsPerBatch;

function makeEventPool(): OutgoingEvent[] {
  const factory = new EventFactory(workloadSchema.parse({ phases: [{ duration: 1, arrivalRate: 1 }], eventSizeBytes: recordSizeBytes, keys: { count: 10_000 } }));
  return Array.from({ length: producerEventPoolSize }, () => factory.next(0));
}

/** The i-th arrival of 500 events from the pool; ids run on, so each phase's ledger sees each event once. */
function arrivalOf(pool: OutgoingEvent[], arrival: number): OutgoingEvent[] {
  const start = (arrival * recordsPerBatch) % pool.length;
  return pool.slice(start, start + recordsPerBatch).map((event, index) => ({ ...event, id: arrival * recordsPerBatch + index }));
}

/** sluice's producer: `loops` arrivals in flight, each sent as the kinesis driver's sendArrival does. */
async function runProducerPhase(client: KinesisClient, streamName: string, pool: OutgoingEvent[], loops: number, durationMs: number): Promise<PhaseResult> {
  const ledger = new EventLedger(Math.ceil((durationMs / 1000) * 50_000) + loops * recordsPerBatch);
  const recorder = new MetricsRecorder(realClock.nowMs());
  const producer = new KinesisProducer({ client, streamName, clock: realClock, ledger, recorder, putRecordsBatchSize: recordsPerBatch, producerRetries: 0, random: seededRandom(1) });
  let arrivals = 0;
  const startedMs = performance.now();
  const deadlineMs = startedMs + durationMs;
  await Promise.all(
    Array.from({ length: loops }, async () => {
      while (performance.now() < deadlineMs && (arrivals + 1) * recordsPerBatch <= ledger.capacity) {
        const events = arrivalOf(pool, arrivals++);
        const nowMs = realClock.nowMs();
        for (const event of events) ledger.recordSent(event.id, nowMs);
        recorder.count('sent', nowMs, events.length);
        await producer.send(events);
      }
    }),
  );
  const elapsedMs = performance.now() - startedMs;
  const accounting = ledger.accounting(0);
  return { recordsPerSecond: (accounting.accepted * 1000) / elapsedMs, recordsSent: accounting.sent, recordsFailed: accounting.sourceFailed };
}

/** A plain SDK loop over the same events: build the records, PutRecords, count the failures. */
async function runPlainPhase(client: KinesisClient, streamName: string, pool: OutgoingEvent[], loops: number, durationMs: number): Promise<PhaseResult> {
  let recordsSent = 0;
  let recordsFailed = 0;
  let arrivals = 0;
  const startedMs = performance.now();
  const deadlineMs = startedMs + durationMs;
  await Promise.all(
    Array.from({ length: loops }, async () => {
      while (performance.now() < deadlineMs) {
        const events = arrivalOf(pool, arrivals++);
        const answer = await client.send(new PutRecordsCommand({ StreamName: streamName, Records: events.map((event) => ({ PartitionKey: event.key, Data: Buffer.from(event.body) })) }));
        recordsSent += events.length;
        recordsFailed += answer.FailedRecordCount ?? 0;
      }
    }),
  );
  const elapsedMs = performance.now() - startedMs;
  return { recordsPerSecond: ((recordsSent - recordsFailed) * 1000) / elapsedMs, recordsSent, recordsFailed };
}

const formatRate = (recordsPerSecond: number) => `${Math.round(recordsPerSecond).toLocaleString('en-US')} records/s`;

/** Runs the Kinesis send benchmark; `lines` are ready to print. */
export async function benchKinesisSend(): Promise<{ name: string; lines: string[] }> {
  const kinesis = await startKinesisService();
  const countingOnly = createKinesisQuotaService({ upstream: { port: kinesis.emulatorPort }, enforce: false, fillStreamNameFromArn: true });
  let enforcedEdge: EdgeEndpoint | undefined;
  let countingEdge: EdgeEndpoint | undefined;
  const clients: KinesisClient[] = [];
  try {
    enforcedEdge = await startEdge([kinesis]);
    countingEdge = await startEdge([countingOnly]);
    const direct = clientFor(`http://127.0.0.1:${kinesis.emulatorPort}`);
    const viaCounting = clientFor(countingEdge.url);
    const viaEnforced = clientFor(enforcedEdge.url);
    clients.push(direct, viaCounting, viaEnforced);

    const variants = [
      { client: direct, streamName: 'bench-direct', results: [] as PhaseResult[] },
      { client: viaCounting, streamName: 'bench-quotas-off', results: [] as PhaseResult[] },
      { client: viaEnforced, streamName: 'bench-quotas-on', results: [] as PhaseResult[] },
    ];
    for (const variant of variants) {
      await createStream(variant.client, variant.streamName);
      await runPhase(variant.client, variant.streamName, loopsInFlight, warmupMs);
    }
    for (let round = 0; round < rounds; round++) {
      for (const variant of variants) variant.results.push(await runPhase(variant.client, variant.streamName, loopsInFlight, phaseMs));
    }
    const [baseline, quotasOff, quotasOn] = variants.map((variant) => ({
      recordsPerSecond: variant.results.reduce((sum, result) => sum + result.recordsPerSecond, 0) / variant.results.length,
      recordsFailed: variant.results.reduce((sum, result) => sum + result.recordsFailed, 0),
    }));

    const ceilingRuns = [{ loops: loopsInFlight, recordsPerSecond: Math.max(...variants[2].results.map((result) => result.recordsPerSecond)), recordsFailed: quotasOn.recordsFailed }];
    for (const loops of ceilingLoopsInFlight) {
      const result = await runPhase(viaEnforced, 'bench-quotas-on', loops, ceilingPhaseMs);
      ceilingRuns.push({ loops, recordsPerSecond: result.recordsPerSecond, recordsFailed: result.recordsFailed });
    }
    const ceiling = ceilingRuns.reduce((best, run) => (run.recordsPerSecond > best.recordsPerSecond ? run : best));
    const throttledRecords = kinesis.quotaStats().streams['bench-quotas-on']?.totals.recordsThrottled ?? 0;

    // sluice's send path against a plain SDK loop: same client, same endpoint, same events.
    const sluiceClient = new KinesisClient(sdkClientConfig({ region: 'us-east-1', endpoint: enforcedEdge.url, useLocalCredentials: true }));
    clients.push(sluiceClient);
    const pool = makeEventPool();
    const sendPaths = [
      { name: 'producer', run: runProducerPhase, results: [] as PhaseResult[] },
      { name: 'plain', run: runPlainPhase, results: [] as PhaseResult[] },
    ];
    await createStream(sluiceClient, 'bench-producer');
    for (const path of sendPaths) await path.run(sluiceClient, 'bench-producer', pool, loopsInFlight, warmupMs);
    for (let round = 0; round < rounds; round++) {
      for (const path of round % 2 === 0 ? sendPaths : [...sendPaths].reverse()) path.results.push(await path.run(sluiceClient, 'bench-producer', pool, loopsInFlight, phaseMs));
    }
    const [producer, plain] = sendPaths.map((path) => ({
      recordsPerSecond: path.results.reduce((sum, result) => sum + result.recordsPerSecond, 0) / path.results.length,
      recordsFailed: path.results.reduce((sum, result) => sum + result.recordsFailed, 0),
    }));

    const ratio = (recordsPerSecond: number) => `${(recordsPerSecond / baseline.recordsPerSecond).toFixed(2)}× direct`;
    return {
      name: 'kinesis-send',
      lines: [
        `PutRecords of ${recordsPerBatch} × ${recordSizeBytes} B records, ${loopsInFlight} loops in flight, ${rounds} alternating rounds of ${phaseMs / 1000} s, ${shardCount} shards`,
        `direct to kinesalite:             ${formatRate(baseline.recordsPerSecond)}`,
        `edge, quotas off (count only):    ${formatRate(quotasOff.recordsPerSecond)} (${ratio(quotasOff.recordsPerSecond)})`,
        `edge, quotas on (never binding):  ${formatRate(quotasOn.recordsPerSecond)} (${ratio(quotasOn.recordsPerSecond)}), ${quotasOn.recordsFailed} records failed`,
        `embedded Kinesis ceiling (edge + quotas + kinesalite, best of ${[loopsInFlight, ...ceilingLoopsInFlight].join('/')} loops): ${formatRate(ceiling.recordsPerSecond)} at ${ceiling.loops} loops`,
        `  by loops in flight: ${ceilingRuns.map((run) => `${run.loops} → ${formatRate(run.recordsPerSecond)}`).join(', ')}`,
        `records throttled by sluice's quotas in the quotas-on phases: ${throttledRecords}`,
        `sluice's send path vs a plain SDK loop (same client, endpoint and events; edge, quotas on; ${loopsInFlight} arrivals of ${recordsPerBatch} in flight, ${rounds} alternating rounds):`,
        `  plain SDK PutRecords loop:        ${formatRate(plain.recordsPerSecond)}, ${plain.recordsFailed} records failed`,
        `  sluice KinesisProducer.send:      ${formatRate(producer.recordsPerSecond)}, ${producer.recordsFailed} records failed`,
        `  ratio sluice / plain:             ${(producer.recordsPerSecond / plain.recordsPerSecond).toFixed(2)}×`,
      ],
    };
  } finally {
    for (const client of clients) client.destroy();
    await countingEdge?.close();
    // The enforcing edge's close also stops kinesalite, so it goes last.
    await enforcedEdge?.close();
    if (!enforcedEdge) await kinesis.close();
  }
}
