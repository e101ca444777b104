import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudFormationClient, CreateStackCommand, DeleteStackCommand, DescribeStacksCommand, DescribeStackEventsCommand, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient, CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, DeleteMessageBatchCommand } from '@aws-sdk/client-sqs';
import { startEmbeddedTarget } from '../../targets/embedded/embedded-target.ts';
import type { Target } from '../../targets/target.ts';
import { sdkClientConfig } from '../../core/client-config.ts';
import { createStackTeardown } from '../../targets/aws/stack.ts';
import { runPatternOnManagedStack } from '../../run/managed-stack-run.ts';
import { parseScenario } from '../../scenario/load.ts';
import { realClock } from '../../core/clock.ts';

/**
 * The managed-stack path (AWS, LocalStack's Lambda) with CloudFormation mocked and
 * everything else real: the stack's queue and sink queue live in the embedded emulator,
 * and a stand-in for the stack's Lambda consumes the queue and writes completion records
 * to the sink, as the synthetic consumer does on AWS.
 */
describe('managed-stack run', () => {
  let target: Target;
  let sqs: SQSClient;
  let outputs: Record<string, string>;

  beforeAll(async () => {
    target = await startEmbeddedTarget(['sqs'], 'us-east-1');
    sqs = new SQSClient(sdkClientConfig(target.clientSettings));
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'stack-source' }))).QueueUrl!;
    const sinkQueueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'stack-sink' }))).QueueUrl!;
    const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    outputs = { QueueUrl: queueUrl, QueueArn: queueArn, QueueName: 'stack-source', SinkQueueUrl: sinkQueueUrl, FunctionName: 'sluice-consumer' };
  });

  afterAll(async () => {
    sqs?.destroy();
    await target?.stop();
  });

  function mockedCloudFormation(options: { failAfterCreate?: boolean } = {}) {
    const client = new CloudFormationClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    const mock = mockClient(client);
    let deleted = false;
    mock.on(CreateStackCommand).callsFake((input) => ({ StackId: `arn:aws:cloudformation:us-east-1:000000000000:stack/${input.StackName}/1` }));
    mock.on(DescribeStacksCommand).callsFake((input) => {
      if (deleted) throw Object.assign(new Error(`Stack with id ${input.StackName} does not exist`), { name: 'ValidationError' });
      return {
        Stacks: [
          {
            StackName: 'sluice-stack',
            StackId: input.StackName,
            CreationTime: new Date(),
            StackStatus: options.failAfterCreate ? 'ROLLBACK_COMPLETE' : 'CREATE_COMPLETE',
            Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
          },
        ],
      };
    });
    mock.on(DescribeStackEventsCommand).resolves({ StackEvents: [] });
    mock.on(ListStackResourcesCommand).resolves({ StackResourceSummaries: [] });
    mock.on(DeleteStackCommand).callsFake(() => {
      deleted = true;
      return {};
    });
    return { client, mock, wasDeleted: () => deleted };
  }

  /** Stands in for the stack's Lambda: consumes the source, writes completion records to the sink. */
  async function consumeLikeTheStackLambda(signal: AbortSignal) {
    while (!signal.aborted) {
      const answer = await sqs.send(new ReceiveMessageCommand({ QueueUrl: outputs.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      const messages = answer.Messages ?? [];
      if (messages.length === 0) continue;
      const records = messages.map((m) => {
        const body = JSON.parse(m.Body!) as { sluiceId: number; sentAtMs: number };
        return { eventId: body.sluiceId, sentAtMs: body.sentAtMs, completedAtMs: Date.now(), coldStart: false, durationMs: 5 };
      });
      await sqs.send(new SendMessageCommand({ QueueUrl: outputs.SinkQueueUrl, MessageBody: JSON.stringify(records) }));
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: outputs.QueueUrl, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
    }
  }

  const scenario = parseScenario(
    `
name: managed
workload:
  phases: [{ duration: 3, arrivalRate: 20 }]
patterns:
  - source: sqs
drainTimeout: 30
`,
    'managed.yaml',
  );

  it('deploys the stack, sends to its queue, reads completions from its sink, and deletes it', async () => {
    const cloudFormation = mockedCloudFormation();
    const cloudWatch = new CloudWatchClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    mockClient(cloudWatch).on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    const consumer = new AbortController();
    const consuming = consumeLikeTheStackLambda(consumer.signal);
    const teardown = createStackTeardown(cloudFormation.client);
    const result = await runPatternOnManagedStack({
      scenario,
      scenarioFile: 'managed.yaml',
      pattern: scenario.patterns[0],
      patternName: 'sqs',
      runId: 'test1',
      target: { ...target, info: { ...target.info, kind: 'aws', consumer: 'aws' } },
      clock: realClock,
      signal: new AbortController().signal,
      clients: { cloudFormation: cloudFormation.client, sqs, cloudWatch, s3: new S3Client({ region: 'us-east-1' }) },
      teardown,
    });
    consumer.abort();
    await consuming;
    const calls = cloudFormation.mock.calls().map((call) => call.args[0].constructor.name);
    expect(calls[0]).toBe('CreateStackCommand');
    expect(calls).toContain('DeleteStackCommand');
    expect(cloudFormation.wasDeleted()).toBe(true);
    expect(result.accounting.sent).toBe(60);
    expect(result.accounting.completed).toBe(60);
    expect(result.accounting.lost).toBe(0);
    expect(result.latency.endToEndMs.count).toBe(60);
    // sluice's own runtime never ran: the stack's consumer did.
    expect(result.summary.invocations).toBe(0);
  });

  it('deletes the stack when the run is interrupted', async () => {
    const cloudFormation = mockedCloudFormation();
    const cloudWatch = new CloudWatchClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    mockClient(cloudWatch).on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    const teardown = createStackTeardown(cloudFormation.client);
    const interrupt = new AbortController();
    setTimeout(() => interrupt.abort(new Error('interrupted')), 1500);
    const result = await runPatternOnManagedStack({
      scenario,
      scenarioFile: 'managed.yaml',
      pattern: scenario.patterns[0],
      patternName: 'sqs',
      runId: 'test2',
      target: { ...target, info: { ...target.info, kind: 'aws', consumer: 'aws' } },
      clock: realClock,
      signal: interrupt.signal,
      clients: { cloudFormation: cloudFormation.client, sqs, cloudWatch, s3: new S3Client({ region: 'us-east-1' }) },
      teardown,
    }).finally(() => teardown.deleteAll());
    expect(result.accounting.sent).toBeLessThan(60);
    expect(cloudFormation.wasDeleted()).toBe(true);
  });

  it('leaves nothing behind when the stack fails to create', async () => {
    const cloudFormation = mockedCloudFormation({ failAfterCreate: true });
    const teardown = createStackTeardown(cloudFormation.client);
    await expect(
      runPatternOnManagedStack({
        scenario,
        scenarioFile: 'managed.yaml',
        pattern: scenario.patterns[0],
        patternName: 'sqs',
        runId: 'test3',
        target,
        clock: realClock,
        signal: new AbortController().signal,
        clients: { cloudFormation: cloudFormation.client, sqs, cloudWatch: new CloudWatchClient({ region: 'us-east-1' }), s3: new S3Client({ region: 'us-east-1' }) },
        teardown,
      }).finally(() => teardown.deleteAll()),
    ).rejects.toThrow(/ROLLBACK_COMPLETE/);
    expect(cloudFormation.wasDeleted()).toBe(true);
  });
});
