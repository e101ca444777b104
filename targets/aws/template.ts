import { createHash } from 'node:crypto';
import type { Scenario } from '../../scenario/schema.ts';
import { awsDefaults } from '../../core/aws-defaults.ts';
import { formatDurationMs } from '../../core/duration.ts';
import { remoteObjectKeyFor } from '../../drivers/s3/object-keys.ts';
import { consumerEnvironment, syntheticConsumerCode } from './consumer-code.ts';
import { AwsTemplateError } from './errors.ts';
import { lambdaFunctionNameOf, queueUrlParts } from './bring-your-own.ts';
import {
  bringYourOwnSource,
  normalizePattern,
  sluiceEventSourceName,
  type ApiGatewaySettings,
  type AsyncInvokeSettings,
  type AwsPatternInput,
  type AwsPatternSettings,
  type AwsSourceName,
  type EventBridgeSettings,
  type KinesisSettings,
  type S3KeySpec,
  type S3Settings,
  type SqsSettings,
} from './pattern-settings.ts';

/**
 * One CloudFormation stack per pattern run: the source, a synthetic consumer Lambda that
 * implements the scenario's function spec, the wiring between them with the pattern's
 * settings, and a sink queue for completion records. Everything is plain JSON, built by
 * pure functions, so a template can be inspected (`--dry-run`), diffed (golden files) and
 * deployed without any tool beyond CloudFormation.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/introduction.html
 *
 * A pattern may name resources of its own ("bring your own", targets/aws/bring-your-own.ts);
 * the stack then creates only what is missing:
 *
 * | the pattern names                       | the stack creates                                  |
 * | --------------------------------------- | -------------------------------------------------- |
 * | nothing                                 | source, synthetic consumer, wiring, sink queue     |
 * | its source (sqs, kinesis, eventbridge)  | synthetic consumer, its wiring to your source, sink |
 * | its source (s3, apigateway)             | nothing: the wiring is your bucket's or API's own  |
 * | functionName                            | source, its wiring to your function (no sink)      |
 * | its source and functionName             | nothing: they are already wired to each other      |
 *
 * A template that creates nothing has no Resources, which CloudFormation refuses: such a
 * pattern deploys no stack at all ({@link templateCreatesResources}).
 */

/** A CloudFormation resource. Property values may hold intrinsic functions. */
export interface CfnResource {
  Type: string;
  Properties: Record<string, unknown>;
  DependsOn?: string[];
}

/** A stack output. */
export interface CfnOutput {
  Description: string;
  Value: unknown;
}

/** What sluice records about a stack in the template's own Metadata. */
export interface SluiceStackMetadata {
  runId: string;
  scenario: string;
  pattern: string;
  source: AwsSourceName;
  /**
   * `synthetic`: sluice deploys its consumer (the only case with completion records);
   * `yours`: functionName; `none`: your s3 bucket or API, whose integration sluice cannot change.
   */
  consumer: 'synthetic' | 'yours' | 'none';
  /** Existing resources the pattern named; the stack creates nothing for them. */
  bringYourOwn: Array<{ field: string; value: string }>;
  /** Things a user should know before deploying (rounding, caveats of the chosen settings). */
  notes: string[];
}

/** The template of one pattern run, as CloudFormation reads it. */
export interface StackTemplate {
  AWSTemplateFormatVersion: '2010-09-09';
  Description: string;
  Metadata: { sluice: SluiceStackMetadata };
  Resources: Record<string, CfnResource>;
  Outputs: Record<string, CfnOutput>;
}

/** Options of {@link buildStackTemplate}. */
export interface BuildStackTemplateOptions {
  /**
   * Lambda runtime of the synthetic consumer. The code is plain Node.js 20 CommonJS and runs
   * on any Node.js runtime from nodejs20.x up. The default is nodejs22.x because AWS blocks
   * creating nodejs20.x functions from 31 Aug 2026.
   * https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html (supported runtimes table)
   */
  lambdaRuntime?: string;
}

/** The consumer's runtime unless the caller picks another (see BuildStackTemplateOptions.lambdaRuntime). */
export const defaultLambdaRuntime = 'nodejs22.x';

/** Tag keys on every stack and every taggable resource; `sluice cleanup` finds leftovers by them. */
export const sluiceTagKeys = {
  runId: 'sluice:run-id',
  scenario: 'sluice:scenario',
  pattern: 'sluice:pattern',
} as const;

/**
 * How each resource type sluice creates takes tags: a list of `{Key, Value}`, a map (the
 * API Gateway v2 types), or not at all. A test checks every type used appears here.
 */
export const tagStyleByResourceType = {
  'AWS::SQS::Queue': 'list',
  'AWS::IAM::Role': 'list',
  'AWS::Logs::LogGroup': 'list',
  'AWS::Lambda::Function': 'list',
  'AWS::Lambda::EventSourceMapping': 'list',
  'AWS::Kinesis::Stream': 'list',
  'AWS::Events::EventBus': 'list',
  'AWS::Events::Rule': 'list',
  'AWS::S3::Bucket': 'list',
  'AWS::ApiGateway::RestApi': 'list',
  'AWS::ApiGateway::Stage': 'list',
  'AWS::ApiGatewayV2::Api': 'map',
  'AWS::ApiGatewayV2::Stage': 'map',
  'AWS::SQS::QueuePolicy': 'none',
  'AWS::Lambda::Version': 'none',
  'AWS::Lambda::Alias': 'none',
  'AWS::Lambda::Permission': 'none',
  'AWS::Lambda::EventInvokeConfig': 'none',
  'AWS::ApiGatewayV2::Integration': 'none',
  'AWS::ApiGatewayV2::Route': 'none',
  'AWS::ApiGateway::Resource': 'none',
  'AWS::ApiGateway::Method': 'none',
  'AWS::ApiGateway::Deployment': 'none',
} as const satisfies Record<string, 'list' | 'map' | 'none'>;

/** The output keys a deployed stack may have; the harness reads these, never logical ids. */
export const stackOutputKeys = {
  sinkQueueUrl: 'SinkQueueUrl',
  sinkQueueArn: 'SinkQueueArn',
  functionName: 'FunctionName',
  functionArn: 'FunctionArn',
  consumerTargetArn: 'ConsumerTargetArn',
  logGroupName: 'LogGroupName',
  queueUrl: 'QueueUrl',
  queueArn: 'QueueArn',
  queueName: 'QueueName',
  deadLetterQueueUrl: 'DeadLetterQueueUrl',
  deadLetterQueueArn: 'DeadLetterQueueArn',
  deadLetterQueueName: 'DeadLetterQueueName',
  eventSourceMappingId: 'EventSourceMappingId',
  streamName: 'StreamName',
  streamArn: 'StreamArn',
  eventBusName: 'EventBusName',
  eventBusArn: 'EventBusArn',
  ruleNames: 'RuleNames',
  bucketName: 'BucketName',
  apiUrl: 'ApiUrl',
  apiId: 'ApiId',
  apiName: 'ApiName',
  stageName: 'StageName',
} as const;

// ---------------------------------------------------------------------------------------
// Intrinsic functions and names

const ref = (logicalId: string) => ({ Ref: logicalId });
const getAtt = (logicalId: string, attribute: string) => ({ 'Fn::GetAtt': [logicalId, attribute] });
const sub = (text: string, variables?: Record<string, unknown>) => ({ 'Fn::Sub': variables ? [text, variables] : text });

function sanitizeName(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 6);
}

/** `base + suffix`, shortened with a hash of `base` when over `maxLength`, so names stay unique. */
function fitName(base: string, suffix: string, maxLength: number): string {
  if (base.length + suffix.length <= maxLength) return base + suffix;
  const keep = Math.max(1, maxLength - suffix.length - 7);
  return `${base.slice(0, keep).replace(/-$/, '')}-${shortHash(base)}${suffix}`;
}

/**
 * The CloudFormation stack name for one pattern of one run: `sluice-<scenario>-<pattern>-<run>`,
 * at most 128 characters of letters, digits and dashes.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html
 *
 * @example
 * stackNameFor('orders', 'sqs', '20260101T120000Z-ab12') // 'sluice-orders-sqs-20260101t120000z-ab12'
 */
export function stackNameFor(scenarioName: string, patternName: string, runId: string): string {
  return fitName(sanitizeName(`sluice-${scenarioName}-${patternName}-${runId}`), '', 128);
}

// ---------------------------------------------------------------------------------------
// The builder shared by every source

interface PolicyStatement {
  Effect: 'Allow';
  Action: string[];
  Resource: unknown;
}

/** How the source reaches the consumer function. */
interface ConsumerTarget {
  /** True when the stack creates the function (and therefore its role). */
  created: boolean;
  /** What the source invokes: function ARN, alias ARN, or the named function's ARN. */
  arn: unknown;
  /** `FunctionName` for permissions and event invoke configs. */
  functionName: unknown;
  /** Alias name when provisioned concurrency is on. */
  qualifier?: string;
}

class TemplateBuilder {
  readonly resources: Record<string, CfnResource> = {};
  readonly outputs: Record<string, CfnOutput> = {};
  readonly roleStatements: PolicyStatement[] = [];
  readonly notes: string[] = [];
  readonly bringYourOwn: Array<{ field: string; value: string }> = [];
  consumer: ConsumerTarget | undefined;
  /** Base of every physical name in the stack: `sluice-<run>-<pattern>`. */
  readonly baseName: string;

  constructor(
    readonly scenario: Scenario,
    readonly settings: AwsPatternSettings,
    readonly runId: string,
    readonly options: Required<BuildStackTemplateOptions>,
  ) {
    this.baseName = sanitizeName(`sluice-${runId}-${settings.name}`);
  }

  name(suffix: string, maxLength: number): string {
    return fitName(this.baseName, suffix, maxLength);
  }

  add(logicalId: string, type: keyof typeof tagStyleByResourceType, properties: Record<string, unknown>, dependsOn?: string[]): void {
    this.resources[logicalId] = { Type: type, Properties: properties, ...(dependsOn?.length ? { DependsOn: dependsOn } : {}) };
  }

  output(key: (typeof stackOutputKeys)[keyof typeof stackOutputKeys], value: unknown, description: string): void {
    this.outputs[key] = { Description: description, Value: value };
  }

  /** Grants the consumer's role `actions` on `resource`, when the stack owns the role. */
  allow(actions: string[], resource: unknown): void {
    if (this.consumer?.created) this.roleStatements.push({ Effect: 'Allow', Action: actions, Resource: resource });
  }

  /** A standard SQS queue for failures (DLQ / on-failure destination), created once. */
  failureQueue(): { arn: unknown; url: unknown } {
    const logicalId = 'FailureQueue';
    if (!this.resources[logicalId]) {
      this.add(logicalId, 'AWS::SQS::Queue', { QueueName: this.name('-failed', 80), MessageRetentionPeriod: 1_209_600 });
      this.output(stackOutputKeys.deadLetterQueueUrl, ref(logicalId), 'Queue that receives events the source or Lambda gave up on');
      this.output(stackOutputKeys.deadLetterQueueArn, getAtt(logicalId, 'Arn'), 'ARN of the failure queue');
      this.output(stackOutputKeys.deadLetterQueueName, getAtt(logicalId, 'QueueName'), 'Name of the failure queue');
    }
    return { arn: getAtt(logicalId, 'Arn'), url: ref(logicalId) };
  }

  /**
   * Lambda's own asynchronous-invoke settings (retries, event age, on-failure destination),
   * for push sources that invoke asynchronously (EventBridge, S3): the pattern's
   * `asyncInvoke` block. Its retry delays have no AWS setting (AWS's are fixed), so they
   * only earn a note when they differ from AWS's.
   * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-configuring.html
   */
  asyncInvokeConfig(settings: AsyncInvokeSettings): void {
    if (!this.consumer?.created) return;
    const failure = this.failureQueue();
    this.allow(['sqs:SendMessage'], failure.arn);
    this.add(
      'ConsumerEventInvokeConfig',
      'AWS::Lambda::EventInvokeConfig',
      {
        FunctionName: ref('ConsumerFunction'),
        Qualifier: this.consumer.qualifier ?? '$LATEST',
        MaximumRetryAttempts: settings.maximumRetryAttempts,
        MaximumEventAgeInSeconds: this.seconds('asyncInvoke.maximumEventAge', settings.maximumEventAgeMs),
        DestinationConfig: { OnFailure: { Destination: failure.arn } },
      },
      this.consumer.qualifier ? ['ConsumerAlias'] : undefined,
    );
    const sameAsAws = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((value, i) => value === b[i]);
    const sluiceOnly = [
      ...(sameAsAws(settings.errorRetryDelaysMs, awsDefaults.asyncInvokeErrorRetryDelaysMs.value)
        ? []
        : [`errorRetryDelays [${settings.errorRetryDelaysMs.map(formatDurationMs).join(', ')}] (AWS waits 1m, then 2m)`]),
      ...(settings.throttleRetryInitialMs === awsDefaults.asyncInvokeThrottleRetryInitialMs.value && settings.throttleRetryMaxMs === awsDefaults.asyncInvokeThrottleRetryMaxMs.value
        ? []
        : [`throttleRetryInitial/Max ${formatDurationMs(settings.throttleRetryInitialMs)}/${formatDurationMs(settings.throttleRetryMaxMs)} (AWS backs off from 1s to 5m)`]),
    ];
    if (sluiceOnly.length > 0) this.notes.push(`asyncInvoke ${sluiceOnly.join(' and ')}: AWS has no such setting, so its own delays apply on this stack.`);
  }

  /** Whole seconds for a CloudFormation property, rounded up; notes the rounding. */
  seconds(field: string, ms: number): number {
    const whole = seconds(ms);
    if (whole * 1000 !== ms) this.notes.push(`${field} ${formatDurationMs(ms)} rounded up to ${whole}s (AWS takes whole seconds).`);
    return whole;
  }
}

function seconds(ms: number): number {
  return Math.ceil(ms / 1000);
}

function functionArnOf(functionName: string): unknown {
  if (functionName.startsWith('arn:')) return functionName;
  return sub(`arn:\${AWS::Partition}:lambda:\${AWS::Region}:\${AWS::AccountId}:function:${functionName}`);
}

// ---------------------------------------------------------------------------------------
// The consumer: role, log group, function, optional provisioned concurrency

/** Sources whose resource the user owns cannot be wired by this stack (the wiring is a property of the resource). */
function consumerCanBeWired(settings: AwsPatternSettings): boolean {
  if (settings.source === 's3') return settings.bucket === undefined;
  if (settings.source === 'apigateway') return settings.apiUrl === undefined;
  return true;
}

/** What each source's resource is called in notes. */
const sourceNoun = { sqs: 'queue', kinesis: 'stream', eventbridge: 'bus', s3: 'bucket', apigateway: 'API' } as const satisfies Record<AwsSourceName, string>;

function addSinkQueue(b: TemplateBuilder): void {
  // Only with the synthetic consumer, the one thing that reports completions here. A user's
  // own function knows nothing of a queue made per run, so it would stay empty.
  b.add('SinkQueue', 'AWS::SQS::Queue', { QueueName: b.name('-sink', 80), MessageRetentionPeriod: 86_400, VisibilityTimeout: 30 });
  b.output(stackOutputKeys.sinkQueueUrl, ref('SinkQueue'), 'Queue of completion records (JSON arrays of CompletionRecord)');
  b.output(stackOutputKeys.sinkQueueArn, getAtt('SinkQueue', 'Arn'), 'ARN of the sink queue');
}

function addConsumer(b: TemplateBuilder): void {
  const { settings, scenario } = b;
  const ownSource = bringYourOwnSource(settings);
  if (settings.functionName) {
    const arnRegion = /^arn:[^:]+:lambda:([^:]+):/.exec(settings.functionName)?.[1];
    if (arnRegion !== undefined && arnRegion !== scenario.region) {
      // A source invokes a function of its own region, and the run reads CloudWatch in one region.
      throw new AwsTemplateError(
        [`pattern "${settings.name}" functionName: your function is in ${arnRegion}, the run in ${scenario.region}`],
        `Set the scenario's region: ${arnRegion}, or name a function in ${scenario.region}.`,
      );
    }
    b.bringYourOwn.push({ field: 'functionName', value: settings.functionName });
    b.output(stackOutputKeys.functionName, settings.functionName, 'Your function (not created by sluice)');
    if (ownSource) {
      // Your source and your function are your system, already wired to each other. A second
      // event source mapping would compete with yours for messages (SQS) or process every
      // record twice (Kinesis), a second rule would invoke your function twice per event.
      b.notes.push(
        `${ownSource.field} and functionName are both yours: sluice creates and wires nothing (no stack is deployed); it sends the load to your ${sourceNoun[settings.source]} and reads CloudWatch's metrics of it and of your function.`,
      );
      return;
    }
    b.consumer = { created: false, arn: functionArnOf(settings.functionName), functionName: settings.functionName };
    const pollBased = settings.source === 'sqs' || settings.source === 'kinesis';
    b.notes.push(
      pollBased
        ? `functionName ${settings.functionName}: sluice creates no function or role; your function's execution role must allow reading the ${settings.source} source.`
        : `functionName ${settings.functionName}: sluice creates no function or role; it adds a permission for ${settings.source} to invoke your function.`,
    );
    b.notes.push('functionName: your function writes no completion records, so the run reports the send side and CloudWatch’s metrics, not end-to-end latency or completions.');
    return;
  }
  if (!consumerCanBeWired(settings)) {
    b.notes.push(
      `${ownSource?.field} names an existing resource whose integration sluice cannot change: sluice creates nothing (no stack is deployed); ` +
        'your backend consumes, so the run reports the send side and CloudWatch’s metrics, not end-to-end latency or completions. Name the function it invokes with functionName to read that function’s metrics.',
    );
    return;
  }
  const fn = scenario.function;
  if (fn.handler.type !== 'synthetic') {
    throw new AwsTemplateError(
      [`function.handler: a module handler (${fn.handler.module}) cannot be deployed inline by the aws target`],
      'Deploy your handler yourself and name it with the pattern’s functionName, or use a synthetic handler.',
    );
  }

  addSinkQueue(b);
  const functionName = b.name('-consumer', 64);
  const provisioned = fn.provisionedConcurrency > 0;
  b.consumer = provisioned
    ? { created: true, arn: ref('ConsumerAlias'), functionName: ref('ConsumerAlias'), qualifier: 'live' }
    : { created: true, arn: getAtt('ConsumerFunction', 'Arn'), functionName: ref('ConsumerFunction') };

  b.add('ConsumerLogGroup', 'AWS::Logs::LogGroup', { LogGroupName: `/aws/lambda/${functionName}`, RetentionInDays: 1 });
  // Role statements are filled in by the source (least privilege: only what its wiring needs).
  b.add('ConsumerRole', 'AWS::IAM::Role', {
    AssumeRolePolicyDocument: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    },
  });
  b.allow(['logs:CreateLogStream', 'logs:PutLogEvents'], getAtt('ConsumerLogGroup', 'Arn'));
  b.allow(['sqs:SendMessage'], getAtt('SinkQueue', 'Arn'));

  const timeoutSec = Math.min(900, seconds(fn.timeout));
  b.add('ConsumerFunction', 'AWS::Lambda::Function', {
    FunctionName: functionName,
    Description: `sluice synthetic consumer: ${scenario.name}/${settings.name}, run ${b.runId}`,
    Runtime: b.options.lambdaRuntime,
    Handler: 'index.handler',
    Code: { ZipFile: syntheticConsumerCode },
    Role: getAtt('ConsumerRole', 'Arn'),
    MemorySize: fn.memoryMb,
    Timeout: timeoutSec,
    Architectures: [fn.architecture],
    ...(fn.reservedConcurrency !== undefined ? { ReservedConcurrentExecutions: fn.reservedConcurrency } : {}),
    Environment: {
      Variables: consumerEnvironment(fn, settings.source, ref('SinkQueue'), {
        runId: b.runId,
        s3Suffix: settings.source === 's3' ? remoteKeys(settings.keys).consumerSuffix : undefined,
      }),
    },
    // An explicit log group that the stack owns (and deletes), instead of one Lambda creates.
    // https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-loggroups.html
    LoggingConfig: { LogGroup: ref('ConsumerLogGroup'), LogFormat: 'Text' },
  });
  if (provisioned) {
    // Provisioned concurrency applies to a version or alias, never to $LATEST.
    // https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html
    b.add('ConsumerVersion', 'AWS::Lambda::Version', { FunctionName: ref('ConsumerFunction'), Description: `run ${b.runId}` });
    b.add('ConsumerAlias', 'AWS::Lambda::Alias', {
      FunctionName: ref('ConsumerFunction'),
      FunctionVersion: getAtt('ConsumerVersion', 'Version'),
      Name: 'live',
      ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: fn.provisionedConcurrency },
    });
    b.notes.push(`provisioned concurrency ${fn.provisionedConcurrency}: stack creation waits until the environments are ready (minutes) and they are billed while the stack exists.`);
  }
  if (fn.reservedConcurrency !== undefined && fn.reservedConcurrency > scenario.account.concurrencyLimit - 100) {
    b.notes.push(
      `reservedConcurrency ${fn.reservedConcurrency}: AWS keeps 100 of the account's concurrency unreserved, so this fails unless the account limit is above ${fn.reservedConcurrency + 100}.`,
    );
  }
  b.output(stackOutputKeys.functionName, ref('ConsumerFunction'), 'The synthetic consumer function');
  b.output(stackOutputKeys.functionArn, getAtt('ConsumerFunction', 'Arn'), 'ARN of the synthetic consumer');
  b.output(stackOutputKeys.logGroupName, ref('ConsumerLogGroup'), 'Log group of the synthetic consumer');
}

function finishConsumer(b: TemplateBuilder): void {
  const role = b.resources.ConsumerRole;
  if (role) {
    role.Properties.Policies = [{ PolicyName: 'sluice-consumer', PolicyDocument: { Version: '2012-10-17', Statement: b.roleStatements } }];
  }
  if (b.consumer) b.output(stackOutputKeys.consumerTargetArn, b.consumer.arn, 'What the source invokes (function, alias or your function)');
}

// ---------------------------------------------------------------------------------------
// Sources: one function each, registered in `sourceTemplateGenerators`

/** `https://sqs.<region>.amazonaws.com/<account>/<name>` → ARN parts. */
function parseQueueUrl(queueUrl: string, fallbackRegion: string): { region: string; accountId: string; name: string } {
  // The schema has checked it (bring-your-own.ts); this guards patterns code builds by hand.
  const parts = queueUrlParts(queueUrl);
  if (!parts) {
    throw new AwsTemplateError([`queueUrl: "${queueUrl}" is not a queue URL ending in /<account-id>/<queue-name>`], 'Copy the queue URL from the SQS console or `aws sqs get-queue-url`.');
  }
  return { region: parts.region ?? fallbackRegion, accountId: parts.accountId, name: parts.name };
}

function addSqsSource(b: TemplateBuilder, s: SqsSettings): void {
  const problems: string[] = [];
  if (b.consumer && s.fifo && s.maximumBatchingWindowMs > 0) {
    // https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html ("Batching window is not supported for FIFO queues")
    problems.push('maximumBatchingWindow: FIFO queues do not support a batching window on AWS');
  }
  if (s.fifo && s.batchSize > 10) problems.push('batchSize: FIFO queues allow at most 10');
  const timeoutSec = Math.min(900, seconds(b.scenario.function.timeout));
  if (!s.queueUrl && b.consumer?.created && seconds(s.visibilityTimeoutMs) < timeoutSec) {
    // AWS refuses the mapping otherwise; it recommends six times the function timeout.
    // https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html#events-sqs-queueconfig
    problems.push(`visibilityTimeout: ${seconds(s.visibilityTimeoutMs)}s is shorter than the function timeout ${timeoutSec}s`);
  }
  if (problems.length) throw new AwsTemplateError(problems.map((p) => `pattern "${s.name}" ${p}`), 'Adjust the sqs pattern; AWS would refuse these settings.');

  let queueArn: unknown;
  if (s.queueUrl) {
    const parsed = parseQueueUrl(s.queueUrl, b.scenario.region);
    if (parsed.region !== b.scenario.region) {
      // Lambda reads a queue of its own region only, and the run sends and reads CloudWatch in one region.
      // https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html ("must be in the same AWS Region")
      throw new AwsTemplateError(
        [`pattern "${s.name}" queueUrl: your queue is in ${parsed.region}, the run in ${b.scenario.region}`],
        `Set the scenario's region: ${parsed.region}, or name a queue in ${b.scenario.region}.`,
      );
    }
    queueArn = sub(`arn:\${AWS::Partition}:sqs:${parsed.region}:${parsed.accountId}:${parsed.name}`);
    b.bringYourOwn.push({ field: 'queueUrl', value: s.queueUrl });
    b.output(stackOutputKeys.queueUrl, s.queueUrl, 'Your queue (not created by sluice)');
    b.output(stackOutputKeys.queueName, parsed.name, 'Name of your queue');
    b.notes.push('queueUrl: your queue keeps its own visibility timeout and redrive policy; the pattern’s visibilityTimeout and maxReceiveCount describe a queue sluice creates and are not applied.');
    if (b.consumer?.created) {
      // https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html#events-sqs-queueconfig
      b.notes.push(
        `queueUrl: AWS refuses the event source mapping if your queue's visibility timeout is shorter than the function timeout (${timeoutSec}s); ` +
          'any consumer your queue already has competes with sluice’s for the messages, and those it takes never complete (counted as lost).',
      );
    }
  } else {
    const fifoSuffix = s.fifo ? '.fifo' : '';
    // The load generator gives every message its own MessageDeduplicationId (drivers/sqs/sqs-driver.ts),
    // so content-based deduplication stays off, as on the queues sluice creates itself.
    const fifo = s.fifo
      ? {
          FifoQueue: true,
          // High-throughput FIFO: the quota applies per message group, not per queue.
          // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/high-throughput-fifo.html
          DeduplicationScope: 'messageGroup',
          FifoThroughputLimit: 'perMessageGroupId',
        }
      : {};
    b.add('SourceDeadLetterQueue', 'AWS::SQS::Queue', {
      QueueName: b.name(`-dlq${fifoSuffix}`, 80),
      ...(s.fifo ? { FifoQueue: true } : {}),
      MessageRetentionPeriod: 1_209_600,
    });
    b.add('SourceQueue', 'AWS::SQS::Queue', {
      QueueName: b.name(fifoSuffix, 80),
      // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html (0–43,200 s)
      VisibilityTimeout: b.seconds('visibilityTimeout', s.visibilityTimeoutMs),
      ...fifo,
      // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
      RedrivePolicy: { deadLetterTargetArn: getAtt('SourceDeadLetterQueue', 'Arn'), maxReceiveCount: s.maxReceiveCount },
    });
    queueArn = getAtt('SourceQueue', 'Arn');
    b.output(stackOutputKeys.queueUrl, ref('SourceQueue'), 'Queue the load generator sends to');
    b.output(stackOutputKeys.queueName, getAtt('SourceQueue', 'QueueName'), 'Name of the source queue');
    b.output(stackOutputKeys.deadLetterQueueUrl, ref('SourceDeadLetterQueue'), 'Dead-letter queue (maxReceiveCount)');
    b.output(stackOutputKeys.deadLetterQueueArn, getAtt('SourceDeadLetterQueue', 'Arn'), 'ARN of the dead-letter queue');
    b.output(stackOutputKeys.deadLetterQueueName, getAtt('SourceDeadLetterQueue', 'QueueName'), 'Name of the dead-letter queue');
  }
  b.output(stackOutputKeys.queueArn, queueArn, 'ARN of the source queue');
  if (!b.consumer) return;

  // https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html#events-sqs-permissions
  b.allow(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'], queueArn);
  // https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html
  b.add(
    'SourceEventSourceMapping',
    'AWS::Lambda::EventSourceMapping',
    {
      EventSourceArn: queueArn,
      FunctionName: b.consumer.arn,
      Enabled: true,
      BatchSize: s.batchSize,
      // FIFO queues take no batching window at all (refused above when one is set).
      ...(s.fifo ? {} : { MaximumBatchingWindowInSeconds: b.seconds('maximumBatchingWindow', s.maximumBatchingWindowMs) }),
      // https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html#events-sqs-max-concurrency
      ...(s.maximumConcurrency !== undefined ? { ScalingConfig: { MaximumConcurrency: s.maximumConcurrency } } : {}),
    },
    b.consumer.created ? ['ConsumerRole'] : undefined,
  );
  b.output(stackOutputKeys.eventSourceMappingId, ref('SourceEventSourceMapping'), 'Event source mapping id');
}

function addKinesisSource(b: TemplateBuilder, s: KinesisSettings): void {
  let streamArn: unknown;
  if (s.streamName) {
    streamArn = sub(`arn:\${AWS::Partition}:kinesis:\${AWS::Region}:\${AWS::AccountId}:stream/${s.streamName}`);
    b.bringYourOwn.push({ field: 'streamName', value: s.streamName });
    b.output(stackOutputKeys.streamName, s.streamName, 'Your stream (not created by sluice)');
    b.notes.push('streamName: your stream keeps its own capacity mode and shards; the pattern’s mode and shards describe a stream sluice creates and are not applied.');
  } else {
    // https://docs.aws.amazon.com/streams/latest/dev/how-do-i-size-a-stream.html
    b.add('SourceStream', 'AWS::Kinesis::Stream', {
      Name: b.name('', 128),
      RetentionPeriodHours: 24,
      ...(s.mode === 'on-demand' ? { StreamModeDetails: { StreamMode: 'ON_DEMAND' } } : { ShardCount: s.shards, StreamModeDetails: { StreamMode: 'PROVISIONED' } }),
    });
    streamArn = getAtt('SourceStream', 'Arn');
    b.output(stackOutputKeys.streamName, ref('SourceStream'), 'Stream the load generator writes to');
    if (s.mode === 'on-demand') {
      b.notes.push(`mode on-demand: AWS sizes the stream (a new one writes like ${s.shards} shards) and scales it, which sluice's own streams do not model.`);
    }
  }
  b.output(stackOutputKeys.streamArn, streamArn, 'ARN of the source stream');
  if (!b.consumer) return;

  const failure = b.failureQueue();
  // https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html (execution role permissions)
  b.allow(['kinesis:DescribeStream', 'kinesis:DescribeStreamSummary', 'kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards', 'kinesis:SubscribeToShard'], streamArn);
  b.allow(['sqs:SendMessage'], failure.arn);
  // https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-parameters.html
  b.add(
    'SourceEventSourceMapping',
    'AWS::Lambda::EventSourceMapping',
    {
      EventSourceArn: streamArn,
      FunctionName: b.consumer.arn,
      Enabled: true,
      StartingPosition: s.startingPosition,
      BatchSize: s.batchSize,
      MaximumBatchingWindowInSeconds: b.seconds('maximumBatchingWindow', s.maximumBatchingWindowMs),
      ParallelizationFactor: s.parallelizationFactor,
      // -1 is AWS's own "retry until the record expires" and "no age limit".
      MaximumRetryAttempts: s.maximumRetryAttempts,
      MaximumRecordAgeInSeconds: s.maximumRecordAgeMs === undefined ? -1 : b.seconds('maximumRecordAge', s.maximumRecordAgeMs),
      BisectBatchOnFunctionError: s.bisectBatchOnFunctionError,
      DestinationConfig: { OnFailure: { Destination: failure.arn } },
    },
    b.consumer.created ? ['ConsumerRole'] : undefined,
  );
  if (s.startingPosition === 'LATEST') b.notes.push('startingPosition LATEST: records written before the mapping starts polling are skipped.');
  b.output(stackOutputKeys.eventSourceMappingId, ref('SourceEventSourceMapping'), 'Event source mapping id');
}

function addEventBridgeSource(b: TemplateBuilder, s: EventBridgeSettings): void {
  let busName: unknown;
  if (s.busName) {
    busName = s.busName;
    b.bringYourOwn.push({ field: 'busName', value: s.busName });
    b.output(stackOutputKeys.eventBusName, s.busName, 'Your event bus (not created by sluice)');
  } else {
    b.add('SourceEventBus', 'AWS::Events::EventBus', { Name: b.name('', 256) });
    busName = ref('SourceEventBus');
    b.output(stackOutputKeys.eventBusName, ref('SourceEventBus'), 'Event bus the load generator puts events on');
    b.output(stackOutputKeys.eventBusArn, getAtt('SourceEventBus', 'Arn'), 'ARN of the event bus');
  }
  if (s.putEventsRequestsPerSecond !== awsDefaults.eventBridgePutEventsRequestsPerSecond.value || s.putEventsBurstRequests !== undefined) {
    b.notes.push('putEventsRequestsPerSecond/putEventsBurstRequests: on AWS the PutEvents quota is the account’s (Service Quotas), not a property of the stack.');
  }
  if (!b.consumer) return;

  const failure = b.failureQueue();
  const ruleIds: string[] = [];
  const ruleNames: string[] = [];
  // One rule per rule of the pattern (or the default rule), each with the consumer as its
  // only target: EventBridge invokes the target once per rule an event matches.
  s.rules.forEach((rule, index) => {
    const logicalId = `SourceRule${index + 1}`;
    const name = b.name(`-${rule.name}`, 64);
    ruleIds.push(logicalId);
    ruleNames.push(name);
    b.add(logicalId, 'AWS::Events::Rule', {
      Name: name,
      Description: s.rulesFromPattern
        ? `sluice rule ${rule.name} of pattern ${s.name}`
        : `sluice default rule of pattern ${s.name}: every event of source ${(rule.eventPattern.source as string[]).join(' or ')}`,
      EventBusName: busName,
      EventPattern: rule.eventPattern,
      State: 'ENABLED',
      Targets: [
        {
          Id: 'sluice-consumer',
          Arn: b.consumer!.arn,
          // Events EventBridge cannot hand to Lambda at all; Lambda's own retries are the EventInvokeConfig's.
          // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html
          DeadLetterConfig: { Arn: failure.arn },
        },
      ],
    });
    // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-lambda-permissions
    b.add(`${logicalId}Permission`, 'AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: b.consumer!.functionName,
      Principal: 'events.amazonaws.com',
      SourceArn: getAtt(logicalId, 'Arn'),
    });
  });
  b.add('FailureQueuePolicy', 'AWS::SQS::QueuePolicy', {
    Queues: [failure.url],
    PolicyDocument: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Resource: failure.arn,
          Condition: { ArnEquals: { 'aws:SourceArn': ruleIds.map((id) => getAtt(id, 'Arn')) } },
        },
      ],
    },
  });
  b.asyncInvokeConfig(s.asyncInvoke);
  if (!s.rulesFromPattern && s.eventSource !== sluiceEventSourceName) {
    b.notes.push(
      `the default rule matches source ${s.eventSource} (the pattern's eventSource) and ${sluiceEventSourceName}, the source the load generator puts on its events for a managed stack when the pattern has no rules.`,
    );
  }
  if (ruleIds.length > 1) {
    b.notes.push(
      `${ruleIds.length} rules each invoke the consumer: an event matching several is delivered once per rule (fanOut ${s.fanOut}: sluice counts the extra deliveries as ${s.fanOut ? 'fan-out copies' : 'duplicates'}).`,
    );
  }
  b.output(stackOutputKeys.ruleNames, ruleNames.join(','), 'Rule names, comma-separated');
}

/** A day-one timestamp for sample keys: any 13-digit send time reads the same. */
const sampleSentAtMs = 1_767_225_600_000;

/**
 * The object keys the s3 driver writes to a managed stack's bucket
 * (drivers/s3/object-keys.ts, remoteObjectKeyFor), one per prefix × suffix combination,
 * and what the stack's consumer must strip from them: the consumer reads
 * `<sentAtMs>-<id>` from a key's last segment and strips one suffix, SLUICE_S3_SUFFIX.
 * Deriving the suffix from the driver's own keys keeps the two in agreement.
 */
function remoteKeys(spec: S3KeySpec): { samples: string[]; consumerSuffix?: string; unreadable: string[]; tails: string[] } {
  const count = Math.min(spec.prefixes.length * spec.suffixes.length, 1000);
  const samples: string[] = [];
  const unreadable: string[] = [];
  const tails = new Set<string>();
  for (let id = 0; id < count; id++) {
    const key = remoteObjectKeyFor(spec, id, 'key-0', sampleSentAtMs);
    samples.push(key);
    const last = key.slice(key.lastIndexOf('/') + 1);
    const head = `${sampleSentAtMs}-${id}`;
    if (last.startsWith(head)) tails.add(last.slice(head.length));
    else unreadable.push(key);
  }
  const only = tails.size === 1 ? [...tails][0] : undefined;
  return { samples, unreadable, tails: [...tails], ...(only ? { consumerSuffix: only } : {}) };
}

/** `s3:ObjectCreated:Put` is covered by itself and by `s3:ObjectCreated:*`. */
function coveredBy(event: string, others: readonly string[]): boolean {
  const [service, family] = event.split(':');
  return others.some((other) => other !== event && other === `${service}:${family}:*`);
}

function addS3Source(b: TemplateBuilder, s: S3Settings): void {
  if (s.bucket) {
    b.bringYourOwn.push({ field: 'bucket', value: s.bucket });
    b.output(stackOutputKeys.bucketName, s.bucket, 'Your bucket (not created by sluice)');
    b.notes.push('bucket: sluice leaves the objects it writes in your bucket (one per event, under the pattern’s prefixes); delete them or let a lifecycle rule expire them.');
    return;
  }
  // Bucket names are global: account and region make them unique, the hash keeps them short.
  const bucketName = `sluice-${shortHash(b.baseName)}-${sanitizeName(b.settings.name).slice(0, 14)}-\${AWS::AccountId}-\${AWS::Region}`;
  const dependsOn: string[] = [];
  const properties: Record<string, unknown> = {
    BucketName: sub(bucketName),
    PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    // A safety net if a stack is ever left behind: objects expire after a day.
    LifecycleConfiguration: { Rules: [{ Id: 'expire-sluice-objects', Status: 'Enabled', ExpirationInDays: 1 }] },
  };
  if (b.consumer) {
    // The documented way out of the bucket ↔ permission cycle: name the bucket explicitly,
    // build the permission's SourceArn from that name (not from a Ref to the bucket), and
    // make the bucket depend on the permission.
    // https://repost.aws/knowledge-center/cloudformation-circular-dependency-sam and
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-s3-bucket-notificationconfiguration.html
    b.add('SourceBucketPermission', 'AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: b.consumer.functionName,
      Principal: 's3.amazonaws.com',
      SourceAccount: ref('AWS::AccountId'),
      SourceArn: sub(`arn:\${AWS::Partition}:s3:::${bucketName}`),
    });
    dependsOn.push('SourceBucketPermission');
    // One configuration per event type (a LambdaConfiguration takes one). S3 refuses
    // configurations whose event types and filters overlap, so a type a wildcard of the
    // same family covers is left to the wildcard.
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-filtering.html
    const events = [...new Set(s.events)];
    const kept = events.filter((event) => !coveredBy(event, events));
    if (kept.length < events.length) {
      b.notes.push(`notification.events: ${events.filter((event) => !kept.includes(event)).join(', ')} left to the wildcard that covers it (S3 refuses overlapping configurations).`);
    }
    const rules = [
      ...(s.filterPrefix ? [{ Name: 'prefix', Value: s.filterPrefix }] : []),
      ...(s.filterSuffix ? [{ Name: 'suffix', Value: s.filterSuffix }] : []),
    ];
    properties.NotificationConfiguration = {
      LambdaConfigurations: kept.map((event) => ({ Event: event, Function: b.consumer!.arn, ...(rules.length ? { Filter: { S3Key: { Rules: rules } } } : {}) })),
    };
    addS3KeyNotes(b, s, kept);
  }
  b.add('SourceBucket', 'AWS::S3::Bucket', properties, dependsOn);
  b.output(stackOutputKeys.bucketName, ref('SourceBucket'), 'Bucket the load generator writes objects to');
  if (b.consumer) b.asyncInvokeConfig(s.asyncInvoke);
  if (s.duplicateNotificationRate > 0) {
    b.notes.push(`duplicateNotificationRate ${s.duplicateNotificationRate}: sluice's own S3 injects duplicates; on AWS only S3's own (rare) duplicate notifications occur.`);
  }
  if (
    s.putRequestsPerSecondPerPrefix !== awsDefaults.s3PutRequestsPerSecondPerPrefix.value ||
    s.getRequestsPerSecondPerPrefix !== awsDefaults.s3GetRequestsPerSecondPerPrefix.value
  ) {
    b.notes.push('put/getRequestsPerSecondPerPrefix: on AWS the per-prefix request rates are S3’s own, not a property of the stack.');
  }
  b.notes.push('the bucket must be empty before the stack can be deleted: deleteStack empties it when given an S3 client.');
}

/**
 * What the notification will make of the keys the load generator writes to this bucket.
 * The driver judges the filter as the notification does (objects outside it count as
 * filtered, not awaited), so only a configuration under which nothing can ever notify is
 * worth a note.
 */
function addS3KeyNotes(b: TemplateBuilder, s: S3Settings, events: readonly string[]): void {
  // PutObject is what the load generator does: s3:ObjectCreated:Put.
  if (!events.some((event) => event === 's3:ObjectCreated:Put' || event === 's3:ObjectCreated:*')) {
    b.notes.push(`notification.events ${events.join(', ')}: none covers s3:ObjectCreated:Put, the event the load generator's PutObject causes, so no object notifies the consumer.`);
  }
  const keys = remoteKeys(s.keys);
  if (keys.unreadable.length > 0) b.notes.push(`object keys such as ${keys.unreadable[0]} do not end in <sentAtMs>-<id>: the consumer cannot read their events.`);
  if (!s.filterPrefix && !s.filterSuffix) return;
  const matching = keys.samples.filter((key) => key.startsWith(s.filterPrefix ?? '') && key.endsWith(s.filterSuffix ?? ''));
  if (matching.length === 0) {
    const filter = [s.filterPrefix ? `prefix ${s.filterPrefix}` : '', s.filterSuffix ? `suffix ${s.filterSuffix}` : ''].filter(Boolean).join(', ');
    b.notes.push(`notification filter ${filter}: the load generator writes keys such as ${keys.samples[0]}; none matches, so every event is filtered and none reaches the consumer.`);
  }
}

/** API Gateway's integration timeout limits. https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html */
const httpApiIntegrationTimeoutMsMax = 30_000;
const restApiIntegrationTimeoutMsDefaultMax = 29_000;

function addApiGatewaySource(b: TemplateBuilder, s: ApiGatewaySettings): void {
  if (s.apiUrl) {
    b.bringYourOwn.push({ field: 'apiUrl', value: s.apiUrl });
    b.output(stackOutputKeys.apiUrl, s.apiUrl, 'Your API (not created by sluice)');
    b.notes.push(`apiUrl: requests go to your URL as written, with method ${s.method}; the pattern’s path, stage, throttle and integrationTimeout describe an API sluice creates and are not applied.`);
    return;
  }
  const problems: string[] = [];
  if (s.pathSegments.some((segment) => segment === '')) {
    problems.push(`path: "${s.path}" has an empty segment (// or a trailing /), which an API Gateway route or resource cannot have`);
  }
  // https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-stages.html and set-up-stages.html
  if (s.type === 'http' ? s.stage !== '$default' && !/^[A-Za-z0-9_-]+$/.test(s.stage) : !/^[A-Za-z0-9_-]+$/.test(s.stage)) {
    problems.push(`stage: "${s.stage}" is not a ${s.type === 'http' ? 'HTTP API stage name ($default, or letters, digits, - and _)' : 'REST API stage name (letters, digits, - and _)'}`);
  }
  if (s.type === 'http' && s.integrationTimeoutMs > httpApiIntegrationTimeoutMsMax) {
    // https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html (integration timeout 30 s, not adjustable)
    problems.push(`integrationTimeout: ${formatDurationMs(s.integrationTimeoutMs)} is above the 30s an HTTP API integration allows`);
  }
  if (problems.length) throw new AwsTemplateError(problems.map((p) => `pattern "${s.name}" ${p}`), 'Adjust the apigateway pattern; API Gateway would refuse these settings.');
  if (!b.consumer) return;

  const integrationTimeoutMs = Math.round(s.integrationTimeoutMs);
  // The stage's throttle: the pattern's steady rate and burst. The account's quota still applies above it.
  // https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html
  const throttle = { ThrottlingRateLimit: s.throttleRatePerSecond, ThrottlingBurstLimit: s.throttleBurst };
  const apiName = b.name('', 128);
  if (b.scenario.function.timeout > s.integrationTimeoutMs) {
    b.notes.push(`the function timeout (${formatDurationMs(b.scenario.function.timeout)}) is longer than integrationTimeout (${formatDurationMs(s.integrationTimeoutMs)}): slower invocations answer 504 while the function runs on.`);
  }
  b.notes.push(`throttleRatePerSecond ${s.throttleRatePerSecond} and throttleBurst ${s.throttleBurst} are the stage's throttle; the account-level quota of the region still applies above them.`);

  if (s.type === 'http') {
    // https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
    b.add('HttpApi', 'AWS::ApiGatewayV2::Api', { Name: apiName, ProtocolType: 'HTTP', Description: `sluice run ${b.runId}` });
    b.add('HttpApiIntegration', 'AWS::ApiGatewayV2::Integration', {
      ApiId: ref('HttpApi'),
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: b.consumer.arn,
      PayloadFormatVersion: '2.0',
      TimeoutInMillis: integrationTimeoutMs,
    });
    // https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html
    b.add('HttpApiRoute', 'AWS::ApiGatewayV2::Route', {
      ApiId: ref('HttpApi'),
      RouteKey: `${s.method} ${s.path}`,
      Target: sub('integrations/${HttpApiIntegration}'),
    });
    // https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-throttling.html
    b.add('HttpApiStage', 'AWS::ApiGatewayV2::Stage', { ApiId: ref('HttpApi'), StageName: s.stage, AutoDeploy: true, DefaultRouteSettings: throttle }, ['HttpApiRoute']);
    b.add('ApiPermission', 'AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: b.consumer.functionName,
      Principal: 'apigateway.amazonaws.com',
      SourceArn: sub(`arn:\${AWS::Partition}:execute-api:\${AWS::Region}:\${AWS::AccountId}:\${HttpApi}/*/*`),
    });
    // The $default stage is served at the API's root; any other stage under its name.
    const stagePath = s.stage === '$default' ? '' : `/${s.stage}`;
    b.output(stackOutputKeys.apiUrl, sub(`\${HttpApi.ApiEndpoint}${stagePath}${s.path}`), `URL the load generator sends ${s.method} requests to`);
    b.output(stackOutputKeys.apiId, ref('HttpApi'), 'HTTP API id');
    b.output(stackOutputKeys.stageName, s.stage, 'Stage name');
    return;
  }

  // REST API with a Lambda proxy integration, one resource per path segment.
  // https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
  if (integrationTimeoutMs > restApiIntegrationTimeoutMsDefaultMax) {
    b.notes.push(`integrationTimeout ${formatDurationMs(integrationTimeoutMs)}: above 29s a regional REST API needs the account's integration timeout quota raised first.`);
  }
  b.add('RestApi', 'AWS::ApiGateway::RestApi', { Name: apiName, Description: `sluice run ${b.runId}`, EndpointConfiguration: { Types: ['REGIONAL'] } });
  let resourceId: unknown = getAtt('RestApi', 'RootResourceId');
  s.pathSegments.forEach((segment, index) => {
    const logicalId = `RestApiResource${index + 1}`;
    b.add(logicalId, 'AWS::ApiGateway::Resource', { RestApiId: ref('RestApi'), ParentId: resourceId, PathPart: segment });
    resourceId = ref(logicalId);
  });
  b.add('RestApiMethod', 'AWS::ApiGateway::Method', {
    RestApiId: ref('RestApi'),
    ResourceId: resourceId,
    HttpMethod: s.method,
    AuthorizationType: 'NONE',
    Integration: {
      Type: 'AWS_PROXY',
      // Lambda's Invoke API is a POST whatever the client's method.
      IntegrationHttpMethod: 'POST',
      Uri: sub('arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${TargetArn}/invocations', { TargetArn: b.consumer.arn }),
      TimeoutInMillis: integrationTimeoutMs,
    },
  });
  b.add('RestApiDeployment', 'AWS::ApiGateway::Deployment', { RestApiId: ref('RestApi'), Description: `run ${b.runId}` }, ['RestApiMethod']);
  // https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html
  b.add('RestApiStage', 'AWS::ApiGateway::Stage', {
    RestApiId: ref('RestApi'),
    DeploymentId: ref('RestApiDeployment'),
    StageName: s.stage,
    MethodSettings: [{ ResourcePath: '/*', HttpMethod: '*', ...throttle }],
  });
  b.add('ApiPermission', 'AWS::Lambda::Permission', {
    Action: 'lambda:InvokeFunction',
    FunctionName: b.consumer.functionName,
    Principal: 'apigateway.amazonaws.com',
    SourceArn: sub(`arn:\${AWS::Partition}:execute-api:\${AWS::Region}:\${AWS::AccountId}:\${RestApi}/*/${s.method}${s.path}`),
  });
  b.output(
    stackOutputKeys.apiUrl,
    sub(`https://\${RestApi}.execute-api.\${AWS::Region}.\${AWS::URLSuffix}/${s.stage}${s.path}`),
    `URL the load generator sends ${s.method} requests to`,
  );
  b.output(stackOutputKeys.apiId, ref('RestApi'), 'REST API id');
  b.output(stackOutputKeys.apiName, apiName, 'REST API name (the CloudWatch dimension ApiName)');
  b.output(stackOutputKeys.stageName, s.stage, 'Stage name');
}

/**
 * One generator per event source. Adding a source means adding its settings normalizer in
 * pattern-settings.ts and one function here.
 */
export const sourceTemplateGenerators = {
  sqs: addSqsSource,
  kinesis: addKinesisSource,
  eventbridge: addEventBridgeSource,
  s3: addS3Source,
  apigateway: addApiGatewaySource,
} as const satisfies { [S in AwsSourceName]: (b: TemplateBuilder, settings: Extract<AwsPatternSettings, { source: S }>) => void };

function applyTags(resources: Record<string, CfnResource>, tags: Array<{ Key: string; Value: string }>): void {
  for (const [logicalId, resource] of Object.entries(resources)) {
    const style = (tagStyleByResourceType as Record<string, string>)[resource.Type];
    if (style === undefined) throw new Error(`template.ts: no tag style recorded for ${resource.Type} (${logicalId})`);
    if (style === 'list') resource.Properties.Tags = tags.map((tag) => ({ ...tag }));
    if (style === 'map') resource.Properties.Tags = Object.fromEntries(tags.map((tag) => [tag.Key, tag.Value]));
  }
}

/**
 * Builds the CloudFormation template of one pattern run. Pure: it calls no AWS API.
 * Resources a pattern names as its own ("bring your own": queueUrl, streamName, busName,
 * bucket, apiUrl, functionName) are not created; `Metadata.sluice` says what was left out.
 * Throws {@link AwsTemplateError} when the pattern cannot be deployed as asked.
 *
 * @example
 * const template = buildStackTemplate(scenario, scenario.patterns[0], '20260101t120000z-ab12');
 * await deployStack(cloudFormation, { stackName: stackNameFor(scenario.name, 'sqs', runId), template, tags });
 */
export function buildStackTemplate(scenario: Scenario, pattern: AwsPatternInput, runId: string, options: BuildStackTemplateOptions = {}): StackTemplate {
  if (!/^[A-Za-z0-9._:/=+@-]{1,128}$/.test(runId)) {
    throw new AwsTemplateError([`runId: "${runId}" must be 1–128 letters, digits or . _ : / = + @ -`], 'Tag values allow only these characters.');
  }
  const index = scenario.patterns.indexOf(pattern as Scenario['patterns'][number]);
  const settings = normalizePattern(pattern, index >= 0 ? `patterns[${index}]` : 'pattern');
  const b = new TemplateBuilder(scenario, settings, runId, { lambdaRuntime: options.lambdaRuntime ?? defaultLambdaRuntime });

  addConsumer(b);
  const generate = sourceTemplateGenerators[settings.source] as (builder: TemplateBuilder, s: AwsPatternSettings) => void;
  generate(b, settings);
  finishConsumer(b);
  applyTags(b.resources, [
    { Key: sluiceTagKeys.runId, Value: runId },
    { Key: sluiceTagKeys.scenario, Value: scenario.name },
    { Key: sluiceTagKeys.pattern, Value: settings.name },
  ]);

  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: `sluice run ${runId}: ${scenario.name}/${settings.name} (${settings.source})`,
    Metadata: {
      sluice: {
        runId,
        scenario: scenario.name,
        pattern: settings.name,
        source: settings.source,
        consumer: settings.functionName ? 'yours' : b.consumer?.created ? 'synthetic' : 'none',
        bringYourOwn: b.bringYourOwn,
        notes: b.notes,
      },
    },
    Resources: b.resources,
    Outputs: b.outputs,
  };
}

/**
 * The resources of a template as `{ logicalId, type }` rows, for plans and reports.
 *
 * @example
 * describeTemplateResources(template) // [{ logicalId: 'SinkQueue', type: 'AWS::SQS::Queue' }, …]
 */
export function describeTemplateResources(template: StackTemplate): Array<{ logicalId: string; type: string }> {
  return Object.entries(template.Resources).map(([logicalId, resource]) => ({ logicalId, type: resource.Type }));
}

/**
 * Whether a template has anything to deploy. A pattern that brings its source and its
 * consumer (or an s3 bucket or API whose wiring sluice cannot change) creates nothing, and
 * CloudFormation refuses a template without resources: such a pattern deploys no stack.
 *
 * @example
 * if (templateCreatesResources(template)) await deployStack(cloudFormation, { stackName, template });
 */
export function templateCreatesResources(template: StackTemplate): boolean {
  return Object.keys(template.Resources).length > 0;
}

/**
 * The pattern's own resources as the stack outputs that name them (`QueueUrl`, `QueueName`,
 * `StreamName`, `EventBusName`, `BucketName`, `ApiUrl`, `FunctionName`), in plain values: what
 * the drivers send to and CloudWatch is asked about, whether a stack is deployed or not.
 * `FunctionName` is the bare name (CloudWatch's dimension), whatever form the pattern gave.
 * An HTTP API on API Gateway's own domain also gives its `ApiId` and `StageName` (the
 * pattern's `stage`, else `$default`); a REST API is measured by its name, which a URL does
 * not carry, so its API Gateway metrics are not read.
 *
 * @example
 * bringYourOwnOutputs(parseScenario(text, 'x.yaml').patterns[0])
 * // { QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/orders', QueueName: 'orders', FunctionName: 'orders-consumer' }
 */
export function bringYourOwnOutputs(pattern: AwsPatternInput): Record<string, string> {
  const settings = normalizePattern(pattern);
  const outputs: Record<string, string> = {};
  if (settings.functionName) outputs[stackOutputKeys.functionName] = lambdaFunctionNameOf(settings.functionName);
  switch (settings.source) {
    case 'sqs':
      if (settings.queueUrl) {
        outputs[stackOutputKeys.queueUrl] = settings.queueUrl;
        outputs[stackOutputKeys.queueName] = parseQueueUrl(settings.queueUrl, '').name;
      }
      break;
    case 'kinesis':
      if (settings.streamName) outputs[stackOutputKeys.streamName] = settings.streamName;
      break;
    case 'eventbridge':
      if (settings.busName) outputs[stackOutputKeys.eventBusName] = settings.busName;
      break;
    case 's3':
      if (settings.bucket) outputs[stackOutputKeys.bucketName] = settings.bucket;
      break;
    case 'apigateway': {
      if (!settings.apiUrl) break;
      outputs[stackOutputKeys.apiUrl] = settings.apiUrl;
      // https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-call.html ({api-id}.execute-api.{region}.amazonaws.com)
      const apiId = /^([a-z0-9]{10})\.execute-api\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/.exec(new URL(settings.apiUrl).hostname)?.[1];
      if (apiId && settings.type === 'http') {
        outputs[stackOutputKeys.apiId] = apiId;
        outputs[stackOutputKeys.stageName] = settings.stage;
      }
      break;
    }
  }
  return outputs;
}
