import { parseDurationMs } from '../../scenario/duration.ts';
import { AwsTemplateError } from './errors.ts';

/**
 * The settings of each event source as the `aws` target reads them, with AWS's defaults
 * filled in. Only `sqs` has a scenario schema today (drivers/sqs/schema.ts); the others are
 * read here defensively, field by field, so this target is ready when their schemas land.
 * Duration fields follow the scenario convention: a number is milliseconds (the validated
 * value), a string carries its unit (`30s`).
 */

export const awsSourceNames = ['sqs', 'kinesis', 'eventbridge', 's3', 'apigateway'] as const;
/** A source the aws target can build: `'sqs' | 'kinesis' | 'eventbridge' | 's3' | 'apigateway'`. */
export type AwsSourceName = (typeof awsSourceNames)[number];

/** Any scenario pattern: the validated type, or one whose schema has not landed yet. */
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

interface CommonSettings {
  /** Pattern name (its `name`, else its source). */
  name: string;
  /** An existing function to drive instead of sluice's synthetic consumer. */
  functionName?: string;
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
  reportBatchItemFailures: boolean;
}

/**
 * A kinesis pattern as the stack builds it.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-parameters.html
 */
export interface KinesisSettings extends CommonSettings {
  source: 'kinesis';
  streamName?: string;
  mode: 'provisioned' | 'on-demand';
  shards: number;
  batchSize: number;
  maximumBatchingWindowMs: number;
  parallelizationFactor: number;
  startingPosition: 'LATEST' | 'TRIM_HORIZON';
  /** -1 (or undefined) retries until the record expires. */
  maximumRetryAttempts?: number;
  /** undefined: no limit (-1 on AWS). */
  maximumRecordAgeMs?: number;
  bisectBatchOnFunctionError: boolean;
  reportBatchItemFailures: boolean;
}

/** One rule of an eventbridge pattern. https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html */
export interface EventBridgeRuleSettings {
  name?: string;
  eventPattern: Record<string, unknown>;
}

/** An eventbridge pattern as the stack builds it: a bus, rules, a Lambda target per rule. */
export interface EventBridgeSettings extends CommonSettings {
  source: 'eventbridge';
  busName?: string;
  rules: EventBridgeRuleSettings[];
  /** Copies of every rule, each with its own target: an event is delivered `rules × fanOut` times. */
  fanOut: number;
  /** EventBridge's retry policy towards the target (default 185 attempts, 24 h). */
  maximumRetryAttempts?: number;
  maximumEventAgeMs?: number;
  /** Lambda's own asynchronous-invoke retries (default 2, 6 h). */
  asyncMaximumRetryAttempts?: number;
  asyncMaximumEventAgeMs?: number;
}

/**
 * An s3 pattern as the stack builds it.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-filtering.html
 */
export interface S3Settings extends CommonSettings {
  source: 's3';
  bucket?: string;
  prefix?: string;
  suffix?: string;
  /** `s3:ObjectCreated:*`, `s3:ObjectCreated:Put`, … */
  eventType: string;
  asyncMaximumRetryAttempts?: number;
  asyncMaximumEventAgeMs?: number;
}

/** An apigateway pattern as the stack builds it: an HTTP or REST API with one Lambda proxy route. */
export interface ApiGatewaySettings extends CommonSettings {
  source: 'apigateway';
  apiUrl?: string;
  type: 'http' | 'rest';
  /** Steady-state requests per second for the stage; undefined leaves the account's limit. */
  throttleRateLimit?: number;
  throttleBurstLimit?: number;
  /** Path of the one route, without a leading slash. */
  path: string;
}

/**
 * Settings of any source, discriminated by `source`.
 *
 * @example
 * const settings: AwsPatternSettings = normalizePattern({ source: 'sqs' });
 * if (settings.source === 'sqs') settings.batchSize; // 10
 */
export type AwsPatternSettings = SqsSettings | KinesisSettings | EventBridgeSettings | S3Settings | ApiGatewaySettings;

/** The default rule matches the `source` sluice's load generator puts on every event. */
export const sluiceEventSourceName = 'sluice.load';
/** The event pattern of the default rule: `{ source: ['sluice.load'] }`. */
export const defaultEventPattern = { source: [sluiceEventSourceName] } as const;

/** Reads fields of one raw pattern, collecting every problem rather than stopping at the first. */
class FieldReader {
  readonly problems: string[] = [];
  constructor(
    private readonly raw: Record<string, unknown>,
    private readonly path: string,
  ) {}

  /** The value as written, before any check. */
  rawValue(key: string): unknown {
    return this.raw[key];
  }

  private present(key: string): unknown {
    const value = this.raw[key];
    return value === null ? undefined : value;
  }

  private problem(key: string, message: string): undefined {
    this.problems.push(`${this.path}.${key}: ${message}`);
    return undefined;
  }

  string(key: string): string | undefined {
    const value = this.present(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.length === 0) return this.problem(key, 'must be a non-empty string');
    return value;
  }

  boolean(key: string, fallback: boolean): boolean {
    const value = this.present(key);
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') return this.problem(key, 'must be true or false') ?? fallback;
    return value;
  }

  integer(key: string, range: { min: number; max: number }): number | undefined {
    const value = this.present(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value)) return this.problem(key, 'must be a whole number');
    if (value < range.min || value > range.max) return this.problem(key, `must be between ${range.min} and ${range.max} (got ${value})`);
    return value;
  }

  number(key: string, range: { min: number; max: number }): number | undefined {
    const value = this.present(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value)) return this.problem(key, 'must be a number');
    if (value < range.min || value > range.max) return this.problem(key, `must be between ${range.min} and ${range.max} (got ${value})`);
    return value;
  }

  durationMs(key: string, range: { minMs: number; maxMs: number }): number | undefined {
    const value = this.present(key);
    if (value === undefined) return undefined;
    const ms = typeof value === 'number' ? (Number.isFinite(value) && value >= 0 ? value : undefined) : parseDurationMs(value);
    if (ms === undefined) return this.problem(key, `"${String(value)}" is not a duration (milliseconds, or a string such as 30s)`);
    if (ms < range.minMs || ms > range.maxMs) {
      return this.problem(key, `must be between ${range.minMs / 1000}s and ${range.maxMs / 1000}s (got ${ms / 1000}s)`);
    }
    return ms;
  }

  choice<T extends string>(key: string, allowed: Record<string, T>, fallback: T): T {
    const value = this.present(key);
    if (value === undefined) return fallback;
    const found = typeof value === 'string' ? allowed[value.toLowerCase()] : undefined;
    if (found === undefined) return this.problem(key, `must be one of ${Object.keys(allowed).join(', ')}`) ?? fallback;
    return found;
  }

  object(key: string): Record<string, unknown> | undefined {
    const value = this.present(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) return this.problem(key, 'must be a mapping');
    return value as Record<string, unknown>;
  }

  array(key: string): unknown[] | undefined {
    const value = this.present(key);
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) return this.problem(key, 'must be a list');
    return value;
  }

  common(source: string): CommonSettings {
    const name = this.string('name') ?? source;
    const functionName = this.string('functionName');
    return { name, ...(functionName ? { functionName } : {}) };
  }
}

const day = 86_400_000;

/** One normalizer per source: raw pattern in, settings with AWS's defaults out. */
const normalizers = {
  sqs(read: FieldReader): SqsSettings {
    return {
      source: 'sqs',
      ...read.common('sqs'),
      queueUrl: read.string('queueUrl'),
      batchSize: read.integer('batchSize', { min: 1, max: 10_000 }) ?? 10,
      maximumBatchingWindowMs: read.durationMs('maximumBatchingWindow', { minMs: 0, maxMs: 300_000 }) ?? 0,
      maximumConcurrency: read.integer('maximumConcurrency', { min: 2, max: 1000 }),
      visibilityTimeoutMs: read.durationMs('visibilityTimeout', { minMs: 0, maxMs: 12 * 3_600_000 }) ?? 30_000,
      maxReceiveCount: read.integer('maxReceiveCount', { min: 1, max: 1000 }) ?? 3,
      fifo: read.boolean('fifo', false),
      reportBatchItemFailures: read.boolean('reportBatchItemFailures', false),
    };
  },
  kinesis(read: FieldReader): KinesisSettings {
    const shards = read.integer('shards', { min: 1, max: 10_000 }) ?? read.integer('shardCount', { min: 1, max: 10_000 });
    const mode = read.choice('mode', { provisioned: 'provisioned', 'on-demand': 'on-demand', on_demand: 'on-demand', ondemand: 'on-demand' }, 'provisioned');
    const retries = read.integer('maximumRetryAttempts', { min: -1, max: 10_000 });
    // -1 is AWS's "no limit"; otherwise 60 s to 7 days.
    const maximumRecordAgeMs = read.rawValue('maximumRecordAge') === -1 ? undefined : read.durationMs('maximumRecordAge', { minMs: 60_000, maxMs: 7 * day });
    return {
      source: 'kinesis',
      ...read.common('kinesis'),
      streamName: read.string('streamName'),
      mode,
      shards: shards ?? 1,
      batchSize: read.integer('batchSize', { min: 1, max: 10_000 }) ?? 100,
      maximumBatchingWindowMs: read.durationMs('maximumBatchingWindow', { minMs: 0, maxMs: 300_000 }) ?? 0,
      parallelizationFactor: read.integer('parallelizationFactor', { min: 1, max: 10 }) ?? 1,
      // TRIM_HORIZON by default: the mapping starts polling a little after the stack is
      // complete, and with LATEST the first records sent would be skipped.
      startingPosition: read.choice(
        'startingPosition',
        { latest: 'LATEST', trim_horizon: 'TRIM_HORIZON', 'trim-horizon': 'TRIM_HORIZON' },
        'TRIM_HORIZON',
      ),
      maximumRetryAttempts: retries === -1 ? undefined : retries,
      maximumRecordAgeMs,
      bisectBatchOnFunctionError: read.boolean('bisectBatchOnFunctionError', false),
      reportBatchItemFailures: read.boolean('reportBatchItemFailures', false),
    };
  },
  eventbridge(read: FieldReader): EventBridgeSettings {
    const rawRules = read.array('rules');
    const rules: EventBridgeRuleSettings[] = [];
    (rawRules ?? [{ eventPattern: defaultEventPattern }]).forEach((rule, index) => {
      const ruleObject = typeof rule === 'object' && rule !== null && !Array.isArray(rule) ? (rule as Record<string, unknown>) : undefined;
      const eventPattern = ruleObject?.eventPattern;
      if (!ruleObject || typeof eventPattern !== 'object' || eventPattern === null || Array.isArray(eventPattern)) {
        read.problems.push(`rules[${index}].eventPattern: each rule needs an eventPattern mapping`);
        return;
      }
      rules.push({ ...(typeof ruleObject.name === 'string' ? { name: ruleObject.name } : {}), eventPattern: eventPattern as Record<string, unknown> });
    });
    if (rawRules && rawRules.length === 0) read.problems.push('rules: give at least one rule');
    if (rules.length > 100) read.problems.push('rules: at most 100 rules per pattern');
    return {
      source: 'eventbridge',
      ...read.common('eventbridge'),
      busName: read.string('busName'),
      rules,
      fanOut: read.integer('fanOut', { min: 1, max: 100 }) ?? 1,
      // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html
      maximumRetryAttempts: read.integer('maximumRetryAttempts', { min: 0, max: 185 }),
      maximumEventAgeMs: read.durationMs('maximumEventAge', { minMs: 60_000, maxMs: day }),
      // https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
      asyncMaximumRetryAttempts: read.integer('asyncMaximumRetryAttempts', { min: 0, max: 2 }),
      asyncMaximumEventAgeMs: read.durationMs('asyncMaximumEventAge', { minMs: 60_000, maxMs: 6 * 3_600_000 }),
    };
  },
  s3(read: FieldReader): S3Settings {
    const rawEvent = read.string('eventType') ?? read.string('event') ?? 's3:ObjectCreated:*';
    const eventType = rawEvent.startsWith('s3:') ? rawEvent : `s3:${rawEvent}`;
    if (!/^s3:[A-Za-z]+:[A-Za-z*]+$/.test(eventType)) read.problems.push(`eventType: "${rawEvent}" is not an S3 event type such as s3:ObjectCreated:*`);
    return {
      source: 's3',
      ...read.common('s3'),
      bucket: read.string('bucket'),
      prefix: read.string('prefix'),
      suffix: read.string('suffix'),
      eventType,
      asyncMaximumRetryAttempts: read.integer('asyncMaximumRetryAttempts', { min: 0, max: 2 }),
      asyncMaximumEventAgeMs: read.durationMs('asyncMaximumEventAge', { minMs: 60_000, maxMs: 6 * 3_600_000 }),
    };
  },
  apigateway(read: FieldReader): ApiGatewaySettings {
    const throttle = read.object('throttle');
    const throttleReader = new FieldReader(throttle ?? {}, 'throttle');
    const rate = throttleReader.number('rate', { min: 0, max: 1_000_000 }) ?? read.number('throttleRate', { min: 0, max: 1_000_000 });
    const burst = throttleReader.integer('burst', { min: 0, max: 1_000_000 }) ?? read.integer('throttleBurst', { min: 0, max: 1_000_000 });
    read.problems.push(...throttleReader.problems);
    const path = (read.string('path') ?? 'events').replace(/^\/+/, '');
    if (!/^[A-Za-z0-9._-]+$/.test(path)) read.problems.push(`path: "${path}" must be one path segment of letters, digits, . _ -`);
    return {
      source: 'apigateway',
      ...read.common('apigateway'),
      apiUrl: read.string('apiUrl'),
      type: read.choice('type', { http: 'http', rest: 'rest' }, 'http'),
      throttleRateLimit: rate,
      throttleBurstLimit: burst,
      path,
    };
  },
} as const satisfies { [S in AwsSourceName]: (read: FieldReader) => Extract<AwsPatternSettings, { source: S }> };

/** True for the sources this target knows how to build. */
export function isAwsSourceName(source: string): source is AwsSourceName {
  return (awsSourceNames as readonly string[]).includes(source);
}

/**
 * Reads one scenario pattern into settings with AWS's defaults. Throws
 * {@link AwsTemplateError} listing every problem found.
 *
 * @example
 * normalizePattern({ source: 'kinesis', shards: 4, parallelizationFactor: 2 })
 * // { source: 'kinesis', name: 'kinesis', shards: 4, parallelizationFactor: 2, batchSize: 100, startingPosition: 'TRIM_HORIZON', … }
 */
export function normalizePattern(pattern: PatternLike, path = 'pattern'): AwsPatternSettings {
  if (!isAwsSourceName(pattern.source)) {
    throw new AwsTemplateError([`${path}.source: "${pattern.source}" is not a source the aws target can build`], `Use one of ${awsSourceNames.join(', ')}.`);
  }
  const read = new FieldReader(pattern as unknown as Record<string, unknown>, path);
  const settings = normalizers[pattern.source](read);
  if (read.problems.length > 0) {
    throw new AwsTemplateError(
      read.problems.map((problem) => (problem.startsWith(path) ? problem : `${path}.${problem}`)),
      'Fix these pattern settings; the ranges are AWS’s own limits for the event source mapping or integration.',
    );
  }
  return settings;
}

/** The bring-your-own source resource a pattern names, if any. */
export function bringYourOwnSource(settings: AwsPatternSettings): { field: string; value: string } | undefined {
  const field = bringYourOwnSourceField[settings.source];
  const value = (settings as unknown as Record<string, unknown>)[field];
  return typeof value === 'string' ? { field, value } : undefined;
}
