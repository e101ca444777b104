import type { Clock } from '../../core/clock.ts';
import type { PolledQueue, QueueMessage } from '../../drivers/sqs/polled-queue.ts';

export interface VirtualQueueOptions {
  /**
   * Each send wakes every waiting long poll at once, and those that find nothing answer
   * empty there and then — how the embedded emulator (fauxqs) behaves. Off: a long poll
   * looks every 100 ms and answers empty only when its wait ends, as SQS does.
   */
  wakeEveryPollOnSend?: boolean;
}

/**
 * An SQS queue on a virtual clock, for testing the mapping's scaling rules without
 * waiting: visibility timeouts, receive counts, redrive after maxReceiveCount, long polls.
 * Integration tests run the same mapping against the real emulator.
 */
export class VirtualQueue implements PolledQueue {
  private nextId = 0;
  private readonly visible: QueueMessage[] = [];
  private readonly inFlight = new Map<string, { message: QueueMessage; visibleAtMs: number }>();
  private readonly waitingPolls = new Set<() => void>();
  readonly deadLetters: QueueMessage[] = [];
  deleted = 0;
  receiveCalls = 0;
  emptyReceives = 0;

  constructor(
    private readonly clock: Clock,
    private readonly visibilityTimeoutMs: number,
    private readonly maxReceiveCount = Number.POSITIVE_INFINITY,
    private readonly options: VirtualQueueOptions = {},
  ) {}

  send(body: string): void {
    const id = String(this.nextId++);
    this.visible.push({ messageId: id, receiptHandle: '', body, receiveCount: 0, sentTimestampMs: this.clock.nowMs() });
    const woken = [...this.waitingPolls];
    this.waitingPolls.clear();
    for (const wake of woken) wake();
  }

  /** ApproximateNumberOfMessages: visible now, in flight not counted. */
  async visibleMessages(): Promise<number> {
    this.restoreExpired();
    return this.visible.length;
  }

  get depth(): number {
    this.restoreExpired();
    return this.visible.length + this.inFlight.size;
  }

  private restoreExpired(): void {
    const now = this.clock.nowMs();
    for (const [handle, entry] of this.inFlight) {
      if (entry.visibleAtMs <= now) {
        this.inFlight.delete(handle);
        this.visible.unshift(entry.message);
      }
    }
  }

  private take(max: number): QueueMessage[] {
    this.restoreExpired();
    const taken: QueueMessage[] = [];
    while (taken.length < max && this.visible.length > 0) {
      const message = this.visible.shift()!;
      if (message.receiveCount >= this.maxReceiveCount) {
        this.deadLetters.push(message);
        continue;
      }
      const received = { ...message, receiveCount: message.receiveCount + 1, receiptHandle: `${message.messageId}:${message.receiveCount + 1}` };
      this.inFlight.set(received.receiptHandle, { message: received, visibleAtMs: this.clock.nowMs() + this.visibilityTimeoutMs });
      taken.push(received);
    }
    return taken;
  }

  async receive(maxMessages: number, waitMs: number, signal: AbortSignal): Promise<QueueMessage[]> {
    this.receiveCalls += 1;
    const taken = this.options.wakeEveryPollOnSend ? await this.receiveWokenBySends(maxMessages, waitMs, signal) : await this.receiveLooking(maxMessages, waitMs, signal);
    if (taken.length === 0) this.emptyReceives += 1;
    return taken;
  }

  private async receiveLooking(maxMessages: number, waitMs: number, signal: AbortSignal): Promise<QueueMessage[]> {
    const deadline = this.clock.nowMs() + waitMs;
    for (;;) {
      const taken = this.take(Math.min(10, maxMessages));
      if (taken.length > 0 || this.clock.nowMs() >= deadline || signal.aborted) return taken;
      await this.clock.sleep(Math.min(100, deadline - this.clock.nowMs()), signal).catch(() => undefined);
    }
  }

  /** Waits for the next send (or the end of the wait), then takes what is there, possibly nothing. */
  private async receiveWokenBySends(maxMessages: number, waitMs: number, signal: AbortSignal): Promise<QueueMessage[]> {
    const taken = this.take(Math.min(10, maxMessages));
    if (taken.length > 0 || waitMs <= 0 || signal.aborted) return taken;
    await new Promise<void>((resolve) => {
      const wake = () => {
        this.clock.clearTimer(timer);
        signal.removeEventListener('abort', wake);
        this.waitingPolls.delete(wake);
        resolve();
      };
      const timer = this.clock.setTimer(wake, waitMs);
      signal.addEventListener('abort', wake, { once: true });
      this.waitingPolls.add(wake);
    });
    return this.take(Math.min(10, maxMessages));
  }

  async deleteBatch(messages: QueueMessage[]): Promise<void> {
    for (const message of messages) if (this.inFlight.delete(message.receiptHandle)) this.deleted += 1;
  }
}
