import type { SourceMetricSpecs } from '../../targets/aws/cloudwatch.ts';
import type { S3Pattern } from './schema.ts';

/**
 * None: a bucket publishes only daily storage metrics unless it has a request-metrics
 * configuration (billed as custom metrics), which sluice's stack does not add. The function's
 * AsyncEventAge and AsyncEventsDropped (Lambda's metrics) show how S3's notifications fared.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/metrics-dimensions.html
 *
 * @example s3CloudWatchMetrics({ BucketName: 'b' }, pattern) // []
 */
export const s3CloudWatchMetrics: SourceMetricSpecs<S3Pattern> = () => [];
