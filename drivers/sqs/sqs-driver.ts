import type { SqsResources } from './sqs-resources.ts';
import { createHash } from 'node:crypto';
import {
  SQSClient,
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import type { Driver, PatternRunContext, PatternSession } from '../driver.ts';
import type { SqsPattern } from './schema.ts';
import { sdkClientConfig } from '../../core/client-config.ts';
import { QueueConsumer } from './queue-consumer.ts';
import { parseEnvelope, type OutgoingEvent } from '../../load/event-factory.ts';

/** SendMessageBatch takes at most 10 entries. */
const sendMessageBatchEntriesMax = 10;

/**
 * Sends in flight at once. When the load generator falls behind and catches up in a burst,
 * the rest wait here rather than each starting an SDK call at once: the SDK's synchronous
 * part of thousands of calls would hold the event loop for seconds, and calls queued behind
 * busy sockets would time out as failed sends.
 */
const sendsInFlightMax = 256;

/**
 * The `sqs` pattern: a queue and its DLQ (redrive after maxReceiveCount) feeding the
 * function through Lambda's SQS event source mapping.
 */
export const sqsDriver: Driver<SqsPattern, SqsResources> = {
  source: 'sqs',
  quotas(pattern) {
    return pattern.fifo
      ? [{ name: 'sqs.fifo_throughput', limit: '300 API calls/s per queue (3,000 messages/s with batching)', enforcedBy: 'none' }]
      : [{ name: 'sqs.standard_throughput', limit: 'nearly unlimited', enforcedBy: 'none' }];
  },
  provision: provisionSqs,
};

async function provisionSqs(context: PatternRunContext<SqsPattern, SqsResources>): Promise<PatternSession> {
  const { pattern, target, ledger, recorder, clock } = context;
  const client = new SQSClient(sdkClientConfig(target.clientSettings));
  const suffix = pattern.fifo ? '.fifo' : '';
  const baseName = `sluice-${context.runId}-${context.patternName}`.slice(0, 70).replace(/[^A-Za-z0-9_-]/g, '-');
  const fifoAttributes = pattern.fifo ? { FifoQueue: 'true' } : {};

  const created: string[] = [];
  let queueUrl: string;
  let deadLetterQueueUrl: string | undefined;
  let queueArn: string;
  if (context.existing) {
    // A managed stack or the user's own queue: use it as it is, delete nothing.
    queueUrl = context.existing.queueUrl;
    deadLetterQueueUrl = context.existing.deadLetterQueueUrl;
    queueArn = context.existing.queueArn ?? (await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  } else {
    const deadLetterQueue = await client.send(new CreateQueueCommand({ QueueName: `${baseName}-dlq${suffix}`, Attributes: { ...fifoAttributes, MessageRetentionPeriod: '1209600' } }));
    deadLetterQueueUrl = deadLetterQueue.QueueUrl!;
    created.push(deadLetterQueueUrl);
    const deadLetterArn = (await client.send(new GetQueueAttributesCommand({ QueueUrl: deadLetterQueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    const queue = await client.send(
      new CreateQueueCommand({
        QueueName: `${baseName}${suffix}`,
        Attributes: {
          ...fifoAttributes,
          VisibilityTimeout: String(Math.round(pattern.visibilityTimeout / 1000)),
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetterArn, maxReceiveCount: pattern.maxReceiveCount }),
        },
      }),
    );
    queueUrl = queue.QueueUrl!;
    created.push(queueUrl);
    queueArn = (await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  }

  let sendErrors = 0;
  let sendCalls = 0;
  // FIFO: the last completed sequence number per message group, to check order is kept.
  const lastSequenceByGroup = new Map<string, bigint>();
  let outOfOrderDeliveries = 0;
  const errorMessages = new Map<string, number>();

  const groupOf = (key: string) => `group-${createHash('md5').update(key).digest().readUInt32BE(0) % pattern.messageGroups}`;

  const accept = (events: OutgoingEvent[]) => {
    const nowMs = clock.nowMs();
    for (const event of events) ledger.recordAccepted(event.id);
    recorder.count('accepted', nowMs, events.length);
  };
  const refuse = (events: OutgoingEvent[], error: unknown) => {
    sendErrors += events.length;
    const message = (error as Error).name ?? 'Error';
    errorMessages.set(message, (errorMessages.get(message) ?? 0) + events.length);
    for (const event of events) ledger.recordSourceFailed(event.id);
  };

  let sendsInFlight = 0;
  const sendSlotWaiters: Array<() => void> = [];
  // A wait here is the harness's own send path saturating, and it lands in end-to-end latency: counted and said.
  const slotWaits = { calls: 0, maxMs: 0 };
  const acquireSendSlot = async (): Promise<void> => {
    if (sendsInFlight < sendsInFlightMax) {
      sendsInFlight += 1;
      return;
    }
    const waitedFromMs = performance.now();
    // The slot is handed over by releaseSendSlot, so sendsInFlight stays counted.
    await new Promise<void>((resolve) => sendSlotWaiters.push(resolve));
    slotWaits.calls += 1;
    slotWaits.maxMs = Math.max(slotWaits.maxMs, performance.now() - waitedFromMs);
  };
  const releaseSendSlot = () => {
    const next = sendSlotWaiters.shift();
    if (next) next();
    else sendsInFlight -= 1;
  };

  async function sendOne(event: OutgoingEvent): Promise<void> {
    await acquireSendSlot();
    sendCalls += 1;
    try {
      await client.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: event.body,
          ...(pattern.fifo ? { MessageGroupId: groupOf(event.key), MessageDeduplicationId: String(event.id) } : {}),
        }),
      );
      accept([event]);
    } catch (error) {
      refuse([event], error);
    } finally {
      releaseSendSlot();
    }
  }

  async function sendBatch(events: OutgoingEvent[]): Promise<void> {
    await acquireSendSlot();
    sendCalls += 1;
    try {
      const answer = await client.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: events.map((event) => ({
            Id: String(event.id),
            MessageBody: event.body,
            ...(pattern.fifo ? { MessageGroupId: groupOf(event.key), MessageDeduplicationId: String(event.id) } : {}),
          })),
        }),
      );
      const failedIds = new Set((answer.Failed ?? []).map((entry) => Number(entry.Id)));
      accept(events.filter((event) => !failedIds.has(event.id)));
      const failed = events.filter((event) => failedIds.has(event.id));
      if (failed.length > 0) refuse(failed, { name: answer.Failed?.[0]?.Code ?? 'BatchEntryFailed' });
    } catch (error) {
      refuse(events, error);
    } finally {
      releaseSendSlot();
    }
  }

  // The mapping, its sampling of the queue and its DLQ, and the DLQ read at the end (queue-consumer.ts).
  const consumer = new QueueConsumer({
    context,
    client,
    queueUrl,
    queueArn,
    deadLetterQueueUrl,
    mapping: pattern,
    idsOf: (message) => [parseEnvelope(message.body)?.sluiceId ?? -1],
    onCompleted(messages) {
      for (const message of messages) {
        if (!message.messageGroupId || !message.sequenceNumber) continue;
        const sequence = BigInt(message.sequenceNumber);
        const last = lastSequenceByGroup.get(message.messageGroupId);
        if (last !== undefined && sequence < last) outOfOrderDeliveries += 1;
        else lastSequenceByGroup.set(message.messageGroupId, sequence);
      }
    },
  });

  return {
    loadWorkerResources: () => ({ queueUrl, queueArn, ...(deadLetterQueueUrl ? { deadLetterQueueUrl } : {}) }),

    async sendArrival(events) {
      const nowMs = clock.nowMs();
      for (const event of events) ledger.recordSent(event.id, nowMs);
      recorder.count('sent', nowMs, events.length);
      // One event: SendMessage. Several (eventsPerArrival > 1): SendMessageBatch, up to
      // sendBatchSize (default 10, the API's most) a call; sendBatchSize 1 sends each alone.
      // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html
      const perCall = pattern.sendBatchSize ?? sendMessageBatchEntriesMax;
      if (events.length === 1 || perCall === 1) {
        await Promise.all(events.map(sendOne));
        return;
      }
      const batches: Promise<void>[] = [];
      for (let start = 0; start < events.length; start += perCall) batches.push(sendBatch(events.slice(start, start + perCall)));
      await Promise.all(batches);
    },

    async startConsumer() {
      consumer.start();
    },

    sample: (nowMs) => consumer.sample(nowMs),
    isDrained: () => consumer.isDrained(),
    stopConsumer: () => consumer.stop(),
    // Reads the DLQ so each dead-lettered event is known by id, then counts what the queue still holds.
    pendingAtEnd: () => consumer.pendingAtEnd(),

    extras() {
      return {
        queueUrl,
        deadLetterQueueUrl,
        batchesThrottled: consumer.batchesThrottled,
        ...(pattern.fifo ? { outOfOrderDeliveries } : {}),
        sendCalls,
        sendErrors,
        sendCallsThatWaitedForASlot: slotWaits.calls,
        ...(slotWaits.calls > 0
          ? {
              warnings: [
                `${slotWaits.calls} of ${sendCalls} send calls waited for one of the ${sendsInFlightMax} the run keeps in flight (longest ${Math.round(slotWaits.maxMs)} ms): the harness's send path was saturated, and that wait is in the end-to-end latency`,
              ],
            }
          : {}),
        sendErrorsByCode: Object.fromEntries(errorMessages),
        foreignDeliveries: ledger.foreignDeliveries,
        // What the mapping's pollers did: receives per message shows whether they polled in vain.
        ...(consumer.polling() ? { polling: consumer.polling() } : {}),
      };
    },

    async teardown() {
      while (created.length > 0) {
        const url = created.pop()!;
        await client.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => undefined);
      }
      client.destroy();
    },
  };
}
