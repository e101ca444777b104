import { z } from 'zod';
import { durationMs } from '../../core/duration.ts';
import { awsDefaults } from '../../core/aws-defaults.ts';
import type { AsyncInvokeSettings } from '../../runtime/async-invoke-queue.ts';

const [minEventAgeMs, maxEventAgeMs] = awsDefaults.asyncInvokeMaximumEventAgeRangeMs.value;

/**
 * A pattern's `asyncInvoke` block: the function's asynchronous invocation settings for
 * sources that invoke it asynchronously (EventBridge, S3). AWS's names and ranges; the
 * retry delays are AWS's fixed ones by default and may be shortened so a scenario or test
 * sees retries within a short run.
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-configuring.html
 *
 * @example
 * asyncInvoke:
 *   maximumRetryAttempts: 2
 *   maximumEventAge: 1h
 *   errorRetryDelays: [2s, 4s]
 */
export const asyncInvokeSchema = z
  .object({
    maximumRetryAttempts: z.number().int().min(0).max(2).default(awsDefaults.asyncInvokeMaximumRetryAttempts.value),
    maximumEventAge: durationMs({ minMs: minEventAgeMs, maxMs: maxEventAgeMs }).prefault(`${awsDefaults.asyncInvokeMaximumEventAgeMs.value / 1000}s`),
    errorRetryDelays: z
      .array(durationMs({ maxMs: 3_600_000 }))
      .min(1)
      .max(2)
      .prefault(awsDefaults.asyncInvokeErrorRetryDelaysMs.value.map((ms) => `${ms / 1000}s`)),
    throttleRetryInitial: durationMs({ minMs: 1, maxMs: 300_000 }).prefault(`${awsDefaults.asyncInvokeThrottleRetryInitialMs.value}ms`),
    throttleRetryMax: durationMs({ minMs: 1, maxMs: 3_600_000 }).prefault(`${awsDefaults.asyncInvokeThrottleRetryMaxMs.value}ms`),
  })
  .strict()
  .refine((settings) => settings.throttleRetryMax >= settings.throttleRetryInitial, { message: 'throttleRetryMax must be at least throttleRetryInitial', path: ['throttleRetryMax'] });

export type AsyncInvokeSpec = z.infer<typeof asyncInvokeSchema>;

export function asyncInvokeSettingsOf(spec: AsyncInvokeSpec): AsyncInvokeSettings {
  return {
    maximumRetryAttempts: spec.maximumRetryAttempts,
    maximumEventAgeMs: spec.maximumEventAge,
    errorRetryDelaysMs: spec.errorRetryDelays,
    throttleRetryInitialMs: spec.throttleRetryInitial,
    throttleRetryMaxMs: spec.throttleRetryMax,
  };
}
