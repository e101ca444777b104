import { createHash } from 'node:crypto';
import type { ScenarioParts } from '../../scenario/parts.ts';
import { awsDefaults } from '../../core/aws-defaults.ts';
import { formatDurationMs } from '../../core/duration.ts';

/**
 * The builder a stack template is assembled with: the generic part (targets/aws/template.ts)
 * and each source's piece (drivers/<source>/aws-stack.ts) add resources, outputs, role
 * statements and notes to it. Kept apart from template.ts so a piece's type can name it
 * without an import circle (template.ts reads the pieces' type).
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

/** How a CloudFormation resource type takes tags: a list of `{Key, Value}`, a map (the API Gateway v2 types), or not at all. */
export type TagStyle = 'list' | 'map' | 'none';

/** The output keys a deployed stack may have; the harness and the drivers read these, never logical ids. */
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

export type StackOutputKey = (typeof stackOutputKeys)[keyof typeof stackOutputKeys];

// ---------------------------------------------------------------------------------------
// Intrinsic functions and names
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference.html

export const ref = (logicalId: string) => ({ Ref: logicalId });
export const getAtt = (logicalId: string, attribute: string) => ({ 'Fn::GetAtt': [logicalId, attribute] });
export const sub = (text: string, variables?: Record<string, unknown>) => ({ 'Fn::Sub': variables ? [text, variables] : text });

/** Lowercase letters, digits and single dashes: what every AWS name sluice makes allows. */
export function sanitizeName(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
}

/** Six hex digits of a SHA-256: keeps shortened names unique. */
export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 6);
}

/** `base + suffix`, shortened with a hash of `base` when over `maxLength`, so names stay unique. */
export function fitName(base: string, suffix: string, maxLength: number): string {
  if (base.length + suffix.length <= maxLength) return base + suffix;
  const keep = Math.max(1, maxLength - suffix.length - 7);
  return `${base.slice(0, keep).replace(/-$/, '')}-${shortHash(base)}${suffix}`;
}

/** Whole seconds, rounded up: CloudFormation's duration properties take whole seconds. */
export function wholeSeconds(ms: number): number {
  return Math.ceil(ms / 1000);
}

/** Lambda's longest function timeout, 900 s. https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html */
const lambdaTimeoutSecMax = 900;

interface PolicyStatement {
  Effect: 'Allow';
  Action: string[];
  Resource: unknown;
}

/** How the source reaches the consumer function. */
export interface ConsumerTarget {
  /** True when the stack creates the function (and therefore its role). */
  created: boolean;
  /** What the source invokes: function ARN, alias ARN, or the named function's ARN. */
  arn: unknown;
  /** `FunctionName` for permissions and event invoke configs. */
  functionName: unknown;
  /** Alias name when provisioned concurrency is on. */
  qualifier?: string;
}

/**
 * A pattern's parsed `asyncInvoke` block (drivers/async-invoke/async-invoke-schema.ts):
 * Lambda's asynchronous-invoke settings of a push source, durations in milliseconds.
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-configuring.html
 */
export interface AsyncInvokeBlock {
  /** 0–2 → EventInvokeConfig.MaximumRetryAttempts. */
  readonly maximumRetryAttempts: number;
  /** In ms; 60 s–6 h → EventInvokeConfig.MaximumEventAgeInSeconds. */
  readonly maximumEventAge: number;
  /** In ms; sluice-only: AWS waits its own fixed delays (1 min, then 2 min) between retries. */
  readonly errorRetryDelays: readonly number[];
  /** In ms; sluice-only: AWS backs off from 1 s to 5 min after throttles. */
  readonly throttleRetryInitial: number;
  readonly throttleRetryMax: number;
}

/**
 * The template of one pattern run while it is built. The generic part creates the consumer
 * first (so `consumer` says what a source wires to), then the source's piece adds its own.
 */
export class TemplateBuilder {
  readonly resources: Record<string, CfnResource> = {};
  readonly outputs: Record<string, CfnOutput> = {};
  readonly roleStatements: PolicyStatement[] = [];
  readonly notes: string[] = [];
  readonly bringYourOwn: Array<{ field: string; value: string }> = [];
  consumer: ConsumerTarget | undefined;
  /** Base of every physical name in the stack: `sluice-<run>-<pattern>`. */
  readonly baseName: string;

  constructor(
    readonly scenario: ScenarioParts,
    /** Pattern name (its `name`, else its source). */
    readonly patternName: string,
    readonly runId: string,
    /** Every resource type the stack may use → how it takes tags. */
    readonly tagStyles: Readonly<Record<string, TagStyle>>,
  ) {
    this.baseName = sanitizeName(`sluice-${runId}-${patternName}`);
  }

  /** A physical name: the stack's base name and `suffix`, within `maxLength`. */
  name(suffix: string, maxLength: number): string {
    return fitName(this.baseName, suffix, maxLength);
  }

  /** Adds a resource; its type must have a tag style, so {@link applyTags} can tag it. */
  add(logicalId: string, type: string, properties: Record<string, unknown>, dependsOn?: string[]): void {
    if (this.tagStyles[type] === undefined) throw new Error(`template-builder.ts: no tag style recorded for ${type} (${logicalId}); list it in the piece's tagStyles`);
    this.resources[logicalId] = { Type: type, Properties: properties, ...(dependsOn?.length ? { DependsOn: dependsOn } : {}) };
  }

  output(key: StackOutputKey, value: unknown, description: string): void {
    this.outputs[key] = { Description: description, Value: value };
  }

  /** Grants the consumer's role `actions` on `resource`, when the stack owns the role. */
  allow(actions: string[], resource: unknown): void {
    if (this.consumer?.created) this.roleStatements.push({ Effect: 'Allow', Action: actions, Resource: resource });
  }

  /** The consumer's timeout in whole seconds, as the function is deployed. */
  functionTimeoutSec(): number {
    return Math.min(lambdaTimeoutSecMax, wholeSeconds(this.scenario.function.timeout));
  }

  /** A standard SQS queue for failures (DLQ / on-failure destination), created once. */
  failureQueue(): { arn: unknown; url: unknown } {
    const logicalId = 'FailureQueue';
    if (!this.resources[logicalId]) {
      // 14 days, SQS's longest retention. https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
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
  asyncInvokeConfig(asyncInvoke: AsyncInvokeBlock): void {
    if (!this.consumer?.created) return;
    const failure = this.failureQueue();
    this.allow(['sqs:SendMessage'], failure.arn);
    this.add(
      'ConsumerEventInvokeConfig',
      'AWS::Lambda::EventInvokeConfig',
      {
        FunctionName: ref('ConsumerFunction'),
        Qualifier: this.consumer.qualifier ?? '$LATEST',
        MaximumRetryAttempts: asyncInvoke.maximumRetryAttempts,
        MaximumEventAgeInSeconds: this.seconds('asyncInvoke.maximumEventAge', asyncInvoke.maximumEventAge),
        DestinationConfig: { OnFailure: { Destination: failure.arn } },
      },
      this.consumer.qualifier ? ['ConsumerAlias'] : undefined,
    );
    const sameAsAws = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((value, i) => value === b[i]);
    const sluiceOnly = [
      ...(sameAsAws(asyncInvoke.errorRetryDelays, awsDefaults.asyncInvokeErrorRetryDelaysMs.value)
        ? []
        : [`errorRetryDelays [${asyncInvoke.errorRetryDelays.map(formatDurationMs).join(', ')}] (AWS waits 1m, then 2m)`]),
      ...(asyncInvoke.throttleRetryInitial === awsDefaults.asyncInvokeThrottleRetryInitialMs.value && asyncInvoke.throttleRetryMax === awsDefaults.asyncInvokeThrottleRetryMaxMs.value
        ? []
        : [`throttleRetryInitial/Max ${formatDurationMs(asyncInvoke.throttleRetryInitial)}/${formatDurationMs(asyncInvoke.throttleRetryMax)} (AWS backs off from 1s to 5m)`]),
    ];
    if (sluiceOnly.length > 0) this.notes.push(`asyncInvoke ${sluiceOnly.join(' and ')}: AWS has no such setting, so its own delays apply on this stack.`);
  }

  /** Whole seconds for a CloudFormation property, rounded up; notes the rounding. */
  seconds(field: string, ms: number): number {
    const whole = wholeSeconds(ms);
    if (whole * 1000 !== ms) this.notes.push(`${field} ${formatDurationMs(ms)} rounded up to ${whole}s (AWS takes whole seconds).`);
    return whole;
  }
}

/** Tags every resource whose type takes tags, in the form its type takes them. */
export function applyTags(resources: Record<string, CfnResource>, tagStyles: Readonly<Record<string, TagStyle>>, tags: Array<{ Key: string; Value: string }>): void {
  for (const resource of Object.values(resources)) {
    const style = tagStyles[resource.Type];
    if (style === 'list') resource.Properties.Tags = tags.map((tag) => ({ ...tag }));
    if (style === 'map') resource.Properties.Tags = Object.fromEntries(tags.map((tag) => [tag.Key, tag.Value]));
  }
}
