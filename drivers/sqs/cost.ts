import { costLine, eventSizeBytesOf, type SourceCostModel } from '../../analysis/cost.ts';
import { awsDefaults } from '../../core/aws-defaults.ts';
import type { SqsPattern } from './schema.ts';

/**
 * ReceiveMessage, SendMessageBatch and DeleteMessageBatch handle at most 10 messages per call.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html
 */
const messagesPerCallMax = 10;

/**
 * SQS's request pricing: every API call is a request, each 64 KB chunk of its payload
 * billed as one, at the FIFO rate for a FIFO queue; empty receives are requests too.
 * https://aws.amazon.com/sqs/pricing/
 *
 * - sends: the load generator's SendMessage(Batch) calls of `sendBatchSize` messages; without
 *   it, one call per event (an arrival of one event is one SendMessage; one of several events
 *   goes in SendMessageBatch calls of 10, which a result's settings do not record, so the
 *   estimate errs on the expensive side);
 * - receives: Lambda's pollers make at least one ReceiveMessage per invocation, and one call
 *   returns at most 10 messages whatever the batchSize: full batches of a large batchSize
 *   take deliveries ÷ 10 calls, one event per invocation takes one call each;
 * - deletes: one DeleteMessageBatch per receive's worth of completed messages;
 * - empty receives: the mapping's long polls while the queue is empty, when known (a plan
 *   estimates them; a measured run does not count them, and says so).
 *
 * @example
 * sqsCost.lines(pattern, usage, resolvePrices(), notes).map((l) => l.item)
 * // ['SQS standard send requests (1 per call)', 'SQS standard receive requests (up to 10 per call)', …]
 */
export const sqsCost = {
  lines(settings, usage, prices, notes) {
    const rows = prices.rows;
    const eventSizeBytes = eventSizeBytesOf(usage, notes);
    const fifo = settings.fifo === true;
    const price = (fifo ? rows.sqsFifoRequestsPerMillionUsd.value : rows.sqsStandardRequestsPerMillionUsd.value) / 1_000_000;
    const chunkBytes = rows.sqsRequestChunkBytes.value;
    const sendBatch = clamp(settings.sendBatchSize ?? 1, 1, messagesPerCallMax);
    const perReceiveMax = clamp(settings.batchSize ?? 10, 1, messagesPerCallMax);

    const sends = Math.ceil(usage.eventsSent / sendBatch) * Math.ceil((sendBatch * eventSizeBytes) / chunkBytes);
    const receiveCalls = Math.max(usage.invocations, Math.ceil(usage.deliveries / perReceiveMax));
    const messagesPerReceive = receiveCalls > 0 ? usage.deliveries / receiveCalls : 0;
    const receives = receiveCalls * Math.max(1, Math.ceil((messagesPerReceive * eventSizeBytes) / chunkBytes));
    const deletes = messagesPerReceive > 0 ? Math.ceil(usage.eventsCompleted / messagesPerReceive) : 0;

    const queue = fifo ? 'FIFO' : 'standard';
    const lines = [
      costLine(`SQS ${queue} send requests (${sendBatch} per call)`, sends, 'request', price),
      costLine(`SQS ${queue} receive requests (up to ${perReceiveMax} per call)`, receives, 'request', price),
      costLine(`SQS ${queue} delete requests (up to ${perReceiveMax} per call)`, deletes, 'request', price),
    ];
    if (usage.emptyReceives === undefined) notes.push('SQS empty receives (long polls of an empty queue) were not measured and are not priced');
    else lines.push(costLine(`SQS ${queue} empty receives (idle long polls)`, usage.emptyReceives, 'request', price));
    // Provisioned mode: the minimum event pollers are billed for as long as the mapping exists,
    // per event-poller-unit hour. https://aws.amazon.com/lambda/pricing/
    const provisioned = settings.provisionedPollerConfig;
    if (provisioned) {
      lines.push(costLine(`Lambda SQS event pollers (provisioned mode, ${provisioned.minimumPollers} minimum)`, provisioned.minimumPollers * usage.resourceHours, 'event-poller-unit hour', rows.lambdaSqsEventPollerUnitHourUsd.value));
      notes.push('SQS provisioned mode: the minimum event pollers are priced for the whole window; pollers added above the minimum while the mapping scaled up are not');
    }
    return lines;
  },
  eventsPerInvocationMax: (pattern) => pattern.batchSize,
  // A message becomes visible again after a failed batch until maxReceiveCount sends it to the DLQ.
  maxAttemptsPerEvent: (pattern) => pattern.maxReceiveCount,
  copiesPerEvent: () => 1,
  /**
   * Lambda keeps its initial pollers long-polling while the queue is empty, each call waiting
   * up to 20 s: a plan counts them over the stack's whole lifetime (the expensive side).
   * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html
   */
  emptyReceivesPlanned: (_pattern, lifetimeMs) => (awsDefaults.sqsInitialPollers.value * lifetimeMs) / awsDefaults.sqsReceiveWaitMs.value,
} as const satisfies SourceCostModel<SqsPattern>;

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
