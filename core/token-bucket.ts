/** The one thing a token bucket needs from a clock; a runtime `Clock` satisfies it. */
export interface TokenClock {
  nowMs(): number;
}

export interface TokenBucketOptions {
  /** Steady refill rate (tokens per second). */
  ratePerSecond: number;
  /** Capacity: how many tokens may be spent at once. The bucket starts full. */
  burst: number;
  clock: TokenClock;
}

/**
 * A token bucket refilled continuously: the shape of API Gateway's throttles (a steady
 * rate and a burst), and of S3's per-prefix request rates.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html
 *
 * @example
 * const bucket = new TokenBucket({ ratePerSecond: 10_000, burst: 5_000, clock: realClock });
 * if (!bucket.tryTake()) respond(429);
 */
export class TokenBucket {
  private levelTokens: number;
  private lastRefillMs: number;

  constructor(private readonly options: TokenBucketOptions) {
    if (!(options.ratePerSecond > 0) || !(options.burst >= 1)) {
      throw new RangeError(`a token bucket needs a positive rate and a burst of at least 1 (got ${options.ratePerSecond}/s, burst ${options.burst})`);
    }
    this.levelTokens = options.burst;
    this.lastRefillMs = options.clock.nowMs();
  }

  /** Tokens available now (fractional while refilling). */
  get tokens(): number {
    this.refill();
    return this.levelTokens;
  }

  /** Spends `tokens` if the bucket holds them; otherwise spends nothing and returns false. */
  tryTake(tokens = 1): boolean {
    this.refill();
    if (this.levelTokens < tokens) return false;
    this.levelTokens -= tokens;
    return true;
  }

  private refill(): void {
    const nowMs = this.options.clock.nowMs();
    const elapsedMs = Math.max(0, nowMs - this.lastRefillMs);
    this.lastRefillMs = nowMs;
    this.levelTokens = Math.min(this.options.burst, this.levelTokens + (elapsedMs * this.options.ratePerSecond) / 1000);
  }
}
