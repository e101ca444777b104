import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

/** A message as the SQS poller sees it. */
export interface QueueMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  receiveCount: number;
  sentTimestampMs: number;
  messageGroupId?: string;
  /** FIFO only: SQS's per-queue sequence number, increasing in send order within a group. */
  sequenceNumber?: string;
}

/**
 * The queue calls Lambda's SQS poller makes. The SDK implementation talks to the
 * embedded emulator, LocalStack or AWS; tests of the scaling rules use an in-memory queue
 * on a virtual clock.
 */
export interface PolledQueue {
  /** One ReceiveMessage: at most 10 messages, waiting up to `waitMs` for the first (long polling). */
  receive(maxMessages: number, waitMs: number, signal: AbortSignal): Promise<QueueMessage[]>;
  deleteBatch(messages: QueueMessage[]): Promise<void>;
  /**
   * Messages visible now (ApproximateNumberOfMessages), which tells the mapping whether
   * messages wait. Optional: without it the mapping infers a backlog from full receives.
   */
  visibleMessages?(): Promise<number>;
}

/** A received message as SQS answers it (the SDK's shape and the JSON protocol's are the same), as the poller sees it. */
export function queueMessageOf(message: { MessageId?: string; ReceiptHandle?: string; Body?: string; Attributes?: Partial<Record<string, string>> }): QueueMessage {
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 1),
    sentTimestampMs: Number(message.Attributes?.SentTimestamp ?? 0),
    messageGroupId: message.Attributes?.MessageGroupId,
    sequenceNumber: message.Attributes?.SequenceNumber,
  };
}

/** {@link PolledQueue} over the real SQS API. */
export function sdkPolledQueue(client: SQSClient, queueUrl: string, visibilityTimeoutMs: number): PolledQueue {
  return {
    async receive(maxMessages, waitMs, signal) {
      const answer = await client.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: Math.min(10, Math.max(1, maxMessages)),
          WaitTimeSeconds: Math.min(20, Math.max(0, Math.round(waitMs / 1000))),
          VisibilityTimeout: Math.round(visibilityTimeoutMs / 1000),
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp', 'MessageGroupId', 'SequenceNumber'],
        }),
        { abortSignal: signal },
      );
      return (answer.Messages ?? []).map(queueMessageOf);
    },
    async deleteBatch(messages) {
      // DeleteMessageBatch takes 10 entries per call; a batch above 10 deletes its chunks side by side.
      const chunks: QueueMessage[][] = [];
      for (let start = 0; start < messages.length; start += 10) chunks.push(messages.slice(start, start + 10));
      await Promise.all(
        chunks.map((chunk) =>
          client.send(
            new DeleteMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: chunk.map((message, index) => ({ Id: String(index), ReceiptHandle: message.receiptHandle })),
            }),
          ),
        ),
      );
    },
    async visibleMessages() {
      const answer = await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
      return Number(answer.Attributes?.ApproximateNumberOfMessages ?? 0);
    },
  };
}
