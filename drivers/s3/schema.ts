import { z } from 'zod';
import type { QuotaRecord } from '../../analysis/run-result.ts';
import { eventBridgeDetailTypeOf } from '../../localstack/embedded/s3/object-events.ts';
import { awsDefaults } from '../../core/aws-defaults.ts';
import { functionNameSchema } from '../bring-your-own.ts';
import { bucketSchema } from './bring-your-own.ts';
import { asyncInvokeSchema } from '../async-invoke/async-invoke-schema.ts';
import { keyTemplateProblem } from './object-keys.ts';
import { batchingWindowProblem, scalingModeProblem, sqsMappingFields } from '../sqs/schema.ts';
import { eventPatternSchema } from '../eventbridge/schema.ts';

/** Where the bucket's notifications go, and so which path the events take to the function. */
export const s3NotificationDestinations = ['lambda', 'sqs', 'eventbridge'] as const;

const notifyLambdaSchema = z.object({ to: z.literal('lambda') }).strict();

/**
 * S3 → SQS → Lambda: the bucket's QueueConfiguration sends each event to a queue (with a DLQ),
 * which feeds the function through an SQS event source mapping with these settings.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/ways-to-add-notification-config-to-bucket.html
 */
const notifySqsSchema = z
  .object({ to: z.literal('sqs'), ...sqsMappingFields })
  .strict()
  .superRefine((mapping, ctx) => {
    const problem = batchingWindowProblem(mapping);
    if (problem) ctx.addIssue({ code: 'custom', path: ['maximumBatchingWindow'], message: problem });
    const modes = scalingModeProblem(mapping);
    if (modes) ctx.addIssue({ code: 'custom', path: ['provisionedPollerConfig'], message: modes });
  });

/**
 * S3 → EventBridge → Lambda: the bucket sends every event to the default bus; a rule there
 * (the notification's event types and key filter, the bucket, and `eventPattern`'s further
 * conditions) targets the function, invoked asynchronously.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html
 */
const notifyEventBridgeSchema = z
  .object({
    to: z.literal('eventbridge'),
    /** Further conditions of the rule, an EventBridge event pattern over S3's event (`detail.object.size`, `detail.reason`, …). */
    eventPattern: eventPatternSchema.optional(),
  })
  .strict()
  .superRefine((notify, ctx) => {
    const pattern = eventPatternObjectOf(notify.eventPattern);
    const bucket = (pattern as { detail?: { bucket?: unknown } } | undefined)?.detail?.bucket;
    if (bucket !== undefined) ctx.addIssue({ code: 'custom', path: ['eventPattern', 'detail', 'bucket'], message: 'sluice names the bucket and matches it in the rule: leave detail.bucket out' });
  });

/** An event pattern given as a mapping or as JSON text, as a mapping; undefined for none (or text that is not JSON, refused elsewhere). */
export function eventPatternObjectOf(eventPattern: string | Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (typeof eventPattern !== 'string') return eventPattern;
  try {
    const parsed = JSON.parse(eventPattern) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const notifyObjectSchema = z.discriminatedUnion('to', [notifyLambdaSchema, notifySqsSchema, notifyEventBridgeSchema]);

/** `notify: sqs` is `notify: { to: sqs }` with every setting at its default. */
export const notifySchema = z.union([z.enum(s3NotificationDestinations).transform((to) => notifyObjectSchema.parse({ to })), notifyObjectSchema], {
  error: `notify is ${s3NotificationDestinations.join(', ')}, or an object { to: ${s3NotificationDestinations.join(' | ')}, … } with that path's settings`,
});

export type S3Notify = z.infer<typeof notifySchema>;

const placeholders = ['prefix', 'suffix', 'key', 'seq'] as const;

/**
 * An `s3` pattern: PutObject of one object per event into a bucket whose notification
 * configuration invokes the function asynchronously for each object event.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventNotifications.html
 *
 * Object keys come from `keyTemplate`: `{{ prefix }}` and `{{ suffix }}` cycle through
 * `prefixes` and `suffixes` (every combination in turn), `{{ key }}` is the event's key from
 * the workload's key distribution, `{{ seq }}` its sequence number — required, since an S3
 * notification carries the key, not the object, and sluice reads the event id from it.
 */
export const s3PatternSchema = z
  .object({
    source: z.literal('s3'),
    name: z.string().min(1).max(64).optional(),
    keyTemplate: z
      .string()
      .min(1)
      .max(900)
      .default('{{ prefix }}{{ key }}/{{ seq }}{{ suffix }}')
      .refine((template) => /\{\{\s*seq\s*\}\}/.test(template), { message: 'must contain {{ seq }}: sluice reads each event’s id back from the object key' })
      .refine((template) => [...template.matchAll(/\{\{\s*([^}\s]*)\s*\}\}/g)].every((match) => (placeholders as readonly string[]).includes(match[1]!)), {
        message: `placeholders are ${placeholders.map((name) => `{{ ${name} }}`).join(', ')}`,
      }),
    prefixes: z.array(z.string().max(512)).min(1).max(1000).default(['incoming/']),
    suffixes: z.array(z.string().max(64)).min(1).max(100).default(['.json']),
    /** The bucket's notification configuration (one Lambda function configuration). */
    notification: z
      .object({
        events: z
          .array(z.string().regex(/^s3:[A-Za-z]+(:[A-Za-z*]+)?$/, 'an S3 event type such as s3:ObjectCreated:* or s3:ObjectCreated:Put'))
          .min(1)
          .default(['s3:ObjectCreated:*']),
        prefix: z.string().max(1024).optional(),
        suffix: z.string().max(1024).optional(),
      })
      .strict()
      .prefault({}),
    /**
     * Where the notifications go: `lambda` (the function, invoked asynchronously), `sqs` (a
     * queue, then an SQS event source mapping) or `eventbridge` (the default bus, then a rule
     * whose target is the function). A name, or an object with `to` and that path's settings.
     */
    notify: notifySchema.default({ to: 'lambda' }),
    /**
     * Share of object events S3 notifies twice. Notifications are at-least-once; sluice
     * shows what duplicates cost (each is counted, never hidden). Default 0.
     */
    duplicateNotificationRate: z.number().min(0).max(1).default(0),
    /** PutObject attempts per object (503 SlowDown and transient errors are retried with backoff). */
    producerMaxAttempts: z.number().int().min(1).max(20).default(5),
    /** S3's per-prefix request rates, answered 503 SlowDown beyond. */
    putRequestsPerSecondPerPrefix: z.number().min(1).max(1_000_000).default(awsDefaults.s3PutRequestsPerSecondPerPrefix.value),
    getRequestsPerSecondPerPrefix: z.number().min(1).max(1_000_000).default(awsDefaults.s3GetRequestsPerSecondPerPrefix.value),
    asyncInvoke: asyncInvokeSchema.prefault({}),
    /**
     * An existing bucket to write to (`--target aws`): sluice creates none, and cannot add its
     * consumer to the bucket's own notification configuration (drivers/bring-your-own.ts).
     */
    bucket: bucketSchema.optional(),
    /** An existing function that consumes instead of sluice's synthetic consumer (`--target aws`). */
    functionName: functionNameSchema.optional(),
  })
  .strict()
  .superRefine((pattern, ctx) => {
    const problem = keyTemplateProblem(pattern);
    if (problem) ctx.addIssue({ code: 'custom', path: ['keyTemplate'], message: problem });
    if (pattern.notify.to === 'sqs' && pattern.duplicateNotificationRate > 0) {
      ctx.addIssue({ code: 'custom', path: ['duplicateNotificationRate'], message: "duplicates are injected into Lambda's asynchronous invokes; with notify sqs leave duplicateNotificationRate at 0" });
    }
    if (pattern.notify.to === 'eventbridge' && pattern.notification.events.every((event) => eventBridgeDetailTypeOf(event) === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['notification', 'events'], message: 'none of these event types reaches EventBridge (Object Created, Object Deleted, …): use s3:ObjectCreated:*' });
    }
  });

export type S3Pattern = z.infer<typeof s3PatternSchema>;

/**
 * The quota on the path from the bucket to the function: through a queue the SQS mapping's
 * rules apply (no quota: standard queues take nearly unlimited calls); otherwise Lambda's
 * asynchronous invoke, with its retries and maximum event age, which sluice's own async queue
 * applies on every target. A run and a prediction list it alike.
 */
export function notifyPathQuotaRecord(pattern: Pick<S3Pattern, 'notify' | 'asyncInvoke'>): QuotaRecord {
  return pattern.notify.to === 'sqs'
    ? { name: 'sqs.standard_throughput', limit: 'nearly unlimited', enforcedBy: 'none' }
    : { name: 'lambda.async_invoke', limit: `${pattern.asyncInvoke.maximumRetryAttempts} retries, maximum event age ${pattern.asyncInvoke.maximumEventAge / 1000} s`, enforcedBy: 'sluice' };
}
