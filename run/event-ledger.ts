import type { EventAccounting } from '../analysis/run-result.ts';
import type { EventFates } from '../drivers/event-reporting.ts';

const accepted = 1;
const throttledOnce = 2;
const sourceFailed = 4;
const completed = 8;
const failed = 16;
const deadLettered = 32;
const filtered = 64;
const sentFlag = 128;

/** How the ledger's ids are split among load generators: one block of consecutive ids each. */
export interface LedgerBlocks {
  /** Load generators, each with its own block of ids (1: the run's own process). */
  count: number;
  /** Ids per block: generator k stamps ids k × size … (k + 1) × size − 1. */
  size: number;
}

/** What {@link EventLedger.recordSent} learned: the event had completed before its send was reported. */
export interface LateSendReport {
  completedAtMs: number;
  latencyMs: number;
}

/**
 * The fate of every event of a pattern run, indexed by its sequence id. Typed arrays keep a
 * million events in a few megabytes.
 *
 * With several load generators (load worker processes) each stamps the ids of its own block
 * and reports its sends over a channel of its own, so the consumer may see an event before
 * the ledger hears it was sent. Such an event is held as it is reported (delivered,
 * completed, …) and settled when its send arrives: {@link recordSent} returns the latency of
 * a completion that came first. Ids no generator ever reports sent are foreign deliveries
 * after all ({@link dropUnsent}).
 */
export class EventLedger implements EventFates {
  private readonly sentAtMs: Float64Array;
  private readonly flags: Uint8Array;
  private readonly deliveries: Uint16Array;
  private sentCount = 0;
  readonly blocks: LedgerBlocks;
  /** Per block: one past the highest id sent, and the oldest id that may be unfinished. */
  private readonly blockHighWater: number[];
  private readonly blockOldest: number[];
  /** Ids reported by the consumer or the source before their send (several generators only). */
  private readonly beforeSent = new Set<number>();
  private readonly completedBeforeSentAtMs = new Map<number, number>();
  private readonly counts = { filtered: 0, accepted: 0, throttled: 0, sourceFailed: 0, delivered: 0, duplicates: 0, completed: 0, failed: 0, deadLettered: 0 };
  /** Deliveries of ids this run never sent (another run's leftovers, foreign messages). */
  foreignDeliveries = 0;

  /** `blocks`: the ids' split among load generators (default: one generator, every id). */
  constructor(
    readonly capacity: number,
    blocks?: LedgerBlocks,
  ) {
    this.blocks = blocks ?? { count: 1, size: capacity };
    if (this.blocks.count * this.blocks.size > capacity) throw new Error(`ledger blocks (${this.blocks.count} × ${this.blocks.size}) exceed its capacity ${capacity}`);
    this.sentAtMs = new Float64Array(capacity);
    this.flags = new Uint8Array(capacity);
    this.deliveries = new Uint16Array(capacity);
    this.blockHighWater = Array.from({ length: this.blocks.count }, (_, block) => block * this.blocks.size);
    this.blockOldest = [...this.blockHighWater];
  }

  private get severalGenerators(): boolean {
    return this.blocks.count > 1;
  }

  private known(id: number): boolean {
    if (Number.isInteger(id) && id >= 0 && id < this.capacity) {
      if (this.flags[id] & sentFlag) return true;
      // Another generator's send may still be on its way: hold the event until it arrives.
      if (this.severalGenerators) {
        this.beforeSent.add(id);
        return true;
      }
    }
    this.foreignDeliveries += 1;
    return false;
  }

  /** Notes a report about an event whose send has not arrived yet (sender-side reports come after their send from the same generator, but a gateway in this process may answer first). */
  private touched(id: number): void {
    if (this.severalGenerators && !(this.flags[id] & sentFlag)) this.beforeSent.add(id);
  }

  /**
   * The event left its generator at `atMs`. Returns its latency when its completion was
   * reported first (several generators only): the caller records it as the completion's.
   */
  recordSent(id: number, atMs: number): LateSendReport | undefined {
    this.sentAtMs[id] = atMs;
    if (!(this.flags[id] & sentFlag)) {
      this.flags[id] |= sentFlag;
      this.sentCount += 1;
      const block = Math.min(this.blocks.count - 1, Math.floor(id / this.blocks.size));
      this.blockHighWater[block] = Math.max(this.blockHighWater[block], id + 1);
    }
    if (this.beforeSent.size === 0 || !this.beforeSent.delete(id)) return undefined;
    const completedAtMs = this.completedBeforeSentAtMs.get(id);
    if (completedAtMs === undefined) return undefined;
    this.completedBeforeSentAtMs.delete(id);
    return { completedAtMs, latencyMs: completedAtMs - atMs };
  }

  /**
   * Ids reported delivered, completed or refused whose send no generator ever reported
   * (called once every generator has finished): they were not this run's events, so they
   * count as foreign deliveries and leave the counts.
   */
  dropUnsent(): number {
    let dropped = 0;
    for (const id of this.beforeSent) {
      if (this.flags[id] & sentFlag) continue;
      const state = this.flags[id];
      if (state & accepted) this.counts.accepted -= 1;
      if (state & throttledOnce) this.counts.throttled -= 1;
      if (state & sourceFailed) this.counts.sourceFailed -= 1;
      if (state & completed) this.counts.completed -= 1;
      if (state & failed) this.counts.failed -= 1;
      if (state & deadLettered) this.counts.deadLettered -= 1;
      if (state & filtered) this.counts.filtered -= 1;
      const deliveries = this.deliveries[id];
      if (deliveries > 0) {
        this.counts.delivered -= 1;
        this.counts.duplicates -= deliveries - 1;
      }
      this.foreignDeliveries += Math.max(1, deliveries);
      this.flags[id] = 0;
      this.deliveries[id] = 0;
      dropped += 1;
    }
    this.beforeSent.clear();
    this.completedBeforeSentAtMs.clear();
    return dropped;
  }

  recordAccepted(id: number): void {
    this.touched(id);
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
    this.touched(id);
    if (this.flags[id] & filtered) return;
    this.flags[id] |= filtered;
    this.counts.filtered += 1;
  }

  recordThrottled(id: number): void {
    this.touched(id);
    if (this.flags[id] & throttledOnce) return;
    this.flags[id] |= throttledOnce;
    this.counts.throttled += 1;
  }

  recordSourceFailed(id: number): void {
    this.touched(id);
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
    if (!(this.flags[id] & sentFlag)) {
      // Its send is still on its way from another generator: the latency is known when it arrives.
      this.completedBeforeSentAtMs.set(id, atMs);
      return undefined;
    }
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

  /** Whether the event's send has been recorded. */
  hasSent(id: number): boolean {
    return Number.isInteger(id) && id >= 0 && id < this.capacity && (this.flags[id] & sentFlag) !== 0;
  }

  /** Whether anything but its send was reported about the event (delivered, completed, refused…). */
  hasReports(id: number): boolean {
    return Number.isInteger(id) && id >= 0 && id < this.capacity && ((this.flags[id] & ~sentFlag) !== 0 || this.deliveries[id] > 0);
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
    let oldest: number | undefined;
    for (let block = 0; block < this.blocks.count; block += 1) {
      const sentAtMs = this.oldestUnfinishedInBlock(block);
      if (sentAtMs !== undefined && (oldest === undefined || sentAtMs < oldest)) oldest = sentAtMs;
    }
    return oldest;
  }

  /** Each block's ids are sent in order by one generator, so each keeps a pointer of its own. */
  private oldestUnfinishedInBlock(block: number): number | undefined {
    const highWater = this.blockHighWater[block];
    while (this.blockOldest[block] < highWater) {
      const at = this.blockOldest[block];
      const state = this.flags[at];
      const done = (state & (completed | failed | deadLettered | filtered)) !== 0 || (state & sourceFailed) !== 0;
      const notYetAnswered = (state & accepted) === 0 && (state & sourceFailed) === 0;
      if (!done && !notYetAnswered) return this.sentAtMs[at];
      if (notYetAnswered) {
        // Still being sent; look past it without moving the pointer.
        for (let id = at + 1; id < highWater; id += 1) {
          const later = this.flags[id];
          if (later & accepted && !(later & (completed | failed | deadLettered | filtered))) return this.sentAtMs[id];
        }
        return undefined;
      }
      this.blockOldest[block] += 1;
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
