import { setMaxListeners } from 'node:events';
import type { Clock, TimerHandle } from '../../core/clock.ts';
import type { LambdaFunction } from '../../runtime/lambda-function.ts';
import { ConcurrencyThrottleError } from '../../runtime/errors.ts';
import { awsDefaults } from '../../core/aws-defaults.ts';
import type { SqsPattern } from './schema.ts';
import type { PolledQueue, QueueMessage } from './polled-queue.ts';

export interface SqsMappingObserver {
  onDelivered?(messages: QueueMessage[]): void;
  onCompleted?(messages: QueueMessage[]): void;
  onFailed?(messages: QueueMessage[], error: Error): void;
  onThrottled?(messages: QueueMessage[]): void;
}

export interface SqsMappingOptions {
  queue: PolledQueue;
  queueArn: string;
  region: string;
  fn: LambdaFunction;
  pattern: SqsPattern;
  clock: Clock;
  observer?: SqsMappingObserver;
  /** Long-poll wait of each receive; AWS's pollers use 20 s. Shorter only in tests. */
  receiveWaitMs?: number;
}

/**
 * Lambda's SQS event source mapping: pollers that receive batches and invoke the function.
 *
 * - Starts with 5 concurrent batches and adds up to 300 per minute (5 each second) while
 *   receives return messages, capped by maximumConcurrency and the function's concurrency.
 *   https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html
 * - Fills a batch up to batchSize, waiting at most maximumBatchingWindow.
 * - A successful batch is deleted. A failed or throttled one is left alone: it becomes
 *   visible again when its visibility timeout ends, and the queue's redrive policy moves it
 *   to the DLQ after maxReceiveCount receives.
 * - A throttle makes the mapping poll less, as AWS's pollers back off.
 * - FIFO: the queue never hands out a message group with messages in flight, so at most one
 *   batch per group is in flight here too.
 */
export class SqsEventSourceMapping {
  private readonly abort = new AbortController();


  private readonly pollers = new Set<Promise<void>>();
  private targetPollers: number;
  private receivedInTick = 0;
  private throttledInTick = 0;
  private scalingTimer: TimerHandle | undefined;
  private readonly receiveWaitMs: number;

  constructor(private readonly options: SqsMappingOptions) {
    // Every poller's long poll listens on this one signal.
    setMaxListeners(0, this.abort.signal);
    this.targetPollers = this.pollerFloor;
    this.receiveWaitMs = options.receiveWaitMs ?? awsDefaults.sqsReceiveWaitMs.value;
  }

  /** Concurrent batches the mapping aims for now. */
  get pollerCount(): number {
    return this.pollers.size;
  }

  /**
   * Pollers never go below five, whatever the function's concurrency: only
   * maximumConcurrency caps them. With reserved concurrency below five, the extra pollers
   * are throttled — the behaviour maximumConcurrency was introduced to avoid.
   * https://aws.amazon.com/blogs/compute/introducing-maximum-concurrency-of-aws-lambda-functions-when-using-amazon-sqs-as-an-event-source/
   */
  private get pollerFloor(): number {
    return Math.min(awsDefaults.sqsInitialPollers.value, this.options.pattern.maximumConcurrency ?? Number.POSITIVE_INFINITY);
  }

  /** Scaling up stops at maximumConcurrency and at the function's concurrency limit. */
  private get pollerCap(): number {
    return Math.max(this.pollerFloor, Math.min(this.options.pattern.maximumConcurrency ?? Number.POSITIVE_INFINITY, this.options.fn.concurrencyLimit));
  }

  start(): void {
    this.spawnPollers();
    this.scheduleScaling();
  }

  /** Stops polling; batches already handed to the function finish first. */
  async stop(): Promise<void> {
    this.abort.abort(new Error('mapping stopped'));
    if (this.scalingTimer) this.options.clock.clearTimer(this.scalingTimer);
    await Promise.allSettled([...this.pollers]);
  }

  private scheduleScaling(): void {
    this.scalingTimer = this.options.clock.setTimer(() => {
      if (this.abort.signal.aborted) return;
      this.rescale();
      this.scheduleScaling();
    }, 1000);
  }

  /** Once a second: grow while messages wait, back off on throttles, shrink when idle. */
  private rescale(): void {
    const perSecond = awsDefaults.sqsPollerScaleUpPerMinute.value / 60;
    const floor = this.pollerFloor;
    if (this.throttledInTick > 0) {
      this.targetPollers = Math.max(floor, this.targetPollers - this.throttledInTick);
    } else if (this.receivedInTick > 0) {
      this.targetPollers = Math.min(this.pollerCap, this.targetPollers + perSecond);
    } else {
      this.targetPollers = Math.max(floor, this.targetPollers - perSecond);
    }
    this.receivedInTick = 0;
    this.throttledInTick = 0;
    this.spawnPollers();
  }

  private spawnPollers(): void {
    while (this.pollers.size < Math.floor(this.targetPollers) && !this.abort.signal.aborted) {
      const poller: Promise<void> = this.runPoller().finally(() => this.pollers.delete(poller));
      this.pollers.add(poller);
    }
  }

  private async runPoller(): Promise<void> {
    const { fn, queue, observer, clock } = this.options;
    while (!this.abort.signal.aborted && this.pollers.size <= Math.floor(this.targetPollers)) {
      let batch: QueueMessage[];
      try {
        batch = await this.collectBatch();
      } catch (error) {
        if (this.abort.signal.aborted) return;
        // The source answered with an error (emulator restarting, throttled receive): back off like a poller would.
        await clock.sleep(1000, this.abort.signal).catch(() => undefined);
        continue;
      }
      if (batch.length === 0) continue;
      this.receivedInTick += batch.length;
      observer?.onDelivered?.(batch);
      try {
        await fn.invoke(sqsEvent(batch, this.options.queueArn, this.options.region), 'poll');
      } catch (error) {
        if (error instanceof ConcurrencyThrottleError) {
          this.throttledInTick += 1;
          observer?.onThrottled?.(batch);
          await clock.sleep(1000, this.abort.signal).catch(() => undefined);
        } else {
          observer?.onFailed?.(batch, error as Error);
        }
        continue;
      }
      try {
        await queue.deleteBatch(batch);
        observer?.onCompleted?.(batch);
      } catch (error) {
        // Not deleted: the messages come back after the visibility timeout and are processed again (at-least-once).
        observer?.onFailed?.(batch, error as Error);
      }
    }
  }

  /** Receives until the batch is full or the batching window (from the first message) ends. */
  private async collectBatch(): Promise<QueueMessage[]> {
    const { queue, pattern, clock } = this.options;
    const batch: QueueMessage[] = [];
    let windowEndsAtMs: number | undefined;
    for (;;) {
      const remainingWindowMs = windowEndsAtMs === undefined ? this.receiveWaitMs : windowEndsAtMs - clock.nowMs();
      if (windowEndsAtMs !== undefined && remainingWindowMs <= 0) return batch;
      const received = await queue.receive(pattern.batchSize - batch.length, Math.min(this.receiveWaitMs, remainingWindowMs), this.abort.signal);
      batch.push(...received);
      if (batch.length >= pattern.batchSize) return batch;
      if (batch.length > 0 && pattern.maximumBatchingWindow === 0) return batch;
      if (batch.length > 0 && windowEndsAtMs === undefined) windowEndsAtMs = clock.nowMs() + pattern.maximumBatchingWindow;
      if (batch.length === 0 && received.length === 0) return batch;
    }
  }
}

/** The event Lambda hands an SQS-triggered function. */
export function sqsEvent(batch: QueueMessage[], queueArn: string, region: string) {
  return {
    Records: batch.map((message) => ({
      messageId: message.messageId,
      receiptHandle: message.receiptHandle,
      body: message.body,
      attributes: {
        ApproximateReceiveCount: String(message.receiveCount),
        SentTimestamp: String(message.sentTimestampMs),
        ...(message.messageGroupId ? { MessageGroupId: message.messageGroupId } : {}),
      },
      messageAttributes: {},
      eventSource: 'aws:sqs',
      eventSourceARN: queueArn,
      awsRegion: region,
    })),
  };
}
