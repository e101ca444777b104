import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { scenarioSchema, type Scenario, type ScenarioInput } from '../../scenario/schema.ts';
import { syntheticConsumerCode } from '../../localstack/aws/consumer-code.ts';
import { AwsTemplateError } from '../../localstack/aws/errors.ts';
import { normalizePattern, type PatternLike } from '../../localstack/aws/pattern-settings.ts';
import {
  buildStackTemplate,
  defaultLambdaRuntime,
  sourceTemplateGenerators,
  stackNameFor,
  stackOutputKeys,
  tagStyleByResourceType,
  type StackTemplate,
} from '../../localstack/aws/template.ts';
import { templateBodyMaxBytes } from '../../localstack/aws/stack.ts';

const goldenDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'golden', 'aws');
const runId = 'r20260101t120000z-ab12';

/** A validated scenario with one pattern; patterns whose schema has not landed are set in after validation. */
function scenarioFor(pattern: Record<string, unknown>, overrides: Partial<ScenarioInput> = {}): { scenario: Scenario; pattern: PatternLike } {
  const base: ScenarioInput = {
    name: 'orders',
    workload: { phases: [{ duration: 60, arrivalRate: 100 }] },
    patterns: [pattern.source === 'sqs' ? (pattern as ScenarioInput['patterns'][number]) : { source: 'sqs' }],
    ...overrides,
  };
  const scenario = scenarioSchema.parse(base);
  if (pattern.source === 'sqs') return { scenario, pattern: scenario.patterns[0] };
  const raw = pattern as unknown as Scenario['patterns'][number];
  return { scenario: { ...scenario, patterns: [raw] }, pattern: raw };
}

const cases = {
  sqs: { source: 'sqs', batchSize: 100, maximumBatchingWindow: '2s', maximumConcurrency: 50, visibilityTimeout: 60, maxReceiveCount: 5 },
  'sqs-fifo': { source: 'sqs', fifo: true, messageGroups: 8, batchSize: 10 },
  kinesis: {
    source: 'kinesis',
    shards: 4,
    parallelizationFactor: 2,
    batchSize: 500,
    maximumBatchingWindow: 1000,
    maximumRetryAttempts: 3,
    maximumRecordAge: 3_600_000,
    bisectBatchOnFunctionError: true,
  },
  'kinesis-on-demand': { source: 'kinesis', mode: 'on-demand', startingPosition: 'LATEST', reportBatchItemFailures: true },
  eventbridge: {
    source: 'eventbridge',
    rules: [{ name: 'orders', eventPattern: { source: ['sluice.load'], 'detail-type': ['order'] } }],
    fanOut: 2,
    maximumRetryAttempts: 5,
    maximumEventAge: 120_000,
    asyncMaximumRetryAttempts: 0,
  },
  s3: { source: 's3', prefix: 'in/', suffix: '.json' },
  'apigateway-http': { source: 'apigateway', type: 'http', throttle: { rate: 500, burst: 100 } },
  'apigateway-rest': { source: 'apigateway', type: 'rest', throttle: { rate: 500, burst: 100 } },
} as const;

function build(pattern: Record<string, unknown>, overrides: Partial<ScenarioInput> = {}): StackTemplate {
  const { scenario, pattern: p } = scenarioFor(pattern, overrides);
  return buildStackTemplate(scenario, p, runId);
}

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

/** The template with the inline code replaced by its hash, so golden files stay readable. */
function forGolden(template: StackTemplate): unknown {
  const hash = createHash('sha256').update(syntheticConsumerCode).digest('hex').slice(0, 16);
  return JSON.parse(JSON.stringify(template).replaceAll(JSON.stringify(syntheticConsumerCode), JSON.stringify(`<syntheticConsumerCode sha256:${hash}>`)));
}

describe('aws stack template', () => {
  describe.each(Object.entries(cases))('%s', (caseName, pattern) => {
    const template = build(pattern);

    it('tags every taggable resource with the run id, scenario and pattern, and no other', () => {
      for (const [logicalId, resource] of Object.entries(template.Resources)) {
        const style = (tagStyleByResourceType as Record<string, string>)[resource.Type];
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
      const fn = template.Resources.ConsumerFunction.Properties;
      expect(fn.Code).toEqual({ ZipFile: syntheticConsumerCode });
      expect(fn.Runtime).toBe(defaultLambdaRuntime);
      expect(fn.Handler).toBe('index.handler');
      expect((fn.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({
        SLUICE_SOURCE: pattern.source,
        SLUICE_SINK_QUEUE_URL: { Ref: 'SinkQueue' },
        SLUICE_RUN_ID: runId,
      });
      expect(template.Resources.SinkQueue.Type).toBe('AWS::SQS::Queue');
      expect(template.Outputs[stackOutputKeys.sinkQueueUrl].Value).toEqual({ Ref: 'SinkQueue' });
      expect(template.Metadata.sluice).toMatchObject({ runId, scenario: 'orders', source: pattern.source, consumer: 'synthetic', bringYourOwn: [] });
    });

    it('grants the consumer role only actions on resources of this stack', () => {
      const policies = template.Resources.ConsumerRole.Properties.Policies as Array<{ PolicyDocument: { Statement: Array<{ Action: string[]; Resource: unknown }> } }>;
      const statements = policies[0].PolicyDocument.Statement;
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
      const actual = `${JSON.stringify(forGolden(template), null, 2)}\n`;
      if (!existsSync(file) || process.env.SLUICE_UPDATE_GOLDEN === '1') {
        mkdirSync(goldenDir, { recursive: true });
        writeFileSync(file, actual);
      }
      expect(actual).toBe(readFileSync(file, 'utf8'));
    });
  });

  it('has one generator per source', () => {
    expect(Object.keys(sourceTemplateGenerators).sort()).toEqual(['apigateway', 'eventbridge', 'kinesis', 's3', 'sqs']);
  });

  describe('sqs', () => {
    it('maps the pattern to the queue, its DLQ and the event source mapping', () => {
      const template = build(cases.sqs);
      const queue = template.Resources.SourceQueue.Properties;
      expect(queue.VisibilityTimeout).toBe(60);
      expect(queue.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': ['SourceDeadLetterQueue', 'Arn'] }, maxReceiveCount: 5 });
      expect(queue.FifoQueue).toBeUndefined();
      const mapping = template.Resources.SourceEventSourceMapping.Properties;
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

    it('makes a FIFO queue and DLQ with high-throughput mode when asked', () => {
      const template = build(cases['sqs-fifo']);
      const queue = template.Resources.SourceQueue.Properties;
      expect(queue).toMatchObject({ FifoQueue: true, ContentBasedDeduplication: true, FifoThroughputLimit: 'perMessageGroupId' });
      expect(String(queue.QueueName)).toMatch(/\.fifo$/);
      expect(String(template.Resources.SourceDeadLetterQueue.Properties.QueueName)).toMatch(/\.fifo$/);
      expect(template.Resources.SourceDeadLetterQueue.Properties.FifoQueue).toBe(true);
    });

    it('grants exactly what the SQS poller needs', () => {
      const template = build(cases.sqs);
      const statements = (template.Resources.ConsumerRole.Properties.Policies as Array<{ PolicyDocument: { Statement: Array<{ Action: string[]; Resource: unknown }> } }>)[0]
        .PolicyDocument.Statement;
      expect(statements).toContainEqual({ Effect: 'Allow', Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'], Resource: { 'Fn::GetAtt': ['SourceQueue', 'Arn'] } });
      expect(statements).toContainEqual({ Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: { 'Fn::GetAtt': ['SinkQueue', 'Arn'] } });
    });

    it('refuses a visibility timeout shorter than the function timeout, as AWS would', () => {
      expect(() => build({ source: 'sqs', visibilityTimeout: 10 }, { function: { timeout: 30 } })).toThrow(AwsTemplateError);
      expect(() => build({ source: 'sqs', visibilityTimeout: 10 }, { function: { timeout: 30 } })).toThrow(/visibilityTimeout: 10s is shorter than the function timeout 30s/);
    });

    it('refuses a batching window on a FIFO queue', () => {
      expect(() => build({ source: 'sqs', fifo: true, maximumBatchingWindow: 1 })).toThrow(/FIFO queues do not support a batching window/);
    });
  });

  describe('kinesis', () => {
    it('maps shards and every stream mapping setting', () => {
      const template = build(cases.kinesis);
      expect(template.Resources.SourceStream.Properties).toMatchObject({ ShardCount: 4, StreamModeDetails: { StreamMode: 'PROVISIONED' } });
      expect(template.Resources.SourceEventSourceMapping.Properties).toMatchObject({
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

    it('makes an on-demand stream without a shard count', () => {
      const template = build(cases['kinesis-on-demand']);
      expect(template.Resources.SourceStream.Properties.StreamModeDetails).toEqual({ StreamMode: 'ON_DEMAND' });
      expect(template.Resources.SourceStream.Properties.ShardCount).toBeUndefined();
      expect(template.Resources.SourceEventSourceMapping.Properties).toMatchObject({
        StartingPosition: 'LATEST',
        MaximumRetryAttempts: -1,
        MaximumRecordAgeInSeconds: -1,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
      expect(template.Metadata.sluice.notes.join('\n')).toMatch(/LATEST/);
    });

    it('lists every invalid setting at once', () => {
      try {
        build({ source: 'kinesis', parallelizationFactor: 11, batchSize: 0, startingPosition: 'AT_NOON' });
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(AwsTemplateError);
        const problems = (error as AwsTemplateError).problems.join('\n');
        expect(problems).toMatch(/parallelizationFactor: must be between 1 and 10/);
        expect(problems).toMatch(/batchSize: must be between 1 and 10000/);
        expect(problems).toMatch(/startingPosition: must be one of/);
        expect((error as AwsTemplateError).code).toBe('SLUICE_AWS_TEMPLATE');
      }
    });
  });

  describe('eventbridge', () => {
    it('creates a bus, one rule per fan-out copy with a Lambda target, permission and DLQ', () => {
      const template = build(cases.eventbridge);
      expect(resourcesOfType(template, 'AWS::Events::EventBus')).toHaveLength(1);
      const rules = resourcesOfType(template, 'AWS::Events::Rule');
      expect(rules).toHaveLength(2);
      for (const [id, rule] of rules) {
        expect(rule.Properties.EventPattern).toEqual({ source: ['sluice.load'], 'detail-type': ['order'] });
        expect(rule.Properties.EventBusName).toEqual({ Ref: 'SourceEventBus' });
        expect(rule.Properties.Targets).toEqual([
          {
            Id: 'sluice-consumer',
            Arn: { 'Fn::GetAtt': ['ConsumerFunction', 'Arn'] },
            RetryPolicy: { MaximumRetryAttempts: 5, MaximumEventAgeInSeconds: 120 },
            DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['FailureQueue', 'Arn'] } },
          },
        ]);
        expect(template.Resources[`${id}Permission`].Properties).toMatchObject({ Principal: 'events.amazonaws.com', SourceArn: { 'Fn::GetAtt': [id, 'Arn'] } });
      }
      expect(template.Resources.FailureQueuePolicy.Properties.PolicyDocument).toMatchObject({ Statement: [{ Principal: { Service: 'events.amazonaws.com' } }] });
      expect(template.Resources.ConsumerEventInvokeConfig.Properties).toMatchObject({
        Qualifier: '$LATEST',
        MaximumRetryAttempts: 0,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['FailureQueue', 'Arn'] } } },
      });
      expect(String(template.Outputs[stackOutputKeys.ruleNames].Value).split(',')).toHaveLength(2);
    });

    it('uses the default rule matching sluice’s own events when none is given', () => {
      const template = build({ source: 'eventbridge' });
      expect(template.Resources.SourceRule1.Properties.EventPattern).toEqual({ source: ['sluice.load'] });
    });
  });

  describe('s3', () => {
    it('breaks the bucket–permission cycle the documented way', () => {
      const template = build(cases.s3);
      const bucket = template.Resources.SourceBucket;
      const permission = template.Resources.SourceBucketPermission;
      expect(bucket.DependsOn).toEqual(['SourceBucketPermission']);
      expect(referencesOf(permission.Properties).has('SourceBucket')).toBe(false);
      expect(permission.Properties).toMatchObject({ Principal: 's3.amazonaws.com', SourceAccount: { Ref: 'AWS::AccountId' } });
      const bucketName = (bucket.Properties.BucketName as { 'Fn::Sub': string })['Fn::Sub'];
      expect((permission.Properties.SourceArn as { 'Fn::Sub': string })['Fn::Sub']).toBe(`arn:\${AWS::Partition}:s3:::${bucketName}`);
      expect(bucketName.replace('${AWS::AccountId}', '123456789012').replace('${AWS::Region}', 'ap-southeast-2').length).toBeLessThanOrEqual(63);
      expect(bucket.Properties.NotificationConfiguration).toEqual({
        LambdaConfigurations: [
          {
            Event: 's3:ObjectCreated:*',
            Function: { 'Fn::GetAtt': ['ConsumerFunction', 'Arn'] },
            Filter: { S3Key: { Rules: [{ Name: 'prefix', Value: 'in/' }, { Name: 'suffix', Value: '.json' }] } },
          },
        ],
      });
      expect(template.Resources.ConsumerFunction.Properties.Environment).toMatchObject({ Variables: { SLUICE_S3_SUFFIX: '.json' } });
    });
  });

  describe('apigateway', () => {
    it('creates an HTTP API with a Lambda proxy route and stage throttling', () => {
      const template = build(cases['apigateway-http']);
      expect(template.Resources.HttpApi.Properties).toMatchObject({ ProtocolType: 'HTTP' });
      expect(template.Resources.HttpApiIntegration.Properties).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
      expect(template.Resources.HttpApiRoute.Properties.RouteKey).toBe('POST /events');
      expect(template.Resources.HttpApiStage.Properties).toMatchObject({
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: { ThrottlingRateLimit: 500, ThrottlingBurstLimit: 100 },
      });
      expect(template.Outputs[stackOutputKeys.apiUrl].Value).toEqual({ 'Fn::Sub': '${HttpApi.ApiEndpoint}/events' });
    });

    it('creates a REST API with a Lambda proxy method and stage method throttling', () => {
      const template = build(cases['apigateway-rest']);
      expect(template.Resources.RestApiMethod.Properties).toMatchObject({ HttpMethod: 'POST', Integration: { Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' } });
      expect(template.Resources.RestApiStage.Properties.MethodSettings).toEqual([{ ResourcePath: '/*', HttpMethod: '*', ThrottlingRateLimit: 500, ThrottlingBurstLimit: 100 }]);
      expect(template.Resources.RestApiDeployment.DependsOn).toEqual(['RestApiMethod']);
    });

    it('leaves the account throttle in place when the pattern sets none', () => {
      const template = build({ source: 'apigateway' });
      expect(template.Resources.HttpApiStage.Properties.DefaultRouteSettings).toBeUndefined();
    });
  });

  describe('function spec', () => {
    const fnOverrides: Partial<ScenarioInput> = {
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
      const fn = template.Resources.ConsumerFunction.Properties;
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
        expect(template.Resources.ConsumerAlias.Properties).toMatchObject({
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
      }
    });

    it('refuses a module handler unless the pattern names a function', () => {
      const moduleHandler: Partial<ScenarioInput> = { function: { handler: { type: 'module', module: './handlers/orders.ts#handler' } } };
      expect(() => build({ source: 'sqs' }, moduleHandler)).toThrow(/module handler .* cannot be deployed inline/);
      expect(() => build({ source: 'kinesis', functionName: 'orders-consumer' }, moduleHandler)).not.toThrow();
    });

    it('takes another Lambda runtime when asked', () => {
      const { scenario, pattern } = scenarioFor({ source: 'sqs' });
      expect(buildStackTemplate(scenario, pattern, runId, { lambdaRuntime: 'nodejs24.x' }).Resources.ConsumerFunction.Properties.Runtime).toBe('nodejs24.x');
    });
  });

  describe('bring your own', () => {
    it('creates no queue for a queueUrl and maps the existing queue', () => {
      const { scenario } = scenarioFor({ source: 'sqs' });
      const pattern = { source: 'sqs', queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/orders' } as unknown as Scenario['patterns'][number];
      const template = buildStackTemplate({ ...scenario, patterns: [pattern] }, pattern, runId);
      expect(template.Resources.SourceQueue).toBeUndefined();
      expect(template.Resources.SourceDeadLetterQueue).toBeUndefined();
      expect(template.Resources.SourceEventSourceMapping.Properties.EventSourceArn).toEqual({ 'Fn::Sub': 'arn:${AWS::Partition}:sqs:eu-west-1:123456789012:orders' });
      expect(template.Outputs[stackOutputKeys.queueUrl].Value).toBe('https://sqs.eu-west-1.amazonaws.com/123456789012/orders');
      expect(template.Metadata.sluice.bringYourOwn).toEqual([{ field: 'queueUrl', value: 'https://sqs.eu-west-1.amazonaws.com/123456789012/orders' }]);
    });

    it('creates no function, role or log group for a functionName and wires the named function', () => {
      const template = build({ source: 'kinesis', functionName: 'orders-consumer' });
      for (const id of ['ConsumerFunction', 'ConsumerRole', 'ConsumerLogGroup']) expect(template.Resources[id], id).toBeUndefined();
      expect(template.Resources.SourceEventSourceMapping.Properties.FunctionName).toEqual({
        'Fn::Sub': 'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:orders-consumer',
      });
      expect(template.Metadata.sluice.consumer).toBe('yours');
    });

    it('creates nothing but the sink for a bucket or an API it cannot wire', () => {
      for (const pattern of [{ source: 's3', bucket: 'my-bucket' }, { source: 'apigateway', apiUrl: 'https://abc.execute-api.us-east-1.amazonaws.com/events' }]) {
        const template = build(pattern);
        expect(Object.keys(template.Resources)).toEqual(['SinkQueue']);
        expect(template.Metadata.sluice.consumer).toBe('none');
        expect(template.Metadata.sluice.notes.join('\n')).toMatch(/cannot change/);
      }
    });

    it('creates rules on an existing bus and streams from an existing stream', () => {
      const bus = build({ source: 'eventbridge', busName: 'orders-bus' });
      expect(bus.Resources.SourceEventBus).toBeUndefined();
      expect(bus.Resources.SourceRule1.Properties.EventBusName).toBe('orders-bus');
      const stream = build({ source: 'kinesis', streamName: 'orders-stream' });
      expect(stream.Resources.SourceStream).toBeUndefined();
      expect(stream.Resources.SourceEventSourceMapping.Properties.EventSourceArn).toEqual({
        'Fn::Sub': 'arn:${AWS::Partition}:kinesis:${AWS::Region}:${AWS::AccountId}:stream/orders-stream',
      });
    });

    it('rejects a queueUrl that is not a queue URL', () => {
      // The sqs schema has no queueUrl yet, so the pattern is set in after validation.
      const { scenario } = scenarioFor({ source: 'sqs' });
      const pattern = { source: 'sqs', queueUrl: 'orders' } as unknown as Scenario['patterns'][number];
      expect(() => buildStackTemplate({ ...scenario, patterns: [pattern] }, pattern, runId)).toThrow(AwsTemplateError);
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
      const pattern = { source: 'sqs', name: 'p'.repeat(64), fifo: true } as const;
      const template = buildStackTemplate(scenarioFor(pattern).scenario, scenarioFor(pattern).pattern, 'x'.repeat(128));
      expect(String(template.Resources.ConsumerFunction.Properties.FunctionName).length).toBeLessThanOrEqual(64);
      expect(String(template.Resources.SourceQueue.Properties.QueueName).length).toBeLessThanOrEqual(80);
      expect(String(template.Resources.SourceQueue.Properties.QueueName)).toMatch(/\.fifo$/);
    });

    it('rejects a run id that cannot be a tag value', () => {
      const { scenario, pattern } = scenarioFor({ source: 'sqs' });
      expect(() => buildStackTemplate(scenario, pattern, 'run id with spaces?')).toThrow(/runId/);
    });
  });

  describe('pattern settings', () => {
    it('fills AWS’s defaults for sources without a schema yet', () => {
      expect(normalizePattern({ source: 'kinesis' })).toMatchObject({ shards: 1, mode: 'provisioned', batchSize: 100, parallelizationFactor: 1, startingPosition: 'TRIM_HORIZON' });
      expect(normalizePattern({ source: 'apigateway' })).toMatchObject({ type: 'http', path: 'events' });
      expect(normalizePattern({ source: 's3' })).toMatchObject({ eventType: 's3:ObjectCreated:*' });
    });

    it('refuses an unknown source', () => {
      expect(() => normalizePattern({ source: 'sns' })).toThrow(/not a source the aws target can build/);
    });
  });
});
