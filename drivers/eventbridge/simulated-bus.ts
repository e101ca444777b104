import type { NowClock } from '../../core/clock.ts';
import { TokenBucket } from '../../core/token-bucket.ts';
import { compileEventPattern, type EventPattern } from '../../core/event-pattern.ts';
import type { EventBridgePattern } from './schema.ts';

/** What one PutEvents entry came to on the simulated bus. */
export type SimulatedPutOutcome = { accepted: true; matchedRules: number } | { accepted: false; errorCode: 'ThrottlingException' };

/**
 * An EventBridge bus in memory, for `sluice predict`: the pattern's rules compiled with the
 * matcher the embedded service uses (core/event-pattern.ts), and the PutEvents quota as a token
 * bucket of requests per second (one request per call of up to 10 entries).
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html
 * A matching event invokes the function once per matching rule when `fanOut` is set, else once.
 */
export class SimulatedBus {
  private readonly rules: Array<{ name: string; pattern: EventPattern; matched: number }>;
  private readonly putEventsQuota: TokenBucket;
  putEventsCalls = 0;
  throttledCalls = 0;

  constructor(
    clock: NowClock,
    private readonly pattern: EventBridgePattern,
  ) {
    this.rules = (pattern.rules ?? [{ name: 'all-events', eventPattern: { source: [pattern.eventSource] } }]).map((rule, index) => ({
      name: rule.name ?? `rule-${index + 1}`,
      pattern: compileEventPattern(typeof rule.eventPattern === 'string' ? rule.eventPattern : JSON.stringify(rule.eventPattern)),
      matched: 0,
    }));
    this.putEventsQuota = new TokenBucket({ ratePerSecond: pattern.putEventsRequestsPerSecond, burst: pattern.putEventsBurstRequests ?? pattern.putEventsRequestsPerSecond, clock });
  }

  /**
   * One PutEvents call of `details` (each an event's detail): throttled whole when the quota
   * has no request left, else each entry is matched against the rules and told how many
   * invokes it makes.
   */
  putEvents(details: readonly Record<string, unknown>[], nowMs: number): SimulatedPutOutcome[] {
    this.putEventsCalls += 1;
    if (!this.putEventsQuota.tryTake()) {
      this.throttledCalls += 1;
      return details.map(() => ({ accepted: false, errorCode: 'ThrottlingException' }));
    }
    return details.map((detail) => {
      const envelope = { version: '0', id: '0', 'detail-type': this.pattern.detailType, source: this.pattern.eventSource, account: '000000000000', time: new Date(nowMs).toISOString(), region: 'us-east-1', resources: [], detail };
      let matched = 0;
      for (const rule of this.rules) {
        if (!rule.pattern.matches(envelope)) continue;
        rule.matched += 1;
        matched += 1;
      }
      return { accepted: true, matchedRules: this.pattern.fanOut ? matched : Math.min(1, matched) };
    });
  }

  ruleMatches(): Record<string, number> {
    return Object.fromEntries(this.rules.map((rule) => [rule.name, rule.matched]));
  }
}
