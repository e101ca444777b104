import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { CreateQueueCommand, ReceiveMessageCommand, DeleteMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { parseScenario } from '../../scenario/load.ts';
import { artilleryScriptFor, type ArtilleryScript } from '../../run/artillery-script.ts';
import { startEmbeddedTarget } from '../../targets/embedded/embedded-target.ts';
import { sdkClientConfig } from '../../core/client-config.ts';
import { parseEnvelope } from '../../load/event-factory.ts';
import { ArrivalSchedule } from '../../load/arrival-schedule.ts';
import { EventLedger } from '../../run/event-ledger.ts';
import { artilleryCommand, pinnedArtilleryBin, workerCountsFromReport } from '../../run/cloud-load.ts';
import type { Target } from '../../targets/target.ts';

const require = createRequire(import.meta.url);
const scenario = parseScenario(
  `
name: artillery-export
workload:
  phases: [{ duration: 2, arrivalRate: 10 }]
  eventSizeBytes: 300
patterns:
  - source: sqs
`,
  'artillery-export.yaml',
);
const arrivals = new ArrivalSchedule(scenario.workload.phases).totalArrivals;

/** Every message in the queue, read and deleted, as sluice's consumer would account for them. */
async function drainQueue(client: SQSClient, queueUrl: string, expected: number): Promise<EventLedger> {
  const ledger = new EventLedger(10_000);
  const bodies: string[] = [];
  for (let empty = 0; empty < 3 && bodies.length < expected + 5; ) {
    const answer = await client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    const messages = answer.Messages ?? [];
    if (messages.length === 0) {
      empty += 1;
      continue;
    }
    bodies.push(...messages.map((message) => message.Body ?? ''));
    await client.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle! })) }));
  }
  const envelopes = bodies.map((body) => parseEnvelope(body));
  for (const envelope of envelopes) if (envelope) ledger.recordSent(envelope.sluiceId, envelope.sentAtMs);
  for (const envelope of envelopes) {
    if (!envelope) continue;
    ledger.recordAccepted(envelope.sluiceId);
    ledger.recordDelivered(envelope.sluiceId);
    ledger.recordCompleted(envelope.sluiceId, Date.now());
  }
  return ledger;
}

describe('sluice export-artillery: a plain Artillery script on sluice’s engine', () => {
  let target: Target;
  let client: SQSClient;
  let script: ArtilleryScript;
  let queueUrl: string;

  beforeAll(async () => {
    target = await startEmbeddedTarget(['sqs'], scenario.region);
    client = new SQSClient(sdkClientConfig(target.clientSettings));
    queueUrl = (await client.send(new CreateQueueCommand({ QueueName: `artillery-${Date.now().toString(36)}` }))).QueueUrl!;
    script = artilleryScriptFor(scenario, { patternIndex: 0, patternName: 'sqs', endpoint: target.clientSettings.endpoint, resource: queueUrl });
  });

  afterAll(async () => {
    client?.destroy();
    await target?.stop();
  });

  it('writes Artillery’s phases and the engine’s settings for the pattern', () => {
    expect(script.config.phases).toEqual([{ duration: 2, arrivalRate: 10 }]);
    expect(script.config.target).toBe(target.clientSettings.endpoint);
    expect(script.config.engines.sluice).toMatchObject({ source: 'sqs', region: 'us-east-1', queueUrl, eventSizeBytes: 300 });
    expect(script.scenarios).toEqual([{ name: 'artillery-export/sqs', engine: 'sluice', flow: [{ send: {} }] }]);
  });

  it('the engine package, installed with the project, sends each virtual user’s event stamped so sluice accounts for every one', async () => {
    // Resolved from node_modules as Artillery resolves `artillery-engine-<name>`: the package.json dependency installed it.
    const SluiceEngine = require('artillery-engine-sluice') as new (script: unknown, ee: EventEmitter, helpers: unknown) => { createScenario(spec: unknown, ee: EventEmitter): (context: object, done: (error: Error | null) => void) => void; cleanup(done: () => void): void };
    const events = new EventEmitter();
    const counters = new Map<string, number>();
    events.on('counter', (name: string, value: number) => counters.set(name, (counters.get(name) ?? 0) + value));
    const engine = new SluiceEngine(script, events, {});
    const virtualUser = engine.createScenario(script.scenarios[0], events);
    // As Artillery's runner calls it: one virtual user per arrival.
    await Promise.all(Array.from({ length: arrivals }, () => new Promise<void>((resolve, reject) => virtualUser({}, (error) => (error ? reject(error) : resolve())))));
    engine.cleanup(() => {});
    expect(counters.get('sluice.sent')).toBe(arrivals);
    expect(counters.get('sluice.accepted')).toBe(arrivals);
    const ledger = await drainQueue(client, queueUrl, arrivals);
    expect(ledger.accounting(0)).toMatchObject({ sent: arrivals, accepted: arrivals, delivered: arrivals, duplicateDeliveries: 0, completed: arrivals, lost: 0 });
    expect(ledger.foreignDeliveries).toBe(0);
  });

  const cli = artilleryCommand();
  // Only a CLI that is really there: ARTILLERY_BIN, or the pinned one .ci/run installs (`npm ci --prefix tools/artillery-cli --ignore-scripts`).
  const cliPresent = Boolean(process.env.ARTILLERY_BIN) || existsSync(pinnedArtilleryBin);
  if (!cliPresent) console.info('skipped: the Artillery CLI run — artillery is not installed: npm ci --prefix tools/artillery-cli --ignore-scripts (as .ci/run does), or set ARTILLERY_BIN to its bin/run');
  it.skipIf(!cliPresent)('the real Artillery CLI runs the exported script against sluice serve, and sluice accounts for every event', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-artillery-'));
    const file = join(dir, 'script.yaml');
    const reportFile = join(dir, 'report.json');
    // Artillery's local workers are threads whose LOCAL_WORKER_ID is the thread id (1, 2, …): blocks of 1,000 keep their ids in the ledger here.
    await writeFile(file, stringify({ ...script, config: { ...script.config, engines: { sluice: { ...script.config.engines.sluice, idStride: 1000 } } } }));
    // Telemetry off; nothing else in `artillery run` reaches the network (no --record, no cloud reporting).
    // Artillery resolves `artillery-engine-sluice` from its own folder: the command's NODE_PATH adds the project's.
    const env = { ...process.env, ...cli.env, ARTILLERY_DISABLE_TELEMETRY: 'true' };
    const run = spawnSync(process.execPath, [cli.bin, 'run', '--output', reportFile, file], { encoding: 'utf8', timeout: 60_000, env });
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    const report = JSON.parse(await readFile(reportFile, 'utf8')) as { aggregate: { counters: Record<string, number> } };
    expect(report.aggregate.counters['sluice.sent']).toBe(arrivals);
    expect(report.aggregate.counters['sluice.accepted']).toBe(arrivals);
    // Each worker's own counts survive Artillery's merge, as the cloud runners' report gives them to `sluice run --load-from`.
    const workers = workerCountsFromReport(report);
    expect(workers.reduce((total, worker) => total + worker.sent, 0)).toBe(arrivals);
    expect(workers.reduce((total, worker) => total + worker.accepted, 0)).toBe(arrivals);
    const ledger = await drainQueue(client, queueUrl, arrivals);
    expect(ledger.accounting(0)).toMatchObject({ sent: arrivals, delivered: arrivals, duplicateDeliveries: 0, completed: arrivals, lost: 0 });
    expect(ledger.foreignDeliveries).toBe(0);
  });
});
