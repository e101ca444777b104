import type { EventAccounting } from '../analysis/run-result.ts';
import type { EventFates } from '../drivers/event-reporting.ts';

const accepted = 1;
const throttledOnce = 2;
const sourceFailed = 4;
const completed = 8;
const failed = 16;
const deadLettered = 32;
const filtered = 64;

/**
 * The fate of every event of a pattern run, indexed by its sequence id. Typed arrays keep a
 * million events in a few megabytes.
 */
export class EventLedger implements EventFates {
  private readonly sentAtMs: Float64Array;
  private readonly flags: Uint8Array;
  private readonly deliveries: Uint16Array;
  private sentCount = 0;
  private oldestUnfinished = 0;
  private readonly counts = { filtered: 0, accepted: 0, throttled: 0, sourceFailed: 0, delivered: 0, duplicates: 0, completed: 0, failed: 0, deadLettered: 0 };
  /** Deliveries of ids this run never sent (another run's leftovers, foreign messages). */
  foreignDeliveries = 0;

  constructor(readonly capacity: number) {
    this.sentAtMs = new Float64Array(capacity);
    this.flags = new Uint8Array(capacity);
    this.deliveries = new Uint16Array(capacity);
  }

  private known(id: number): boolean {
    if (Number.isInteger(id) && id >= 0 && id < this.sentCount) return true;
    this.foreignDeliveries += 1;
    return false;
  }

  recordSent(id: number, atMs: number): void {
    this.sentAtMs[id] = atMs;
    this.sentCount = Math.max(this.sentCount, id + 1);
  }

  recordAccepted(id: number): void {
    if (this.flags[id] & accepted) return;
    this.flags[id] |= accepted;
    this.counts.accepted += 1;
  }

  /**
   * Accepted by the source, but no rule or notification filter routes it to the consumer
   * (an EventBridge event no rule matches, an S3 object outside the filter): finished by
   * design, never delivered.
   */
  recordFiltered(id: number): void {
    this.recordAccepted(id);
    if (this.flags[id] & filtered) return;
    this.flags[id] |= filtered;
    this.counts.filtered += 1;
  }

  recordThrottled(id: number): void {
    if (this.flags[id] & throttledOnce) return;
    this.flags[id] |= throttledOnce;
    this.counts.throttled += 1;
  }

  recordSourceFailed(id: number): void {
    if (this.flags[id] & (sourceFailed | accepted)) return;
    this.flags[id] |= sourceFailed;
    this.counts.sourceFailed += 1;
  }

  recordDelivered(id: number): void {
    if (!this.known(id)) return;
    if (this.deliveries[id] === 0) this.counts.delivered += 1;
    else this.counts.duplicates += 1;
    if (this.deliveries[id] < 65_535) this.deliveries[id] += 1;
  }

  /** Returns the end-to-end latency the first time an event completes, else undefined. */
  recordCompleted(id: number, atMs: number): number | undefined {
    if (!this.known(id) || this.flags[id] & completed) return undefined;
    this.flags[id] |= completed;
    this.counts.completed += 1;
    return atMs - this.sentAtMs[id];
  }

  recordFailed(id: number): void {
    if (!this.known(id) || this.flags[id] & (failed | completed)) return;
    this.flags[id] |= failed;
    this.counts.failed += 1;
  }

  recordDeadLettered(id: number): void {
    if (!this.known(id) || this.flags[id] & deadLettered) return;
    this.flags[id] |= deadLettered;
    this.counts.deadLettered += 1;
  }

  get sent(): number {
    return this.sentCount;
  }

  get acceptedCount(): number {
    return this.counts.accepted;
  }

  /** Accepted events not yet completed, failed or dead-lettered. */
  get unfinished(): number {
    return this.counts.accepted - this.finishedCount;
  }

  private get finishedCount(): number {
    return this.counts.completed + this.counts.failed + this.counts.deadLettered + this.counts.filtered;
  }

  isFinished(id: number): boolean {
    return (this.flags[id] & (completed | failed | deadLettered | filtered)) !== 0;
  }

  /** Send time of the oldest accepted event that has not finished: the source's oldest-message age. */
  oldestUnfinishedSentAtMs(): number | undefined {
    while (this.oldestUnfinished < this.sentCount) {
      const state = this.flags[this.oldestUnfinished];
      const done = (state & (completed | failed | deadLettered | filtered)) !== 0 || (state & sourceFailed) !== 0;
      const notYetAnswered = (state & accepted) === 0 && (state & sourceFailed) === 0;
      if (!done && !notYetAnswered) return this.sentAtMs[this.oldestUnfinished];
      if (notYetAnswered) {
        // Still being sent; look past it without moving the pointer.
        for (let id = this.oldestUnfinished + 1; id < this.sentCount; id += 1) {
          const later = this.flags[id];
          if (later & accepted && !(later & (completed | failed | deadLettered | filtered))) return this.sentAtMs[id];
        }
        return undefined;
      }
      this.oldestUnfinished += 1;
    }
    return undefined;
  }

  /**
   * Final accounting. `pendingAtEnd` comes from the source (messages still queued), so
   * `lost` is what neither the consumer nor the source can account for.
   */
  accounting(pendingAtEnd: number): EventAccounting {
    const pending = Math.min(pendingAtEnd, this.unfinished);
    return {
      sent: this.sentCount,
      accepted: this.counts.accepted,
      filtered: this.counts.filtered,
      sourceThrottled: this.counts.throttled,
      sourceFailed: this.counts.sourceFailed,
      delivered: this.counts.delivered,
      duplicateDeliveries: this.counts.duplicates,
      completed: this.counts.completed,
      failed: this.counts.failed,
      deadLettered: this.counts.deadLettered,
      pendingAtEnd: pending,
      lost: Math.max(0, this.unfinished - pending),
    };
  }
}
