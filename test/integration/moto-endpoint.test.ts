import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetQueueUrlCommand, ListQueuesCommand } from '@aws-sdk/client-sqs';
import { KinesisClient, ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { HeadBucketCommand, ListBucketsCommand } from '@aws-sdk/client-s3';
import { sdkClientConfig } from '../../core/client-config.ts';
import { parseScenario } from '../../scenario/load.ts';
import { sourceModules } from '../../drivers/registry.ts';
import { buildStackTemplate, stackNameFor, stackOutputKeys } from '../../targets/aws/template.ts';
import { deployStack, deleteStack } from '../../targets/aws/stack.ts';
import { createAwsClients, type AwsClients } from '../../targets/aws/clients.ts';
import type { AwsStackPiece, StackPattern } from '../../targets/aws/stack-piece.ts';
import type { RunResult } from '../../analysis/run-result.ts';
import { runCliInProcess } from '../support/run-cli-in-process.ts';

/**
 * moto's server as the endpoint (`python3 -m moto.server`): an AWS-compatible endpoint that
 * is neither LocalStack nor sluice. The SQS and Kinesis patterns run end to end with sluice's
 * consumer through the quota edge in front of it; the EventBridge pattern is refused with
 * the reason; the managed-stack templates of the sources moto's CloudFormation deploys
 * (SQS, Kinesis, S3) are deployed there and deleted.
 */
const motoCheck = spawnSync('python3', ['-c', 'import moto; print(moto.__version__)'], { encoding: 'utf8' });
const motoAbsent = motoCheck.status !== 0 ? `python3 cannot import moto (${(motoCheck.stderr || motoCheck.error?.message || 'no python3').trim().split('\n').pop()}): pip install 'moto[server]' to run these tests` : undefined;
if (motoAbsent) console.warn(`skipping the moto endpoint tests: ${motoAbsent}`);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const runCli = runCliInProcess;

describe(`moto ${motoCheck.stdout?.trim() ?? ''} as the endpoint`, () => {
  let moto: ChildProcess | undefined;
  let endpoint: string;
  let clients: AwsClients;
  const folder = mkdtempSync(join(tmpdir(), 'sluice-moto-'));

  beforeAll(async () => {
    if (motoAbsent) return;
    const port = await freePort();
    endpoint = `http://127.0.0.1:${port}`;
    moto = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    moto.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    // Ready when its own API answers; polled, bounded.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const answered = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1_000) }).then((r) => r.ok, () => false);
      if (answered) break;
      if (moto.exitCode !== null || Date.now() > deadline) throw new Error(`moto's server did not start on ${endpoint}: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    clients = createAwsClients({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'sluice', secretAccessKey: 'sluice' } });
  }, 40_000);

  afterAll(async () => {
    clients?.destroy();
    if (moto && moto.exitCode === null) {
      const exited = new Promise((resolve) => moto!.once('exit', resolve));
      moto.kill('SIGTERM');
      const forced = setTimeout(() => moto!.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(forced);
    }
    rmSync(folder, { recursive: true, force: true });
  });

  it.skipIf(Boolean(motoAbsent))('runs the SQS and Kinesis patterns through the quota edge with exact accounting, refuses the EventBridge one with the reason, and leaves nothing behind', async () => {
    const scenarioFile = join(folder, 'moto.yaml');
    writeFileSync(
      scenarioFile,
      [
        'name: moto',
        'workload:',
        '  phases: [{ duration: 2, arrivalRate: 10 }]',
        'function:',
        '  handler: { duration: 5ms }',
        'patterns:',
        '  - source: sqs',
        '  - source: kinesis',
        '    shards: 1',
        '  - source: eventbridge',
        '',
      ].join('\n'),
    );
    const out = join(folder, 'runs');
    // --endpoint alone: the endpoint selects the target.
    const { code, stderr } = await runCli(['run', scenarioFile, '--endpoint', endpoint, '--parallel', '--no-progress', '--out', out]);
    const [runFolder] = readdirSync(out);
    const result = JSON.parse(readFileSync(join(out, runFolder, 'result.json'), 'utf8')) as RunResult;

    expect(result.target).toMatchObject({ kind: 'localstack', endpoint, endpointKind: 'moto', consumer: 'sluice' });
    expect(result.patterns.map((pattern) => pattern.name).sort()).toEqual(['kinesis', 'sqs']);
    for (const pattern of result.patterns) {
      expect(pattern.accounting, pattern.name).toMatchObject({ sent: 20, accepted: 20, delivered: 20, completed: 20, failed: 0, deadLettered: 0, lost: 0 });
    }
    const kinesis = result.patterns.find((pattern) => pattern.name === 'kinesis')!;
    expect(kinesis.quotas.length).toBeGreaterThan(0);
    expect(kinesis.quotas.every((quota) => quota.enforcedBy === 'sluice')).toBe(true);

    // The pattern moto cannot carry is said before the run, and the run ends failed with it.
    expect(code).toBe(3);
    expect(result).toMatchObject({ status: 'failed', failure: { code: 'SLUICE_ENDPOINT_LACKS_SERVICE' } });
    expect(stderr).toContain(`pattern eventbridge: not run — pattern eventbridge (eventbridge) cannot run on ${endpoint} (moto): the endpoint lacks delivery to sluice’s runtime (GET /_sluice/lambda/stats answered HTTP 404`);
    expect(stderr).toContain('`--only sqs kinesis` runs just those');
    expect(stderr).toContain('moto’s CloudFormation cannot deploy EventBridge rules on a custom bus');

    // What the run created on moto is gone; moto itself still runs (sluice never stops what it did not start).
    expect((await clients.sqs.send(new ListQueuesCommand({}))).QueueUrls ?? []).toEqual([]);
    // sluice's own client settings: HTTP/1.1 (the Kinesis client's default handler speaks HTTP/2, which moto does not) and bounded requests.
    const kinesisClient = new KinesisClient(sdkClientConfig({ region: 'us-east-1', endpoint, useLocalCredentials: true }));
    try {
      expect((await kinesisClient.send(new ListStreamsCommand({}))).StreamNames).toEqual([]);
    } finally {
      kinesisClient.destroy();
    }
  });

  it.skipIf(Boolean(motoAbsent))('deploys the SQS, Kinesis and S3 managed-stack templates to moto’s CloudFormation and deletes them', async () => {
    const scenario = parseScenario(
      'name: moto-stacks\nworkload: { phases: [{ duration: 2, arrivalRate: 5 }] }\npatterns:\n  - source: sqs\n  - source: kinesis\n    shards: 1\n  - source: s3\n',
      'moto-stacks.yaml',
    );
    for (const pattern of scenario.patterns) {
      const piece = sourceModules[pattern.source].aws as AwsStackPiece<StackPattern>;
      const template = buildStackTemplate(scenario, pattern, piece, 'moto1');
      const stackName = stackNameFor(scenario.name, pattern.source, 'moto1');
      const deployed = await deployStack(clients.cloudFormation, { stackName, template, pollIntervalMs: 200, s3Client: clients.s3 });
      expect(deployed.outputs[stackOutputKeys.sinkQueueUrl], pattern.source).toBeTruthy();
      // The stack's source resource is really there.
      if (pattern.source === 'sqs') await clients.sqs.send(new GetQueueUrlCommand({ QueueName: deployed.outputs[stackOutputKeys.queueName] }));
      if (pattern.source === 's3') await clients.s3.send(new HeadBucketCommand({ Bucket: deployed.outputs[stackOutputKeys.bucketName] }));
      if (pattern.source === 'kinesis') expect(deployed.outputs[stackOutputKeys.streamName]).toBeTruthy();
      await deleteStack(clients.cloudFormation, stackName, { s3Client: clients.s3, pollIntervalMs: 200 });
    }
    // Everything the stacks made is gone with them.
    expect((await clients.sqs.send(new ListQueuesCommand({}))).QueueUrls ?? []).toEqual([]);
    expect((await clients.s3.send(new ListBucketsCommand({}))).Buckets ?? []).toEqual([]);
  });
});
