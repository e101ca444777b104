import type { Clock, TimerHandle } from './clock.ts';
import { TokenBucket } from './token-bucket.ts';

/**
 * EventBridge's invocation quota: matched events handed to targets per second, per region
 * (18,750/s in us-east-1, us-west-2 and eu-west-1; less elsewhere: core/aws-defaults.ts).
 * Past it EventBridge throttles invocations, which means delayed, not dropped: they wait
 * and go out as the rate allows, oldest first (retried for up to 24 hours, longer than any
 * run). A continuous bucket of one second's rate, as every per-second quota here
 * (core/token-bucket.ts).
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html
 *
 * The same class delays the embedded bus's deliveries on the real clock and the predicted
 * bus's on a virtual one.
 *
 * @example
 * const throttle = new InvocationThrottle({ ratePerSecond: 18_750, clock, deliver: (event) => queue.enqueue(event) });
 * throttle.offer(event);
 */
export class InvocationThrottle<Item> {
  private bucket: TokenBucket;
  private readonly waiting: Array<{ item: Item; offeredAtMs: number }> = [];
  private head = 0;
  private timer: TimerHandle | undefined;
  /** Invocations that had to wait for the rate. */
  delayedInvocations = 0;
  /** The longest an invocation waited, in ms. */
  maxDelayMs = 0;

  constructor(private readonly options: { ratePerSecond: number; clock: Clock; deliver: (item: Item) => void }) {
    this.bucket = this.bucketAt(options.ratePerSecond);
  }

  get ratePerSecond(): number {
    return this.bucket.ratePerSecond;
  }

  /** A new rate (a run's pattern sets its own): the bucket starts full at it; what waits keeps its place. */
  setRate(ratePerSecond: number): void {
    if (ratePerSecond === this.bucket.ratePerSecond) return;
    this.bucket = this.bucketAt(ratePerSecond);
    this.stop();
    this.schedule();
  }

  private bucketAt(ratePerSecond: number): TokenBucket {
    return new TokenBucket({ ratePerSecond, burst: ratePerSecond, clock: this.options.clock });
  }

  /** Invocations waiting now. */
  get size(): number {
    return this.waiting.length - this.head;
  }

  /** Hands `item` on now if the rate allows and nothing waits before it; otherwise it waits its turn. */
  offer(item: Item): void {
    if (this.size === 0 && this.bucket.tryTake()) {
      this.options.deliver(item);
      return;
    }
    this.delayedInvocations += 1;
    this.waiting.push({ item, offeredAtMs: this.options.clock.nowMs() });
    this.schedule();
  }

  /** Stops the release timer; what still waits stays counted in {@link size}. */
  stop(): void {
    if (this.timer) this.options.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  private release = (): void => {
    this.timer = undefined;
    const nowMs = this.options.clock.nowMs();
    while (this.size > 0 && this.bucket.tryTake()) {
      const { item, offeredAtMs } = this.waiting[this.head]!;
      this.waiting[this.head++] = undefined as never;
      this.maxDelayMs = Math.max(this.maxDelayMs, nowMs - offeredAtMs);
      this.options.deliver(item);
    }
    if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      this.waiting.splice(0, this.head);
      this.head = 0;
    }
    this.schedule();
  };

  private schedule(): void {
    if (this.timer || this.size === 0) return;
    // When the next whole token is in: the shortfall at the refill rate, at least 1 ms on.
    const shortfall = Math.max(0, 1 - this.bucket.availableTokens);
    this.timer = this.options.clock.setTimer(this.release, Math.max(1, Math.ceil((shortfall / this.bucket.ratePerSecond) * 1000)));
  }
}
