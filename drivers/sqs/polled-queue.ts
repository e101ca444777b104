import {
  DeleteMessageBatchCommand,
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
 * The two queue calls Lambda's SQS poller makes. The SDK implementation talks to the
 * embedded emulator, LocalStack or AWS; tests of the scaling rules use an in-memory queue
 * on a virtual clock.
 */
export interface PolledQueue {
  receive(maxMessages: number, waitMs: number, signal: AbortSignal): Promise<QueueMessage[]>;
  deleteBatch(messages: QueueMessage[]): Promise<void>;
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
      return (answer.Messages ?? []).map((message) => ({
        messageId: message.MessageId ?? '',
        receiptHandle: message.ReceiptHandle ?? '',
        body: message.Body ?? '',
        receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 1),
        sentTimestampMs: Number(message.Attributes?.SentTimestamp ?? 0),
        messageGroupId: message.Attributes?.MessageGroupId,
        sequenceNumber: message.Attributes?.SequenceNumber,
      }));
    },
    async deleteBatch(messages) {
      for (let start = 0; start < messages.length; start += 10) {
        const chunk = messages.slice(start, start + 10);
        await client.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: chunk.map((message, index) => ({ Id: String(index), ReceiptHandle: message.receiptHandle })),
          }),
        );
      }
    },
  };
}
