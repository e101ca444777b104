import { awsDefaults } from '../../core/aws-defaults.ts';

/**
 * Whether messages wait longer and longer: the wait (age at receive) of the oldest message
 * each second's receives took, against the last second that received any. The SQS mapping
 * adds pollers only while it rises by more than `sqsScaleUpWaitRiseMs` (core/aws-defaults.ts):
 * a backlog that grows, or one that is draining no faster than it ages, makes the wait rise;
 * pollers that keep up with arrivals hold it level, even over a standing backlog. The run's
 * mapping and the aggregate prediction read the same trend.
 */
export class ReceiveWaitTrend {
  private oldestWaitInSecondMs: number | undefined;
  private lastSecondWaitMs: number | undefined;

  constructor(private readonly riseMs: number = awsDefaults.sqsScaleUpWaitRiseMs.value) {}

  /** A receive took a message that had waited `waitedMs`. */
  received(waitedMs: number): void {
    if (this.oldestWaitInSecondMs === undefined || waitedMs > this.oldestWaitInSecondMs) this.oldestWaitInSecondMs = waitedMs;
  }

  /**
   * Ends the second: true when its oldest wait rose past the last one's. A second without a
   * receive (every poller in an invoke), or the first one with one, cannot tell a trend and
   * answers true, leaving the decision to the backlog.
   */
  endSecond(): boolean {
    const waitMs = this.oldestWaitInSecondMs;
    const lastMs = this.lastSecondWaitMs;
    this.oldestWaitInSecondMs = undefined;
    if (waitMs === undefined) return true;
    this.lastSecondWaitMs = waitMs;
    return lastMs === undefined || waitMs > lastMs + this.riseMs;
  }
}
