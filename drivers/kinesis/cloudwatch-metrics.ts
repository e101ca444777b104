import type { MetricSpec, SourceMetricSpecs } from '../../targets/aws/cloudwatch.ts';
import { stackOutputKeys } from '../../targets/aws/template.ts';
import type { KinesisPattern } from './schema.ts';

/**
 * The stream's basic (stream-level) metrics: records in, write and read throttles, iterator age.
 * https://docs.aws.amazon.com/streams/latest/dev/monitoring-with-cloudwatch.html
 *
 * @example kinesisCloudWatchMetrics({ StreamName: 's' }, pattern).map((s) => s.key)[0] // 'kinesis.incoming_records'
 */
export const kinesisCloudWatchMetrics: SourceMetricSpecs<KinesisPattern> = (outputs) => {
  const streamName = outputs[stackOutputKeys.streamName];
  if (!streamName) return [];
  const m = (key: string, metricName: string, stat: string): MetricSpec => ({ key, namespace: 'AWS/Kinesis', metricName, stat, dimensions: { StreamName: streamName } });
  return [
    m('kinesis.incoming_records', 'IncomingRecords', 'Sum'),
    m('kinesis.write_throttled_records', 'WriteProvisionedThroughputExceeded', 'Sum'),
    m('kinesis.read_throttled', 'ReadProvisionedThroughputExceeded', 'Sum'),
    m('kinesis.iterator_age_ms_max', 'GetRecords.IteratorAgeMilliseconds', 'Maximum'),
  ];
};
