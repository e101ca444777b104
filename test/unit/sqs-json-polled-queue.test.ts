import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SQSClient, CreateQueueCommand, GetQueueAttributesCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { startEmbeddedTarget } from '../../targets/embedded/embedded-target.ts';
import type { Target } from '../../targets/target.ts';
import { sdkClientConfig } from '../../core/client-config.ts';
import { jsonProtocolPolledQueue, SqsApiError } from '../../drivers/sqs/json-polled-queue.ts';

/** The embedded target with SQS (its emulator behind the edge): the endpoint a run's consumer reads. */
let target: Target;
let endpoint: string;
let client: SQSClient;

beforeAll(async () => {
  target = await startEmbeddedTarget(['sqs'], 'us-east-1');
  endpoint = target.clientSettings.endpoint!;
  client = new SQSClient(sdkClientConfig(target.clientSettings));
}, 60_000);

afterAll(async () => {
  client?.destroy();
  await target?.stop();
});

async function queueWith(count: number): Promise<string> {
  const queueUrl = (await client.send(new CreateQueueCommand({ QueueName: `json-${Math.random().toString(36).slice(2)}` }))).QueueUrl!;
  for (let start = 0; start < count; start += 10) {
    const entries = Array.from({ length: Math.min(10, count - start) }, (_, index) => ({ Id: String(index), MessageBody: `body-${start + index}` }));
    await client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
  }
  return queueUrl;
}

async function depthOf(queueUrl: string) {
  const attributes = (await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }))).Attributes!;
  return { visible: Number(attributes.ApproximateNumberOfMessages), inFlight: Number(attributes.ApproximateNumberOfMessagesNotVisible) };
}

describe('sqs consumer over the JSON protocol (embedded target)', () => {
  it('receives up to 10 messages per call with the attributes the mapping reads, and deletes them in batches', async () => {
    const queueUrl = await queueWith(25);
    const queue = jsonProtocolPolledQueue(endpoint, queueUrl, 30_000);
    try {
      expect(await queue.visibleMessages!()).toBe(25);
      const received = [];
      for (let call = 0; call < 5 && received.length < 25; call += 1) {
        const messages = await queue.receive(25, 0, new AbortController().signal);
        expect(messages.length).toBeLessThanOrEqual(10);
        received.push(...messages);
      }
      expect(received).toHaveLength(25);
      expect(new Set(received.map((message) => message.body))).toEqual(new Set(Array.from({ length: 25 }, (_, index) => `body-${index}`)));
      for (const message of received) {
        expect(message.messageId).not.toBe('');
        expect(message.receiptHandle).not.toBe('');
        expect(message.receiveCount).toBe(1);
        expect(Math.abs(message.sentTimestampMs - Date.now())).toBeLessThan(60_000);
      }
      expect(await depthOf(queueUrl)).toEqual({ visible: 0, inFlight: 25 });
      await queue.deleteBatch(received);
      expect(await depthOf(queueUrl)).toEqual({ visible: 0, inFlight: 0 });
    } finally {
      queue.destroy();
    }
  });

  it('ends a waiting long poll when the mapping stops (abort)', async () => {
    const queueUrl = await queueWith(0);
    const queue = jsonProtocolPolledQueue(endpoint, queueUrl, 30_000);
    try {
      const abort = new AbortController();
      const startedAtMs = Date.now();
      const receiving = queue.receive(10, 20_000, abort.signal);
      setTimeout(() => abort.abort(new Error('mapping stopped')), 200);
      await expect(receiving).rejects.toThrow();
      expect(Date.now() - startedAtMs).toBeLessThan(5_000);
    } finally {
      queue.destroy();
    }
  });

  it('turns an SQS error answer into an SqsApiError naming the action and the error type', async () => {
    const queue = jsonProtocolPolledQueue(endpoint, `${endpoint}/000000000000/no-such-queue`, 30_000);
    try {
      const failure = await queue.receive(10, 0, new AbortController().signal).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(SqsApiError);
      expect((failure as SqsApiError).code).toBe('SLUICE_SQS_API');
      expect((failure as SqsApiError).message).toMatch(/^SQS ReceiveMessage failed: .*(NonExistentQueue|QueueDoesNotExist)/);
      expect((failure as SqsApiError).hint).toBeTruthy();
    } finally {
      queue.destroy();
    }
  });
});
