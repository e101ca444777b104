import { z } from 'zod';
import { durationMs } from '../../scenario/duration.ts';
import { awsDefaults } from '../../scenario/aws-defaults.ts';

const [minimumMaxConcurrency, maximumMaxConcurrency] = awsDefaults.sqsMaximumConcurrencyRange.value;

/**
 * An `sqs` pattern: a queue with a DLQ feeding the function through an event source
 * mapping. Names follow the mapping's own settings.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html
 */
export const sqsPatternSchema = z
  .object({
    source: z.literal('sqs'),
    name: z.string().min(1).max(64).optional(),
    batchSize: z.number().int().min(1).max(awsDefaults.sqsBatchSizeMax.value).default(10),
    maximumBatchingWindow: durationMs({ maxMs: 300_000 }).prefault(0),
    maximumConcurrency: z.number().int().min(minimumMaxConcurrency).max(maximumMaxConcurrency).optional(),
    visibilityTimeout: durationMs({ minMs: 0, maxMs: 12 * 3_600_000 }).prefault(30),
    maxReceiveCount: z.number().int().min(1).max(1000).default(3),
    fifo: z.boolean().default(false),
    messageGroups: z.number().int().min(1).max(100_000).default(1),
    /** Cap on concurrent senders in the load generator; protects the emulator and the machine. */
    sendBatchSize: z.number().int().min(1).max(10).default(1),
  })
  .strict()
  .superRefine((pattern, ctx) => {
    if (pattern.fifo && pattern.batchSize > 10) {
      ctx.addIssue({ code: 'custom', path: ['batchSize'], message: 'FIFO queues allow a batchSize of at most 10' });
    }
    if (!pattern.fifo && pattern.messageGroups !== 1) {
      ctx.addIssue({ code: 'custom', path: ['messageGroups'], message: 'messageGroups applies only to FIFO queues (set fifo: true)' });
    }
    if (pattern.batchSize > 10 && pattern.maximumBatchingWindow === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['maximumBatchingWindow'],
        message: 'a batchSize above 10 needs a maximumBatchingWindow of at least 1s, as on AWS',
      });
    }
  });

export type SqsPattern = z.infer<typeof sqsPatternSchema>;
