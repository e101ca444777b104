import type { ScenarioParts } from '../../scenario/parts.ts';
import { consumerEnvironment } from './consumer-code.ts';
import { syntheticConsumerBundle } from './synthetic-consumer/bundle.ts';
import { AwsTemplateError } from './errors.ts';
import type { AwsStackPiece, StackPattern } from './stack-piece.ts';
import { applyTags, fitName, getAtt, ref, sanitizeName, stackOutputKeys, sub, TemplateBuilder, type CfnOutput, type CfnResource, type TagStyle } from './template-builder.ts';

export { stackOutputKeys, type CfnOutput, type CfnResource };

/**
 * One CloudFormation stack per pattern run: the source, a synthetic consumer Lambda that
 * implements the scenario's function spec, the wiring between them with the pattern's
 * settings, and a sink queue for completion records. Everything is plain JSON, built by
 * pure functions, so a template can be inspected (`--dry-run`), diffed (golden files) and
 * deployed without any tool beyond CloudFormation.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/introduction.html
 *
 * This module holds what every source shares (the consumer, its role, log group and sink
 * queue, tags, names, metadata); the source's own resources come from its piece
 * (targets/aws/stack-piece.ts, one per source in drivers/<source>/aws-stack.ts), which the
 * caller passes in.
 *
 * A pattern may name resources of its own ("bring your own", drivers/bring-your-own.ts);
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

/** What sluice records about a stack in the template's own Metadata. */
export interface SluiceStackMetadata {
  runId: string;
  scenario: string;
  pattern: string;
  source: string;
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
   * Lambda runtime of the synthetic consumer. The code is bundled for Node.js 20 (CommonJS)
   * and runs on any Node.js runtime from nodejs20.x up. The default is nodejs22.x because
   * AWS blocks creating nodejs20.x functions from 31 Aug 2026.
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
 * How each resource type the generic part of a stack creates takes tags. A piece adds the
 * types of its source ({@link AwsStackPiece.tagStyles}); a test checks every type used has one.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-resource-tags.html
 */
export const tagStyleByResourceType = {
  'AWS::SQS::Queue': 'list',
  'AWS::IAM::Role': 'list',
  'AWS::Logs::LogGroup': 'list',
  'AWS::Lambda::Function': 'list',
  'AWS::Lambda::Version': 'none',
  'AWS::Lambda::Alias': 'none',
  'AWS::Lambda::EventInvokeConfig': 'none',
} as const satisfies Record<string, TagStyle>;

/**
 * The tag table of a stack built with `piece`: the generic types and the piece's. A type
 * both list must agree, or tagging would depend on which came first.
 */
export function tagStylesWith(piece: Pick<AwsStackPiece<StackPattern>, 'source' | 'tagStyles'>): Readonly<Record<string, TagStyle>> {
  const generic: Readonly<Record<string, TagStyle>> = tagStyleByResourceType;
  for (const [type, style] of Object.entries(piece.tagStyles)) {
    if (generic[type] !== undefined && generic[type] !== style) throw new Error(`the ${piece.source} piece tags ${type} as ${style}, the generic table as ${generic[type]}`);
  }
  return { ...generic, ...piece.tagStyles };
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

function functionArnOf(functionName: string): unknown {
  if (functionName.startsWith('arn:')) return functionName;
  return sub(`arn:\${AWS::Partition}:lambda:\${AWS::Region}:\${AWS::AccountId}:function:${functionName}`);
}

/** The existing source resource a pattern names in its piece's bring-your-own field, if any. */
function ownSourceOf<Pattern extends StackPattern>(piece: AwsStackPiece<Pattern>, pattern: Pattern): { field: string; value: string } | undefined {
  const value: unknown = pattern[piece.bringYourOwnField];
  return typeof value === 'string' ? { field: piece.bringYourOwnField, value } : undefined;
}

// ---------------------------------------------------------------------------------------
// The consumer: role, log group, function, optional provisioned concurrency

function addSinkQueue(b: TemplateBuilder): void {
  // Only with the synthetic consumer, the one thing that reports completions here. A user's
  // own function knows nothing of a queue made per run, so it would stay empty.
  b.add('SinkQueue', 'AWS::SQS::Queue', { QueueName: b.name('-sink', 80), MessageRetentionPeriod: 86_400, VisibilityTimeout: 30 });
  b.output(stackOutputKeys.sinkQueueUrl, ref('SinkQueue'), 'Queue of completion records (JSON arrays of CompletionRecord)');
  b.output(stackOutputKeys.sinkQueueArn, getAtt('SinkQueue', 'Arn'), 'ARN of the sink queue');
}

function addConsumer<Pattern extends StackPattern>(b: TemplateBuilder, piece: AwsStackPiece<Pattern>, pattern: Pattern, lambdaRuntime: string): void {
  const { scenario } = b;
  const ownSource = ownSourceOf(piece, pattern);
  if (pattern.functionName) {
    const arnRegion = /^arn:[^:]+:lambda:([^:]+):/.exec(pattern.functionName)?.[1];
    if (arnRegion !== undefined && arnRegion !== scenario.region) {
      // A source invokes a function of its own region, and the run reads CloudWatch in one region.
      throw new AwsTemplateError(
        [`pattern "${b.patternName}" functionName: your function is in ${arnRegion}, the run in ${scenario.region}`],
        `Set the scenario's region: ${arnRegion}, or name a function in ${scenario.region}.`,
      );
    }
    b.bringYourOwn.push({ field: 'functionName', value: pattern.functionName });
    b.output(stackOutputKeys.functionName, pattern.functionName, 'Your function (not created by sluice)');
    if (ownSource) {
      // Your source and your function are your system, already wired to each other. A second
      // event source mapping would compete with yours for messages (SQS) or process every
      // record twice (Kinesis), a second rule would invoke your function twice per event.
      b.notes.push(
        `${ownSource.field} and functionName are both yours: sluice creates and wires nothing (no stack is deployed); it sends the load to your ${piece.resourceNoun} and reads CloudWatch's metrics of it and of your function.`,
      );
      return;
    }
    b.consumer = { created: false, arn: functionArnOf(pattern.functionName), functionName: pattern.functionName };
    b.notes.push(
      piece.pollsForConsumer
        ? `functionName ${pattern.functionName}: sluice creates no function or role; your function's execution role must allow reading the ${piece.source} source.`
        : `functionName ${pattern.functionName}: sluice creates no function or role; it adds a permission for ${piece.source} to invoke your function.`,
    );
    b.notes.push('functionName: your function writes no completion records, so the run reports the send side and CloudWatch’s metrics, not end-to-end latency or completions.');
    return;
  }
  if (!piece.consumerCanBeWired(pattern)) {
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

  b.add('ConsumerFunction', 'AWS::Lambda::Function', {
    FunctionName: functionName,
    Description: `sluice synthetic consumer: ${scenario.name}/${b.patternName}, run ${b.runId}`,
    Runtime: lambdaRuntime,
    // CloudFormation writes inline code to index.js, so the handler is index.handler.
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-lambda-function-code.html
    Handler: 'index.handler',
    Code: { ZipFile: syntheticConsumerBundle(piece.consumerReader) },
    Role: getAtt('ConsumerRole', 'Arn'),
    MemorySize: fn.memoryMb,
    Timeout: b.functionTimeoutSec(),
    Architectures: [fn.architecture],
    ...(fn.reservedConcurrency !== undefined ? { ReservedConcurrentExecutions: fn.reservedConcurrency } : {}),
    Environment: {
      Variables: { ...consumerEnvironment(fn, piece.source, ref('SinkQueue'), { runId: b.runId }), ...piece.consumerEnvironment?.(pattern) },
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

/**
 * Builds the CloudFormation template of one pattern run from the pattern and its source's
 * piece. Pure: it calls no AWS API. Resources a pattern names as its own ("bring your own":
 * queueUrl, streamName, busName, bucket, apiUrl, functionName) are not created;
 * `Metadata.sluice` says what was left out. Throws {@link AwsTemplateError} when the
 * pattern cannot be deployed as asked.
 *
 * @example
 * const template = buildStackTemplate(scenario, scenario.patterns[0], sqsAwsStack, '20260101t120000z-ab12');
 * await deployStack(cloudFormation, { stackName: stackNameFor(scenario.name, 'sqs', runId), template, tags });
 */
export function buildStackTemplate<Pattern extends StackPattern>(
  scenario: ScenarioParts,
  pattern: Pattern,
  piece: AwsStackPiece<Pattern>,
  runId: string,
  options: BuildStackTemplateOptions = {},
): StackTemplate {
  if (!/^[A-Za-z0-9._:/=+@-]{1,128}$/.test(runId)) {
    throw new AwsTemplateError([`runId: "${runId}" must be 1–128 letters, digits or . _ : / = + @ -`], 'Tag values allow only these characters.');
  }
  if (pattern.source !== piece.source) {
    throw new AwsTemplateError(
      [`pattern.source: "${pattern.source}" is not a source the aws target can build with the ${piece.source} stack piece`],
      'Build each pattern with its own source’s piece (drivers/<source>/aws-stack.ts).',
    );
  }
  const patternName = pattern.name ?? pattern.source;
  const tagStyles = tagStylesWith(piece);
  const b = new TemplateBuilder(scenario, patternName, runId, tagStyles);

  addConsumer(b, piece, pattern, options.lambdaRuntime ?? defaultLambdaRuntime);
  piece.addSource(b, pattern);
  finishConsumer(b);
  applyTags(b.resources, tagStyles, [
    { Key: sluiceTagKeys.runId, Value: runId },
    { Key: sluiceTagKeys.scenario, Value: scenario.name },
    { Key: sluiceTagKeys.pattern, Value: patternName },
  ]);

  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: `sluice run ${runId}: ${scenario.name}/${patternName} (${pattern.source})`,
    Metadata: {
      sluice: {
        runId,
        scenario: scenario.name,
        pattern: patternName,
        source: pattern.source,
        consumer: pattern.functionName ? 'yours' : b.consumer?.created ? 'synthetic' : 'none',
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
