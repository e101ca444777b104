import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CloudFormationClient, CreateStackCommand, DeleteStackCommand, DescribeStacksCommand, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { parseScenario } from '../../scenario/load.ts';
import { startEmbeddedTarget } from '../../targets/embedded/embedded-target.ts';
import { sdkClientConfig } from '../../core/client-config.ts';
import { createStackTeardown } from '../../targets/aws/stack.ts';
import { runPatternOnManagedStack } from '../../run/managed-stack-run.ts';
import { CloudLoad, type CloudLoadPlan } from '../../run/cloud-load.ts';
import { parseEnvelope } from '../../load/event-factory.ts';
import { realClock } from '../../core/clock.ts';
import type { Target } from '../../targets/target.ts';

const fakeArtillery = fileURLToPath(new URL('../support/fake-artillery.cjs', import.meta.url));
const scenario = parseScenario(
  `
name: cloud-load
workload:
  phases: [{ duration: 2, arrivalRate: 10 }]
drainTimeout: 10
patterns:
  - source: sqs
`,
  'cloud-load.yaml',
);
const plan: CloudLoadPlan = { runner: 'fargate', count: 2, region: 'eu-west-1', artilleryArgs: ['--cpu', '1'] };
const sinkQueueUrl = 'https://sqs.us-east-1.amazonaws.com/123456789012/sluice-cloud-load-sink';

/**
 * The AWS path of `--load-from`: CloudFormation, CloudWatch and the stack's sink queue are
 * mocked; the stack's source queue is a real local one (`sluice serve`), which the stand-in
 * for Artillery's cloud runner fills through the real engine; the mocked sink answers with the
 * completion records the stack's consumer writes for what it read from that queue.
 */
describe('sluice run --load-from on a managed stack (AWS calls mocked)', () => {
  let local: Target;
  let localSqs: SQSClient;
  let queueUrl: string;

  beforeAll(async () => {
    local = await startEmbeddedTarget(['sqs'], scenario.region);
    localSqs = new SQSClient(sdkClientConfig(local.clientSettings));
    queueUrl = (await localSqs.send(new CreateQueueCommand({ QueueName: `cloud-load-${Date.now().toString(36)}` }))).QueueUrl!;
  });
  afterAll(async () => {
    localSqs?.destroy();
    await local?.stop();
  });

  function awsClients() {
    const cloudFormation = new CloudFormationClient({ region: scenario.region });
    const cfn = mockClient(cloudFormation);
    let deleted = false;
    cfn.on(CreateStackCommand).resolves({ StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/s/1' });
    cfn.on(DescribeStacksCommand).callsFake((input: { StackName?: string }) => {
      if (deleted) throw Object.assign(new Error(`Stack with id ${input.StackName} does not exist`), { name: 'ValidationError' });
      return { Stacks: [{ StackName: input.StackName, StackStatus: 'CREATE_COMPLETE', CreationTime: new Date(0), Outputs: [{ OutputKey: 'QueueUrl', OutputValue: queueUrl }, { OutputKey: 'QueueArn', OutputValue: 'arn:aws:sqs:us-east-1:123456789012:q' }, { OutputKey: 'SinkQueueUrl', OutputValue: sinkQueueUrl }] }] };
    });
    cfn.on(ListStackResourcesCommand).resolves({ StackResourceSummaries: [] });
    cfn.on(DeleteStackCommand).callsFake(() => {
      deleted = true;
      return {};
    });
    const sink = new SQSClient({ region: scenario.region });
    const sinkMock = mockClient(sink);
    // The stack's consumer: what it read from the source queue, as completion records on the sink.
    sinkMock.on(ReceiveMessageCommand).callsFake(async () => {
      const read = (await localSqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }))).Messages ?? [];
      if (read.length === 0) return { Messages: [] };
      await localSqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: read.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
      const records = read.map((m) => parseEnvelope(m.Body ?? '')!).map((envelope) => ({ eventId: envelope.sluiceId, sentAtMs: envelope.sentAtMs, completedAtMs: Date.now(), coldStart: false, durationMs: 1 }));
      return { Messages: [{ Body: JSON.stringify(records), ReceiptHandle: 'r' }] };
    });
    sinkMock.on(DeleteMessageBatchCommand).resolves({});
    const cloudWatch = new CloudWatchClient({ region: scenario.region });
    mockClient(cloudWatch).on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    const s3 = new S3Client({ region: scenario.region });
    mockClient(s3);
    return { clients: { cloudFormation, sqs: sink, cloudWatch, s3 }, cfn };
  }

  /** The run's target: AWS as the run sees it, its data plane the local endpoint the stack's queue lives on. */
  const awsTarget = (): Target => ({ info: { kind: 'aws', region: scenario.region, consumer: 'aws' }, clientSettings: local.clientSettings, died: new Promise<never>(() => undefined), async stop() {} });

  it('deploys the stack, runs the cloud runner against its queue, and accounts for every worker’s events', async () => {
    const { clients, cfn } = awsClients();
    const argsFile = join(await mkdtemp(join(tmpdir(), 'sluice-fake-artillery-')), 'args.json');
    const cloudLoad = new CloudLoad(plan, { artilleryBin: fakeArtillery, env: { FAKE_ARTILLERY_ENDPOINT: local.clientSettings.endpoint, FAKE_ARTILLERY_ARGS_FILE: argsFile } });
    const result = await runPatternOnManagedStack({
      scenario, scenarioFile: 'cloud-load.yaml', pattern: scenario.patterns[0]!, patternName: 'sqs', runId: 'r1', target: awsTarget(), clock: realClock,
      signal: new AbortController().signal, clients, teardown: createStackTeardown(clients.cloudFormation), cloudLoad,
    });
    const { args } = JSON.parse(await readFile(argsFile, 'utf8')) as { args: string[] };
    expect(args.slice(0, 7)).toEqual(['run-fargate', '--count', '2', '--region', 'eu-west-1', '--output', args[6]]);
    expect(args.slice(7, 9)).toEqual(['--cpu', '1']);
    expect(result.accounting).toMatchObject({ sent: 20, accepted: 20, delivered: 20, duplicateDeliveries: 0, completed: 20, lost: 0 });
    expect(result.load.workers?.map((w) => w.eventsSent)).toEqual([10, 10]);
    expect(result.load.workers?.every((w) => w.sender?.runner === 'fargate')).toBe(true);
    expect(result.latency.endToEndMs.count).toBe(20);
    expect(cfn.commandCalls(DeleteStackCommand)).toHaveLength(1);
  }, 30_000);

  it('on Ctrl-C stops the cloud runner’s whole process group and deletes the stack', async () => {
    const { clients, cfn } = awsClients();
    const argsFile = join(await mkdtemp(join(tmpdir(), 'sluice-fake-artillery-')), 'args.json');
    const cloudLoad = new CloudLoad(plan, { artilleryBin: fakeArtillery, env: { FAKE_ARTILLERY_HANG: '1', FAKE_ARTILLERY_ARGS_FILE: argsFile } });
    const abort = new AbortController();
    const teardown = createStackTeardown(clients.cloudFormation);
    const running = runPatternOnManagedStack({
      scenario, scenarioFile: 'cloud-load.yaml', pattern: scenario.patterns[0]!, patternName: 'sqs', runId: 'r2', target: awsTarget(), clock: realClock,
      signal: abort.signal, clients, teardown, cloudLoad,
    });
    let pid: number | undefined;
    for (let waited = 0; pid === undefined && waited < 10_000; waited += 50) {
      pid = await readFile(argsFile, 'utf8').then((text) => (JSON.parse(text) as { pid: number }).pid, () => undefined);
      if (pid === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    abort.abort(new Error('interrupted'));
    const result = await running;
    expect(() => process.kill(pid!, 0)).toThrow();
    expect(result.accounting.sent).toBe(0);
    expect(cfn.commandCalls(DeleteStackCommand)).toHaveLength(1);
  }, 30_000);
});
