/**
 * What a driver tells the run about its events and its source, and the little it reads
 * back. The run's EventLedger and MetricsRecorder (run/) implement these; a driver is given
 * them and never sees the rest (the final accounting, the series, the histograms).
 */

/**
 * Counters that add up within a second. `sourceThrottles` counts refused attempts (one per
 * event per refusal); `sourceRetries` counts attempts beyond an event's first (a producer
 * sending a refused or failed event again), so an event's attempts are 1 + its retries and
 * the source's attempts are `sent + sourceRetries` (docs/analysis.md, "Throttle rates").
 */
export const counterNames = ['sent', 'accepted', 'completed', 'failedInvocations', 'sourceThrottles', 'sourceRetries', 'functionThrottles', 'coldStarts', 'deadLettered'] as const;
export type CounterName = (typeof counterNames)[number];

/** Gauges sampled once a second by the collectors; the highest sample in a second wins. */
export type GaugeName = 'concurrency' | 'queueDepth' | 'queueAgeMsMax' | 'iteratorAgeMsMax' | 'asyncEventAgeMsMax' | 'pollers';

/** The fate of each event, by its sequence id, as the source and the consumer report it. */
export interface EventFates {
  recordSent(id: number, atMs: number): void;
  recordAccepted(id: number): void;
  /** Accepted, then matched no rule or filter: its end, and not a loss. */
  recordFiltered(id: number): void;
  /** Refused once by the source's quota (the sender retries). */
  recordThrottled(id: number): void;
  /** Refused for good (retries used up, request error). */
  recordSourceFailed(id: number): void;
  recordDelivered(id: number): void;
  /** Returns the end-to-end latency of the event's first completion, undefined for a repeat or a foreign id. */
  recordCompleted(id: number, atMs: number): number | undefined;
  recordFailed(id: number): void;
  recordDeadLettered(id: number): void;
  isFinished(id: number): boolean;
  /** Send time of the oldest accepted event that has not finished: the source's oldest-message age. */
  oldestUnfinishedSentAtMs(): number | undefined;
  /** Events sent so far. */
  readonly sent: number;
  readonly acceptedCount: number;
  /** Accepted events not yet completed, failed, filtered or dead-lettered. */
  readonly unfinished: number;
  /** Deliveries of ids this run never sent (another run's leftovers, foreign messages). */
  readonly foreignDeliveries: number;
}

/** The per-second measurements a driver and its consumer side feed. */
export interface SourceMetrics {
  count(name: CounterName, atMs: number, amount?: number): void;
  gauge(name: GaugeName, atMs: number, value: number): void;
  shardIteratorAge(shardId: string, atMs: number, ageMs: number): void;
  endToEndLatency(atMs: number, latencyMs: number): void;
  /** A synchronous client's latency; `coldStart` undefined when the client cannot tell. */
  clientObserved(latencyMs: number, coldStart?: boolean): void;
}
