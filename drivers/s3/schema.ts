import { z } from 'zod';
import { awsDefaults } from '../../core/aws-defaults.ts';
import { functionNameSchema } from '../bring-your-own.ts';
import { bucketSchema } from './bring-your-own.ts';
import { asyncInvokeSchema } from '../async-invoke/async-invoke-schema.ts';
import { keyTemplateProblem } from './object-keys.ts';

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
  });

export type S3Pattern = z.infer<typeof s3PatternSchema>;
