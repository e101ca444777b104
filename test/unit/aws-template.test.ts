import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { stringify } from 'yaml';
import { parseScenario } from '../../scenario/load.ts';
import type { Scenario, PatternSpec } from '../../scenario/schema.ts';
import { sourceModules, type SourceName } from '../../drivers/registry.ts';
import { eventBridgeDefaultEventSource, type EventBridgePattern } from '../../drivers/eventbridge/schema.ts';
import type { SqsPattern } from '../../drivers/sqs/schema.ts';
import type { KinesisPattern } from '../../drivers/kinesis/schema.ts';
import type { S3Pattern } from '../../drivers/s3/schema.ts';
import type { ApiGatewayPattern } from '../../drivers/apigateway/schema.ts';
import { matchesEventPattern } from '../../core/event-pattern.ts';
import { remoteObjectKeyFor } from '../../drivers/s3/object-keys.ts';
import { sqsAwsStack } from '../../drivers/sqs/aws-stack.ts';
import { kinesisAwsStack } from '../../drivers/kinesis/aws-stack.ts';
import { eventBridgeAwsStack, sluiceEventSourceName } from '../../drivers/eventbridge/aws-stack.ts';
import { s3AwsStack } from '../../drivers/s3/aws-stack.ts';
import { apiGatewayAwsStack, apiGatewayStageOf, pathSegmentsOf } from '../../drivers/apigateway/aws-stack.ts';
import type { CompletionRecord } from '../../targets/aws/consumer-code.ts';
import { syntheticConsumerBundle } from '../../targets/aws/synthetic-consumer/bundle.ts';
import { AwsTemplateError } from '../../targets/aws/errors.ts';
import type { AwsStackPiece, StackPattern } from '../../targets/aws/stack-piece.ts';
import {
  buildStackTemplate,
  defaultLambdaRuntime,
  stackNameFor,
  stackOutputKeys,
  tagStylesWith,
  templateCreatesResources,
  type StackTemplate,
} from '../../targets/aws/template.ts';
import { templateBodyMaxBytes } from '../../targets/aws/stack.ts';

const testDir = dirname(fileURLToPath(import.meta.url));
const goldenDir = join(testDir, '..', 'fixtures', 'golden', 'aws');
const scenariosDir = join(testDir, '..', '..', 'scenarios');
const runId = 'r20260101t120000z-ab12';

/** Each source's piece of a managed stack, by source. */
const pieces = {
  sqs: sqsAwsStack,
  kinesis: kinesisAwsStack,
  eventbridge: eventBridgeAwsStack,
  s3: s3AwsStack,
  apigateway: apiGatewayAwsStack,
} as const satisfies Record<SourceName, { source: SourceName }>;

/** The piece a pattern's stack is built with: its source's. */
function pieceFor(pattern: StackPattern): AwsStackPiece<StackPattern> {
  return pieces[pattern.source as SourceName] as unknown as AwsStackPiece<StackPattern>;
}

/** A pattern's own resources as the outputs a run reads, from its source's piece. */
function ownOutputs(pattern: StackPattern): Record<string, string> {
  return pieceFor(pattern).bringYourOwnOutputs(pattern);
}

/**
 * A scenario file with one pattern, parsed as `sluice run` parses it: in a file a bare
 * duration is seconds, and the parsed pattern carries the schema's defaults and milliseconds.
 */
function scenarioFor(pattern: Record<string, unknown>, overrides: Record<string, unknown> = {}): { scenario: Scenario; pattern: PatternSpec } {
  const text = stringify({ name: 'orders', workload: { phases: [{ duration: 60, arrivalRate: 100 }] }, ...overrides, patterns: [pattern] });
  const scenario = parseScenario(text, 'x.yaml');
  return { scenario, pattern: scenario.patterns[0]! };
}

/** The stack of one pattern, written as a scenario file writes it (existing resources included) and parsed. */
function build(pattern: Record<string, unknown>, overrides: Record<string, unknown> = {}): StackTemplate {
  const { scenario, pattern: parsed } = scenarioFor(pattern, overrides);
  return buildStackTemplate(scenario, parsed, pieceFor(parsed), runId);
}

/** The stack of the one pattern of a scenario file's text. */
function buildYaml(text: string): StackTemplate {
  const scenario = parseScenario(text, 'x.yaml');
  return buildStackTemplate(scenario, scenario.patterns[0]!, pieceFor(scenario.patterns[0]!), runId);
}

const props = (template: StackTemplate, logicalId: string) => {
  expect(template.Resources[logicalId], logicalId).toBeDefined();
  return template.Resources[logicalId]!.Properties;
};

/** One template per case, checked against its golden file; every case is a pattern as a scenario file writes it. */
const cases = {
  sqs: { source: 'sqs', batchSize: 100, maximumBatchingWindow: '2s', maximumConcurrency: 50, visibilityTimeout: 60, maxReceiveCount: 5 },
  'sqs-fifo': { source: 'sqs', fifo: true, messageGroups: 8, batchSize: 10 },
  kinesis: {
    source: 'kinesis',
    shards: 4,
    parallelizationFactor: 2,
    batchSize: 500,
    maximumBatchingWindow: 1,
    maximumRetryAttempts: 3,
    maximumRecordAge: '1h',
    bisectBatchOnFunctionError: true,
  },
  'kinesis-on-demand': { source: 'kinesis', mode: 'on-demand', startingPosition: 'LATEST' },
  eventbridge: {
    source: 'eventbridge',
    eventSource: 'shop.orders',
    rules: [
      { name: 'orders', eventPattern: { source: ['shop.orders'], 'detail-type': ['order'] } },
      { name: 'refunds', eventPattern: '{"source":["shop.orders"],"detail-type":["refund"]}' },
    ],
    fanOut: true,
    asyncInvoke: { maximumRetryAttempts: 0, maximumEventAge: '2m' },
  },
  'eventbridge-default-rule': { source: 'eventbridge' },
  s3: {
    source: 's3',
    prefixes: ['in/'],
    suffixes: ['.json'],
    notification: { events: ['s3:ObjectCreated:*'], prefix: 'in/' },
    asyncInvoke: { maximumRetryAttempts: 1, maximumEventAge: '1h' },
  },
  'apigateway-http': { source: 'apigateway', type: 'http', method: 'PUT', path: '/v1/orders', throttleRatePerSecond: 500, throttleBurst: 100, integrationTimeout: '10s' },
  'apigateway-rest': {
    source: 'apigateway',
    type: 'rest',
    path: '/v1/orders',
    stage: 'live',
    throttleRatePerSecond: 500,
    throttleBurst: 100,
    integrationTimeout: '10s',
  },
} as const;

function resourcesOfType(template: StackTemplate, type: string) {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

/** Logical ids a value refers to through Ref, Fn::GetAtt and Fn::Sub (pseudo parameters excluded). */
function referencesOf(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) referencesOf(item, out);
  } else if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'Ref' && typeof inner === 'string') out.add(inner);
      else if (key === 'Fn::GetAtt' && Array.isArray(inner)) out.add(String(inner[0]));
      else if (key === 'Fn::Sub') {
        const [text, variables] = (Array.isArray(inner) ? inner : [inner, {}]) as [string, Record<string, unknown>];
        for (const match of text.matchAll(/\$\{([^}!]+)\}/g)) {
          const name = match[1].split('.')[0];
          if (!(name in variables)) out.add(name);
        }
        referencesOf(variables, out);
      } else referencesOf(inner, out);
    }
  }
  return new Set([...out].filter((name) => !name.startsWith('AWS::')));
}

function dependencyGraph(template: StackTemplate): Map<string, Set<string>> {
  return new Map(
    Object.entries(template.Resources).map(([id, resource]) => [id, new Set([...referencesOf(resource.Properties), ...(resource.DependsOn ?? [])])]),
  );
}

function findCycle(graph: Map<string, Set<string>>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'visiting') return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, 'visiting');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

/**
 * The template with the inline code replaced by the reader it bundles, so golden files stay
 * readable and do not change with esbuild's output; the code itself is tested by running it.
 */
function forGolden(template: StackTemplate, piece: AwsStackPiece<StackPattern>): unknown {
  const code = syntheticConsumerBundle(piece.consumerReader);
  return JSON.parse(JSON.stringify(template).replaceAll(JSON.stringify(code), JSON.stringify(`<synthetic consumer bundle: ${piece.consumerReader.readerExport}>`)));
}

/**
 * Every field of every source's scenario schema, and where it lands on the stack: a
 * property (`LogicalId.Property.path`, present in the template built from `fullPatterns`
 * merged with `with`), or why it has no AWS equivalent. A field added to a schema fails
 * the first test below until it is placed here.
 */
type FieldOnStack = { on: string; with?: Record<string, unknown> } | { output: string; with: Record<string, unknown> } | { sluiceOnly: string };
const schemaFieldsOnStack = {
  sqs: {
    source: { on: 'ConsumerFunction.Environment.Variables.SLUICE_SOURCE' },
    name: { on: 'SourceQueue.Tags' },
    batchSize: { on: 'SourceEventSourceMapping.BatchSize' },
    maximumBatchingWindow: { on: 'SourceEventSourceMapping.MaximumBatchingWindowInSeconds' },
    maximumConcurrency: { on: 'SourceEventSourceMapping.ScalingConfig.MaximumConcurrency' },
    provisionedPollerConfig: { on: 'SourceEventSourceMapping.ProvisionedPollerConfig.MinimumPollers', with: { maximumConcurrency: undefined, provisionedPollerConfig: { minimumPollers: 4, maximumPollers: 400 } } },
    visibilityTimeout: { on: 'SourceQueue.VisibilityTimeout' },
    maxReceiveCount: { on: 'SourceQueue.RedrivePolicy.maxReceiveCount' },
    fifo: { on: 'SourceQueue.FifoQueue', with: { fifo: true, maximumBatchingWindow: 0, batchSize: 10 } },
    messageGroups: { sluiceOnly: 'the MessageGroupId values the load generator spreads messages over' },
    sendBatchSize: { sluiceOnly: 'messages per SendMessageBatch call of the load generator' },
    queueUrl: { on: 'SourceEventSourceMapping.EventSourceArn', with: { queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/orders' } },
    functionName: { on: 'SourceEventSourceMapping.FunctionName', with: { functionName: 'orders-consumer' } },
  },
  kinesis: {
    source: { on: 'ConsumerFunction.Environment.Variables.SLUICE_SOURCE' },
    name: { on: 'SourceStream.Tags' },
    mode: { on: 'SourceStream.StreamModeDetails.StreamMode' },
    shards: { on: 'SourceStream.ShardCount' },
    batchSize: { on: 'SourceEventSourceMapping.BatchSize' },
    maximumBatchingWindow: { on: 'SourceEventSourceMapping.MaximumBatchingWindowInSeconds' },
    parallelizationFactor: { on: 'SourceEventSourceMapping.ParallelizationFactor' },
    startingPosition: { on: 'SourceEventSourceMapping.StartingPosition' },
    maximumRetryAttempts: { on: 'SourceEventSourceMapping.MaximumRetryAttempts' },
    maximumRecordAge: { on: 'SourceEventSourceMapping.MaximumRecordAgeInSeconds' },
    bisectBatchOnFunctionError: { on: 'SourceEventSourceMapping.BisectBatchOnFunctionError' },
    producerRetries: { sluiceOnly: 'the load generator’s retries after ProvisionedThroughputExceeded' },
    putRecordsBatchSize: { sluiceOnly: 'records per PutRecords call of the load generator' },
    streamName: { on: 'SourceEventSourceMapping.EventSourceArn', with: { streamName: 'orders' } },
    functionName: { on: 'SourceEventSourceMapping.FunctionName', with: { functionName: 'orders-consumer' } },
  },
  eventbridge: {
    source: { on: 'ConsumerFunction.Environment.Variables.SLUICE_SOURCE' },
    name: { on: 'SourceEventBus.Tags' },
    eventSource: { on: 'SourceRule1.EventPattern.source.0' },
    detailType: { sluiceOnly: 'the detail-type of the events the load generator puts; only the pattern’s own rules may match on it' },
    entriesPerCall: { sluiceOnly: 'entries per PutEvents call of the load generator' },
    rules: { on: 'SourceRule2.EventPattern', with: { rules: [{ eventPattern: { source: ['a'] } }, { eventPattern: { source: ['b'] } }] } },
    fanOut: { sluiceOnly: 'how sluice counts an event several rules deliver; EventBridge delivers once per matching rule either way' },
    putEventsRequestsPerSecond: { sluiceOnly: 'the account’s PutEvents quota (Service Quotas), not a stack property' },
    invocationsPerSecond: { sluiceOnly: 'the account’s invocation quota (Service Quotas), not a stack property' },
    putEventsBurstRequests: { sluiceOnly: 'the account’s PutEvents quota (Service Quotas), not a stack property' },
    producerMaxAttempts: { sluiceOnly: 'PutEvents attempts of the load generator' },
    asyncInvoke: { on: 'ConsumerEventInvokeConfig.MaximumEventAgeInSeconds' },
    busName: { on: 'SourceRule1.EventBusName', with: { busName: 'orders' } },
    functionName: { on: 'SourceRule1.Targets.0.Arn', with: { functionName: 'orders-consumer' } },
  },
  s3: {
    source: { on: 'ConsumerFunction.Environment.Variables.SLUICE_SOURCE' },
    name: { on: 'SourceBucket.Tags' },
    keyTemplate: { sluiceOnly: 'object keys the load generator writes (drivers/s3/object-keys.ts)' },
    prefixes: { sluiceOnly: 'object keys the load generator writes' },
    suffixes: { sluiceOnly: 'object keys the load generator writes' },
    notification: { on: 'SourceBucket.NotificationConfiguration.LambdaConfigurations.0.Filter.S3Key.Rules.1.Value' },
    notify: { on: 'SourceEventSourceMapping.BatchSize', with: { notify: { to: 'sqs', batchSize: 7, visibilityTimeout: 60 } } },
    duplicateNotificationRate: { sluiceOnly: 'duplicates sluice’s own S3 injects; AWS’s are its own' },
    producerMaxAttempts: { sluiceOnly: 'PutObject attempts of the load generator' },
    putRequestsPerSecondPerPrefix: { sluiceOnly: 'S3’s own per-prefix request rate on AWS' },
    getRequestsPerSecondPerPrefix: { sluiceOnly: 'S3’s own per-prefix request rate on AWS' },
    asyncInvoke: { on: 'ConsumerEventInvokeConfig.MaximumRetryAttempts' },
    // Your bucket's notification is its own: the stack creates nothing and only names it.
    bucket: { output: 'BucketName', with: { bucket: 'orders-bucket' } },
    functionName: { on: 'SourceBucket.NotificationConfiguration.LambdaConfigurations.0.Function', with: { functionName: 'orders-consumer' } },
  },
  apigateway: {
    source: { on: 'ConsumerFunction.Environment.Variables.SLUICE_SOURCE' },
    name: { on: 'HttpApi.Tags' },
    type: { on: 'HttpApi.ProtocolType' },
    method: { on: 'HttpApiRoute.RouteKey' },
    path: { on: 'HttpApiRoute.RouteKey' },
    stage: { on: 'HttpApiStage.StageName' },
    throttleRatePerSecond: { on: 'HttpApiStage.DefaultRouteSettings.ThrottlingRateLimit' },
    throttleBurst: { on: 'HttpApiStage.DefaultRouteSettings.ThrottlingBurstLimit' },
    integrationTimeout: { on: 'HttpApiIntegration.TimeoutInMillis' },
    maxConnections: { sluiceOnly: 'connections the load generator keeps open' },
    // Your API's integration is its own: the stack creates nothing and only names it.
    apiUrl: { output: 'ApiUrl', with: { apiUrl: 'https://abc1234567.execute-api.us-east-1.amazonaws.com/events' } },
    functionName: { on: 'HttpApiIntegration.IntegrationUri', with: { functionName: 'orders-consumer' } },
  },
} as const satisfies { [S in SourceName]: Record<string, FieldOnStack> };

/** A pattern per source that sets every field with an AWS equivalent. */
const fullPatterns: { [S in SourceName]: Record<string, unknown> } = {
  sqs: { source: 'sqs', batchSize: 20, maximumBatchingWindow: 3, maximumConcurrency: 7, visibilityTimeout: 45, maxReceiveCount: 4 },
  kinesis: { source: 'kinesis', shards: 3, batchSize: 50, maximumBatchingWindow: 2, parallelizationFactor: 3, startingPosition: 'LATEST', maximumRetryAttempts: 5, maximumRecordAge: 120, bisectBatchOnFunctionError: true },
  eventbridge: { source: 'eventbridge', eventSource: 'shop.orders', asyncInvoke: { maximumRetryAttempts: 1, maximumEventAge: 600 } },
  s3: { source: 's3', notification: { events: ['s3:ObjectCreated:Put'], prefix: 'incoming/', suffix: '.json' }, asyncInvoke: { maximumRetryAttempts: 0 } },
  apigateway: { source: 'apigateway', type: 'http', method: 'PATCH', path: '/a/b', stage: 'v1', throttleRatePerSecond: 50, throttleBurst: 10, integrationTimeout: '5s' },
};

function valueAt(template: StackTemplate, path: string): unknown {
  const [logicalId, ...keys] = path.split('.');
  let value: unknown = template.Resources[logicalId!]?.Properties;
  for (const key of keys) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return value;
}

/** The shape of a source's schema (kinesis's is behind its transform). */
function schemaFields(source: SourceName): string[] {
  const schema = sourceModules[source].patternSchema as unknown as { shape?: Record<string, unknown>; in?: { shape: Record<string, unknown> } };
  return Object.keys(schema.shape ?? schema.in!.shape).sort();
}

/**
 * The stack's consumer Lambda, its inline code loaded as Lambda's Node.js runtime loads
 * index.js, with the environment the template gives it and a fake SQS client recording
 * the completion records it reports.
 */
function loadStackConsumer(template: StackTemplate) {
  const fn = props(template, 'ConsumerFunction');
  const env = (fn.Environment as { Variables: Record<string, unknown> }).Variables;
  const sent: CompletionRecord[] = [];
  class SendMessageBatchCommand {
    constructor(readonly input: { Entries: Array<{ MessageBody: string }> }) {}
  }
  class SQSClient {
    async send(command: SendMessageBatchCommand) {
      for (const entry of command.input.Entries) sent.push(...(JSON.parse(entry.MessageBody) as CompletionRecord[]));
      return {};
    }
  }
  const module = { exports: {} as { handler: (event: unknown) => Promise<unknown> } };
  const stringEnv = Object.fromEntries(Object.entries(env).map(([key, value]) => [key, typeof value === 'string' ? value : 'https://sqs.local/sink']));
  const code = (fn.Code as { ZipFile: string }).ZipFile;
  new Function('require', 'module', 'exports', 'process', code)(() => ({ SQSClient, SendMessageBatchCommand }), module, module.exports, { env: { ...stringEnv, SLUICE_INIT_MS: '0' } });
  return { handler: module.exports.handler, sent };
}

describe('aws stack template', () => {
  describe.each(Object.entries(cases))('%s', (caseName, pattern) => {
    const template = build(pattern);
    const piece = pieces[pattern.source];

    it('tags every taggable resource with the run id, scenario and pattern, and no other', () => {
      const tagStyles = tagStylesWith(piece);
      for (const [logicalId, resource] of Object.entries(template.Resources)) {
        const style = tagStyles[resource.Type];
        expect(style, `${logicalId} ${resource.Type} has a recorded tag style`).toBeDefined();
        const tags = resource.Properties.Tags;
        if (style === 'none') {
          expect(tags, logicalId).toBeUndefined();
        } else if (style === 'map') {
          expect(tags, logicalId).toEqual({ 'sluice:run-id': runId, 'sluice:scenario': 'orders', 'sluice:pattern': pattern.source });
        } else {
          expect(tags, logicalId).toEqual([
            { Key: 'sluice:run-id', Value: runId },
            { Key: 'sluice:scenario', Value: 'orders' },
            { Key: 'sluice:pattern', Value: pattern.source },
          ]);
        }
      }
    });

    it('refers only to resources it defines, with no dependency cycle', () => {
      const graph = dependencyGraph(template);
      for (const [id, references] of graph) {
        for (const target of references) expect(template.Resources[target], `${id} refers to ${target}`).toBeDefined();
      }
      for (const output of Object.values(template.Outputs)) {
        for (const target of referencesOf(output.Value)) expect(template.Resources[target], `an output refers to ${target}`).toBeDefined();
      }
      expect(findCycle(graph)).toBeUndefined();
    });

    it('deploys the synthetic consumer with the function spec and a sink queue', () => {
      const fn = props(template, 'ConsumerFunction');
      expect(fn.Code).toEqual({ ZipFile: syntheticConsumerBundle(piece.consumerReader) });
      expect(fn.Runtime).toBe(defaultLambdaRuntime);
      expect(fn.Handler).toBe('index.handler');
      expect((fn.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({
        SLUICE_SOURCE: pattern.source,
        SLUICE_SINK_QUEUE_URL: { Ref: 'SinkQueue' },
        SLUICE_RUN_ID: runId,
      });
      expect(template.Resources.SinkQueue!.Type).toBe('AWS::SQS::Queue');
      expect(template.Outputs[stackOutputKeys.sinkQueueUrl]!.Value).toEqual({ Ref: 'SinkQueue' });
      expect(template.Metadata.sluice).toMatchObject({ runId, scenario: 'orders', source: pattern.source, consumer: 'synthetic', bringYourOwn: [] });
    });

    it('grants the consumer role only actions on resources of this stack', () => {
      const policies = props(template, 'ConsumerRole').Policies as Array<{ PolicyDocument: { Statement: Array<{ Action: string[]; Resource: unknown }> } }>;
      const statements = policies[0]!.PolicyDocument.Statement;
      expect(statements.length).toBeGreaterThan(0);
      for (const statement of statements) {
        expect(statement.Resource).not.toBe('*');
        expect(statement.Action.every((action) => !action.includes('*'))).toBe(true);
        expect(referencesOf(statement.Resource).size).toBeGreaterThan(0);
      }
    });

    it('fits CloudFormation’s inline template size', () => {
      expect(Buffer.byteLength(JSON.stringify(template))).toBeLessThan(templateBodyMaxBytes);
    });

    it('matches its golden file', () => {
      const file = join(goldenDir, `${caseName}.json`);
      const actual = `${JSON.stringify(forGolden(template, pieceFor(pattern)), null, 2)}\n`;
      if (!existsSync(file) || process.env.SLUICE_UPDATE_GOLDEN === '1') {
        mkdirSync(goldenDir, { recursive: true });
        writeFileSync(file, actual);
      }
      expect(actual).toBe(readFileSync(file, 'utf8'));
    });
  });

  it('has one piece per source, each building its own source', () => {
    expect(Object.keys(pieces).sort()).toEqual(['apigateway', 'eventbridge', 'kinesis', 's3', 'sqs']);
    for (const [source, piece] of Object.entries(pieces)) expect(piece.source).toBe(source);
  });

  describe('the scenario schemas', () => {
    it.each(Object.keys(schemaFieldsOnStack) as SourceName[])('places every field of the %s schema on the stack or says why it has no AWS equivalent', (source) => {
      expect(Object.keys(schemaFieldsOnStack[source]).sort()).toEqual(schemaFields(source));
    });

    it.each(Object.keys(schemaFieldsOnStack) as SourceName[])('sets the property of every %s field with an AWS equivalent', (source) => {
      for (const [field, place] of Object.entries(schemaFieldsOnStack[source] as Record<string, FieldOnStack>)) {
        if ('sluiceOnly' in place) continue;
        const template = build({ ...fullPatterns[source], ...place.with });
        if ('output' in place) expect(template.Outputs[place.output]?.Value, `${source}.${field} → output ${place.output}`).toBe(place.with[field]);
        else expect(valueAt(template, place.on), `${source}.${field} → ${place.on}`).toBeDefined();
      }
    });
  });

  describe('the shipped scenarios', () => {
    const files = readdirSync(scenariosDir).filter((file) => file.endsWith('.yaml'));

    it('are all here', () => {
      expect(files.length).toBeGreaterThan(0);
    });

    describe.each(files)('%s', (file) => {
      // The file's own path, so a replayed trace is found beside it; a template is built for scenarios of any size.
      const scenario = parseScenario(readFileSync(join(scenariosDir, file), 'utf8'), join(scenariosDir, file), undefined, { enforceEventCap: false });

      it.each(scenario.patterns.map((pattern) => [pattern.name ?? pattern.source, pattern] as const))('builds a valid stack for pattern %s', (_name, pattern) => {
        if (scenario.function.handler.type === 'module') {
          // The user's own module is theirs to deploy: the aws target refuses to inline it, saying how to name a deployed one.
          expect(() => buildStackTemplate(scenario, pattern, pieceFor(pattern), runId)).toThrow(/cannot be deployed inline by the aws target/);
          return;
        }
        const template = buildStackTemplate(scenario, pattern, pieceFor(pattern), runId);
        const graph = dependencyGraph(template);
        for (const [id, references] of graph) {
          for (const target of references) expect(template.Resources[target], `${id} refers to ${target}`).toBeDefined();
        }
        expect(findCycle(graph)).toBeUndefined();
        expect(template.Metadata.sluice).toMatchObject({ source: pattern.source, consumer: 'synthetic' });
        expect(Buffer.byteLength(JSON.stringify(template))).toBeLessThan(templateBodyMaxBytes);
      });
    });
  });

  describe('sqs', () => {
    it('maps the pattern to the queue, its DLQ and the event source mapping, in seconds', () => {
      const template = build(cases.sqs);
      const queue = props(template, 'SourceQueue');
      expect(queue.VisibilityTimeout).toBe(60);
      expect(queue.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': ['SourceDeadLetterQueue', 'Arn'] }, maxReceiveCount: 5 });
      expect(queue.FifoQueue).toBeUndefined();
      const mapping = props(template, 'SourceEventSourceMapping');
      expect(mapping).toMatchObject({
        EventSourceArn: { 'Fn::GetAtt': ['SourceQueue', 'Arn'] },
        FunctionName: { 'Fn::GetAtt': ['ConsumerFunction', 'Arn'] },
        BatchSize: 100,
        MaximumBatchingWindowInSeconds: 2,
        ScalingConfig: { MaximumConcurrency: 50 },
      });
      expect(mapping.FunctionResponseTypes).toBeUndefined();
      for (const key of ['queueUrl', 'queueArn', 'deadLetterQueueUrl', 'eventSourceMappingId', 'functionName', 'logGroupName'] as const) {
        expect(template.Outputs[stackOutputKeys[key]], key).toBeDefined();
      }
    });

    it('takes the schema’s defaults: batch 10, no window, 30 s visibility, 3 receives, no concurrency cap', () => {
      const template = build({ source: 'sqs' });
      expect(props(template, 'SourceQueue')).toMatchObject({ VisibilityTimeout: 30, RedrivePolicy: { maxReceiveCount: 3 } });
      const mapping = props(template, 'SourceEventSourceMapping');
      expect(mapping).toMatchObject({ BatchSize: 10, MaximumBatchingWindowInSeconds: 0 });
      expect(mapping.ScalingConfig).toBeUndefined();
    });

    it('rounds a sub-second batching window or visibility timeout up to whole seconds, and says so', () => {
      const template = build({ source: 'sqs', batchSize: 20, maximumBatchingWindow: '500ms', visibilityTimeout: '30500ms' });
      expect(props(template, 'SourceEventSourceMapping').MaximumBatchingWindowInSeconds).toBe(1);
      expect(props(template, 'SourceQueue').VisibilityTimeout).toBe(31);
      expect(template.Metadata.sluice.notes.join('\n')).toMatch(/maximumBatchingWindow 500ms rounded up to 1s/);
      expect(template.Metadata.sluice.notes.join('\n')).toMatch(/visibilityTimeout 30.5s rounded up to 31s/);
    });

    it('makes a FIFO queue and DLQ with high-throughput mode and no batching window', () => {
      const template = build(cases['sqs-fifo']);
      const queue = props(template, 'SourceQueue');
      expect(queue).toMatchObject({ FifoQueue: true, DeduplicationScope: 'messageGroup', FifoThroughputLimit: 'perMessageGroupId' });
      // The load generator sends a MessageDeduplicationId with every message.
      expect(queue.ContentBasedDeduplication).toBeUndefined();
      expect(String(queue.QueueName)).toMatch(/\.fifo$/);
      expect(String(props(template, 'SourceDeadLetterQueue').QueueName)).toMatch(/\.fifo$/);
      expect(props(template, 'SourceDeadLetterQueue').FifoQueue).toBe(true);
      expect(props(template, 'SourceEventSourceMapping').BatchSize).toBe(10);
      expect(props(template, 'SourceEventSourceMapping').MaximumBatchingWindowInSeconds).toBeUndefined();
    });

    it('grants exactly what the SQS poller needs', () => {
      const template = build(cases.sqs);
      const statements = (props(template, 'ConsumerRole').Policies as Array<{ PolicyDocument: { Statement: Array<{ Action: string[]; Resource: unknown }> } }>)[0]!
        .PolicyDocument.Statement;
      expect(statements).toContainEqual({ Effect: 'Allow', Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'], Resource: { 'Fn::GetAtt': ['SourceQueue', 'Arn'] } });
      expect(statements).toContainEqual({ Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: { 'Fn::GetAtt': ['SinkQueue', 'Arn'] } });
    });

    it('refuses a visibility timeout shorter than the function timeout, as AWS would', () => {
      expect(() => build({ source: 'sqs', visibilityTimeout: 10 }, { function: { timeout: 30 } })).toThrow(AwsTemplateError);
      expect(() => build({ source: 'sqs', visibilityTimeout: 10 }, { function: { timeout: 30 } })).toThrow(/visibilityTimeout: 10s is shorter than the function timeout 30s/);
    });

    it('refuses a batching window on a FIFO queue, which the schema allows and AWS does not', () => {
      expect(() => build({ source: 'sqs', fifo: true, maximumBatchingWindow: 1 })).toThrow(/FIFO queues do not support a batching window/);
    });
  });

  describe('kinesis', () => {
    it('maps shards and every mapping setting, durations in seconds', () => {
      const template = build(cases.kinesis);
      expect(props(template, 'SourceStream')).toMatchObject({ ShardCount: 4, StreamModeDetails: { StreamMode: 'PROVISIONED' } });
      expect(props(template, 'SourceEventSourceMapping')).toMatchObject({
        EventSourceArn: { 'Fn::GetAtt': ['SourceStream', 'Arn'] },
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: 500,
        MaximumBatchingWindowInSeconds: 1,
        ParallelizationFactor: 2,
        MaximumRetryAttempts: 3,
        MaximumRecordAgeInSeconds: 3600,
        BisectBatchOnFunctionError: true,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['FailureQueue', 'Arn'] } } },
      });
    });

    it('keeps -1 (AWS’s “no limit”) for the default retries and record age', () => {
      const template = build({ source: 'kinesis' });
      expect(props(template, 'SourceEventSourceMapping')).toMatchObject({
        MaximumRetryAttempts: -1,
        MaximumRecordAgeInSeconds: -1,
        BatchSize: 100,
        ParallelizationFactor: 1,
        StartingPosition: 'TRIM_HORIZON',
        MaximumBatchingWindowInSeconds: 0,
        BisectBatchOnFunctionError: false,
      });
      expect(props(template, 'SourceStream').ShardCount).toBe(1);
    });

    it('rounds a record age and batching window given in milliseconds up to whole seconds', () => {
      const template = build({ source: 'kinesis', maximumRecordAge: '90500ms', maximumBatchingWindow: '1500ms' });
      expect(props(template, 'SourceEventSourceMapping')).toMatchObject({ MaximumRecordAgeInSeconds: 91, MaximumBatchingWindowInSeconds: 2 });
    });

    it('makes an on-demand stream without a shard count from the parsed streamMode', () => {
      const template = build(cases['kinesis-on-demand']);
      expect(props(template, 'SourceStream').StreamModeDetails).toEqual({ StreamMode: 'ON_DEMAND' });
      expect(props(template, 'SourceStream').ShardCount).toBeUndefined();
      expect(props(template, 'SourceEventSourceMapping')).toMatchObject({ StartingPosition: 'LATEST', MaximumRetryAttempts: -1, MaximumRecordAgeInSeconds: -1 });
      expect(template.Metadata.sluice.notes.join('\n')).toMatch(/LATEST/);
      expect(template.Metadata.sluice.notes.join('\n')).toMatch(/on-demand/);
    });
  });

  describe('eventbridge', () => {
    it('builds from a parsed pattern whatever fanOut says: one rule per rule of the pattern', () => {
      for (const fanOut of [true, false]) {
        const template = build({ ...cases.eventbridge, fanOut });
        expect(resourcesOfType(template, 'AWS::Events::Rule')).toHaveLength(2);
        expect(template.Metadata.sluice.notes.join('\n')).toMatch(fanOut ? /fan-out copies/ : /duplicates/);
      }
    });

    it('creates a bus and one rule per pattern rule, each with a Lambda target, permission and DLQ', () => {
      const template = build(cases.eventbridge);
      expect(resourcesOfType(template, 'AWS::Events::EventBus')).toHaveLength(1);
      const rules = resourcesOfType(template, 'AWS::Events::Rule');
      expect(rules.map(([, rule]) => rule.Properties.EventPattern)).toEqual([
        { source: ['shop.orders'], 'detail-type': ['order'] },
        // Given as JSON text, deployed as the same pattern.
        { source: ['shop.orders'], 'detail-type': ['refund'] },
      ]);
      for (const [id, rule] of rules) {
        expect(rule.Properties.EventBusName).toEqual({ Ref: 'SourceEventBus' });
        expect(rule.Properties.Targets).toEqual([
          { Id: 'sluice-consumer', Arn: { 'Fn::GetAtt': ['ConsumerFunction', 'Arn'] }, DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['FailureQueue', 'Arn'] } } },
        ]);
        expect(props(template, `${id}Permission`)).toMatchObject({ Principal: 'events.amazonaws.com', SourceArn: { 'Fn::GetAtt': [id, 'Arn'] } });
      }
      expect(rules.map(([, rule]) => String(rule.Properties.Name))).toEqual([expect.stringMatching(/-orders$/), expect.stringMatching(/-refunds$/)]);
      expect(props(template, 'FailureQueuePolicy').PolicyDocument).toMatchObject({ Statement: [{ Principal: { Service: 'events.amazonaws.com' } }] });
      expect(String(template.Outputs[stackOutputKeys.ruleNames]!.Value).split(',')).toHaveLength(2);
    });

    it('maps asyncInvoke to the function’s EventInvokeConfig with the on-failure destination', () => {
      const template = build(cases.eventbridge);
      expect(props(template, 'ConsumerEventInvokeConfig')).toEqual({
        FunctionName: { Ref: 'ConsumerFunction' },
        Qualifier: '$LATEST',
        MaximumRetryAttempts: 0,
        MaximumEventAgeInSeconds: 120,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['FailureQueue', 'Arn'] } } },
      });
      expect(build({ source: 'eventbridge' }).Resources.ConsumerEventInvokeConfig!.Properties).toMatchObject({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 21_600 });
    });

    it('says which asyncInvoke settings AWS has no equivalent for', () => {
      const template = build({ source: 'eventbridge', asyncInvoke: { errorRetryDelays: ['2s'] } });
      expect(template.Metadata.sluice.notes.join('\n')).toMatch(/errorRetryDelays \[2s\].*AWS has no such setting/);
      expect(build({ source: 'eventbridge' }).Metadata.sluice.notes.join('\n')).not.toMatch(/asyncInvoke/);
    });

    it('without rules, matches the pattern’s eventSource and the source the driver sends to a managed stack', () => {
      const fallback = build({ source: 'eventbridge' });
      const eventPattern = props(fallback, 'SourceRule1').EventPattern as Record<string, unknown>;
      expect(eventPattern).toEqual({ source: [eventBridgeDefaultEventSource, sluiceEventSourceName] });
      expect(resourcesOfType(fallback, 'AWS::Events::Rule')).toHaveLength(1);
      for (const source of [eventBridgeDefaultEventSource, sluiceEventSourceName]) expect(matchesEventPattern(eventPattern, { source, 'detail-type': 'sluice.event', detail: {} })).toBe(true);
      expect(matchesEventPattern(eventPattern, { source: 'someone.else', detail: {} })).toBe(false);

      const custom = build({ source: 'eventbridge', eventSource: 'shop.orders' });
      expect(props(custom, 'SourceRule1').EventPattern).toEqual({ source: ['shop.orders', sluiceEventSourceName] });
      expect(custom.Metadata.sluice.notes.join('\n')).toMatch(/default rule matches source shop\.orders/);
    });

    it('reads rules written as JSON text in a scenario file', () => {
      const template = buildYaml(`
name: orders
workload: { phases: [{ duration: 60, arrivalRate: 10 }] }
patterns:
  - source: eventbridge
    eventSource: shop.orders
    rules:
      - name: eu
        eventPattern: '{"source": ["shop.orders"], "detail": {"region": ["eu"]}}'
`);
      expect(props(template, 'SourceRule1').EventPattern).toEqual({ source: ['shop.orders'], detail: { region: ['eu'] } });
    });
  });

  describe('s3', () => {
    it('notifies a queue: queue and DLQ, a policy letting S3 send from the bucket, the QueueConfiguration after it, the mapping', () => {
      const template = build({ source: 's3', notification: { prefix: 'incoming/' }, notify: { to: 'sqs', batchSize: 20, maximumBatchingWindow: 2, maximumConcurrency: 4, visibilityTimeout: 60 } });
      const bucket = template.Resources.SourceBucket!;
      expect(bucket.DependsOn).toEqual(['SourceQueuePolicy']);
      expect(template.Resources.SourceBucketPermission).toBeUndefined();
      expect(bucket.Properties.NotificationConfiguration).toEqual({
        QueueConfigurations: [{ Event: 's3:ObjectCreated:*', Queue: { 'Fn::GetAtt': ['SourceQueue', 'Arn'] }, Filter: { S3Key: { Rules: [{ Name: 'prefix', Value: 'incoming/' }] } } }],
      });
      const statement = (props(template, 'SourceQueuePolicy').PolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement[0]!;
      expect(statement).toMatchObject({ Effect: 'Allow', Principal: { Service: 's3.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': ['SourceQueue', 'Arn'] } });
      const bucketName = (bucket.Properties.BucketName as { 'Fn::Sub': string })['Fn::Sub'];
      expect(statement.Condition).toEqual({ ArnLike: { 'aws:SourceArn': { 'Fn::Sub': `arn:\${AWS::Partition}:s3:::${bucketName}` } }, StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } });
      expect(props(template, 'SourceQueue')).toMatchObject({ VisibilityTimeout: 60, RedrivePolicy: { maxReceiveCount: 3 } });
      expect(props(template, 'SourceEventSourceMapping')).toMatchObject({ EventSourceArn: { 'Fn::GetAtt': ['SourceQueue', 'Arn'] }, BatchSize: 20, MaximumBatchingWindowInSeconds: 2, ScalingConfig: { MaximumConcurrency: 4 } });
      // Lambda polls the queue: no asynchronous-invoke settings.
      expect(template.Resources.ConsumerEventInvokeConfig).toBeUndefined();
    });

    it('notifies EventBridge: the bucket’s switch, a rule on the default bus matching its events, the permission', () => {
      const template = build({ source: 's3', notification: { prefix: 'incoming/', suffix: '.json' }, notify: 'eventbridge' });
      const bucket = template.Resources.SourceBucket!;
      expect(bucket.Properties.NotificationConfiguration).toEqual({ EventBridgeConfiguration: { EventBridgeEnabled: true } });
      const rule = props(template, 'SourceRule');
      expect(rule.EventBusName).toBeUndefined();
      expect(rule.EventPattern).toEqual({
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: { bucket: { name: [bucket.Properties.BucketName] }, object: { key: [{ wildcard: 'incoming/*.json' }] } },
      });
      expect(props(template, 'SourceRulePermission')).toMatchObject({ Principal: 'events.amazonaws.com', SourceArn: { 'Fn::GetAtt': ['SourceRule', 'Arn'] } });
      expect(template.Resources.ConsumerEventInvokeConfig).toBeDefined();
    });

    it('breaks the bucket–permission cycle the documented way', () => {
      const template = build(cases.s3);
      const bucket = template.Resources.SourceBucket!;
      const permission = template.Resources.SourceBucketPermission!;
      expect(bucket.DependsOn).toEqual(['SourceBucketPermission']);
      expect(referencesOf(permission.Properties).has('SourceBucket')).toBe(false);
      expect(permission.Properties).toMatchObject({ Principal: 's3.amazonaws.com', SourceAccount: { Ref: 'AWS::AccountId' } });
      const bucketName = (bucket.Properties.BucketName as { 'Fn::Sub': string })['Fn::Sub'];
      expect((permission.Properties.SourceArn as { 'Fn::Sub': string })['Fn::Sub']).toBe(`arn:\${AWS::Partition}:s3:::${bucketName}`);
      expect(bucketName.replace('${AWS::AccountId}', '123456789012').replace('${AWS::Region}', 'ap-southeast-2').length).toBeLessThanOrEqual(63);
    });

    it('maps notification.events, prefix and suffix to the bucket’s notification', () => {
      const template = build({ source: 's3', notification: { events: ['s3:ObjectCreated:Put', 's3:ObjectRemoved:*'], prefix: 'incoming/', suffix: '.json' } });
      const filter = { S3Key: { Rules: [{ Name: 'prefix', Value: 'incoming/' }, { Name: 'suffix', Value: '.json' }] } };
      const fn = { 'Fn::GetAtt': ['ConsumerFunction', 'Arn'] };
      expect(props(template, 'SourceBucket').NotificationConfiguration).toEqual({
        LambdaConfigurations: [
          { Event: 's3:ObjectCreated:Put', Function: fn, Filter: filter },
          { Event: 's3:ObjectRemoved:*', Function: fn, Filter: filter },
        ],
      });
    });

    it('takes the schema’s default notification: every object created, no filter', () => {
      const template = build({ source: 's3' });
      expect(props(template, 'SourceBucket').NotificationConfiguration).toEqual({
        LambdaConfigurations: [{ Event: 's3:ObjectCreated:*', Function: { 'Fn::GetAtt': ['ConsumerFunction', 'Arn'] } }],
      });
    });

    it('leaves an event type to the wildcard that covers it, since S3 refuses overlapping configurations', () => {
      const template = build({ source: 's3', notification: { events: ['s3:ObjectCreated:*', 's3:ObjectCreated:Put'] } });
      const configurations = (props(template, 'SourceBucket').NotificationConfiguration as { LambdaConfigurations: Array<{ Event: string }> }).LambdaConfigurations;
      expect(configurations.map((c) => c.Event)).toEqual(['s3:ObjectCreated:*']);
      expect(template.Metadata.sluice.notes.join('\n')).toMatch(/s3:ObjectCreated:Put left to the wildcard/);
    });

    it('maps asyncInvoke to the function’s EventInvokeConfig', () => {
      expect(props(build(cases.s3), 'ConsumerEventInvokeConfig')).toMatchObject({
        MaximumRetryAttempts: 1,
        MaximumEventAgeInSeconds: 3600,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['FailureQueue', 'Arn'] } } },
      });
    });

    it('gives the consumer the suffix the driver’s managed-stack keys carry (none), so it reads every event back', async () => {
      const pattern = { source: 's3', keyTemplate: '{{ prefix }}{{ key }}/{{ seq }}{{ suffix }}', prefixes: ['in/', 'archive/'], suffixes: ['.json', '.csv'] };
      const template = build(pattern);
      expect((props(template, 'ConsumerFunction').Environment as { Variables: Record<string, unknown> }).Variables.SLUICE_S3_SUFFIX).toBeUndefined();
      const { pattern: parsed } = scenarioFor(pattern);
      if (parsed.source !== 's3') throw new Error('not an s3 pattern');
      const consumer = loadStackConsumer(template);
      const sentAtMs = 1_767_225_600_123;
      const ids = [0, 1, 2, 3, 17];
      const Records = ids.map((id) => ({
        eventTime: new Date(sentAtMs).toISOString(),
        // S3 URL-encodes keys in its events.
        s3: { object: { key: encodeURIComponent(remoteObjectKeyFor(parsed, id, `key-${id}`, sentAtMs)).replace(/%2F/g, '/') } },
      }));
      await consumer.handler({ Records });
      expect(consumer.sent.map((record) => [record.eventId, record.sentAtMs])).toEqual(ids.map((id) => [id, sentAtMs]));
    });

    it('says when the notification filter leaves out every key the driver writes to a managed stack', () => {
      // The shipped scenario filters on incoming/ and .json; its keys carry both on a managed stack too.
      const shipped = buildYaml(readFileSync(join(scenariosDir, 's3-basic.yaml'), 'utf8'));
      expect(shipped.Metadata.sluice.notes.join('\n')).not.toMatch(/notification filter/);
      const nothingMatches = build({ source: 's3', prefixes: ['archive/'], notification: { prefix: 'incoming/' } });
      expect(nothingMatches.Metadata.sluice.notes.join('\n')).toMatch(/notification filter prefix incoming\/: .*none matches/);
      expect(build(cases.s3).Metadata.sluice.notes.join('\n')).not.toMatch(/notification filter/);
      const removedOnly = build({ source: 's3', notification: { events: ['s3:ObjectRemoved:*'] } });
      expect(removedOnly.Metadata.sluice.notes.join('\n')).toMatch(/none covers s3:ObjectCreated:Put/);
    });
  });

  describe('apigateway', () => {
    it('creates an HTTP API route for the method and path, with stage throttling and the integration timeout', () => {
      const template = build(cases['apigateway-http']);
      expect(props(template, 'HttpApi')).toMatchObject({ ProtocolType: 'HTTP' });
      expect(props(template, 'HttpApiIntegration')).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0', TimeoutInMillis: 10_000 });
      expect(props(template, 'HttpApiRoute').RouteKey).toBe('PUT /v1/orders');
      expect(props(template, 'HttpApiStage')).toMatchObject({
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: { ThrottlingRateLimit: 500, ThrottlingBurstLimit: 100 },
      });
      expect(template.Outputs[stackOutputKeys.apiUrl]!.Value).toEqual({ 'Fn::Sub': '${HttpApi.ApiEndpoint}/v1/orders' });
      expect(template.Outputs[stackOutputKeys.stageName]!.Value).toBe('$default');
    });

    it('serves a named HTTP API stage under its name', () => {
      const template = build({ source: 'apigateway', stage: 'v2' });
      expect(props(template, 'HttpApiStage').StageName).toBe('v2');
      expect(template.Outputs[stackOutputKeys.apiUrl]!.Value).toEqual({ 'Fn::Sub': '${HttpApi.ApiEndpoint}/v2/events' });
    });

    it('takes the schema’s defaults: POST /events, the account-level throttle, a 29 s integration timeout', () => {
      const template = build({ source: 'apigateway' });
      expect(props(template, 'HttpApiRoute').RouteKey).toBe('POST /events');
      expect(props(template, 'HttpApiStage').DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 10_000, ThrottlingBurstLimit: 5_000 });
      expect(props(template, 'HttpApiIntegration').TimeoutInMillis).toBe(29_000);
    });

    it('refuses an HTTP API integration timeout above 30 s and accepts 30 s', () => {
      expect(() => build({ source: 'apigateway', integrationTimeout: 31 })).toThrow(/integrationTimeout: 31s is above the 30s an HTTP API integration allows/);
      expect(props(build({ source: 'apigateway', integrationTimeout: 30 }), 'HttpApiIntegration').TimeoutInMillis).toBe(30_000);
    });

    it('creates a REST API with one resource per path segment, the method, stage throttling and the integration timeout', () => {
      const template = build(cases['apigateway-rest']);
      expect(props(template, 'RestApiResource1')).toEqual({ RestApiId: { Ref: 'RestApi' }, ParentId: { 'Fn::GetAtt': ['RestApi', 'RootResourceId'] }, PathPart: 'v1' });
      expect(props(template, 'RestApiResource2')).toEqual({ RestApiId: { Ref: 'RestApi' }, ParentId: { Ref: 'RestApiResource1' }, PathPart: 'orders' });
      expect(props(template, 'RestApiMethod')).toMatchObject({
        ResourceId: { Ref: 'RestApiResource2' },
        HttpMethod: 'POST',
        Integration: { Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST', TimeoutInMillis: 10_000 },
      });
      expect(props(template, 'RestApiStage')).toMatchObject({
        StageName: 'live',
        MethodSettings: [{ ResourcePath: '/*', HttpMethod: '*', ThrottlingRateLimit: 500, ThrottlingBurstLimit: 100 }],
      });
      expect(template.Resources.RestApiDeployment!.DependsOn).toEqual(['RestApiMethod']);
      expect((props(template, 'ApiPermission').SourceArn as { 'Fn::Sub': string })['Fn::Sub']).toMatch(/\$\{RestApi\}\/\*\/POST\/v1\/orders$/);
      expect(template.Outputs[stackOutputKeys.apiUrl]!.Value).toEqual({ 'Fn::Sub': 'https://${RestApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/live/v1/orders' });
      expect(template.Outputs[stackOutputKeys.stageName]!.Value).toBe('live');
    });

    it('puts a REST method on the root for path /, with the stage sluice’s own gateway uses by default', () => {
      const template = build({ source: 'apigateway', type: 'rest', method: 'GET', path: '/' });
      expect(resourcesOfType(template, 'AWS::ApiGateway::Resource')).toHaveLength(0);
      expect(props(template, 'RestApiMethod')).toMatchObject({ ResourceId: { 'Fn::GetAtt': ['RestApi', 'RootResourceId'] }, HttpMethod: 'GET' });
      expect(props(template, 'RestApiStage').StageName).toBe('prod');
      expect(template.Outputs[stackOutputKeys.apiUrl]!.Value).toEqual({ 'Fn::Sub': 'https://${RestApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/prod/' });
    });

    it('notes a REST integration timeout that needs a raised quota', () => {
      const template = build({ source: 'apigateway', type: 'rest', integrationTimeout: 60 });
      expect(props(template, 'RestApiMethod')).toMatchObject({ Integration: { TimeoutInMillis: 60_000 } });
      expect(template.Metadata.sluice.notes.join('\n')).toMatch(/quota raised/);
    });

    it('refuses what API Gateway cannot route: an empty path segment, a stage name it does not allow', () => {
      expect(() => build({ source: 'apigateway', path: '/events/' })).toThrow(/empty segment/);
      expect(() => build({ source: 'apigateway', type: 'rest', stage: '$default' })).toThrow(/not a REST API stage name/);
      expect(() => build({ source: 'apigateway', type: 'http', stage: 'a$b' })).toThrow(/not a HTTP API stage name/);
    });
  });

  describe('function spec', () => {
    const fnOverrides = {
      function: {
        memoryMb: 512,
        architecture: 'x86_64',
        timeout: 10,
        reservedConcurrency: 50,
        provisionedConcurrency: 5,
        initDuration: '300ms',
        handler: { duration: { p50: '20ms', p99: '200ms' }, errorRate: 0.01 },
      },
    };

    it('maps memory, architecture, timeout, reserved concurrency and the handler settings', () => {
      const template = build({ source: 'sqs' }, fnOverrides);
      const fn = props(template, 'ConsumerFunction');
      expect(fn).toMatchObject({ MemorySize: 512, Architectures: ['x86_64'], Timeout: 10, ReservedConcurrentExecutions: 50 });
      expect((fn.Environment as { Variables: Record<string, string> }).Variables).toMatchObject({
        SLUICE_DURATION: JSON.stringify({ kind: 'lognormal', p50Ms: 20, p99Ms: 200 }),
        SLUICE_ERROR_RATE: '0.01',
        SLUICE_INIT_MS: '300',
      });
    });

    it('points every source at an alias with provisioned concurrency when asked', () => {
      for (const pattern of Object.values(cases)) {
        const template = build(pattern, fnOverrides);
        expect(props(template, 'ConsumerAlias')).toMatchObject({
          FunctionVersion: { 'Fn::GetAtt': ['ConsumerVersion', 'Version'] },
          ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 5 },
        });
        const text = JSON.stringify(template);
        // Nothing invokes the unqualified function: the mapping, targets, permissions and integrations use the alias.
        for (const type of ['AWS::Lambda::EventSourceMapping', 'AWS::Lambda::Permission', 'AWS::Events::Rule', 'AWS::ApiGatewayV2::Integration', 'AWS::ApiGateway::Method', 'AWS::S3::Bucket']) {
          for (const [, resource] of resourcesOfType(template, type)) {
            expect(JSON.stringify(resource.Properties)).not.toMatch(/"ConsumerFunction"/);
          }
        }
        expect(text).toMatch(/"Ref":"ConsumerAlias"/);
        const invokeConfig = template.Resources.ConsumerEventInvokeConfig;
        if (invokeConfig) expect(invokeConfig.Properties.Qualifier).toBe('live');
      }
    });

    it('refuses a module handler unless the pattern names a function', () => {
      const moduleHandler = { function: { handler: { type: 'module', module: './handlers/orders.ts#handler' } } };
      expect(() => build({ source: 'sqs' }, moduleHandler)).toThrow(/module handler .* cannot be deployed inline/);
      expect(() => build({ source: 'kinesis', functionName: 'orders-consumer' }, moduleHandler)).not.toThrow();
    });

    it('takes another Lambda runtime when asked', () => {
      const { scenario, pattern } = scenarioFor({ source: 'sqs' });
      expect(buildStackTemplate(scenario, pattern, pieceFor(pattern), runId, { lambdaRuntime: 'nodejs24.x' }).Resources.ConsumerFunction!.Properties.Runtime).toBe('nodejs24.x');
    });
  });

  describe('bring your own', () => {
    const queueUrl = 'https://sqs.eu-west-1.amazonaws.com/123456789012/orders';
    const inEuWest1 = { region: 'eu-west-1' };

    it('creates no queue for a queueUrl: the synthetic consumer, its sink and a mapping of your queue', () => {
      const template = build({ source: 'sqs', queueUrl }, inEuWest1);
      expect(Object.keys(template.Resources).sort()).toEqual(['ConsumerFunction', 'ConsumerLogGroup', 'ConsumerRole', 'SinkQueue', 'SourceEventSourceMapping']);
      expect(props(template, 'SourceEventSourceMapping').EventSourceArn).toEqual({ 'Fn::Sub': 'arn:${AWS::Partition}:sqs:eu-west-1:123456789012:orders' });
      expect(props(template, 'SourceEventSourceMapping').FunctionName).toEqual({ 'Fn::GetAtt': ['ConsumerFunction', 'Arn'] });
      expect(template.Outputs[stackOutputKeys.queueUrl]!.Value).toBe(queueUrl);
      expect(template.Metadata.sluice).toMatchObject({ consumer: 'synthetic', bringYourOwn: [{ field: 'queueUrl', value: queueUrl }] });
      // The role may read your queue, and only it.
      const statements = (props(template, 'ConsumerRole').Policies as Array<{ PolicyDocument: { Statement: Array<{ Action: string[]; Resource: unknown }> } }>)[0]!.PolicyDocument.Statement;
      expect(statements.find((statement) => statement.Action.includes('sqs:ReceiveMessage'))?.Resource).toEqual({ 'Fn::Sub': 'arn:${AWS::Partition}:sqs:eu-west-1:123456789012:orders' });
      expect(template.Metadata.sluice.notes.join('\n')).toMatch(/visibilityTimeout and maxReceiveCount describe a queue sluice creates/);
    });

    it('takes a FIFO queue of yours with fifo: true', () => {
      const template = build({ source: 'sqs', queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/orders.fifo', fifo: true });
      expect(template.Resources.SourceQueue).toBeUndefined();
      expect(props(template, 'SourceEventSourceMapping').EventSourceArn).toEqual({ 'Fn::Sub': 'arn:${AWS::Partition}:sqs:us-east-1:123456789012:orders.fifo' });
    });

    it('creates no function, role, log group or sink for a functionName and wires the named function', () => {
      const template = build({ source: 'kinesis', functionName: 'orders-consumer' });
      for (const id of ['ConsumerFunction', 'ConsumerRole', 'ConsumerLogGroup', 'SinkQueue']) expect(template.Resources[id], id).toBeUndefined();
      expect(template.Outputs[stackOutputKeys.sinkQueueUrl]).toBeUndefined();
      expect(props(template, 'SourceEventSourceMapping').FunctionName).toEqual({
        'Fn::Sub': 'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:orders-consumer',
      });
      expect(template.Metadata.sluice.consumer).toBe('yours');
      expect(template.Metadata.sluice.notes.join('\n')).toMatch(/writes no completion records/);
      expect(templateCreatesResources(template)).toBe(true);
    });

    it('wires a function named by ARN or with an alias as written', () => {
      const arn = 'arn:aws:lambda:us-east-1:123456789012:function:orders-consumer:live';
      expect(props(build({ source: 'sqs', functionName: arn }), 'SourceEventSourceMapping').FunctionName).toBe(arn);
      expect(props(build({ source: 'eventbridge', functionName: 'orders-consumer:live' }), 'SourceRule1').Targets).toMatchObject([
        { Arn: { 'Fn::Sub': 'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:orders-consumer:live' } },
      ]);
    });

    it.each([
      ['sqs', { queueUrl }],
      ['kinesis', { streamName: 'orders' }],
      ['eventbridge', { busName: 'orders' }],
      ['s3', { bucket: 'orders-bucket' }],
      ['apigateway', { apiUrl: 'https://abc1234567.execute-api.us-east-1.amazonaws.com/events' }],
    ] as const)('%s: creates and wires nothing when the source and the function are both yours (no stack)', (source, own) => {
      const template = build({ source, ...own, functionName: 'orders-consumer' }, inEuWest1);
      expect(template.Resources).toEqual({});
      expect(templateCreatesResources(template)).toBe(false);
      expect(template.Metadata.sluice.consumer).toBe('yours');
      expect(template.Metadata.sluice.bringYourOwn.map((own) => own.field).sort()).toEqual([Object.keys(own)[0], 'functionName'].sort());
      expect(template.Metadata.sluice.notes.join('\n')).toMatch(/both yours: sluice creates and wires nothing \(no stack is deployed\)/);
    });

    it('creates nothing for a bucket or an API it cannot wire, and says so', () => {
      for (const pattern of [
        { source: 's3', bucket: 'my-bucket' },
        { source: 'apigateway', apiUrl: 'https://abc1234567.execute-api.us-east-1.amazonaws.com/events' },
      ]) {
        const template = build(pattern);
        expect(template.Resources).toEqual({});
        expect(template.Metadata.sluice.consumer).toBe('none');
        expect(template.Metadata.sluice.notes.join('\n')).toMatch(/cannot change: sluice creates nothing/);
      }
    });

    it('creates rules on an existing bus and streams from an existing stream', () => {
      const bus = build({ source: 'eventbridge', busName: 'orders-bus' });
      expect(bus.Resources.SourceEventBus).toBeUndefined();
      expect(props(bus, 'SourceRule1').EventBusName).toBe('orders-bus');
      expect(bus.Resources.SinkQueue).toBeDefined();
      const stream = build({ source: 'kinesis', streamName: 'orders-stream' });
      expect(stream.Resources.SourceStream).toBeUndefined();
      expect(props(stream, 'SourceEventSourceMapping').EventSourceArn).toEqual({
        'Fn::Sub': 'arn:${AWS::Partition}:kinesis:${AWS::Region}:${AWS::AccountId}:stream/orders-stream',
      });
    });

    it('refuses a queue or function of another region, which the run’s region cannot reach', () => {
      expect(() => build({ source: 'sqs', queueUrl })).toThrow(/queueUrl: your queue is in eu-west-1, the run in us-east-1/);
      expect(() => build({ source: 'kinesis', functionName: 'arn:aws:lambda:eu-west-1:123456789012:function:orders' })).toThrow(/functionName: your function is in eu-west-1, the run in us-east-1/);
    });

    it('refuses a queueUrl code passes that is not a queue URL', () => {
      const { scenario, pattern } = scenarioFor({ source: 'sqs' });
      const raw = { ...(pattern as SqsPattern), queueUrl: 'orders' };
      expect(() => buildStackTemplate(scenario, raw, sqsAwsStack, runId)).toThrow(AwsTemplateError);
    });

    describe('the outputs your resources give a run', () => {
      it('names each source by the output key the drivers read', () => {
        expect(ownOutputs(scenarioFor({ source: 'sqs', queueUrl }, inEuWest1).pattern)).toEqual({ QueueUrl: queueUrl, QueueName: 'orders' });
        expect(ownOutputs(scenarioFor({ source: 'kinesis', streamName: 'orders' }).pattern)).toEqual({ StreamName: 'orders' });
        expect(ownOutputs(scenarioFor({ source: 'eventbridge', busName: 'orders' }).pattern)).toEqual({ EventBusName: 'orders' });
        expect(ownOutputs(scenarioFor({ source: 's3', bucket: 'orders-bucket' }).pattern)).toEqual({ BucketName: 'orders-bucket' });
        expect(ownOutputs(scenarioFor({ source: 'sqs' }).pattern)).toEqual({});
      });

      it('gives the bare function name CloudWatch measures, whatever form the pattern used', () => {
        for (const functionName of ['orders-consumer', 'orders-consumer:live', 'arn:aws:lambda:us-east-1:123456789012:function:orders-consumer:7']) {
          expect(ownOutputs(scenarioFor({ source: 'kinesis', functionName }).pattern)).toEqual({ FunctionName: 'orders-consumer' });
        }
      });

      it('reads an HTTP API’s id from its execute-api URL, and nothing a REST API’s metrics need', () => {
        const apiUrl = 'https://abc1234567.execute-api.us-east-1.amazonaws.com/events';
        expect(ownOutputs(scenarioFor({ source: 'apigateway', apiUrl }).pattern)).toEqual({ ApiUrl: apiUrl, ApiId: 'abc1234567', StageName: '$default' });
        expect(ownOutputs(scenarioFor({ source: 'apigateway', apiUrl, stage: 'live' }).pattern)).toMatchObject({ StageName: 'live' });
        expect(ownOutputs(scenarioFor({ source: 'apigateway', type: 'rest', apiUrl: 'https://abc1234567.execute-api.us-east-1.amazonaws.com/prod/events' }).pattern)).toEqual({
          ApiUrl: 'https://abc1234567.execute-api.us-east-1.amazonaws.com/prod/events',
        });
        expect(ownOutputs(scenarioFor({ source: 'apigateway', apiUrl: 'https://api.example.com/events' }).pattern)).toEqual({ ApiUrl: 'https://api.example.com/events' });
      });
    });
  });

  describe('names', () => {
    it('builds valid stack names of at most 128 characters', () => {
      expect(stackNameFor('orders', 'sqs', runId)).toBe(`sluice-orders-sqs-${runId}`);
      const long = stackNameFor('a'.repeat(63), 'p'.repeat(64), 'R'.repeat(60));
      expect(long.length).toBeLessThanOrEqual(128);
      expect(long).toMatch(/^[a-zA-Z][-a-zA-Z0-9]*$/);
    });

    it('keeps physical names within each service’s limit for long run ids and pattern names', () => {
      const { scenario, pattern } = scenarioFor({ source: 'sqs', name: 'p'.repeat(64), fifo: true });
      const template = buildStackTemplate(scenario, pattern, pieceFor(pattern), 'x'.repeat(128));
      expect(String(props(template, 'ConsumerFunction').FunctionName).length).toBeLessThanOrEqual(64);
      expect(String(props(template, 'SourceQueue').QueueName).length).toBeLessThanOrEqual(80);
      expect(String(props(template, 'SourceQueue').QueueName)).toMatch(/\.fifo$/);
      const eventbridge = scenarioFor({ source: 'eventbridge', name: 'e'.repeat(64), rules: [{ name: 'r'.repeat(40), eventPattern: { source: ['x'] } }] });
      const rules = buildStackTemplate(eventbridge.scenario, eventbridge.pattern, pieceFor(eventbridge.pattern), 'x'.repeat(128));
      expect(String(props(rules, 'SourceRule1').Name).length).toBeLessThanOrEqual(64);
    });

    it('rejects a run id that cannot be a tag value', () => {
      const { scenario, pattern } = scenarioFor({ source: 'sqs' });
      expect(() => buildStackTemplate(scenario, pattern, pieceFor(pattern), 'run id with spaces?')).toThrow(/runId/);
    });
  });

  describe('pattern settings', () => {
    it('reads the parsed pattern, its defaults and milliseconds', () => {
      expect(scenarioFor({ source: 'kinesis', mode: 'on-demand' }).pattern).toMatchObject({ streamMode: 'on-demand', shards: 4, batchSize: 100, parallelizationFactor: 1, startingPosition: 'TRIM_HORIZON', maximumRetryAttempts: -1 });
      const rest = scenarioFor({ source: 'apigateway', type: 'rest' }).pattern as ApiGatewayPattern;
      expect(rest).toMatchObject({ type: 'rest', method: 'POST', path: '/events', integrationTimeout: 29_000 });
      expect(pathSegmentsOf(rest.path)).toEqual(['events']);
      expect(apiGatewayStageOf(rest)).toBe('prod');
      expect(scenarioFor({ source: 's3' }).pattern).toMatchObject({ notification: { events: ['s3:ObjectCreated:*'] } });
      expect(scenarioFor({ source: 'sqs', visibilityTimeout: 45 }).pattern).toMatchObject({ visibilityTimeout: 45_000 });
    });

    it('refuses a pattern the schema has not parsed, which it would misread by a factor of 1000', () => {
      // Each piece reads its schema's parsed type, so a raw pattern does not type-check.
      expectTypeOf<{ source: 'sqs'; visibilityTimeout: '30s' }>().not.toExtend<SqsPattern>();
      expectTypeOf<{ source: 'kinesis'; mode: 'on-demand' }>().not.toExtend<KinesisPattern>();
      expectTypeOf<{ source: 'eventbridge'; fanOut: 2 }>().not.toExtend<EventBridgePattern>();
      expectTypeOf<{ source: 's3'; prefix: 'in/' }>().not.toExtend<S3Pattern>();
      expectTypeOf<{ source: 'apigateway'; throttle: { rate: 5 } }>().not.toExtend<ApiGatewayPattern>();
    });

    it('refuses a pattern of another source than its piece', () => {
      const { scenario } = scenarioFor({ source: 'sqs' });
      expect(() => buildStackTemplate(scenario, { source: 'sns' } as unknown as SqsPattern, sqsAwsStack, runId)).toThrow(/not a source the aws target can build/);
    });
  });
});
