import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../core/clock.ts';
import { SimulatedQueue } from '../../drivers/sqs/simulated-queue.ts';
import type { QueueMessage } from '../../drivers/sqs/polled-queue.ts';

const signal = new AbortController().signal;

function queueOn(clock: VirtualClock, options: { visibilityTimeoutMs?: number; maxReceiveCount?: number } = {}) {
  const deadLettered: QueueMessage[] = [];
  const queue = new SimulatedQueue(clock, {
    visibilityTimeoutMs: options.visibilityTimeoutMs ?? 1000,
    maxReceiveCount: options.maxReceiveCount ?? 10,
    onDeadLettered: (message) => deadLettered.push(message),
  });
  return { queue, deadLettered };
}

describe('simulated SQS queue', () => {
  it('hands a message not deleted in its visibility timeout out again, one receive count higher', async () => {
    const clock = new VirtualClock(0);
    const { queue } = queueOn(clock);
    queue.send('m1', 'body');
    const [first] = await queue.receive(10, 0, signal);
    expect(first).toEqual({ messageId: 'm1', receiptHandle: 'm1', body: 'body', receiveCount: 1, sentTimestampMs: 0 });
    await clock.advanceTo(999);
    expect(await queue.receive(10, 0, signal)).toEqual([]);
    await clock.advanceTo(1000);
    const [again] = await queue.receive(10, 0, signal);
    expect(again!.receiveCount).toBe(2);
    // The first copy keeps the count it was received with.
    expect(first!.receiveCount).toBe(1);
  });

  it('keeps a deleted message out, and needs no timer for batches deleted whole', async () => {
    const clock = new VirtualClock(0);
    const { queue } = queueOn(clock);
    for (let batch = 0; batch < 100; batch += 1) {
      for (let index = 0; index < 10; index += 1) queue.send(`m${batch}-${index}`, '{}');
      await queue.deleteBatch(await queue.receive(10, 0, signal));
      await clock.advanceBy(5);
    }
    // One timer for the oldest batch's timeout at most, not one per receive.
    expect(clock.pendingTimers).toBeLessThanOrEqual(1);
    await clock.advanceBy(5000);
    expect(queue.depth).toBe(0);
    expect(await queue.receive(10, 0, signal)).toEqual([]);
  });

  it('brings back only the undeleted messages of batches whose timeouts ended, oldest first', async () => {
    const clock = new VirtualClock(0);
    const { queue } = queueOn(clock);
    for (let index = 0; index < 4; index += 1) queue.send(`m${index}`, '{}');
    const early = await queue.receive(2, 0, signal);
    await clock.advanceTo(400);
    const late = await queue.receive(2, 0, signal);
    await queue.deleteBatch([early[0]!, late[1]!]);
    await clock.advanceTo(1000);
    expect((await queue.receive(10, 0, signal)).map((m) => m.messageId)).toEqual(['m1']);
    await clock.advanceTo(1400);
    expect((await queue.receive(10, 0, signal)).map((m) => m.messageId)).toEqual(['m2']);
  });

  it('moves a message to the dead-letter queue once received maxReceiveCount times', async () => {
    const clock = new VirtualClock(0);
    const { queue, deadLettered } = queueOn(clock, { maxReceiveCount: 2 });
    queue.send('m1', '{}');
    for (let receive = 0; receive < 2; receive += 1) {
      expect(await queue.receive(10, 0, signal)).toHaveLength(1);
      await clock.advanceBy(1000);
    }
    expect(await queue.receive(10, 0, signal)).toEqual([]);
    expect(deadLettered.map((m) => m.messageId)).toEqual(['m1']);
    expect(queue.deadLettered).toBe(1);
    expect(queue.depth).toBe(0);
  });

  it('answers a waiting long poll when a message arrives', async () => {
    const clock = new VirtualClock(0);
    const { queue } = queueOn(clock);
    const waiting = queue.receive(10, 20_000, signal);
    await clock.advanceTo(300);
    queue.send('m1', '{}');
    const messages = await waiting;
    expect(messages.map((m) => [m.messageId, m.sentTimestampMs])).toEqual([['m1', 300]]);
  });

  it('ends every waiting receive of an aborted signal with its reason, and hands later messages to the receives still waiting', async () => {
    const clock = new VirtualClock(0);
    const { queue } = queueOn(clock);
    const stopping = new AbortController();
    const outcomes: string[] = [];
    const keep = (name: string, receive: Promise<QueueMessage[]>) =>
      receive.then(
        (messages) => outcomes.push(`${name}: ${messages.map((m) => m.messageId).join(',')}`),
        (error: Error) => outcomes.push(`${name}: ${error.message}`),
      );
    const first = keep('first', queue.receive(10, 20_000, stopping.signal));
    const second = keep('second', queue.receive(10, 20_000, stopping.signal));
    const other = keep('other', queue.receive(10, 20_000, signal));
    stopping.abort(new Error('mapping stopped'));
    await Promise.all([first, second]);
    queue.send('m1', 'body');
    await other;
    expect(outcomes).toEqual(['first: mapping stopped', 'second: mapping stopped', 'other: m1']);
    // The receives' wait timers are gone with them: what is left is m1's visibility timeout.
    expect(clock.pendingTimers).toBe(1);
  });
});
