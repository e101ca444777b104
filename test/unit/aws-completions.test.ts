import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { awsClientConfig } from '../../targets/aws/clients.ts';
import { drainCompletionRecords } from '../../targets/aws/completions.ts';
import type { SleepClock } from '../../core/clock.ts';

const sqs = mockClient(SQSClient);
// The unit project shares modules between files (isolate: false): put the real send back.
afterAll(() => {
  sqs.restore();
});
const queueUrl = 'https://sqs.us-east-1.amazonaws.com/123456789012/sluice-r1-sqs-sink';

/** Each receive moves the virtual clock by its long-poll wait. */
function virtualClock(): SleepClock & { advance(ms: number): void } {
  let nowMs = 0;
  return { nowMs: () => nowMs, sleep: async (ms) => void (nowMs += ms), advance: (ms) => void (nowMs += ms) };
}

const record = (eventId: string, extra: Record<string, unknown> = {}) => ({ eventId, sentAtMs: 1, completedAtMs: 2, coldStart: false, durationMs: 1, ...extra });

beforeEach(() => sqs.reset());

describe('completion records from the sink queue', () => {
  it('reads packed records, deletes what it read, and stops at the expected count', async () => {
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [{ Body: JSON.stringify([record('e1'), record('e2', { failed: true })]), ReceiptHandle: 'h1' }] })
      .resolvesOnce({})
      .resolvesOnce({ Messages: [{ Body: JSON.stringify([record('e2'), record('e3')]), ReceiptHandle: 'h2' }, { Body: 'garbage', ReceiptHandle: 'h3' }] })
      .resolves({ Messages: [{ Body: JSON.stringify([record('e4')]), ReceiptHandle: 'h4' }] });
    sqs.on(DeleteMessageBatchCommand).resolves({});
    const seen: number[] = [];
    const records = await drainCompletionRecords(new SQSClient(awsClientConfig({ region: 'us-east-1' })), queueUrl, {
      expectedCompletions: 3,
      timeoutMs: 60_000,
      clock: virtualClock(),
      onRecords: (batch) => seen.push(batch.length),
    });
    expect(records.map((r) => [r.eventId, r.failed ?? false])).toEqual([
      ['e1', false],
      ['e2', true],
      ['e2', false],
      ['e3', false],
    ]);
    expect(seen).toEqual([2, 2]);
    expect(sqs.commandCalls(ReceiveMessageCommand)).toHaveLength(3);
    expect(sqs.commandCalls(DeleteMessageBatchCommand).map((c) => c.args[0].input.Entries?.map((e) => e.ReceiptHandle))).toEqual([['h1'], ['h2', 'h3']]);
  });

  it('returns what it has when the time bound passes', async () => {
    const clock = virtualClock();
    sqs.on(ReceiveMessageCommand).callsFake((input: { WaitTimeSeconds: number }) => {
      clock.advance(Math.max(1, input.WaitTimeSeconds) * 1000);
      return {};
    });
    const records = await drainCompletionRecords(new SQSClient(awsClientConfig({ region: 'us-east-1' })), queueUrl, {
      expectedCompletions: 10,
      timeoutMs: 30_000,
      waitTimeSeconds: 20,
      clock,
    });
    expect(records).toEqual([]);
    const waits = sqs.commandCalls(ReceiveMessageCommand).map((c) => c.args[0].input.WaitTimeSeconds);
    expect(waits[0]).toBe(20);
    expect(waits.every((w) => w !== undefined && w <= 20)).toBe(true);
  });
});
