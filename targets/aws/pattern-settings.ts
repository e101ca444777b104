import type { PatternSpec } from '../../scenario/schema.ts';
import type { SqsPattern } from '../../drivers/sqs/schema.ts';
import type { KinesisPattern } from '../../drivers/kinesis/schema.ts';
import type { EventBridgePattern } from '../../drivers/eventbridge/schema.ts';
import type { AsyncInvokeSpec } from '../../drivers/async-invoke/async-invoke-schema.ts';
import type { S3Pattern } from '../../drivers/s3/schema.ts';
import type { ApiGatewayPattern } from '../../drivers/apigateway/schema.ts';
import { AwsTemplateError } from './errors.ts';

/**
 * The settings of each event source as the `aws` target builds them, read from a pattern
 * the scenario schema has validated (drivers/<source>/schema.ts): the schema is what users
 * write, so its fields and defaults are the truth, and its parsed values are what arrives
 * here — durations in milliseconds, kinesis's `mode` as `streamMode`, defaults filled in.
 * Conversion to AWS's units (seconds where CloudFormation wants seconds) happens in
 * template.ts, next to the property it fills.
 */

export const awsSourceNames = ['sqs', 'kinesis', 'eventbridge', 's3', 'apigateway'] as const;
/** A source the aws target can build: `'sqs' | 'kinesis' | 'eventbridge' | 's3' | 'apigateway'`. */
export type AwsSourceName = (typeof awsSourceNames)[number];

/** Any scenario pattern, for code that needs only its source and name. */
export interface PatternLike {
  readonly source: string;
  readonly name?: string;
}

/**
 * The field that names an existing source resource ("bring your own"), per source. With
 * it, sluice creates no resource for that source; with `functionName`, no consumer.
 */
export const bringYourOwnSourceField = {
  sqs: 'queueUrl',
  kinesis: 'streamName',
  eventbridge: 'busName',
  s3: 'bucket',
  apigateway: 'apiUrl',
} as const satisfies Record<AwsSourceName, string>;

/**
 * Existing resources a pattern may name: every pattern's `functionName`, and its source's
 * field of {@link bringYourOwnSourceField}. The scenario schemas accept and check them
 * (targets/aws/bring-your-own.ts has the rules); the type lists them all, so code that
 * reads any pattern can ask for any of them.
 */
export interface BringYourOwnFields {
  /** An existing function to drive instead of sluice's synthetic consumer. */
  readonly functionName?: string;
  readonly queueUrl?: string;
  readonly streamName?: string;
  readonly busName?: string;
  readonly bucket?: string;
  readonly apiUrl?: string;
}

/** What {@link normalizePattern} and buildStackTemplate read: a validated pattern, optionally naming existing resources. */
export type AwsPatternInput = PatternSpec & BringYourOwnFields;

interface CommonSettings {
  /** Pattern name (its `name`, else its source). */
  name: string;
  /** An existing function to drive instead of sluice's synthetic consumer. */
  functionName?: string;
}

/**
 * Lambda's asynchronous-invoke settings of a push source (EventBridge, S3), from the
 * pattern's `asyncInvoke` block.
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-configuring.html
 */
export interface AsyncInvokeSettings {
  /** 0–2 → EventInvokeConfig.MaximumRetryAttempts. */
  maximumRetryAttempts: number;
  /** 60 s–6 h → EventInvokeConfig.MaximumEventAgeInSeconds. */
  maximumEventAgeMs: number;
  /** sluice-only: AWS waits its own fixed delays (1 min, then 2 min) between retries. */
  errorRetryDelaysMs: readonly number[];
  /** sluice-only: AWS backs off from 1 s to 5 min after throttles. */
  throttleRetryInitialMs: number;
  throttleRetryMaxMs: number;
}

/**
 * An sqs pattern as the stack builds it.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html
 */
export interface SqsSettings extends CommonSettings {
  source: 'sqs';
  queueUrl?: string;
  batchSize: number;
  maximumBatchingWindowMs: number;
  maximumConcurrency?: number;
  visibilityTimeoutMs: number;
  maxReceiveCount: number;
  fifo: boolean;
  /** Load generator only: message group ids the sender spreads events over. */
  messageGroups: number;
}

/**
 * A kinesis pattern as the stack builds it.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-parameters.html
 */
export interface KinesisSettings extends CommonSettings {
  source: 'kinesis';
  streamName?: string;
  mode: 'provisioned' | 'on-demand';
  /** Shards of a provisioned stream; for on-demand, the shards AWS starts it with (not set in the stack). */
  shards: number;
  batchSize: number;
  maximumBatchingWindowMs: number;
  parallelizationFactor: number;
  startingPosition: 'LATEST' | 'TRIM_HORIZON';
  /** -1 retries until the record expires (AWS's default). */
  maximumRetryAttempts: number;
  /** undefined: no limit (-1 on AWS). */
  maximumRecordAgeMs?: number;
  bisectBatchOnFunctionError: boolean;
}

/** One rule of an eventbridge pattern. https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html */
export interface EventBridgeRuleSettings {
  /** The pattern's rule name, or `rule-<n>` as the driver names it. */
  name: string;
  eventPattern: Record<string, unknown>;
}

/** An eventbridge pattern as the stack builds it: a bus, rules, the function as every rule's target. */
export interface EventBridgeSettings extends CommonSettings {
  source: 'eventbridge';
  busName?: string;
  /** The events' `source`. */
  eventSource: string;
  /** The pattern's rules, or the default rule `all-events` on `eventSource` (see {@link defaultEventPatternFor}). */
  rules: EventBridgeRuleSettings[];
  /** True when the rules are the pattern's own, false for the default rule. */
  rulesFromPattern: boolean;
  /**
   * How sluice counts an event several rules deliver (intended copies, or duplicates).
   * EventBridge has no such setting: it invokes the target once per matching rule either way.
   */
  fanOut: boolean;
  asyncInvoke: AsyncInvokeSettings;
  /** The account's PutEvents quota the load generator models (a Service Quota on AWS, not a stack property). */
  putEventsRequestsPerSecond: number;
  putEventsBurstRequests?: number;
}

/** The object keys an s3 pattern writes (drivers/s3/object-keys.ts). */
export interface S3KeySpec {
  keyTemplate: string;
  prefixes: readonly string[];
  suffixes: readonly string[];
}

/**
 * An s3 pattern as the stack builds it.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-filtering.html
 */
export interface S3Settings extends CommonSettings {
  source: 's3';
  bucket?: string;
  /** `notification.events`: `s3:ObjectCreated:*`, `s3:ObjectCreated:Put`, … */
  events: string[];
  /** `notification.prefix` / `notification.suffix`: the key filter of the notification. */
  filterPrefix?: string;
  filterSuffix?: string;
  keys: S3KeySpec;
  asyncInvoke: AsyncInvokeSettings;
  /** sluice-only: share of object events the embedded S3 notifies twice. */
  duplicateNotificationRate: number;
  /** S3's per-prefix request rates the embedded S3 applies; on AWS they are S3's own. */
  putRequestsPerSecondPerPrefix: number;
  getRequestsPerSecondPerPrefix: number;
}

/** An apigateway pattern as the stack builds it: an HTTP or REST API with one Lambda proxy route. */
export interface ApiGatewaySettings extends CommonSettings {
  source: 'apigateway';
  apiUrl?: string;
  type: 'http' | 'rest';
  method: ApiGatewayPattern['method'];
  /** The route's path as the schema has it: `/`, `/events`, `/v1/orders`. */
  path: string;
  /** The path's segments: `[]` for `/`, `['v1', 'orders']` for `/v1/orders`. */
  pathSegments: string[];
  /** The stage: the pattern's, else `prod` (REST) or `$default` (HTTP), as sluice's own gateway names it. */
  stage: string;
  throttleRatePerSecond: number;
  throttleBurst: number;
  integrationTimeoutMs: number;
}

/**
 * Settings of any source, discriminated by `source`.
 *
 * @example
 * const settings = normalizePattern(parseScenario(text, 'x.yaml').patterns[0]);
 * if (settings.source === 'sqs') settings.batchSize; // 10 unless the pattern says otherwise
 */
export type AwsPatternSettings = SqsSettings | KinesisSettings | EventBridgeSettings | S3Settings | ApiGatewaySettings;

/**
 * The `source` the eventbridge driver puts on its events on the managed-stack path when the
 * pattern has no rules (drivers/eventbridge/eventbridge-driver.ts), so the stack's default
 * rule matches it besides the pattern's `eventSource`.
 */
export const sluiceEventSourceName = 'sluice.load';
/** An event pattern matching the events the driver sends to a managed stack without rules: `{ source: ['sluice.load'] }`. */
export const defaultEventPattern = { source: [sluiceEventSourceName] } as const;

/**
 * The event pattern of the stack's rule when the pattern gives none: every event of the
 * pattern's `eventSource` (the schema's "one rule matching every event of eventSource"),
 * and of {@link sluiceEventSourceName}, the source the driver sends on the managed-stack
 * path for a pattern without rules.
 *
 * @example
 * defaultEventPatternFor('sluice.loadtest') // { source: ['sluice.loadtest', 'sluice.load'] }
 */
export function defaultEventPatternFor(eventSource: string): { source: string[] } {
  return { source: [...new Set([eventSource, sluiceEventSourceName])] };
}

function asyncInvokeSettingsOf(spec: AsyncInvokeSpec): AsyncInvokeSettings {
  return {
    maximumRetryAttempts: spec.maximumRetryAttempts,
    maximumEventAgeMs: spec.maximumEventAge,
    errorRetryDelaysMs: spec.errorRetryDelays,
    throttleRetryInitialMs: spec.throttleRetryInitial,
    throttleRetryMaxMs: spec.throttleRetryMax,
  };
}

function common(pattern: { source: string; name?: string } & BringYourOwnFields): CommonSettings {
  return { name: pattern.name ?? pattern.source, ...(pattern.functionName ? { functionName: pattern.functionName } : {}) };
}

type Input<P> = P & BringYourOwnFields;

/** One normalizer per source: parsed pattern in, the settings the stack is built from out. */
const normalizers = {
  sqs(p: Input<SqsPattern>): SqsSettings {
    return {
      source: 'sqs',
      ...common(p),
      ...(p.queueUrl ? { queueUrl: p.queueUrl } : {}),
      batchSize: p.batchSize,
      maximumBatchingWindowMs: p.maximumBatchingWindow,
      ...(p.maximumConcurrency !== undefined ? { maximumConcurrency: p.maximumConcurrency } : {}),
      visibilityTimeoutMs: p.visibilityTimeout,
      maxReceiveCount: p.maxReceiveCount,
      fifo: p.fifo,
      messageGroups: p.messageGroups,
    };
  },
  kinesis(p: Input<KinesisPattern>): KinesisSettings {
    return {
      source: 'kinesis',
      ...common(p),
      ...(p.streamName ? { streamName: p.streamName } : {}),
      mode: p.streamMode,
      shards: p.shards,
      batchSize: p.batchSize,
      maximumBatchingWindowMs: p.maximumBatchingWindow,
      parallelizationFactor: p.parallelizationFactor,
      startingPosition: p.startingPosition,
      maximumRetryAttempts: p.maximumRetryAttempts,
      ...(p.maximumRecordAge !== -1 ? { maximumRecordAgeMs: p.maximumRecordAge } : {}),
      bisectBatchOnFunctionError: p.bisectBatchOnFunctionError,
    };
  },
  eventbridge(p: Input<EventBridgePattern>, problems: string[]): EventBridgeSettings {
    const rules: EventBridgeRuleSettings[] = p.rules
      ? p.rules.map((rule, index) => ({ name: rule.name ?? `rule-${index + 1}`, eventPattern: eventPatternObject(rule.eventPattern, `rules[${index}].eventPattern`, problems) }))
      : [{ name: 'all-events', eventPattern: defaultEventPatternFor(p.eventSource) }];
    return {
      source: 'eventbridge',
      ...common(p),
      ...(p.busName ? { busName: p.busName } : {}),
      eventSource: p.eventSource,
      rules,
      rulesFromPattern: p.rules !== undefined,
      fanOut: p.fanOut,
      asyncInvoke: asyncInvokeSettingsOf(p.asyncInvoke),
      putEventsRequestsPerSecond: p.putEventsRequestsPerSecond,
      ...(p.putEventsBurstRequests !== undefined ? { putEventsBurstRequests: p.putEventsBurstRequests } : {}),
    };
  },
  s3(p: Input<S3Pattern>): S3Settings {
    return {
      source: 's3',
      ...common(p),
      ...(p.bucket ? { bucket: p.bucket } : {}),
      events: [...p.notification.events],
      ...(p.notification.prefix ? { filterPrefix: p.notification.prefix } : {}),
      ...(p.notification.suffix ? { filterSuffix: p.notification.suffix } : {}),
      keys: { keyTemplate: p.keyTemplate, prefixes: p.prefixes, suffixes: p.suffixes },
      asyncInvoke: asyncInvokeSettingsOf(p.asyncInvoke),
      duplicateNotificationRate: p.duplicateNotificationRate,
      putRequestsPerSecondPerPrefix: p.putRequestsPerSecondPerPrefix,
      getRequestsPerSecondPerPrefix: p.getRequestsPerSecondPerPrefix,
    };
  },
  apigateway(p: Input<ApiGatewayPattern>): ApiGatewaySettings {
    return {
      source: 'apigateway',
      ...common(p),
      ...(p.apiUrl ? { apiUrl: p.apiUrl } : {}),
      type: p.type,
      method: p.method,
      path: p.path,
      pathSegments: p.path === '/' ? [] : p.path.slice(1).split('/'),
      // The same default as sluice's own gateway (drivers/apigateway/gateway-server.ts).
      stage: p.stage ?? (p.type === 'rest' ? 'prod' : '$default'),
      throttleRatePerSecond: p.throttleRatePerSecond,
      throttleBurst: p.throttleBurst,
      integrationTimeoutMs: p.integrationTimeout,
    };
  },
} as const satisfies { [S in AwsSourceName]: (pattern: never, problems: string[]) => Extract<AwsPatternSettings, { source: S }> };

/** An event pattern given as a mapping or as JSON text (both allowed by the schema), as an object. */
function eventPatternObject(eventPattern: Record<string, unknown> | string, path: string, problems: string[]): Record<string, unknown> {
  if (typeof eventPattern !== 'string') return eventPattern;
  try {
    const parsed: unknown = JSON.parse(eventPattern);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // reported below
  }
  problems.push(`${path}: the JSON text is not an object`);
  return {};
}

/**
 * Fields only a pattern the schema has parsed has, per source: a raw pattern (durations as
 * `30s` or in seconds, kinesis's `mode`) read as parsed would be misread by a factor of 1000.
 */
const parsedPatternCheck: { [S in AwsSourceName]: (pattern: Record<string, unknown>) => boolean } = {
  sqs: (p) => typeof p.visibilityTimeout === 'number' && typeof p.maximumBatchingWindow === 'number' && typeof p.sendBatchSize === 'number',
  kinesis: (p) => typeof p.streamMode === 'string' && !('mode' in p) && typeof p.maximumBatchingWindow === 'number',
  eventbridge: (p) => typeof p.eventSource === 'string' && typeof p.fanOut === 'boolean' && typeof (p.asyncInvoke as { maximumEventAge?: unknown } | undefined)?.maximumEventAge === 'number',
  s3: (p) => Array.isArray((p.notification as { events?: unknown } | undefined)?.events) && typeof (p.asyncInvoke as { maximumEventAge?: unknown } | undefined)?.maximumEventAge === 'number',
  apigateway: (p) => typeof p.integrationTimeout === 'number' && typeof p.method === 'string' && typeof p.throttleBurst === 'number',
};

/** True for the sources this target knows how to build. */
export function isAwsSourceName(source: string): source is AwsSourceName {
  return (awsSourceNames as readonly string[]).includes(source);
}

/**
 * Reads one validated scenario pattern into the settings its stack is built from. Throws
 * {@link AwsTemplateError} for a source the target cannot build, or a pattern the scenario
 * schema has not parsed (parse the file with `parseScenario` first).
 *
 * @example
 * const scenario = parseScenario('… patterns: [{ source: kinesis, mode: on-demand }] …', 'x.yaml');
 * normalizePattern(scenario.patterns[0])
 * // { source: 'kinesis', name: 'kinesis', mode: 'on-demand', shards: 4, batchSize: 100, startingPosition: 'TRIM_HORIZON', … }
 */
export function normalizePattern(pattern: AwsPatternInput, path = 'pattern'): AwsPatternSettings {
  const source = (pattern as PatternLike).source;
  if (!isAwsSourceName(source)) {
    throw new AwsTemplateError([`${path}.source: "${source}" is not a source the aws target can build`], `Use one of ${awsSourceNames.join(', ')}.`);
  }
  if (!parsedPatternCheck[source](pattern as unknown as Record<string, unknown>)) {
    throw new AwsTemplateError(
      [`${path}: not a pattern the scenario schema has parsed`],
      'Build templates from a validated scenario (parseScenario in scenario/load.ts): the template reads parsed values, durations in milliseconds.',
    );
  }
  const problems: string[] = [];
  const normalize = normalizers[source] as (p: AwsPatternInput, problems: string[]) => AwsPatternSettings;
  const settings = normalize(pattern, problems);
  if (problems.length > 0) throw new AwsTemplateError(problems.map((problem) => `${path}.${problem}`), 'Fix these pattern settings.');
  return settings;
}

/** The bring-your-own source resource a pattern names, if any. */
export function bringYourOwnSource(settings: AwsPatternSettings): { field: string; value: string } | undefined {
  const field = bringYourOwnSourceField[settings.source];
  const value = (settings as unknown as Record<string, unknown>)[field];
  return typeof value === 'string' ? { field, value } : undefined;
}
