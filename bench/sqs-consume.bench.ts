import { SQSClient, CreateQueueCommand, DeleteQueueCommand, SendMessageCommand, ReceiveMessageCommand, DeleteMessageBatchCommand } from '@aws-sdk/client-sqs';
import { startEmbeddedTarget } from '../targets/embedded/embedded-target.ts';
import type { Target } from '../targets/target.ts';
import { sdkClientConfig } from '../core/client-config.ts';
import { runSourceCeilingBench, type SourceCeilingRow } from './source-ceiling.ts';

/**
 * SQS with its consumer, end to end: the raw ceiling of the embedded emulator for the same
 * work (send + receive + delete through plain SDK calls, in one process as a run makes them),
 * and the highest arrival rate a full sluice run (load generator, SQS mapping, local runtime,
 * ledger) holds within 1 % on count and time (bench/source-ceiling.ts). Both run against the
 * same emulator in the same process, so the ratio survives a noisy machine.
 */

const rawProducerLoops = 8;
const rawConsumerLoops = 5;
const rawMeasureMs = 8_000;

/** Plain SDK: producers SendMessage, consumers ReceiveMessage(10, long poll) + DeleteMessageBatch. */
export async function rawSendReceiveDelete(target: Target, durationMs: number): Promise<{ messagesPerSecond: number; sentPerSecond: number; receiveCallsPerMessage: number }> {
  const client = new SQSClient(sdkClientConfig(target.clientSettings));
  const queueUrl = (await client.send(new CreateQueueCommand({ QueueName: `bench-raw-${Date.now().toString(36)}` }))).QueueUrl!;
  const body = 'x'.repeat(100);
  let sending = true;
  const stopConsuming = new AbortController();
  let sent = 0;
  let deleted = 0;
  let receiveCalls = 0;
  const producers = Array.from({ length: rawProducerLoops }, async () => {
    while (sending) {
      await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
      sent += 1;
    }
  });
  const consumers = Array.from({ length: rawConsumerLoops }, async () => {
    while (!stopConsuming.signal.aborted) {
      const answer = await client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 20 }), { abortSignal: stopConsuming.signal }).catch(() => ({ Messages: [] }));
      receiveCalls += 1;
      const messages = answer.Messages ?? [];
      if (messages.length === 0) continue;
      await client.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle! })) }));
      deleted += messages.length;
    }
  });
  // Warm up (connections, JIT), then measure what was deleted in the window.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const [sentAtStart, deletedAtStart, receivesAtStart, startMs] = [sent, deleted, receiveCalls, performance.now()];
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  const elapsedS = (performance.now() - startMs) / 1000;
  const result = {
    messagesPerSecond: (deleted - deletedAtStart) / elapsedS,
    sentPerSecond: (sent - sentAtStart) / elapsedS,
    receiveCallsPerMessage: (receiveCalls - receivesAtStart) / Math.max(1, deleted - deletedAtStart),
  };
  sending = false;
  await Promise.all(producers);
  stopConsuming.abort();
  await Promise.all(consumers);
  await client.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
  client.destroy();
  return result;
}

/**
 * SQS with its consumer: raw SDK send+receive+delete against the held rate of a full run of
 * `{ source: sqs, batchSize: 10, maximumConcurrency: 100 }` with a 1 ms handler.
 */
export async function benchSqsConsume(): Promise<{ name: string; lines: string[]; row: SourceCeilingRow }> {
  return runSourceCeilingBench({
    source: 'sqs',
    work: 'send+receive+delete',
    patternYaml: '{ source: sqs, batchSize: 10, maximumConcurrency: 100 }',
    startTarget: () => startEmbeddedTarget(['sqs'], 'us-east-1'),
    async measureRaw(target) {
      const raw = await rawSendReceiveDelete(target, rawMeasureMs);
      return {
        perSecond: raw.messagesPerSecond,
        lines: [
          `${rawProducerLoops} SendMessage loops, ${rawConsumerLoops} ReceiveMessage(10, 20 s long poll) + DeleteMessageBatch loops, one process, ${rawMeasureMs / 1000} s: ` +
            `${raw.sentPerSecond.toFixed(0)}/s sent, ${raw.messagesPerSecond.toFixed(0)}/s deleted, ${raw.receiveCallsPerMessage.toFixed(2)} receives per message`,
        ],
      };
    },
  });
}
