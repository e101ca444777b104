import type { NowClock } from './clock.ts';

export interface TokenBucketOptions {
  /** Steady refill rate (tokens per second). */
  ratePerSecond: number;
  /** Capacity: how many tokens may be spent at once. The bucket starts full. */
  burst: number;
  clock: NowClock;
}

/**
 * A token bucket refilled continuously: the shape of AWS's request-rate quotas — API
 * Gateway's throttles (a steady rate and a burst), S3's per-prefix request rates,
 * EventBridge's PutEvents TPS and Kinesis's per-shard quotas (a burst of one second's rate).
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html
 *
 * Why continuous rather than a fresh allowance each wall-clock second: AWS states its quotas
 * "per second" without saying how the second is measured, and a fixed window has artefacts
 * AWS users do not see — a producer writing steadily at exactly the rate is throttled or not
 * depending on how its bursts line up with the window's edges. A continuous bucket never
 * throttles traffic that stays at or under the rate, refuses any burst over its capacity,
 * holds sustained over-rate traffic to the rate, and is the same arithmetic on a virtual
 * clock. The price: a bucket idle for a while can take its full burst at once and then the
 * refill, so its first second may admit up to burst + rate.
 *
 * The level may go below zero ({@link forceTake}): some quotas are charged after the fact,
 * such as Kinesis's read bytes, where a GetRecords answer can be larger than the quota and
 * later calls are refused until the debt is repaid.
 *
 * @example
 * const bucket = new TokenBucket({ ratePerSecond: 10_000, burst: 5_000, clock: realClock });
 * if (!bucket.tryTake()) respond(429);
 */
export class TokenBucket {
  readonly ratePerSecond: number;
  readonly burst: number;
  private readonly clock: NowClock;
  private levelTokens: number;
  private lastRefillMs: number;

  constructor(options: TokenBucketOptions) {
    // A burst under one token admits no whole request, yet stays allowed: a Kinesis quota
    // override such as 0.5 records/s is a positive number its validation accepts.
    if (!(options.ratePerSecond > 0) || !(options.burst > 0)) {
      throw new RangeError(`a token bucket needs a positive rate and burst (got ${options.ratePerSecond}/s, burst ${options.burst})`);
    }
    this.ratePerSecond = options.ratePerSecond;
    this.burst = options.burst;
    this.clock = options.clock;
    this.levelTokens = options.burst;
    this.lastRefillMs = options.clock.nowMs();
  }

  /** Tokens available now: fractional while refilling, negative while in debt. */
  get availableTokens(): number {
    this.refill();
    return this.levelTokens;
  }

  /** Whether `tokens` are available now; takes nothing. */
  has(tokens = 1): boolean {
    this.refill();
    return this.levelTokens >= tokens;
  }

  /** Spends `tokens` if the bucket holds them; otherwise spends nothing and returns false. */
  tryTake(tokens = 1): boolean {
    this.refill();
    if (this.levelTokens < tokens) return false;
    this.levelTokens -= tokens;
    return true;
  }

  /** Spends `tokens` whatever the level: the bucket may go into debt. */
  forceTake(tokens: number): void {
    this.refill();
    this.levelTokens -= tokens;
  }

  /** Gives tokens back, up to the burst (a request the upstream refused did not use the quota). */
  giveBack(tokens: number): void {
    this.refill();
    this.levelTokens = Math.min(this.burst, this.levelTokens + tokens);
  }

  private refill(): void {
    const nowMs = this.clock.nowMs();
    // Nothing to add at the same instant (a write checks and takes from two buckets at once).
    if (nowMs === this.lastRefillMs) return;
    const elapsedMs = Math.max(0, nowMs - this.lastRefillMs);
    this.lastRefillMs = nowMs;
    this.levelTokens = Math.min(this.burst, this.levelTokens + (elapsedMs * this.ratePerSecond) / 1000);
  }
}
