import type { NowClock } from '../../core/clock.ts';
import { TokenBucket } from '../../core/token-bucket.ts';
import type { RandomSource } from '../../runtime/random.ts';
import { objectKeyFor } from './object-keys.ts';
import type { S3Pattern } from './schema.ts';

/** What one PutObject came to on the simulated bucket. */
export type SimulatedObjectPut = { accepted: false; errorCode: 'SlowDown' } | { accepted: true; objectKey: string; notifications: number };

/**
 * An S3 bucket in memory, for `sluice predict`: PutObject against a request rate per prefix
 * (a token bucket each; beyond it S3 answers 503 SlowDown), and the bucket's notification
 * filter deciding which objects notify the function. Notifications are at-least-once: a share
 * `duplicateNotificationRate` of them is delivered twice.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventNotifications.html
 */
export class SimulatedBucket {
  private readonly prefixQuotas = new Map<string, TokenBucket>();
  slowDowns = 0;

  constructor(
    private readonly clock: NowClock,
    private readonly pattern: S3Pattern,
    private readonly random: RandomSource,
  ) {}

  putObject(eventId: number, eventKey: string): SimulatedObjectPut {
    const objectKey = objectKeyFor(this.pattern, eventId, eventKey);
    const prefix = objectKey.slice(0, objectKey.lastIndexOf('/') + 1);
    let quota = this.prefixQuotas.get(prefix);
    if (!quota) {
      quota = new TokenBucket({ ratePerSecond: this.pattern.putRequestsPerSecondPerPrefix, burst: this.pattern.putRequestsPerSecondPerPrefix, clock: this.clock });
      this.prefixQuotas.set(prefix, quota);
    }
    if (!quota.tryTake()) {
      this.slowDowns += 1;
      return { accepted: false, errorCode: 'SlowDown' };
    }
    const filter = this.pattern.notification;
    const notifies = (!filter.prefix || objectKey.startsWith(filter.prefix)) && (!filter.suffix || objectKey.endsWith(filter.suffix));
    if (!notifies) return { accepted: true, objectKey, notifications: 0 };
    const duplicate = this.pattern.duplicateNotificationRate > 0 && this.random.next() < this.pattern.duplicateNotificationRate;
    return { accepted: true, objectKey, notifications: duplicate ? 2 : 1 };
  }
}
