import { costLine, type SourceCostModel } from '../../analysis/cost.ts';
import type { S3Pattern } from './schema.ts';

/** ListObjectsV2 returns at most 1,000 keys per call. https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html */
const keysPerListMax = 1000;

/**
 * S3 Standard request pricing: one PUT per object, and — for a bucket sluice creates — the
 * LIST calls that empty it before its stack is deleted (DELETE requests are free).
 * Notifications to Lambda are not billed. https://aws.amazon.com/s3/pricing/
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/empty-bucket.html
 *
 * @example
 * s3Cost.lines({}, { …usage, eventsAccepted: 1e6 }, resolvePrices(), notes).map((l) => l.usd) // [5, 0.005]
 */
export const s3Cost = {
  lines(settings, usage, prices) {
    const rows = prices.rows;
    const lines = [costLine('S3 PUT requests', usage.eventsAccepted, 'request', rows.s3PutRequestsPerThousandUsd.value / 1000)];
    // Your own bucket keeps its objects: sluice does not empty it.
    if (!settings.bucket) {
      lines.push(costLine('S3 LIST requests (emptying the bucket)', Math.ceil(usage.eventsAccepted / keysPerListMax), 'request', rows.s3ListRequestsPerThousandUsd.value / 1000));
    }
    return lines;
  },
  // S3 notifications carry one record each.
  eventsPerInvocationMax: () => 1,
  // https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-configuring.html
  maxAttemptsPerEvent: (pattern) => pattern.asyncInvoke.maximumRetryAttempts + 1,
  copiesPerEvent: () => 1,
} as const satisfies SourceCostModel<S3Pattern>;
