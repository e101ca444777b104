import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import * as sqsModule from '@aws-sdk/client-sqs';
import { CreateQueueCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CreateStreamCommand, DescribeStreamSummaryCommand, GetRecordsCommand, GetShardIteratorCommand, KinesisClient, ListShardsCommand, ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { CreateEventBusCommand, EventBridgeClient, ListEventBusesCommand, ListRulesCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateBucketCommand,
  GetBucketNotificationConfigurationCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutBucketNotificationConfigurationCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { startEmbeddedTarget } from '../../targets/embedded/embedded-target.ts';
import type { Target } from '../../targets/target.ts';
import { sdkClientConfig } from '../../core/client-config.ts';
import { syntheticConsumerBundle } from '../../targets/aws/synthetic-consumer/bundle.ts';
import { sqsAwsStack } from '../../drivers/sqs/aws-stack.ts';
import { kinesisAwsStack } from '../../drivers/kinesis/aws-stack.ts';
import { defaultEventPatternFor, eventBridgeAwsStack } from '../../drivers/eventbridge/aws-stack.ts';
import { s3AwsStack } from '../../drivers/s3/aws-stack.ts';
import { apiGatewayAwsStack } from '../../drivers/apigateway/aws-stack.ts';
import { drainCompletionRecords } from '../../targets/aws/completions.ts';
import { eventBridgeDefaultEventSource } from '../../drivers/eventbridge/schema.ts';
import { sluiceControl } from '../../localstack/embedded/sluice-control.ts';
import { startInvokeEndpoint, type InvokeEndpoint } from '../../drivers/async-invoke/invoke-endpoint.ts';
import { runPattern } from '../../run/run-pattern.ts';
import { remoteConsumer, type PatternConsumer } from '../../run/pattern-consumer.ts';
import { sourceModuleFor } from '../../drivers/registry.ts';
import type { PatternResult } from '../../analysis/run-result.ts';
import { parseScenario } from '../../scenario/load.ts';
import { realClock } from '../../core/clock.ts';

/**
 * The four push and stream sources on a managed stack's resources, without AWS: the
 * stack's source resource is created here in the embedded emulator, the run gets it as
 * `existing` with a remote consumer, and the stack's consumer Lambda is its own inline code
 * (targets/aws/synthetic-consumer/, bundled with the source's reader) fed the way AWS feeds it — Kinesis records from
 * GetRecords, EventBridge events and S3 notifications delivered by the emulator's rules and
 * notification configuration as asynchronous invokes, API Gateway proxy events from a local
 * HTTP server. It writes completion records to a sink queue, which the run reads. So an
 * event completes only if the consumer could read its id back from what the driver sent.
 */
describe('remote consumer on existing resources', () => {
  const region = 'us-east-1';
  const accountId = '000000000000';
  let target: Target;
  /** The target as the managed-stack path sees it: another account's resources, consumed by its Lambda. */
  let stackTarget: Target;
  let sqs: SQSClient;
  let kinesis: KinesisClient;
  let eventBridge: EventBridgeClient;
  let s3: S3Client;
  const consumerClients: SQSClient[] = [];
  const cleanups: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    target = await startEmbeddedTarget(['sqs', 'kinesis', 'eventbridge', 'lambda', 's3'], region);
    stackTarget = { ...target, info: { ...target.info, kind: 'aws', consumer: 'aws' } };
    const config = sdkClientConfig(target.clientSettings);
    sqs = new SQSClient(config);
    kinesis = new KinesisClient(config);
    eventBridge = new EventBridgeClient(config);
    s3 = new S3Client({ ...config, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  });

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    for (const client of [sqs, kinesis, eventBridge, s3, ...consumerClients]) client?.destroy();
    await target?.stop();
  });

  /** Each source's stack piece, whose consumer reader the stack's Lambda bundles. */
  const pieces = { sqs: sqsAwsStack, kinesis: kinesisAwsStack, eventbridge: eventBridgeAwsStack, s3: s3AwsStack, apigateway: apiGatewayAwsStack };

  /**
   * The stack's consumer Lambda: the code its template inlines (the synthetic consumer
   * bundled with the source's reader), loaded as Lambda's Node.js runtime loads index.js,
   * reporting to `sinkQueueUrl` in the emulator.
   */
  function stackConsumer(source: keyof typeof pieces, sinkQueueUrl: string) {
    const settings = target.clientSettings;
    class EmulatorSqsClient extends SQSClient {
      constructor(config: object) {
        super({ ...config, ...sdkClientConfig(settings) });
        consumerClients.push(this);
      }
    }
    const fakeRequire = (name: string) => {
      if (name !== '@aws-sdk/client-sqs') throw new Error(`the consumer must need only @aws-sdk/client-sqs, asked for ${name}`);
      return { ...sqsModule, SQSClient: EmulatorSqsClient };
    };
    const module = { exports: {} as { handler: (event: unknown) => Promise<unknown> } };
    const env = { SLUICE_SOURCE: source, SLUICE_SINK_QUEUE_URL: sinkQueueUrl, SLUICE_DURATION: JSON.stringify({ kind: 'fixed', fixedMs: 5 }) };
    new Function('require', 'module', 'exports', 'process', syntheticConsumerBundle(pieces[source].consumerReader))(fakeRequire, module, module.exports, { env });
    const invocations = new Set<Promise<unknown>>();
    let invocationCount = 0;
    return {
      invoke(event: unknown): Promise<unknown> {
        invocationCount += 1;
        const running = module.exports.handler(event).finally(() => invocations.delete(running));
        invocations.add(running);
        return running;
      },
      get invocations() {
        return invocationCount;
      },
      /** Waits for invocations still reporting. */
      settled: () => Promise.allSettled([...invocations]),
    };
  }

  /** A Lambda function name the emulator's EventBridge and S3 deliver to, served by the stand-in. */
  async function registerFunction(name: string, invoke: (event: unknown) => Promise<unknown>): Promise<string> {
    const endpoint: InvokeEndpoint = await startInvokeEndpoint(name, {
      onEvent(payload) {
        invoke(payload).catch(() => undefined);
      },
      async onRequestResponse(payload) {
        return { result: await invoke(payload) };
      },
    });
    await sluiceControl(target.clientSettings, 'lambda', 'PUT', `/_sluice/lambda/functions/${name}`, { invokeEndpoint: endpoint.url });
    cleanups.push(() => endpoint.close());
    return `arn:aws:lambda:${region}:${accountId}:function:${name}`;
  }

  async function sinkQueue(name: string): Promise<string> {
    return (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl!;
  }

  /** Reads the sink as run/managed-stack-run.ts does; the driver gets the stack's outputs as its source's resources. */
  function sinkReader(source: string, existing: Record<string, string>): PatternConsumer {
    return remoteConsumer({
      existing: sourceModuleFor(source).existingResources(existing),
      completionsObservable: true,
      drainWaits: true,
      async readCompletions(onRecords, signal) {
        while (!signal.aborted) await drainCompletionRecords(sqs, existing.SinkQueueUrl!, { timeoutMs: 1_000, waitTimeSeconds: 1, onRecords });
        await drainCompletionRecords(sqs, existing.SinkQueueUrl!, { timeoutMs: 1_500, waitTimeSeconds: 1, onRecords });
      },
    });
  }

  /** Every resource of every kind on the target, by name, to show the driver made and removed none. */
  async function resources(busName?: string) {
    const [queues, streams, buses, buckets, rules] = await Promise.all([
      sqs.send(new ListQueuesCommand({})).then((a) => (a.QueueUrls ?? []).sort()),
      kinesis.send(new ListStreamsCommand({})).then((a) => (a.StreamNames ?? []).sort()),
      eventBridge.send(new ListEventBusesCommand({})).then((a) => (a.EventBuses ?? []).map((bus) => bus.Name).sort()),
      s3.send(new ListBucketsCommand({})).then((a) => (a.Buckets ?? []).map((bucket) => bucket.Name).sort()),
      busName ? eventBridge.send(new ListRulesCommand({ EventBusName: busName })).then((a) => (a.Rules ?? []).map((rule) => rule.Name).sort()) : Promise.resolve([]),
    ]);
    return { queues, streams, buses, buckets, rules };
  }

  /**
   * Runs one pattern against `existing` with a remote consumer; checks the target's
   * resources before, during (at the first progress report, while the load runs) and after.
   */
  async function runRemote(source: string, patternYaml: string, existing: Record<string, string>, busName?: string): Promise<PatternResult> {
    const scenario = parseScenario(
      `
name: remote-${source}
workload:
  phases: [{ duration: 3, arrivalRate: 20 }]
function:
  handler: { duration: 5ms }
patterns:
  - ${patternYaml}
drainTimeout: 20s
`,
      'remote.yaml',
    );
    const before = await resources(busName);
    let during: Promise<Awaited<ReturnType<typeof resources>>> | undefined;
    const result = await runPattern({
      scenario,
      scenarioFile: 'remote.yaml',
      pattern: scenario.patterns[0]!,
      patternName: source,
      runId: `remote-${source}`,
      target: stackTarget,
      clock: realClock,
      signal: new AbortController().signal,
      consumer: sinkReader(source, existing),
      onProgress: () => {
        during ??= resources(busName);
      },
    });
    expect(during).toBeDefined();
    expect(await during).toEqual(before);
    expect(await resources(busName)).toEqual(before);
    // No warning about the resources or the consumer; the load meter's own (arrivals sent late on a busy machine) are the harness's, checked in load-self-measurement.
    const harnessWarning = /behind their schedule|event loop was held up|the load asked for was not applied|the load generator sent \d+ arrivals/;
    expect(result.warnings.filter((warning) => !harnessWarning.test(warning))).toEqual([]);
    expect(result.accounting).toMatchObject({ sent: 60, accepted: 60, completed: 60, failed: 0, pendingAtEnd: 0, lost: 0 });
    expect(result.latency.endToEndMs.count).toBe(60);
    expect(result.extras?.drained).toBe(true);
    // sluice's own runtime never ran: the stack's consumer did.
    expect(result.summary.invocations).toBe(0);
    return result;
  }

  it('kinesis: writes to the stack’s stream, whose consumer reads each record’s envelope', async () => {
    const streamName = 'stack-stream';
    await kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: 2 }));
    let streamArn: string | undefined;
    while (!streamArn) {
      const summary = (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }))).StreamDescriptionSummary;
      if (summary?.StreamStatus === 'ACTIVE') streamArn = summary.StreamARN;
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const sinkQueueUrl = await sinkQueue('kinesis-sink');
    const consumer = stackConsumer('kinesis', sinkQueueUrl);

    // The stack's event source mapping: every shard from TRIM_HORIZON, batches as Lambda's Kinesis event.
    const polling = new AbortController();
    const shardIds = ((await kinesis.send(new ListShardsCommand({ StreamName: streamName }))).Shards ?? []).map((shard) => shard.ShardId!);
    const pollers = shardIds.map(async (shardId) => {
      let iterator = (await kinesis.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
      while (!polling.signal.aborted && iterator) {
        // Four calls a second stay inside the five GetRecords a second per shard the edge allows.
        await new Promise((resolve) => setTimeout(resolve, 250));
        const answer = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 100 })).catch(() => undefined);
        if (!answer) continue;
        iterator = answer.NextShardIterator;
        const records = answer.Records ?? [];
        if (records.length === 0) continue;
        await consumer.invoke({
          Records: records.map((record) => ({
            eventSource: 'aws:kinesis',
            kinesis: {
              partitionKey: record.PartitionKey,
              sequenceNumber: record.SequenceNumber,
              data: Buffer.from(record.Data!).toString('base64'),
              approximateArrivalTimestamp: record.ApproximateArrivalTimestamp!.getTime() / 1000,
            },
          })),
        });
      }
    });

    const result = await runRemote('kinesis', 'source: kinesis\n    shards: 2', { StreamName: streamName, StreamArn: streamArn, SinkQueueUrl: sinkQueueUrl });
    polling.abort();
    await Promise.all(pollers);
    await consumer.settled();
    expect(result.extras).toMatchObject({ streamName, streamArn, streamCreatedBy: 'existing', consumedBy: 'remote' });
    // The stream outlived the run.
    expect((await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }))).StreamDescriptionSummary?.StreamStatus).toBe('ACTIVE');
  });

  it('eventbridge: puts events on the stack’s bus, whose default rule delivers them to its consumer', async () => {
    const busName = 'stack-bus';
    await eventBridge.send(new CreateEventBusCommand({ Name: busName }));
    const sinkQueueUrl = await sinkQueue('eventbridge-sink');
    const consumer = stackConsumer('eventbridge', sinkQueueUrl);
    const functionArn = await registerFunction('stack-eventbridge-consumer', (event) => consumer.invoke(event));
    // The stack's rule as template.ts builds it for a pattern without rules.
    await eventBridge.send(new PutRuleCommand({ Name: 'stack-rule', EventBusName: busName, EventPattern: JSON.stringify(defaultEventPatternFor(eventBridgeDefaultEventSource)), State: 'ENABLED' }));
    await eventBridge.send(new PutTargetsCommand({ Rule: 'stack-rule', EventBusName: busName, Targets: [{ Id: 'sluice-consumer', Arn: functionArn }] }));

    const result = await runRemote('eventbridge', 'source: eventbridge', { EventBusName: busName, RuleNames: 'stack-rule', SinkQueueUrl: sinkQueueUrl }, busName);
    await consumer.settled();
    expect(consumer.invocations).toBe(60);
    expect(result.extras).toMatchObject({ busName, busCreatedBy: 'existing', consumedBy: 'remote', eventSource: eventBridgeDefaultEventSource, stackRuleNames: ['stack-rule'], entriesMatchingNoRule: 0 });
  });

  it('s3: puts objects in the stack’s bucket, whose notification hands its consumer keys it can read', async () => {
    const bucket = 'stack-bucket';
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const sinkQueueUrl = await sinkQueue('s3-sink');
    const consumer = stackConsumer('s3', sinkQueueUrl);
    const functionArn = await registerFunction('stack-s3-consumer', (event) => consumer.invoke(event));
    // The stack's notification as template.ts builds it: every object created, no filter.
    await s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: bucket,
        NotificationConfiguration: { LambdaFunctionConfigurations: [{ Id: 'stack-consumer', LambdaFunctionArn: functionArn, Events: ['s3:ObjectCreated:*'] }] },
      }),
    );
    const notificationBefore = (await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }))).LambdaFunctionConfigurations;

    const result = await runRemote('s3', 'source: s3', { BucketName: bucket, SinkQueueUrl: sinkQueueUrl });
    await consumer.settled();
    expect(consumer.invocations).toBe(60);
    expect(result.extras).toMatchObject({ bucket, bucketCreatedBy: 'existing', consumedBy: 'remote' });
    // The driver left the notification configuration and the objects alone.
    expect((await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }))).LambdaFunctionConfigurations).toEqual(notificationBefore);
    const keys = ((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((object) => object.Key!);
    expect(keys).toHaveLength(60);
    // The default template's prefix and key, then the <sentAtMs>-<id> the consumer reads.
    for (const key of keys) expect(key).toMatch(/^incoming\/key-\d+\/\d{13}-\d+\.json$/);
  });

  it('apigateway: posts to the stack’s API URL, whose integration hands its consumer the envelope', async () => {
    const sinkQueueUrl = await sinkQueue('apigateway-sink');
    const consumer = stackConsumer('apigateway', sinkQueueUrl);
    let requests = 0;
    // The stack's HTTP API: POST /events, a Lambda proxy integration with payload format 2.0.
    const server: Server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        requests += 1;
        const path = new URL(request.url ?? '/', 'http://api').pathname;
        if (request.method !== 'POST' || path !== '/events') {
          response.writeHead(404).end('{"message":"Not Found"}');
          return;
        }
        const event = {
          version: '2.0',
          routeKey: 'POST /events',
          rawPath: path,
          headers: request.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          isBase64Encoded: false,
          requestContext: { requestId: randomUUID(), timeEpoch: Date.now(), http: { method: 'POST', path } },
        };
        consumer.invoke(event).then(
          (answer) => {
            const { statusCode, headers, body } = answer as { statusCode: number; headers: Record<string, string>; body: string };
            response.writeHead(statusCode, headers).end(body);
          },
          () => response.writeHead(500).end('{"message":"Internal Server Error"}'),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;

    const result = await runRemote('apigateway', 'source: apigateway', { ApiUrl: apiUrl, SinkQueueUrl: sinkQueueUrl });
    await consumer.settled();
    expect(requests).toBe(60);
    expect(result.extras).toMatchObject({ url: apiUrl, apiCreatedBy: 'existing', consumedBy: 'remote', statusCodes: { 200: 60 } });
    expect(result.latency.clientMs?.all.count).toBe(60);
  });
});
