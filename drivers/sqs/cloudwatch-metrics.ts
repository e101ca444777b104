import type { MetricSpec, SourceMetricSpecs } from '../../targets/aws/cloudwatch.ts';
import { stackOutputKeys } from '../../targets/aws/template.ts';
import type { SqsPattern } from './schema.ts';

/**
 * The source queue's metrics: age of the oldest message (SQS reports seconds; the series is
 * in ms), depth, sent and deleted. The stack's DLQ is read with every failure queue
 * (targets/aws/cloudwatch.ts).
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html
 *
 * @example sqsCloudWatchMetrics({ QueueName: 'q' }, pattern)[0] // { key: 'sqs.queue_age_ms_max', metricName: 'ApproximateAgeOfOldestMessage', scale: 1000, … }
 */
export const sqsCloudWatchMetrics: SourceMetricSpecs<SqsPattern> = (outputs) => {
  const queueName = outputs[stackOutputKeys.queueName];
  if (!queueName) return [];
  const m = (key: string, metricName: string, stat: string, scale?: number): MetricSpec => ({
    key: `sqs.${key}`,
    namespace: 'AWS/SQS',
    metricName,
    stat,
    dimensions: { QueueName: queueName },
    ...(scale ? { scale } : {}),
  });
  return [
    m('queue_age_ms_max', 'ApproximateAgeOfOldestMessage', 'Maximum', 1000),
    m('messages_visible_max', 'ApproximateNumberOfMessagesVisible', 'Maximum'),
    m('messages_sent', 'NumberOfMessagesSent', 'Sum'),
    m('messages_deleted', 'NumberOfMessagesDeleted', 'Sum'),
  ];
};
