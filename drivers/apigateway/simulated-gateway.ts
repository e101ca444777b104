import type { NowClock } from '../../core/clock.ts';
import { TokenBucket } from '../../core/token-bucket.ts';
import type { ApiGatewayPattern } from './schema.ts';

/**
 * API Gateway's front door in memory, for `sluice predict`: the throttle as a token bucket
 * (steady rate and burst; beyond it the gateway answers 429 before any invoke), and the
 * integration timeout the function's answer must beat (else 504).
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html
 */
export class SimulatedGateway {
  private readonly throttle: TokenBucket;
  readonly integrationTimeoutMs: number;
  throttled = 0;

  constructor(clock: NowClock, pattern: ApiGatewayPattern) {
    this.throttle = new TokenBucket({ ratePerSecond: pattern.throttleRatePerSecond, burst: pattern.throttleBurst, clock });
    this.integrationTimeoutMs = pattern.integrationTimeout;
  }

  /** Whether the gateway lets this request through to the integration. */
  admit(): boolean {
    if (this.throttle.tryTake()) return true;
    this.throttled += 1;
    return false;
  }
}
