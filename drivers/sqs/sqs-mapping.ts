import { setMaxListeners } from 'node:events';
import type { Clock, TimerHandle } from '../../core/clock.ts';
import type { LambdaFunction } from '../../runtime/lambda-function.ts';
import { ConcurrencyThrottleError } from '../../runtime/errors.ts';
import { DeferredEvent } from '../../runtime/handler.ts';
import { awsDefaults } from '../../core/aws-defaults.ts';
import type { SqsPattern } from './schema.ts';
import type { PolledQueue, QueueMessage } from './polled-queue.ts';
import { ReceiveWaitTrend } from './receive-wait-trend.ts';

export interface SqsMappingObserver {
  onDelivered?(messages: QueueMessage[]): void;
  onCompleted?(messages: QueueMessage[]): void;
  onFailed?(messages: QueueMessage[], error: Error): void;
  onThrottled?(messages: QueueMessage[]): void;
}

/** The mapping's own settings: an sqs pattern's, or an s3 pattern's `notify: { to: sqs }`. */
export type SqsMappingSettings = Pick<SqsPattern, 'batchSize' | 'maximumBatchingWindow' | 'maximumConcurrency'> & Partial<Pick<SqsPattern, 'provisionedPollerConfig'>>;

export interface SqsMappingOptions {
  queue: PolledQueue;
  queueArn: string;
  region: string;
  fn: LambdaFunction;
  pattern: SqsMappingSettings;
  clock: Clock;
  observer?: SqsMappingObserver;
  /** Long-poll wait of each receive; AWS's pollers use 20 s. Shorter only in tests. */
  receiveWaitMs?: number;
}

/** What the mapping's receives did so far: the run's result reports it, tests read it. */
export interface SqsPollingCounts {
  receiveCalls: number;
  /** Receives that returned no message (idle long polls, and the losers when one send wakes several polls). */
  emptyReceives: number;
  messagesReceived: number;
  /** Polls for the backlog (GetQueueAttributes' ApproximateNumberOfMessages). */
  backlogReads: number;
}

/**
 * Lambda's SQS event source mapping (standard mode): pollers that receive batches and
 * invoke the function.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html
 *
 * - Starts with 5 concurrent batches. While messages are still available — the visible
 *   backlog is more than the pollers take in one receive each, or (where the backlog cannot be
 *   read) receives come back full and none empty — and they wait longer and longer (the
 *   oldest message received each second waited longer than the second before's;
 *   receive-wait-trend.ts), it adds up to 300 concurrent batches a minute (5 each second),
 *   capped by maximumConcurrency (2–1,000), the standard mode's 1,250 concurrent invokes, and
 *   the function's concurrency. Pollers that keep up with arrivals stop adding, even over a
 *   standing backlog, as measured on AWS (core/aws-defaults.ts sqsScaleUpWaitRiseMs).
 * - When receives come back empty and nothing waits it scales back towards 5, by at most as
 *   many pollers as found nothing, and at most 5 a second.
 * - Each receive asks for up to 10 messages (one call's most) and a batch is filled up to
 *   batchSize, waiting at most maximumBatchingWindow from its first message.
 * - A long poll that answers empty at the end of its wait is polled again; one that answers
 *   empty early (a queue that wakes every waiting poll on each send, as the embedded emulator
 *   does, or a short poll) is not retried at once: the poller waits from 10 ms, doubling up to
 *   1 s, so an idle poller never spins.
 * - A successful batch is deleted (DeleteMessageBatch, 10 per call). A failed or throttled one
 *   is left alone: it becomes visible again when its visibility timeout ends, and the queue's
 *   redrive policy moves it to the DLQ after maxReceiveCount receives.
 * - A throttle makes the mapping poll less, as AWS's pollers back off.
 * - FIFO: the queue never hands out a message group with messages in flight, so at most one
 *   batch per group is in flight here too.
 *
 * Provisioned mode (`provisionedPollerConfig`) replaces the standard scaling: the minimum
 * event pollers are ready from the start, each handling up to 10 concurrent invokes; while
 * messages wait the mapping adds up to 1,000 concurrent invokes a minute, up to maximumPollers
 * × 10 (no 1,250 ceiling, no maximumConcurrency) and the function's concurrency, and it scales
 * back towards the minimum as standard mode does. sluice's choice where AWS is silent: the
 * ready minimum is also held to the function's concurrency, so a small reserved concurrency is
 * not flooded with throttled batches.
 */
export class SqsEventSourceMapping {
  private readonly abort = new AbortController();
  private readonly pollers = new Set<Promise<void>>();
  private targetPollers: number;
  private readonly receiveWaitMs: number;
  private scalingTimer: TimerHandle | undefined;
  private backlogTimer: TimerHandle | undefined;
  private backlogReadBusy = false;

  // What happened since the last rescale (once a second).
  private throttledInTick = 0;
  private fullReceivesInTick = 0;
  private emptyReceivesInTick = 0;
  private readonly pollersEmptyInTick = new Set<number>();
  /** The smallest backlog read in this second: messages waited all second long if it is large. */
  private backlogMinInTick: number | undefined;
  private readonly waitTrend = new ReceiveWaitTrend();
  private nextPollerId = 0;

  readonly counts: SqsPollingCounts = { receiveCalls: 0, emptyReceives: 0, messagesReceived: 0, backlogReads: 0 };

  constructor(private readonly options: SqsMappingOptions) {
    // Every poller's long poll listens on this one signal.
    setMaxListeners(0, this.abort.signal);
    this.targetPollers = this.pollerFloor;
    this.receiveWaitMs = options.receiveWaitMs ?? awsDefaults.sqsReceiveWaitMs.value;
  }

  /** Concurrent batches (pollers) the mapping runs now. */
  get pollerCount(): number {
    return this.pollers.size;
  }

  /**
   * In provisioned mode, the event pollers AWS bills for now: the concurrent invokes the
   * mapping is scaled to, 10 a poller, never below the minimum; undefined in standard mode.
   */
  get provisionedPollers(): number | undefined {
    const provisioned = this.options.pattern.provisionedPollerConfig;
    if (!provisioned) return undefined;
    return Math.min(provisioned.maximumPollers, Math.max(provisioned.minimumPollers, Math.ceil(Math.floor(this.targetPollers) / invokesPerProvisionedPoller)));
  }

  /**
   * Pollers never go below five, whatever the function's concurrency: only
   * maximumConcurrency caps them. With reserved concurrency below five, the extra pollers
   * are throttled — the behaviour maximumConcurrency was introduced to avoid.
   * https://aws.amazon.com/blogs/compute/introducing-maximum-concurrency-of-aws-lambda-functions-when-using-amazon-sqs-as-an-event-source/
   */
  private get pollerFloor(): number {
    const provisioned = this.options.pattern.provisionedPollerConfig;
    if (provisioned) return Math.max(1, Math.min(provisioned.minimumPollers * invokesPerProvisionedPoller, this.options.fn.concurrencyLimit));
    return Math.min(awsDefaults.sqsInitialPollers.value, this.options.pattern.maximumConcurrency ?? Number.POSITIVE_INFINITY);
  }

  /** Scaling up stops at maximumConcurrency, at standard mode's ceiling, and at the function's concurrency limit. */
  private get pollerCap(): number {
    const provisioned = this.options.pattern.provisionedPollerConfig;
    if (provisioned) return Math.max(this.pollerFloor, Math.min(provisioned.maximumPollers * invokesPerProvisionedPoller, this.options.fn.concurrencyLimit));
    const mappingCap = Math.min(this.options.pattern.maximumConcurrency ?? Number.POSITIVE_INFINITY, awsDefaults.sqsStandardConcurrentInvokesMax.value);
    return Math.max(this.pollerFloor, Math.min(mappingCap, this.options.fn.concurrencyLimit));
  }

  /** Messages one receive can take: SQS hands out at most 10 per ReceiveMessage. */
  private get messagesPerReceive(): number {
    return Math.min(receiveMessagesMax, this.options.pattern.batchSize);
  }

  start(): void {
    this.spawnPollers();
    this.scheduleScaling();
    if (this.options.queue.visibleMessages) this.scheduleBacklogRead();
  }

  /** Stops polling; batches already handed to the function finish first. */
  async stop(): Promise<void> {
    this.abort.abort(new Error('mapping stopped'));
    if (this.scalingTimer) this.options.clock.clearTimer(this.scalingTimer);
    if (this.backlogTimer) this.options.clock.clearTimer(this.backlogTimer);
    await Promise.allSettled([...this.pollers]);
  }

  private scheduleScaling(): void {
    this.scalingTimer = this.options.clock.setTimer(() => {
      if (this.abort.signal.aborted) return;
      this.rescale();
      this.scheduleScaling();
    }, 1000);
  }

  /** Reads the queue's visible backlog a few times a second (one cheap GetQueueAttributes each). */
  private scheduleBacklogRead(): void {
    this.backlogTimer = this.options.clock.setTimer(() => {
      if (this.abort.signal.aborted) return;
      this.scheduleBacklogRead();
      if (this.backlogReadBusy) return;
      this.backlogReadBusy = true;
      this.counts.backlogReads += 1;
      this.options.queue
        .visibleMessages!()
        .then((visible) => {
          this.backlogMinInTick = Math.min(this.backlogMinInTick ?? Number.POSITIVE_INFINITY, visible);
        })
        .catch(() => undefined)
        .finally(() => {
          this.backlogReadBusy = false;
        });
    }, 1000 / awsDefaults.sqsBacklogReadsPerSecond.value);
  }

  /**
   * Messages wait when more are visible than the pollers take in one receive each; without a
   * backlog reading, when receives came back full and none came back empty.
   */
  private messagesWait(): boolean {
    if (this.backlogMinInTick !== undefined) return this.backlogMinInTick > this.pollers.size * this.messagesPerReceive;
    return this.fullReceivesInTick > 0 && this.emptyReceivesInTick === 0;
  }

  /** Once a second: back off on throttles, grow while messages wait, shrink when receives come back empty. */
  private rescale(): void {
    const perMinute = this.options.pattern.provisionedPollerConfig ? awsDefaults.sqsProvisionedScaleUpPerMinute.value : awsDefaults.sqsPollerScaleUpPerMinute.value;
    const stepPerSecond = perMinute / 60;
    const floor = this.pollerFloor;
    const waitingLonger = this.waitTrend.endSecond();
    if (this.throttledInTick > 0) {
      this.targetPollers = Math.max(floor, this.targetPollers - this.throttledInTick);
    } else if (this.messagesWait() && waitingLonger) {
      this.targetPollers = Math.min(this.pollerCap, this.targetPollers + stepPerSecond);
    } else if (this.emptyReceivesInTick > 0) {
      this.targetPollers = Math.max(floor, this.targetPollers - Math.min(stepPerSecond, this.pollersEmptyInTick.size));
    }
    this.throttledInTick = 0;
    this.fullReceivesInTick = 0;
    this.emptyReceivesInTick = 0;
    this.pollersEmptyInTick.clear();
    this.backlogMinInTick = undefined;
    this.spawnPollers();
  }

  private spawnPollers(): void {
    while (this.pollers.size < Math.floor(this.targetPollers) && !this.abort.signal.aborted) {
      const poller: Promise<void> = this.runPoller(this.nextPollerId++).finally(() => this.pollers.delete(poller));
      this.pollers.add(poller);
    }
  }

  private async runPoller(pollerId: number): Promise<void> {
    const { fn, queue, observer, clock } = this.options;
    const [backoffMinMs, backoffMaxMs] = awsDefaults.sqsEmptyReceiveBackoffMs.value;
    let backoffMs = 0;
    while (!this.abort.signal.aborted && this.pollers.size <= Math.floor(this.targetPollers)) {
      let collected: CollectedBatch;
      try {
        collected = await this.collectBatch(pollerId);
      } catch (error) {
        if (this.abort.signal.aborted) return;
        // The source answered with an error (emulator restarting, throttled receive): back off like a poller would.
        await clock.sleep(1000, this.abort.signal).catch(() => undefined);
        continue;
      }
      const batch = collected.messages;
      if (batch.length === 0) {
        // An empty answer at the end of a long poll is polled again at once; an early one is not.
        if (collected.answeredEarly) {
          backoffMs = Math.min(backoffMaxMs, backoffMs === 0 ? backoffMinMs : backoffMs * 2);
          await clock.sleep(backoffMs, this.abort.signal).catch(() => undefined);
        }
        continue;
      }
      backoffMs = 0;
      observer?.onDelivered?.(batch);
      try {
        await fn.invoke(new DeferredEvent(() => sqsEvent(batch, this.options.queueArn, this.options.region)), 'poll');
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

  /** One ReceiveMessage, counted; `answeredEarly` when it came back empty before its wait ended. */
  private async receiveOnce(pollerId: number, maxMessages: number, waitMs: number): Promise<{ messages: QueueMessage[]; answeredEarly: boolean }> {
    const { queue, clock } = this.options;
    const askedMessages = Math.min(receiveMessagesMax, maxMessages);
    const startedAtMs = clock.nowMs();
    const messages = await queue.receive(askedMessages, waitMs, this.abort.signal);
    this.counts.receiveCalls += 1;
    this.counts.messagesReceived += messages.length;
    if (messages.length === 0) {
      this.counts.emptyReceives += 1;
      this.emptyReceivesInTick += 1;
      this.pollersEmptyInTick.add(pollerId);
    } else {
      if (messages.length >= askedMessages) this.fullReceivesInTick += 1;
      let oldestSentMs = messages[0]!.sentTimestampMs;
      for (const message of messages) if (message.sentTimestampMs < oldestSentMs) oldestSentMs = message.sentTimestampMs;
      this.waitTrend.received(clock.nowMs() - oldestSentMs);
    }
    // A short poll, or a long poll that came back empty well before its wait (SQS's wait is whole seconds, so half is the mark).
    const answeredEarly = messages.length === 0 && (waitMs <= 0 || clock.nowMs() - startedAtMs < waitMs / 2);
    return { messages, answeredEarly };
  }

  /** Receives until the batch is full or the batching window (from the first message) ends. */
  private async collectBatch(pollerId: number): Promise<CollectedBatch> {
    const { pattern, clock } = this.options;
    const [backoffMinMs, backoffMaxMs] = awsDefaults.sqsEmptyReceiveBackoffMs.value;
    const batch: QueueMessage[] = [];
    let windowEndsAtMs: number | undefined;
    let backoffMs = 0;
    for (;;) {
      const remainingWindowMs = windowEndsAtMs === undefined ? this.receiveWaitMs : windowEndsAtMs - clock.nowMs();
      if (windowEndsAtMs !== undefined && remainingWindowMs <= 0) return { messages: batch, answeredEarly: false };
      const received = await this.receiveOnce(pollerId, pattern.batchSize - batch.length, Math.min(this.receiveWaitMs, remainingWindowMs));
      batch.push(...received.messages);
      if (batch.length >= pattern.batchSize) return { messages: batch, answeredEarly: false };
      if (batch.length > 0 && pattern.maximumBatchingWindow === 0) return { messages: batch, answeredEarly: false };
      if (batch.length === 0) return { messages: batch, answeredEarly: received.answeredEarly };
      if (windowEndsAtMs === undefined) windowEndsAtMs = clock.nowMs() + pattern.maximumBatchingWindow;
      if (received.answeredEarly) {
        // Filling a window: an early empty answer waits a little (never past the window) before the next receive.
        backoffMs = Math.min(backoffMaxMs, backoffMs === 0 ? backoffMinMs : backoffMs * 2);
        await clock.sleep(Math.max(0, Math.min(backoffMs, windowEndsAtMs - clock.nowMs())), this.abort.signal).catch(() => undefined);
        if (this.abort.signal.aborted) return { messages: batch, answeredEarly: false };
      } else if (received.messages.length > 0) {
        backoffMs = 0;
      }
    }
  }
}

interface CollectedBatch {
  messages: QueueMessage[];
  /** An empty batch whose last receive answered before its wait ended. */
  answeredEarly: boolean;
}

/** Concurrent invokes one provisioned event poller handles. */
const invokesPerProvisionedPoller = awsDefaults.sqsProvisionedInvokesPerPoller.value;

/** ReceiveMessage returns at most 10 messages. https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html */
const receiveMessagesMax = 10;

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
