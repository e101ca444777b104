import type { SourceModule } from '../source-module.ts';
import { s3AwsStack } from './aws-stack.ts';
import { s3Cost } from './cost.ts';
import { s3CloudWatchMetrics } from './cloudwatch-metrics.ts';
import { s3ResourcesFrom, type S3Resources } from './s3-resources.ts';
import { s3PatternSchema } from './schema.ts';

/**
 * S3 event notifications: PutObject, then per object event an asynchronous invoke, a queue
 * message read by an SQS event source mapping, or an event on the default bus whose rule
 * invokes the function (`notify`).
 * https://docs.aws.amazon.com/lambda/latest/dg/with-s3.html
 */
export const s3Source = {
  source: 's3',
  patternSchema: s3PatternSchema,
  defaults: [
    's3PutRequestsPerSecondPerPrefix',
    's3GetRequestsPerSecondPerPrefix',
    'asyncInvokeMaximumRetryAttempts',
    'asyncInvokeMaximumEventAgeMs',
    'asyncInvokeErrorRetryDelaysMs',
    'asyncInvokeThrottleRetryInitialMs',
    'asyncInvokeThrottleRetryMaxMs',
  ],
  // Notifications invoke the run's function through the Lambda invoke service, or go to a queue or the default bus; the on-failure destination is a queue.
  embeddedServices: ['s3', 'lambda', 'sqs', 'eventbridge'],
  localstackServices: ['s3', 'sqs', 'events'],
  loadDriver: async () => (await import('./s3-driver.ts')).s3Driver,
  // A bucket's objects stay whether notified or not: only completion records tell.
  existingResources: s3ResourcesFrom,
  holdsWhatIsUnread: false,
  aws: s3AwsStack,
  cost: s3Cost,
  cloudWatchMetrics: s3CloudWatchMetrics,
} as const satisfies SourceModule<'s3', typeof s3PatternSchema, S3Resources>;
