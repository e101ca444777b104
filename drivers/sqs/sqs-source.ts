import { awsDefaults } from '../../core/aws-defaults.ts';
import type { SourceModule } from '../source-module.ts';
import { sqsAwsStack } from './aws-stack.ts';
import { sqsCost } from './cost.ts';
import { sqsCloudWatchMetrics } from './cloudwatch-metrics.ts';
import { sqsResourcesFrom, type SqsResources } from './sqs-resources.ts';
import { sqsPatternSchema } from './schema.ts';

/**
 * SQS: a queue with a DLQ feeding the function through an event source mapping.
 * https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
 */
export const sqsSource = {
  source: 'sqs',
  patternSchema: sqsPatternSchema,
  defaults: ['sqsInitialPollers', 'sqsPollerScaleUpPerMinute', 'sqsMaximumConcurrencyRange', 'sqsStandardConcurrentInvokesMax', 'sqsBatchSizeMax', 'sqsVisibilityTimeoutMs', 'sqsReceiveWaitMs', 'sqsEmptyReceiveBackoffMs', 'sqsBacklogReadsPerSecond', 'sqsProvisionedMinimumPollersRange', 'sqsProvisionedMaximumPollersRange', 'sqsProvisionedPollersDefault', 'sqsProvisionedInvokesPerPoller', 'sqsProvisionedScaleUpPerMinute', 'sqsMessageBytesMax'],
  embeddedServices: ['sqs'],
  localstackServices: ['sqs'],
  loadDriver: async () => (await import('./sqs-driver.ts')).sqsDriver,
  existingResources: sqsResourcesFrom,
  holdsWhatIsUnread: true,
  aws: sqsAwsStack,
  cost: sqsCost,
  cloudWatchMetrics: sqsCloudWatchMetrics,
  eventSizeProblem: (_pattern, eventSizeBytes) =>
    // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html
    eventSizeBytes > awsDefaults.sqsMessageBytesMax.value ? `an SQS message holds at most ${awsDefaults.sqsMessageBytesMax.value.toLocaleString('en-US')} bytes (1 MiB); lower eventSizeBytes` : undefined,
} as const satisfies SourceModule<'sqs', typeof sqsPatternSchema, SqsResources>;
