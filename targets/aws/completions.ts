import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { CompletionRecord } from './consumer-code.ts';
import { AwsCallError } from './errors.ts';
import { realClock, type SleepClock } from '../../core/clock.ts';

/** Options of {@link drainCompletionRecords}. */
export interface DrainCompletionOptions {
  /** Stop once this many distinct events have completed (records without `failed`). */
  expectedCompletions?: number;
  /** Upper bound on the whole drain. */
  timeoutMs: number;
  /** Long-poll wait per receive, 0–20 s (SQS's maximum). */
  waitTimeSeconds?: number;
  /** Called with each batch of records as it arrives (live progress). */
  onRecords?: (records: CompletionRecord[]) => void;
  clock?: SleepClock;
}

function parseBody(body: string | undefined): CompletionRecord[] {
  if (!body) return [];
  try {
    const value = JSON.parse(body) as unknown;
    const list = Array.isArray(value) ? value : [value];
    return list.filter((r): r is CompletionRecord => {
      const eventId = (r as Partial<CompletionRecord> | null)?.eventId;
      return typeof eventId === 'string' || typeof eventId === 'number';
    });
  } catch {
    return [];
  }
}

/**
 * Reads completion records from the sink queue and deletes what it read, until the
 * expected number of distinct events has completed or the time bound passes. Each sink
 * message holds a JSON array of {@link CompletionRecord}s; duplicates (at-least-once
 * delivery, retries) are returned as they are, for the accounting to count.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-short-and-long-polling.html
 *
 * @example
 * const records = await drainCompletionRecords(sqs, outputs.SinkQueueUrl, { expectedCompletions: 10, timeoutMs: 120_000 });
 */
export async function drainCompletionRecords(sqs: SQSClient, queueUrl: string, options: DrainCompletionOptions): Promise<CompletionRecord[]> {
  const clock = options.clock ?? realClock;
  const deadline = clock.nowMs() + options.timeoutMs;
  const records: CompletionRecord[] = [];
  const completed = new Set<number | string>();
  const done = () => options.expectedCompletions !== undefined && completed.size >= options.expectedCompletions;
  while (!done() && clock.nowMs() < deadline) {
    const remainingSec = Math.max(0, Math.floor((deadline - clock.nowMs()) / 1000));
    let answer;
    try {
      answer = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: Math.min(options.waitTimeSeconds ?? 5, 20, remainingSec),
        }),
      );
    } catch (error) {
      throw new AwsCallError('sqs:ReceiveMessage (sink)', error);
    }
    const messages = answer.Messages ?? [];
    if (messages.length === 0) continue;
    const batch = messages.flatMap((message) => parseBody(message.Body));
    for (const record of batch) if (!record.failed) completed.add(record.eventId);
    records.push(...batch);
    options.onRecords?.(batch);
    const entries = messages.flatMap((message, i) => (message.ReceiptHandle ? [{ Id: String(i), ReceiptHandle: message.ReceiptHandle }] : []));
    try {
      if (entries.length) await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
    } catch (error) {
      throw new AwsCallError('sqs:DeleteMessageBatch (sink)', error);
    }
  }
  return records;
}
