import type { Clock } from '../core/clock.ts';
import type { AccountSpec } from '../scenario/parts.ts';

/**
 * How fast a function may add execution environments.
 *
 * Current model (since Nov 2023): each function may add 1,000 environments every 10 s,
 * independent of other functions — modelled as a token bucket of 1,000 refilling at
 * 100/s, one token per new environment.
 * https://docs.aws.amazon.com/lambda/latest/dg/scaling-behavior.html
 *
 * Legacy model: an initial burst (500–3,000 by region) available at once, then the
 * ceiling grows by 500 environments per minute while demand exceeds it.
 * https://docs.aws.amazon.com/lambda/latest/dg/burst-concurrency.html
 */
export interface BurstScaling {
  /** Whether one more environment may be created now; consumes the allowance when true. */
  tryAddEnvironment(liveEnvironments: number): boolean;
}

export function createBurstScaling(account: AccountSpec, clock: Clock): BurstScaling {
  return account.scalingModel === 'legacy' ? legacyBurst(account, clock) : currentBurst(account, clock);
}

function currentBurst(account: AccountSpec, clock: Clock): BurstScaling {
  const capacity = account.burstEnvironmentsPer10Seconds;
  const refillPerMs = capacity / 10_000;
  let tokens = capacity;
  let lastMs = clock.nowMs();
  return {
    tryAddEnvironment() {
      const now = clock.nowMs();
      tokens = Math.min(capacity, tokens + (now - lastMs) * refillPerMs);
      lastMs = now;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}

function legacyBurst(account: AccountSpec, clock: Clock): BurstScaling {
  let ceiling = account.legacyInitialBurst;
  let growingSinceMs: number | undefined;
  return {
    tryAddEnvironment(liveEnvironments) {
      const now = clock.nowMs();
      if (growingSinceMs !== undefined) {
        const minutes = Math.floor((now - growingSinceMs) / 60_000);
        if (minutes > 0) {
          ceiling += minutes * account.legacyBurstIncrementPerMinute;
          growingSinceMs += minutes * 60_000;
        }
      }
      if (liveEnvironments < ceiling) return true;
      growingSinceMs ??= now;
      return false;
    },
  };
}
