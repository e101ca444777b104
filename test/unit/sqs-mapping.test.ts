import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../core/clock.ts';
import { LambdaFunction } from '../../runtime/lambda-function.ts';
import { syntheticHandler } from '../../runtime/handler.ts';
import { seededRandom } from '../../runtime/random.ts';
import { SqsEventSourceMapping } from '../../drivers/sqs/sqs-mapping.ts';
import { VirtualQueue, type VirtualQueueOptions } from '../support/virtual-queue.ts';
import type { PolledQueue } from '../../drivers/sqs/polled-queue.ts';
import { account, functionSpec, sqsPattern } from '../support/scenarios.ts';

function setUp(options: {
  fn?: Record<string, unknown>;
  pattern?: Record<string, unknown>;
  account?: Record<string, unknown>;
  maxReceiveCount?: number;
  queue?: VirtualQueueOptions;
  /** The queue cannot tell its backlog: the mapping infers it from full receives. */
  noBacklogReading?: boolean;
  receiveWaitMs?: number;
}) {
  const clock = new VirtualClock(0);
  const spec = functionSpec({ initDuration: '0ms', ...options.fn });
  const pattern = sqsPattern(options.pattern);
  const queue = new VirtualQueue(clock, pattern.visibilityTimeout, options.maxReceiveCount, options.queue);
  const polled: PolledQueue = options.noBacklogReading ? { receive: (...args) => queue.receive(...args), deleteBatch: (messages) => queue.deleteBatch(messages) } : queue;
  const fn = new LambdaFunction({ spec, account: account(options.account), clock, handler: syntheticHandler(spec.handler as never, clock, seededRandom(1)) });
  const completed: number[] = [];
  let throttledBatches = 0;
  let maxConcurrency = 0;
  const mapping = new SqsEventSourceMapping({
    queue: polled,
    queueArn: 'arn:aws:sqs:us-east-1:000000000000:q',
    region: 'us-east-1',
    fn,
    pattern,
    clock,
    receiveWaitMs: options.receiveWaitMs ?? 1000,
    observer: {
      onCompleted: (messages) => completed.push(...messages.map(() => clock.nowMs())),
      onThrottled: () => {
        throttledBatches += 1;
      },
      onDelivered: () => {
        maxConcurrency = Math.max(maxConcurrency, fn.concurrency + 1);
      },
    },
  });
  /** Stops the mapping while moving time on, so in-flight invokes can finish. */
  const stop = async () => {
    const stopping = mapping.stop();
    await clock.advanceBy(120_000);
    await stopping;
  };
  return { clock, queue, fn, mapping, stop, completed, throttled: () => throttledBatches, maxConcurrency: () => maxConcurrency };
}

/** Sends `ratePerSecond` messages a second for `seconds`, advancing the virtual clock. */
async function drive(clock: VirtualClock, queue: VirtualQueue, ratePerSecond: number, seconds: number, onSecond?: (second: number) => void) {
  for (let second = 0; second < seconds; second += 1) {
    for (let i = 0; i < ratePerSecond; i += 1) {
      queue.send('{}');
      await clock.advanceBy(1000 / ratePerSecond);
    }
    onSecond?.(second);
  }
}

describe('sqs event source mapping', () => {
  it('starts with five concurrent batches', async () => {
    const { clock, queue, mapping, stop } = setUp({ fn: { handler: { duration: '10s' }, timeout: '60s' }, pattern: { batchSize: 1 } });
    for (let i = 0; i < 50; i += 1) queue.send('{}');
    mapping.start();
    await clock.advanceBy(500);
    expect(mapping.pollerCount).toBe(5);
    await stop();
  });

  it('adds up to 300 concurrent batches a minute (5 a second) while messages wait', async () => {
    const { clock, queue, mapping, fn, stop } = setUp({ fn: { handler: { duration: '60s' }, timeout: '120s' }, pattern: { batchSize: 1 } });
    for (let i = 0; i < 2000; i += 1) queue.send('{}');
    mapping.start();
    await clock.advanceBy(10_500);
    // 5 at start + 5 for each of 10 seconds.
    expect(mapping.pollerCount).toBe(55);
    expect(fn.concurrency).toBe(55);
    await stop();
  });

  it('never exceeds maximumConcurrency, so output settles at maximumConcurrency × batch / duration', async () => {
    const { clock, queue, mapping, stop, completed, maxConcurrency } = setUp({ fn: { handler: { duration: '100ms' } }, pattern: { batchSize: 1, maximumConcurrency: 5 } });
    mapping.start();
    await drive(clock, queue, 80, 20);
    const lastTen = completed.filter((t) => t >= 10_000 && t < 20_000).length / 10;
    expect(lastTen).toBeGreaterThan(45);
    expect(lastTen).toBeLessThanOrEqual(50);
    expect(maxConcurrency()).toBeLessThanOrEqual(5);
    // The queue grows by the difference between arrival and capacity (80 − 50 = 30/s).
    expect(queue.depth).toBeGreaterThan(20 * 30 * 0.85);
    await stop();
  });

  it('leaves a throttled batch in the queue; it returns after the visibility timeout', async () => {
    const { clock, queue, mapping, stop, throttled, completed } = setUp({ fn: { handler: { duration: '2s' }, reservedConcurrency: 1 }, pattern: { batchSize: 1, visibilityTimeout: '10s' } });
    for (let i = 0; i < 3; i += 1) queue.send('{}');
    mapping.start();
    await clock.advanceBy(500);
    // One poller got the function's only environment; the two others were throttled.
    expect(throttled()).toBe(2);
    await clock.advanceBy(5_000);
    expect(completed).toHaveLength(1);
    // Throttled messages stay invisible for the visibility timeout, and may be throttled again.
    await clock.advanceBy(40_000);
    expect(completed.length).toBe(3);
    expect(throttled()).toBeGreaterThanOrEqual(2);
    await stop();
  });

  it('sends a batch that keeps failing to the DLQ after maxReceiveCount receives', async () => {
    const { clock, queue, mapping, stop, completed } = setUp({ fn: { handler: { duration: '10ms', errorRate: 1 } }, pattern: { batchSize: 10, visibilityTimeout: '5s' }, maxReceiveCount: 2 });
    for (let i = 0; i < 20; i += 1) queue.send('{}');
    mapping.start();
    await clock.advanceBy(30_000);
    expect(completed).toHaveLength(0);
    expect(queue.deadLetters).toHaveLength(20);
    expect(queue.depth).toBe(0);
    await stop();
  });

  it('fills a batch up to batchSize within the batching window', async () => {
    const { clock, queue, mapping, stop } = setUp({ fn: { handler: { duration: '1ms' } }, pattern: { batchSize: 50, maximumBatchingWindow: '2s' } });
    const sizes: number[] = [];
    const original = queue.deleteBatch.bind(queue);
    queue.deleteBatch = async (messages) => {
      sizes.push(messages.length);
      return original(messages);
    };
    mapping.start();
    await drive(clock, queue, 10, 6);
    await clock.advanceBy(3000);
    // 10/s with a 2 s window: batches of about 20, none of them full.
    expect(Math.max(...sizes)).toBeLessThanOrEqual(50);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(60);
    expect(sizes.length).toBeLessThan(10);
    await stop();
  });
  it('stays at five pollers while they keep up, even with messages arriving every second', async () => {
    const { clock, queue, mapping, stop, completed } = setUp({ fn: { handler: { duration: '10ms' } }, pattern: { batchSize: 10, maximumConcurrency: 100 } });
    mapping.start();
    const pollers: number[] = [];
    await drive(clock, queue, 200, 20, () => pollers.push(mapping.pollerCount));
    // Five pollers take 200 messages a second easily: nothing waits, so nothing to scale for.
    expect(Math.max(...pollers)).toBe(5);
    expect(completed.length).toBeGreaterThan(200 * 20 - 50);
    await stop();
  });

  it('stops adding pollers once they keep up with arrivals, even over the backlog the ramp left', async () => {
    const { clock, queue, mapping, stop } = setUp({ fn: { handler: { duration: '100ms' } }, pattern: { batchSize: 1 } });
    mapping.start();
    const pollers: number[] = [];
    const depths: number[] = [];
    await drive(clock, queue, 300, 30, () => {
      pollers.push(mapping.pollerCount);
      depths.push(queue.depth);
    });
    // 300 messages a second at 100 ms each need 30 pollers: 5 at start, +5 a second, there
    // after about 5 s; the ramp leaves a few hundred messages behind.
    expect(pollers[8]).toBeGreaterThanOrEqual(30);
    expect(Math.max(...depths.slice(5, 10))).toBeGreaterThan(100);
    // Holding: the wait stays level, so no more pollers for a backlog that neither grows nor shrinks.
    expect(Math.max(...pollers)).toBeLessThanOrEqual(35);
    expect(Math.min(...depths.slice(10))).toBeGreaterThan(50);
    await stop();
  });

  it('scales back to five when receives come back empty after a backlog drained', async () => {
    const { clock, queue, mapping, stop, completed } = setUp({ fn: { handler: { duration: '1s' } }, pattern: { batchSize: 10 } });
    for (let i = 0; i < 6000; i += 1) queue.send('{}');
    mapping.start();
    const pollers: number[] = [];
    for (let second = 0; second < 60; second += 1) {
      await clock.advanceBy(1000);
      pollers.push(mapping.pollerCount);
    }
    // Up 5 a second while more wait than the pollers take; the queue empties in about 15 s.
    expect(pollers[9]).toBe(55);
    expect(completed).toHaveLength(6000);
    const peak = Math.max(...pollers);
    expect(peak).toBeGreaterThanOrEqual(60);
    // Then every long poll comes back empty: down at most 5 a second, to the five it started with.
    const afterPeak = pollers.slice(pollers.indexOf(peak));
    for (let i = 1; i < afterPeak.length; i += 1) expect(afterPeak[i - 1]! - afterPeak[i]!).toBeLessThanOrEqual(5);
    expect(pollers.at(-1)).toBe(5);
    await stop();
  });

  it('infers waiting messages from full receives when the queue cannot tell its backlog', async () => {
    const { clock, queue, mapping, stop } = setUp({ fn: { handler: { duration: '2s' }, timeout: '10s' }, pattern: { batchSize: 10 }, noBacklogReading: true });
    for (let i = 0; i < 5000; i += 1) queue.send('{}');
    mapping.start();
    await clock.advanceBy(4_500);
    // Every receive came back with 10 messages and none empty: messages wait, 5 more a second.
    expect(mapping.pollerCount).toBe(25);
    await stop();
  });

  it('stops at the standard mode ceiling of 1,250 concurrent batches without maximumConcurrency', async () => {
    const { clock, queue, mapping, fn } = setUp({
      fn: { handler: { duration: '600s' }, timeout: '900s' },
      pattern: { batchSize: 1 },
      account: { concurrencyLimit: 5000, burstEnvironmentsPer10Seconds: 5000 },
    });
    for (let i = 0; i < 3000; i += 1) queue.send('{}');
    mapping.start();
    // 5 + 5 a second reaches 1,250 after 249 s; every batch is still running then.
    await clock.advanceBy(300_000);
    expect(mapping.pollerCount).toBe(1250);
    expect(fn.concurrency).toBe(1250);
    const stopping = mapping.stop();
    await clock.advanceBy(700_000);
    await stopping;
  });

  it('does not retry a long poll answered empty early (every poll woken by each send): few receives per message, five pollers', async () => {
    const { clock, queue, mapping, stop, completed } = setUp({
      fn: { handler: { duration: '1ms' } },
      pattern: { batchSize: 10, maximumConcurrency: 100 },
      queue: { wakeEveryPollOnSend: true },
      receiveWaitMs: 20_000,
    });
    mapping.start();
    const pollers: number[] = [];
    await drive(clock, queue, 200, 20, () => pollers.push(mapping.pollerCount));
    await clock.advanceBy(1000);
    expect(completed).toHaveLength(4000);
    expect(Math.max(...pollers)).toBe(5);
    // Each send wakes all five waiting polls and four lose; losers wait before polling again.
    expect(queue.receiveCalls / 4000).toBeLessThan(2);
    // The mapping counts a receive when it answers; the five polls still waiting are not answered yet.
    expect(queue.receiveCalls - mapping.counts.receiveCalls).toBeLessThanOrEqual(5);
    expect(mapping.counts.messagesReceived).toBe(4000);
    await stop();
  });

  it('backs off a short poll (no wait) that finds the queue empty instead of spinning', async () => {
    const { clock, queue, mapping, stop } = setUp({ fn: { handler: { duration: '1ms' } }, pattern: { batchSize: 10 }, receiveWaitMs: 0 });
    mapping.start();
    await clock.advanceBy(10_000);
    // Five pollers at most one empty receive per second each once the backoff reached 1 s.
    expect(queue.receiveCalls).toBeLessThan(5 * (10 + 7));
    queue.send('{}');
    await clock.advanceBy(1_500);
    expect(queue.deleted).toBe(1);
    await stop();
  });
});
