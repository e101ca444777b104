import type { Clock, TimerHandle } from '../../core/clock.ts';
import type { PolledQueue, QueueMessage } from './polled-queue.ts';

export interface SimulatedQueueOptions {
  visibilityTimeoutMs: number;
  /** Receives after which a message goes to the dead-letter queue instead (the redrive policy). */
  maxReceiveCount: number;
  fifo?: boolean;
  /** A message moved to the dead-letter queue by the redrive policy. */
  onDeadLettered?(message: QueueMessage): void;
}

interface StoredMessage {
  message: QueueMessage;
  /** Deleted while in flight: its visibility timeout ends without bringing it back. */
  deleted: boolean;
  inFlight: boolean;
}

/** A receive waiting on a long poll: answered by a send, its wait's end, or its signal. */
interface Waiter {
  maxMessages: number;
  /** Answered already: it stays in the list until it comes up, and is skipped then. */
  done: boolean;
  timer: TimerHandle;
  signal: AbortSignal;
  resolve(messages: QueueMessage[]): void;
  reject(reason: unknown): void;
}

/** A first-in, first-out list with O(1) push and shift that reuses its array. */
class Deque<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  unshiftAll(items: T[]): void {
    this.compact();
    this.items.unshift(...items);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.items.length) this.compact();
    return item;
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  private compact(): void {
    this.items = this.items.slice(this.head);
    this.head = 0;
  }
}

/**
 * An SQS queue in memory on an injected clock, for `sluice predict` and the rules' tests: the
 * {@link PolledQueue} calls the mapping makes, with the behaviour the mapping's numbers depend
 * on and no HTTP.
 *
 * - ReceiveMessage hands out at most `maxMessages` visible messages and hides them for the
 *   visibility timeout; a message not deleted by then is visible again, its receive count one
 *   higher. https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html
 * - Long polling: with nothing visible, a receive waits up to `waitMs` and answers as soon as a
 *   message arrives (one waiting receive per message sent).
 *   https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-short-and-long-polling.html
 * - Redrive: a message received `maxReceiveCount` times and still not deleted moves to the
 *   dead-letter queue when it would be received once more.
 *   https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
 * - FIFO: messages of a group come out in send order, and a group with a message in flight
 *   hands out nothing until it is deleted or visible again.
 *   https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues-understanding-logic.html
 */
export class SimulatedQueue implements PolledQueue {
  /** Standard queue: visible messages in arrival order (redelivered ones go to the front). */
  private readonly visibleStandard = new Deque<StoredMessage>();
  /** FIFO: each group's visible messages in order, and the groups that can hand one out now. */
  private readonly groups = new Map<string, { queue: Deque<StoredMessage>; inFlight: number }>();
  private readonly readyGroups = new Deque<string>();
  private readonly readyGroupSet = new Set<string>();
  private readonly waiters = new Deque<Waiter>();
  private readonly waitingBySignal = new WeakMap<AbortSignal, Set<Waiter>>();
  /** Received batches in the order their visibility timeouts end. */
  private readonly hiddenBatches = new Deque<{ visibleAgainAtMs: number; batch: StoredMessage[] }>();
  private visibleCount = 0;
  private inFlightCount = 0;
  private nextSequence = 1;
  /** Messages moved to the dead-letter queue. */
  deadLettered = 0;

  constructor(
    private readonly clock: Clock,
    private readonly options: SimulatedQueueOptions,
  ) {}

  /** Visible and in flight: what ApproximateNumberOfMessages + …NotVisible add up to. */
  get depth(): number {
    return this.visibleCount + this.inFlightCount;
  }

  get inFlight(): number {
    return this.inFlightCount;
  }

  /** SendMessage: the message is visible at once (no delay queues). Returns whether it answered a waiting receive. */
  send(messageId: string, body: string, messageGroupId?: string): boolean {
    const sequence = this.nextSequence++;
    const message: StoredMessage['message'] = { messageId, receiptHandle: messageId, body, receiveCount: 0, sentTimestampMs: this.clock.nowMs() };
    if (this.options.fifo) {
      message.messageGroupId = messageGroupId ?? 'default';
      message.sequenceNumber = String(sequence);
    }
    const stored: StoredMessage = { message, deleted: false, inFlight: false };
    this.makeVisible([stored], false);
    return this.wakeWaiters();
  }

  async receive(maxMessages: number, waitMs: number, signal: AbortSignal): Promise<QueueMessage[]> {
    const now = this.take(maxMessages);
    if (now.length > 0 || waitMs <= 0) return now;
    if (signal.aborted) throw signal.reason;
    return new Promise<QueueMessage[]>((resolve, reject) => {
      const waiter: Waiter = {
        maxMessages,
        done: false,
        timer: this.clock.setTimer(() => this.answer(waiter, []), waitMs),
        signal,
        resolve,
        reject,
      };
      this.waiters.push(waiter);
      this.watchAbort(waiter);
    });
  }

  /**
   * One listener per signal for all its waiting receives (a mapping's pollers share one):
   * a listener added and removed per receive cost more than the receive.
   */
  private watchAbort(waiter: Waiter): void {
    let waiting = this.waitingBySignal.get(waiter.signal);
    if (waiting === undefined) {
      const ofSignal = new Set<Waiter>();
      waiting = ofSignal;
      this.waitingBySignal.set(waiter.signal, ofSignal);
      waiter.signal.addEventListener(
        'abort',
        () => {
          for (const aborted of [...ofSignal]) this.answer(aborted, undefined);
        },
        { once: true },
      );
    }
    waiting.add(waiter);
  }

  /** Answers a waiting receive once: with messages, empty at its wait's end, or (undefined) with its signal's reason. */
  private answer(waiter: Waiter, messages: QueueMessage[] | undefined): void {
    if (waiter.done) return;
    waiter.done = true;
    this.clock.clearTimer(waiter.timer);
    this.waitingBySignal.get(waiter.signal)?.delete(waiter);
    if (messages === undefined) waiter.reject(waiter.signal.reason);
    else waiter.resolve(messages);
  }

  async deleteBatch(messages: QueueMessage[]): Promise<void> {
    for (const message of messages) {
      const stored = message instanceof ReceivedMessage ? ReceivedMessage.storedOf(message) : undefined;
      if (!stored || stored.deleted || !stored.inFlight) continue;
      stored.deleted = true;
      stored.inFlight = false;
      this.inFlightCount -= 1;
      if (this.options.fifo) this.groupInFlightDone(stored.message.messageGroupId!);
    }
  }

  async visibleMessages(): Promise<number> {
    return this.visibleCount;
  }

  /** Answers waiting receives while messages are visible; returns whether it answered any. */
  private wakeWaiters(): boolean {
    let answered = false;
    while (this.visibleCount > 0 && this.waiters.length > 0) {
      const waiter = this.waiters.shift()!;
      if (waiter.done) continue;
      const messages = this.take(waiter.maxMessages);
      if (messages.length === 0) {
        this.waiters.unshiftAll([waiter]);
        return answered;
      }
      this.answer(waiter, messages);
      answered = true;
    }
    return answered;
  }

  /** Hands out up to `maxMessages` visible messages, hidden for the visibility timeout. */
  private take(maxMessages: number): QueueMessage[] {
    const taken: StoredMessage[] = [];
    while (taken.length < maxMessages) {
      const stored = this.options.fifo ? this.nextFifo(taken) : this.visibleStandard.shift();
      if (!stored) break;
      this.visibleCount -= 1;
      if (stored.message.receiveCount >= this.options.maxReceiveCount) {
        // Received maxReceiveCount times already: the redrive policy moves it instead.
        this.deadLettered += 1;
        if (this.options.fifo) this.groupInFlightDone(stored.message.messageGroupId!);
        this.options.onDeadLettered?.(stored.message);
        continue;
      }
      stored.message.receiveCount += 1;
      stored.inFlight = true;
      this.inFlightCount += 1;
      taken.push(stored);
    }
    if (taken.length === 0) return [];
    this.hideUntilVisibilityEnds(taken);
    // A copy per receive, as SQS answers: the receive count is the one at this receive.
    return taken.map((stored) => new ReceivedMessage(stored));
  }

  /**
   * The batch is visible again when the visibility timeout ends, unless deleted by then. The
   * timeout is the queue's for every receive, so batches end in the order they were received:
   * one list and one timer for its head, where a timer per receive would fire for every
   * batch, deleted or not.
   */
  private hideUntilVisibilityEnds(batch: StoredMessage[]): void {
    this.hiddenBatches.push({ visibleAgainAtMs: this.clock.nowMs() + this.options.visibilityTimeoutMs, batch });
    if (this.hiddenBatches.length === 1) this.armVisibilityTimer();
  }

  private armVisibilityTimer(): void {
    // Batches deleted whole need no timer: drop them from the head first.
    while (this.hiddenBatches.length > 0 && this.hiddenBatches.peek()!.batch.every((stored) => !stored.inFlight)) this.hiddenBatches.shift();
    const head = this.hiddenBatches.peek();
    if (head) this.clock.setTimer(() => this.visibilityTimeoutsEnded(), head.visibleAgainAtMs - this.clock.nowMs());
  }

  private visibilityTimeoutsEnded(): void {
    const nowMs = this.clock.nowMs();
    while (this.hiddenBatches.length > 0 && this.hiddenBatches.peek()!.visibleAgainAtMs <= nowMs) this.visibilityEnded(this.hiddenBatches.shift()!.batch);
    this.armVisibilityTimer();
  }

  /** FIFO: the next message of a ready group; a batch may take several of one group, in order. */
  private nextFifo(taken: StoredMessage[]): StoredMessage | undefined {
    const last = taken.at(-1);
    if (last) {
      const group = this.groups.get(last.message.messageGroupId!)!;
      const next = group.queue.shift();
      if (next) {
        group.inFlight += 1;
        return next;
      }
    }
    for (;;) {
      const groupId = this.readyGroups.shift();
      if (groupId === undefined) return undefined;
      this.readyGroupSet.delete(groupId);
      const group = this.groups.get(groupId)!;
      if (group.inFlight > 0 || group.queue.length === 0) continue;
      group.inFlight += 1;
      return group.queue.shift();
    }
  }

  /** One message of the group left flight (deleted, visible again or dead-lettered). */
  private groupInFlightDone(groupId: string): void {
    const group = this.groups.get(groupId)!;
    group.inFlight -= 1;
    if (group.inFlight === 0 && group.queue.length > 0) this.markReady(groupId);
    if (group.inFlight === 0 && group.queue.length === 0) this.groups.delete(groupId);
  }

  private markReady(groupId: string): void {
    if (this.readyGroupSet.has(groupId)) return;
    this.readyGroupSet.add(groupId);
    this.readyGroups.push(groupId);
  }

  private visibilityEnded(batch: StoredMessage[]): void {
    const back = batch.filter((stored) => stored.inFlight && !stored.deleted);
    if (back.length === 0) return;
    for (const stored of back) {
      stored.inFlight = false;
      this.inFlightCount -= 1;
    }
    this.makeVisible(back, true);
    if (this.options.fifo) for (const stored of back) this.groupInFlightDone(stored.message.messageGroupId!);
    this.wakeWaiters();
  }

  private makeVisible(messages: StoredMessage[], redelivered: boolean): void {
    this.visibleCount += messages.length;
    if (!this.options.fifo) {
      // Messages back from a visibility timeout are older than those waiting: they go first.
      if (redelivered) this.visibleStandard.unshiftAll(messages);
      else for (const stored of messages) this.visibleStandard.push(stored);
      return;
    }
    // Unshifted one by one, the redelivered ones go in reverse to keep their order.
    for (const stored of redelivered ? [...messages].reverse() : messages) {
      const groupId = stored.message.messageGroupId!;
      let group = this.groups.get(groupId);
      if (!group) {
        group = { queue: new Deque<StoredMessage>(), inFlight: 0 };
        this.groups.set(groupId, group);
      }
      if (redelivered) group.queue.unshiftAll([stored]);
      else group.queue.push(stored);
      if (group.inFlight === 0) this.markReady(groupId);
    }
  }
}

/** What a receive hands out: a copy of the message as it is at this receive, which knows its stored message. */
class ReceivedMessage implements QueueMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly receiveCount: number;
  readonly sentTimestampMs: number;
  readonly messageGroupId?: string;
  readonly sequenceNumber?: string;
  /** Private, so the copy reads as the message it is (tests compare them). */
  readonly #stored: StoredMessage;

  constructor(stored: StoredMessage) {
    const message = stored.message;
    this.messageId = message.messageId;
    this.receiptHandle = message.receiptHandle;
    this.body = message.body;
    this.receiveCount = message.receiveCount;
    this.sentTimestampMs = message.sentTimestampMs;
    if (message.messageGroupId !== undefined) this.messageGroupId = message.messageGroupId;
    if (message.sequenceNumber !== undefined) this.sequenceNumber = message.sequenceNumber;
    this.#stored = stored;
  }

  static storedOf(message: ReceivedMessage): StoredMessage {
    return message.#stored;
  }
}
