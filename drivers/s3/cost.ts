import { costLine, type SourceCostModel } from '../../analysis/cost.ts';
import type { S3Pattern } from './schema.ts';
import { sqsCost } from '../sqs/cost.ts';
import { eventBridgeCost } from '../eventbridge/cost.ts';

/**
 * An S3 event notification message (one record, event version 2.1) is about 1 KB whatever
 * the object's size: what SQS and EventBridge bill by (64 KB chunks), not the event payload.
 */
const notificationMessageBytes = 1024;

/** ListObjectsV2 returns at most 1,000 keys per call. https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html */
const keysPerListMax = 1000;

/**
 * S3 Standard request pricing: one PUT per object, and — for a bucket sluice creates — the
 * LIST calls that empty it before its stack is deleted (DELETE requests are free).
 * Notifications are not billed by S3; their destination bills its own requests: to a queue,
 * SQS's requests (S3's SendMessage per event, and the mapping's receives and deletes, as
 * drivers/sqs/cost.ts prices them); to EventBridge, each event a rule matches at the custom
 * event price ("You pay $1 for every 1 million events that match a rule").
 * https://aws.amazon.com/s3/pricing/ · https://docs.aws.amazon.com/AmazonS3/latest/userguide/empty-bucket.html ·
 * https://aws.amazon.com/blogs/aws/new-use-amazon-s3-event-notifications-with-amazon-eventbridge/
 *
 * @example
 * s3Cost.lines({}, { …usage, eventsAccepted: 1e6 }, resolvePrices(), notes).map((l) => l.usd) // [5, 0.005]
 */
export const s3Cost = {
  lines(settings, usage, prices, notes) {
    const rows = prices.rows;
    const lines = [costLine('S3 PUT requests', usage.eventsAccepted, 'request', rows.s3PutRequestsPerThousandUsd.value / 1000)];
    // Your own bucket keeps its objects: sluice does not empty it.
    if (!settings.bucket) {
      lines.push(costLine('S3 LIST requests (emptying the bucket)', Math.ceil(usage.eventsAccepted / keysPerListMax), 'request', rows.s3ListRequestsPerThousandUsd.value / 1000));
    }
    const notify = settings.notify;
    const notificationUsage = { ...usage, eventSizeBytes: notificationMessageBytes };
    if (notify?.to === 'sqs') {
      // S3's sends are one SendMessage per event: the queue's send requests.
      lines.push(...sqsCost.lines({ batchSize: notify.batchSize, sendBatchSize: 1, ...(notify.provisionedPollerConfig ? { provisionedPollerConfig: notify.provisionedPollerConfig } : {}) }, notificationUsage, prices, notes).map((line) => ({ ...line, item: line.item.replace('send requests (1 per call)', 'sends by S3 (1 per call)') })));
    } else if (notify?.to === 'eventbridge') {
      lines.push(...eventBridgeCost.lines({}, notificationUsage, prices, notes).map((line) => ({ ...line, item: 'EventBridge events from S3 matching a rule' })));
    }
    return lines;
  },
  // S3 notifications carry one record each; through a queue, a batch carries up to batchSize.
  eventsPerInvocationMax: (pattern) => (pattern.notify?.to === 'sqs' ? pattern.notify.batchSize : 1),
  // https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-configuring.html
  maxAttemptsPerEvent: (pattern) => (pattern.notify?.to === 'sqs' ? pattern.notify.maxReceiveCount : pattern.asyncInvoke.maximumRetryAttempts + 1),
  copiesPerEvent: () => 1,
  // Through a queue, Lambda's pollers long-poll it while it is empty, as for an sqs pattern.
  emptyReceivesPlanned: (pattern, lifetimeMs) => (pattern.notify?.to === 'sqs' ? sqsCost.emptyReceivesPlanned(pattern.notify as never, lifetimeMs) : 0),
} as const satisfies SourceCostModel<S3Pattern>;
