import { z } from 'zod';
import { durationMs } from '../../core/duration.ts';
import { awsDefaults } from '../../core/aws-defaults.ts';
import { functionNameSchema } from '../bring-your-own.ts';
import { queueUrlSchema } from './bring-your-own.ts';

const [minimumMaxConcurrency, maximumMaxConcurrency] = awsDefaults.sqsMaximumConcurrencyRange.value;
/** https://docs.aws.amazon.com/lambda/latest/dg/API_ScalingConfig.html (MaximumConcurrency: 2–1,000) */
const minimumPollersRange = awsDefaults.sqsProvisionedMinimumPollersRange.value;
const maximumPollersRange = awsDefaults.sqsProvisionedMaximumPollersRange.value;
const maximumConcurrencyOutOfRange = `maximumConcurrency must be between ${minimumMaxConcurrency} and ${maximumMaxConcurrency.toLocaleString('en-US')} (AWS's range for an SQS event source mapping); leave it out to let the mapping scale up to the function's concurrency`;

/**
 * The event source mapping's settings and the queue's that shape it, shared by every pattern
 * whose events wait in a queue for the mapping (`sqs`, and an `s3` pattern notifying a queue).
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html
 */
export const sqsMappingFields = {
  batchSize: z.number().int().min(1).max(awsDefaults.sqsBatchSizeMax.value).default(10),
  maximumBatchingWindow: durationMs({ maxMs: 300_000 }).prefault(0),
  /** Caps the mapping's concurrent batches: AWS allows 2–1,000 (ScalingConfig.MaximumConcurrency). */
  maximumConcurrency: z
    .number()
    .int()
    .min(minimumMaxConcurrency, { error: maximumConcurrencyOutOfRange })
    .max(maximumMaxConcurrency, { error: maximumConcurrencyOutOfRange })
    .optional(),
  visibilityTimeout: durationMs({ minMs: 0, maxMs: 12 * 3_600_000 }).prefault(30),
  maxReceiveCount: z.number().int().min(1).max(1000).default(3),
  /**
   * Provisioned mode (ProvisionedPollerConfig): dedicated event pollers, each up to 10
   * concurrent invokes, between a minimum kept ready and a maximum; billed per
   * event-poller-unit hour. Not combinable with maximumConcurrency.
   * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html
   */
  provisionedPollerConfig: z
    .object({
      minimumPollers: z.number().int().min(minimumPollersRange[0]).max(minimumPollersRange[1]).default(awsDefaults.sqsProvisionedPollersDefault.value.minimum),
      maximumPollers: z.number().int().min(maximumPollersRange[0]).max(maximumPollersRange[1]).default(awsDefaults.sqsProvisionedPollersDefault.value.maximum),
    })
    .strict()
    .refine((config) => config.minimumPollers <= config.maximumPollers, { message: 'minimumPollers cannot exceed maximumPollers', path: ['minimumPollers'] })
    .optional(),
};

/** Provisioned mode and maximumConcurrency exclude each other, as on AWS: the problem, or undefined. */
export function scalingModeProblem(mapping: { maximumConcurrency?: number; provisionedPollerConfig?: unknown }): string | undefined {
  return mapping.maximumConcurrency !== undefined && mapping.provisionedPollerConfig !== undefined
    ? 'provisionedPollerConfig and maximumConcurrency cannot be combined (AWS refuses both on one mapping): cap a provisioned mapping with maximumPollers, or drop provisionedPollerConfig'
    : undefined;
}

/** A batchSize above 10 needs a batching window, as on AWS: the problem, or undefined. */
export function batchingWindowProblem(mapping: { batchSize: number; maximumBatchingWindow: number }): string | undefined {
  return mapping.batchSize > 10 && mapping.maximumBatchingWindow === 0 ? 'a batchSize above 10 needs a maximumBatchingWindow of at least 1s, as on AWS' : undefined;
}

/**
 * An `sqs` pattern: a queue with a DLQ feeding the function through an event source
 * mapping. Names follow the mapping's own settings.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html
 */
export const sqsPatternSchema = z
  .object({
    source: z.literal('sqs'),
    name: z.string().min(1).max(64).optional(),
    ...sqsMappingFields,
    fifo: z.boolean().default(false),
    messageGroups: z.number().int().min(1).max(100_000).default(1),
    /**
     * Messages per SendMessageBatch call when an arrival carries several events
     * (workload.eventsPerArrival > 1); 1 sends each with SendMessage. Default: 10, the API's most.
     * An arrival of one event is always one SendMessage.
     */
    sendBatchSize: z.number().int().min(1).max(10).optional(),
    /** An existing queue to send to (`--target aws`): sluice creates none (drivers/bring-your-own.ts). */
    queueUrl: queueUrlSchema.optional(),
    /** An existing function that consumes instead of sluice's synthetic consumer (`--target aws`). */
    functionName: functionNameSchema.optional(),
  })
  .strict()
  .superRefine((pattern, ctx) => {
    if (pattern.fifo && pattern.batchSize > 10) {
      ctx.addIssue({ code: 'custom', path: ['batchSize'], message: 'FIFO queues allow a batchSize of at most 10' });
    }
    if (!pattern.fifo && pattern.messageGroups !== 1) {
      ctx.addIssue({ code: 'custom', path: ['messageGroups'], message: 'messageGroups applies only to FIFO queues (set fifo: true)' });
    }
    // The sender must match the queue: a FIFO queue refuses messages without a group id,
    // a standard queue refuses one. The name says which it is.
    // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues.html
    if (pattern.queueUrl !== undefined && pattern.queueUrl.endsWith('.fifo') !== pattern.fifo) {
      ctx.addIssue({
        code: 'custom',
        path: ['fifo'],
        message: pattern.fifo
          ? 'fifo: true, but queueUrl names a standard queue (a FIFO queue’s name ends in .fifo): drop fifo, or name your FIFO queue'
          : 'queueUrl names a FIFO queue (its name ends in .fifo): set fifo: true, so each message is sent with a message group id',
      });
    }
    const windowProblem = batchingWindowProblem(pattern);
    if (windowProblem) ctx.addIssue({ code: 'custom', path: ['maximumBatchingWindow'], message: windowProblem });
    const modeProblem = scalingModeProblem(pattern);
    if (modeProblem) ctx.addIssue({ code: 'custom', path: ['provisionedPollerConfig'], message: modeProblem });
  });

export type SqsPattern = z.infer<typeof sqsPatternSchema>;
