import type { SourceModule } from '../source-module.ts';
import { sqsPatternSchema } from './schema.ts';

/**
 * SQS: a queue with a DLQ feeding the function through an event source mapping.
 * https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
 */
export const sqsSource = {
  source: 'sqs',
  patternSchema: sqsPatternSchema,
  defaults: ['sqsInitialPollers', 'sqsPollerScaleUpPerMinute', 'sqsMaximumConcurrencyRange', 'sqsBatchSizeMax', 'sqsVisibilityTimeoutMs', 'sqsReceiveWaitMs'],
  embeddedServices: ['sqs'],
  loadDriver: async () => (await import('./sqs-driver.ts')).sqsDriver,
  holdsWhatIsUnread: true,
} as const satisfies SourceModule<'sqs', typeof sqsPatternSchema>;
