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
import { sdkPolledQueue, type PolledQueue, type QueueMessage } from './polled-queue.ts';
import { jsonProtocolPolledQueue } from './json-polled-queue.ts';
import { SqsEventSourceMapping } from './sqs-mapping.ts';
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

/** Reads every DLQ message at the end of a run, but never for longer than this. */
const deadLetterReadLimitMs = 60_000;

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
  const { pattern, target, ledger, recorder, clock, fn } = context;
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

  let mapping: SqsEventSourceMapping | undefined;
  let pollersMax = 0;
  let lastDeadLetterDepth = 0;
  let batchesThrottled = 0;
  let sendErrors = 0;
  let sendCalls = 0;
  // FIFO: the last completed sequence number per message group, to check order is kept.
  const lastSequenceByGroup = new Map<string, bigint>();
  let outOfOrderDeliveries = 0;
  const errorMessages = new Map<string, number>();

  const idsOf = (messages: QueueMessage[]) => messages.map((message) => parseEnvelope(message.body)?.sluiceId ?? -1);
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

  async function queueDepth(url: string): Promise<{ visible: number; inFlight: number; delayed: number }> {
    const attributes = (
      await client.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
        }),
      )
    ).Attributes ?? {};
    return {
      visible: Number(attributes.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
      delayed: Number(attributes.ApproximateNumberOfMessagesDelayed ?? 0),
    };
  }

  /**
   * The mapping's receives and deletes: on the embedded target over plain JSON-protocol HTTP
   * (json-polled-queue.ts says why); elsewhere, or with SLUICE_SQS_CONSUMER_TRANSPORT=sdk,
   * through the SDK.
   */
  let consumerTransport: (PolledQueue & { destroy?(): void }) | undefined;
  let consumerTransportName: 'json-http' | 'sdk' = 'sdk';
  const consumerQueue = (): PolledQueue => {
    const useJson = target.clientSettings.endpoint !== undefined && context.target.info.kind === 'embedded' && process.env.SLUICE_SQS_CONSUMER_TRANSPORT !== 'sdk';
    consumerTransportName = useJson ? 'json-http' : 'sdk';
    consumerTransport = useJson ? jsonProtocolPolledQueue(target.clientSettings.endpoint!, queueUrl, pattern.visibilityTimeout) : sdkPolledQueue(client, queueUrl, pattern.visibilityTimeout);
    return consumerTransport;
  };

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
      // A remote consumer (AWS Lambda's own mapping) polls the queue itself.
      if (context.consumer === 'remote') return;
      mapping = new SqsEventSourceMapping({
        queue: consumerQueue(),
        queueArn,
        region: target.clientSettings.region,
        fn,
        pattern,
        clock,
        observer: {
          onDelivered(messages) {
            for (const id of idsOf(messages)) ledger.recordDelivered(id);
          },
          onCompleted(messages) {
            const nowMs = clock.nowMs();
            for (const message of messages) {
              if (!message.messageGroupId || !message.sequenceNumber) continue;
              const sequence = BigInt(message.sequenceNumber);
              const last = lastSequenceByGroup.get(message.messageGroupId);
              if (last !== undefined && sequence < last) outOfOrderDeliveries += 1;
              else lastSequenceByGroup.set(message.messageGroupId, sequence);
            }
            let completed = 0;
            for (const id of idsOf(messages)) {
              const latencyMs = ledger.recordCompleted(id, nowMs);
              if (latencyMs !== undefined) {
                recorder.endToEndLatency(nowMs, latencyMs);
                completed += 1;
              }
            }
            recorder.count('completed', nowMs, completed);
          },
          onThrottled() {
            batchesThrottled += 1;
          },
        },
      });
      mapping.start();
    },

    async sample(nowMs) {
      const [main, dead] = await Promise.all([queueDepth(queueUrl), deadLetterQueueUrl ? queueDepth(deadLetterQueueUrl) : Promise.resolve({ visible: 0, inFlight: 0, delayed: 0 })]);
      recorder.gauge('queueDepth', nowMs, main.visible + main.inFlight + main.delayed);
      const oldestMs = ledger.oldestUnfinishedSentAtMs();
      recorder.gauge('queueAgeMsMax', nowMs, oldestMs === undefined ? 0 : Math.max(0, nowMs - oldestMs));
      const deadLetterDepth = dead.visible + dead.inFlight;
      if (deadLetterDepth > lastDeadLetterDepth) recorder.count('deadLettered', nowMs, deadLetterDepth - lastDeadLetterDepth);
      lastDeadLetterDepth = deadLetterDepth;
      if (mapping) {
        recorder.gauge('pollers', nowMs, mapping.pollerCount);
        pollersMax = Math.max(pollersMax, mapping.pollerCount);
      }
    },

    async isDrained() {
      const main = await queueDepth(queueUrl);
      return main.visible + main.inFlight + main.delayed === 0 && (context.consumer === 'remote' || fn.concurrency === 0);
    },

    async stopConsumer() {
      await mapping?.stop();
      consumerTransport?.destroy?.();
    },

    async pendingAtEnd() {
      // Read the DLQ so each dead-lettered event is known by id, then count what the queue still holds.
      const deadline = clock.nowMs() + deadLetterReadLimitMs;
      const deadLetters = deadLetterQueueUrl ? sdkPolledQueue(client, deadLetterQueueUrl, 300_000) : undefined;
      const abort = new AbortController();
      while (deadLetters && clock.nowMs() < deadline) {
        const messages = await deadLetters.receive(10, 0, abort.signal);
        if (messages.length === 0) break;
        for (const id of idsOf(messages)) ledger.recordDeadLettered(id);
      }
      const main = await queueDepth(queueUrl);
      return main.visible + main.inFlight + main.delayed;
    },

    extras() {
      return {
        queueUrl,
        deadLetterQueueUrl,
        batchesThrottled,
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
        ...(mapping ? { polling: { ...mapping.counts, pollersMax, transport: consumerTransportName } } : {}),
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
