import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudFormationClient, CreateStackCommand, DeleteStackCommand, DescribeStackEventsCommand, DescribeStacksCommand, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { S3Client } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { CreateEventBusCommand, DescribeEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { startEmbeddedTarget } from '../../targets/embedded/embedded-target.ts';
import type { Target } from '../../targets/target.ts';
import { sdkClientConfig } from '../../core/client-config.ts';
import { createStackTeardown } from '../../targets/aws/stack.ts';
import type { StackTemplate } from '../../targets/aws/template.ts';
import { runPatternOnManagedStack } from '../../run/managed-stack-run.ts';
import { evaluateThresholds } from '../../analysis/thresholds.ts';
import type { PatternResult, RunResult } from '../../analysis/run-result.ts';
import { parseScenario } from '../../scenario/load.ts';
import { realClock } from '../../core/clock.ts';

/**
 * A pattern that names the user's own resources, on the managed-stack path (`--target aws`)
 * with CloudFormation and CloudWatch mocked and everything else real: the "user's" queue and
 * bus live in the embedded emulator, and stand-ins play the Lambda functions — sluice's
 * synthetic consumer (writes completion records to the stack's sink) or the user's own
 * function (consumes and writes nothing, as a real one would).
 */
describe('bring your own resources', () => {
  let target: Target;
  /** The embedded target as the managed-stack path sees AWS. */
  let awsTarget: Target;
  let sqs: SQSClient;
  let eventBridge: EventBridgeClient;

  beforeAll(async () => {
    target = await startEmbeddedTarget(['sqs', 'eventbridge'], 'us-east-1');
    awsTarget = { ...target, info: { ...target.info, kind: 'aws', consumer: 'aws' } };
    sqs = new SQSClient(sdkClientConfig(target.clientSettings));
    eventBridge = new EventBridgeClient(sdkClientConfig(target.clientSettings));
  });

  afterAll(async () => {
    sqs?.destroy();
    eventBridge?.destroy();
    await target?.stop();
  });

  /** CloudFormation that answers with `outputs` once a stack is created, and records every call. */
  function mockedCloudFormation(outputs: Record<string, string>) {
    const client = new CloudFormationClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    const mock = mockClient(client);
    let deleted = false;
    mock.on(CreateStackCommand).callsFake((input) => ({ StackId: `arn:aws:cloudformation:us-east-1:000000000000:stack/${input.StackName}/1` }));
    mock.on(DescribeStacksCommand).callsFake((input) => {
      if (deleted) throw Object.assign(new Error(`Stack with id ${input.StackName} does not exist`), { name: 'ValidationError' });
      return {
        Stacks: [
          {
            StackName: input.StackName,
            StackId: input.StackName,
            CreationTime: new Date(),
            StackStatus: 'CREATE_COMPLETE',
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
    const commands = () => mock.calls().map((call) => call.args[0].constructor.name);
    const template = () => JSON.parse(mock.commandCalls(CreateStackCommand)[0]!.args[0].input.TemplateBody!) as StackTemplate;
    return { client, commands, template, wasDeleted: () => deleted };
  }

  /** CloudWatch answering no data, keeping each asked metric's dimensions. */
  function mockedCloudWatch() {
    const client = new CloudWatchClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    const mock = mockClient(client);
    mock.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    const dimensionsAsked = () =>
      mock
        .commandCalls(GetMetricDataCommand)
        .flatMap((call) => call.args[0].input.MetricDataQueries ?? [])
        .flatMap((query) => query.MetricStat?.Metric?.Dimensions ?? [])
        .map((dimension) => `${dimension.Name}=${dimension.Value}`);
    return { client, dimensionsAsked };
  }

  /**
   * A Lambda function fed by an event source mapping of `queueUrl`: receives, runs, deletes.
   * With `sinkQueueUrl` it reports completions there, as sluice's synthetic consumer does; without,
   * it is the user's own function, which knows nothing of sluice.
   */
  function consumeQueue(queueUrl: string, signal: AbortSignal, sinkQueueUrl?: string): Promise<void> {
    return (async () => {
      while (!signal.aborted) {
        const messages = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }))).Messages ?? [];
        if (messages.length === 0) continue;
        if (sinkQueueUrl) {
          const records = messages.map((m) => {
            const body = JSON.parse(m.Body!) as { sluiceId: number; sentAtMs: number };
            return { eventId: body.sluiceId, sentAtMs: body.sentAtMs, completedAtMs: Date.now(), coldStart: false, durationMs: 5 };
          });
          await sqs.send(new SendMessageCommand({ QueueUrl: sinkQueueUrl, MessageBody: JSON.stringify(records) }));
        }
        await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
      }
    })();
  }

  function scenarioWith(patternLines: string[], drainTimeout = '30s') {
    return parseScenario(
      ['name: byo', 'workload:', '  phases: [{ duration: 3, arrivalRate: 20 }]', 'patterns:', ...patternLines.map((line, i) => (i === 0 ? `  - ${line}` : `    ${line}`)), `drainTimeout: ${drainTimeout}`, ''].join('\n'),
      'byo.yaml',
    );
  }

  async function run(scenario: ReturnType<typeof scenarioWith>, cloudFormation: CloudFormationClient, cloudWatch: CloudWatchClient, runId: string): Promise<PatternResult> {
    const teardown = createStackTeardown(cloudFormation);
    return runPatternOnManagedStack({
      scenario,
      scenarioFile: 'byo.yaml',
      pattern: scenario.patterns[0]!,
      patternName: scenario.patterns[0]!.source,
      runId,
      target: awsTarget,
      clock: realClock,
      signal: new AbortController().signal,
      clients: { cloudFormation, sqs, cloudWatch, s3: new S3Client({ region: 'us-east-1' }) },
      teardown,
    }).finally(() => teardown.deleteAll());
  }

  it('your queue, sluice’s consumer: the stack holds only the consumer, its mapping and sink; the load goes to your queue', async () => {
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'byo-orders' }))).QueueUrl!;
    const sinkQueueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'byo-stack-sink' }))).QueueUrl!;
    // What the deployed stack answers: its own resources. The queue is not among them, so the
    // load can reach it only through the pattern's queueUrl.
    const cloudFormation = mockedCloudFormation({ SinkQueueUrl: sinkQueueUrl, FunctionName: 'sluice-byo-consumer' });
    const cloudWatch = mockedCloudWatch();
    const lambda = new AbortController();
    const consuming = consumeQueue(queueUrl, lambda.signal, sinkQueueUrl);

    const result = await run(scenarioWith(['source: sqs', `queueUrl: ${queueUrl}`]), cloudFormation.client, cloudWatch.client, 'byo1');
    lambda.abort();
    await consuming;

    const commands = cloudFormation.commands();
    expect(commands[0]).toBe('CreateStackCommand');
    expect(cloudFormation.wasDeleted()).toBe(true);
    const template = cloudFormation.template();
    expect(Object.keys(template.Resources).sort()).toEqual(['ConsumerFunction', 'ConsumerLogGroup', 'ConsumerRole', 'SinkQueue', 'SourceEventSourceMapping']);
    expect(template.Resources.SourceEventSourceMapping!.Properties.EventSourceArn).toEqual({ 'Fn::Sub': 'arn:${AWS::Partition}:sqs:us-east-1:000000000000:byo-orders' });
    expect(template.Metadata.sluice.bringYourOwn).toEqual([{ field: 'queueUrl', value: queueUrl }]);

    expect(result.accounting).toMatchObject({ sent: 60, accepted: 60, completed: 60, pendingAtEnd: 0, lost: 0 });
    expect(result.accounting.completionsObserved).toBeUndefined();
    expect(result.latency.endToEndMs.count).toBe(60);
    expect(result.extras).toMatchObject({ queueUrl, stackName: expect.stringMatching(/^sluice-byo-sqs-byo1/), bringYourOwn: [{ field: 'queueUrl', value: queueUrl }] });
    expect(result.warnings.join('\n')).not.toMatch(/not observable/);
    // CloudWatch is asked about your queue and the stack's function.
    expect(cloudWatch.dimensionsAsked()).toEqual(expect.arrayContaining(['QueueName=byo-orders', 'FunctionName=sluice-byo-consumer']));
    // Your queue outlived the run.
    expect((await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn).toMatch(/:byo-orders$/);
  });

  it('your queue and your function: no stack at all; the run says what it could not see and accounts for it honestly', async () => {
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'byo-orders-own' }))).QueueUrl!;
    const cloudFormation = mockedCloudFormation({});
    const cloudWatch = mockedCloudWatch();
    const yourFunction = new AbortController();
    const consuming = consumeQueue(queueUrl, yourFunction.signal);

    const startedAtMs = Date.now();
    const result = await run(scenarioWith(['source: sqs', `queueUrl: ${queueUrl}`, 'functionName: orders-consumer:live'], '60s'), cloudFormation.client, cloudWatch.client, 'byo2');
    yourFunction.abort();
    await consuming;

    expect(cloudFormation.commands()).toEqual([]);
    expect(result.accounting).toMatchObject({ sent: 60, accepted: 60, completed: 0, pendingAtEnd: 60, lost: 0, completionsObserved: false });
    expect(result.latency.endToEndMs.count).toBe(0);
    expect(result.warnings[0]).toMatch(
      /^end-to-end latency and completions are not observable with your own function; sluice measured the send side and CloudWatch's view: completed stays 0 and the 60 accepted events whose fate sluice cannot see are counted as pendingAtEnd, not lost; the queue still held 0 of them when the run ended$/,
    );
    expect(result.warnings.join('\n')).not.toMatch(/have no fate|drain timeout/);
    // The queue's depth says the load was consumed: the drain ended long before its 60 s.
    expect(result.extras).toMatchObject({ drained: true, stackName: null, queueUrl });
    expect(Date.now() - startedAtMs).toBeLessThan(30_000);
    // CloudWatch is asked about your function (by its bare name) and your queue.
    expect(cloudWatch.dimensionsAsked()).toEqual(expect.arrayContaining(['FunctionName=orders-consumer', 'QueueName=byo-orders-own']));

    // Exit semantics: nothing is lost, so `lost == 0` passes; a latency threshold has no
    // sample to judge and fails, as it does whenever no event completed.
    const runResult = { runId: 'byo2', scenario: { name: 'byo', file: 'byo.yaml' }, patterns: [result] } as unknown as RunResult;
    const evaluation = evaluateThresholds(runResult, ['lost == 0', 'p99EndToEnd < 2s']);
    expect(evaluation.outcomes.map((outcome) => [outcome.expression, outcome.status])).toEqual([
      ['lost == 0', 'passed'],
      ['p99EndToEnd < 2s', 'failed'],
    ]);
  });

  it('sluice’s queue, your function: the stack holds the queue and its mapping to your function, and no sink', async () => {
    // The stack's queue, in the emulator; your function never gets to it in this run.
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'byo-stack-queue' }))).QueueUrl!;
    const cloudFormation = mockedCloudFormation({ QueueUrl: queueUrl, QueueName: 'byo-stack-queue', FunctionName: 'orders-consumer' });
    const cloudWatch = mockedCloudWatch();

    const result = await run(scenarioWith(['source: sqs', 'functionName: orders-consumer'], '2s'), cloudFormation.client, cloudWatch.client, 'byo4');

    const commands = cloudFormation.commands();
    expect(commands[0]).toBe('CreateStackCommand');
    expect(cloudFormation.wasDeleted()).toBe(true);
    const template = cloudFormation.template();
    expect(Object.keys(template.Resources).sort()).toEqual(['SourceDeadLetterQueue', 'SourceEventSourceMapping', 'SourceQueue']);
    expect(template.Outputs.SinkQueueUrl).toBeUndefined();
    expect(result.accounting).toMatchObject({ accepted: 60, completed: 0, pendingAtEnd: 60, lost: 0, completionsObserved: false });
    // What the queue still holds is said apart from the rest; the drain did wait for the queue, and says it timed out.
    expect(result.warnings[0]).toMatch(/not observable with your own function.*; the queue still held 60 of them when the run ended$/);
    expect(result.warnings.join('\n')).toMatch(/events were still in flight when the drain timeout \(2 s\) ended/);
    expect(result.warnings.join('\n')).not.toMatch(/have no fate/);
  });

  it('your bus and your function: no stack, and no wait for completions that cannot come', async () => {
    await eventBridge.send(new CreateEventBusCommand({ Name: 'byo-orders-bus' }));
    const cloudFormation = mockedCloudFormation({});
    const cloudWatch = mockedCloudWatch();

    const startedAtMs = Date.now();
    const result = await run(scenarioWith(['source: eventbridge', 'busName: byo-orders-bus', 'eventSource: shop.orders', 'functionName: orders-consumer'], '60s'), cloudFormation.client, cloudWatch.client, 'byo3');

    expect(cloudFormation.commands()).toEqual([]);
    expect(result.accounting).toMatchObject({ sent: 60, accepted: 60, completed: 0, pendingAtEnd: 60, lost: 0, completionsObserved: false });
    expect(result.warnings[0]).toMatch(/^end-to-end latency and completions are not observable with your own function; sluice measured the send side and CloudWatch's view/);
    expect(result.warnings.join('\n')).not.toMatch(/have no fate|drain timeout/);
    expect(result.extras).toMatchObject({ busName: 'byo-orders-bus', busCreatedBy: 'existing', stackName: null });
    // A bus holds nothing to wait for: the run ends with the load, not 60 s later.
    expect(Date.now() - startedAtMs).toBeLessThan(30_000);
    expect(cloudWatch.dimensionsAsked()).toContain('FunctionName=orders-consumer');
    // Your bus outlived the run.
    expect((await eventBridge.send(new DescribeEventBusCommand({ Name: 'byo-orders-bus' }))).Name).toBe('byo-orders-bus');
  });
});
