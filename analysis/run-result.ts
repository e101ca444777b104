/**
 * RunResult: the canonical record of one `sluice run`. Every report is rendered from it,
 * and `compare` and baselines read it back, so its shape is versioned: a change that
 * removes or renames a field bumps {@link runResultSchemaVersion}.
 *
 * Units are last in every name (`…Ms`, `…PerSecond`, `…Usd`). Times are epoch milliseconds
 * unless named `…Sec` (seconds since the pattern's load started).
 */
export const runResultSchemaVersion = 1 as const;

export interface RunResult {
  schemaVersion: typeof runResultSchemaVersion;
  sluiceVersion: string;
  runId: string;
  scenario: { name: string; file: string; description?: string };
  /** `interrupted` when Ctrl-C stopped the run; what was measured until then is kept. */
  status: 'completed' | 'interrupted' | 'failed';
  /**
   * `measured`: a run against a target (`sluice run`); `predicted`: `sluice predict` ran the
   * same rules on simulated time. Absent in results before it was recorded: measured.
   */
  mode?: RunMode;
  /** For a predicted run: how it was simulated and by which rules (absent for measured runs). */
  prediction?: PredictionInfo;
  failure?: { code: string; message: string };
  startedAtMs: number;
  endedAtMs: number;
  target: TargetInfo;
  environment: { node: string; platform: string; cpuCount: number; hostname: string };
  patterns: PatternResult[];
}

export type RunMode = 'measured' | 'predicted';

export interface PredictionInfo {
  /** `exact`: every event simulated; `aggregate`: counts per key group and time step. */
  fidelity: 'exact' | 'aggregate';
  /** The version of the scaling rules and defaults table the prediction used. */
  rulesVersion: string;
  /** Simulated events per second of wall time, and the wall time the prediction took. */
  simulatedEventsPerWallSecond: number;
  wallMs: number;
  /** Figures that go beyond what AWS documents (sluice's model, not AWS's published rule). */
  modelled: string[];
}

export interface TargetInfo {
  kind: 'embedded' | 'localstack' | 'aws';
  endpoint?: string;
  region: string;
  /** Which consumer ran the function: sluice's own runtime, LocalStack's Lambda, or AWS Lambda. */
  consumer: 'sluice' | 'localstack' | 'aws';
  /** For LocalStack: the sluice quota edge every call went through (LocalStack enforces no quota). */
  quotaEdge?: string;
  /** With --endpoint: what answered there, as its routes told (`aws-compatible` when none named it). */
  endpointKind?: 'localstack' | 'sluice' | 'moto' | 'aws-compatible';
}

/** A quota that shapes the numbers, and who applied it during the run. */
export interface QuotaRecord {
  name: string;
  limit: string;
  enforcedBy: 'sluice' | 'target' | 'none';
}

export interface Percentiles {
  count: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Where every event ended up. `lost` must be 0 for sources that promise at-least-once. */
export interface EventAccounting {
  /** Events the load generator tried to send. */
  sent: number;
  /** Events the source accepted (after producer retries). */
  accepted: number;
  /**
   * Accepted events that no rule or notification filter routes to the consumer, by the
   * scenario's design (EventBridge events no rule matches, S3 objects outside the filter).
   * Never delivered, and not lost. Optional: results before it count such events nowhere.
   */
  filtered?: number;
  /** Events the source refused at least once for a quota (they may still be accepted on retry). */
  sourceThrottled: number;
  /** Events the source never accepted (refused or failed after every producer retry). */
  sourceFailed: number;
  /** Distinct events handed to the function at least once. */
  delivered: number;
  /** Deliveries beyond the first, per event (retries, redeliveries, at-least-once duplicates). */
  duplicateDeliveries: number;
  /** Events whose handler finished successfully. */
  completed: number;
  /** Events that failed and were dropped by the source's rules (retries exhausted, record too old). */
  failed: number;
  /** Events moved to a dead-letter queue or on-failure destination. */
  deadLettered: number;
  /** Accepted events still waiting or in flight when the drain timeout ended. */
  pendingAtEnd: number;
  /** Accepted events with no fate: never completed, failed, dead-lettered or pending. */
  lost: number;
  /**
   * `false` when nothing could report completions: the pattern drove your own function or
   * backend (bring your own, `--target aws`), which writes no completion records. Then
   * `completed` is 0 by construction, every accepted event sluice could not follow is in
   * `pendingAtEnd` (fate unknown, not necessarily still queued), and `lost` is 0 because a
   * loss cannot be told from a completion. Absent: completions were observed.
   */
  completionsObserved?: false;
}

/** One second of one pattern. Fields a source does not have are absent. */
export interface SeriesPoint {
  tSec: number;
  sent: number;
  accepted: number;
  completed: number;
  failedInvocations: number;
  /** Attempts the source refused for a quota (one per event per refusal). */
  sourceThrottles: number;
  /** Attempts beyond an event's first (producer retries). Absent in results before it was counted. */
  sourceRetries?: number;
  /** Invokes Lambda refused for concurrency (one per refused invoke attempt). */
  functionThrottles: number;
  coldStarts: number;
  concurrency: number;
  deadLettered: number;
  endToEndMsP50?: number;
  endToEndMsP99?: number;
  queueDepth?: number;
  queueAgeMsMax?: number;
  iteratorAgeMsMax?: number;
  /** Per shard id, for Kinesis. */
  iteratorAgeMsByShard?: Record<string, number>;
  asyncEventAgeMsMax?: number;
  pollers?: number;
}

export interface LoadReport {
  requestedArrivals: number;
  achievedArrivals: number;
  requestedDurationMs: number;
  achievedDurationMs: number;
  /** (achieved − requested) / requested; |value| > 0.01 means the generator did not hold the rate. */
  arrivalRateDeviation: number;
  /**
   * Size of each event's payload as sent, in bytes (the workload's `eventSizeBytes`). Optional
   * so older results still parse; the cost estimate needs it because SQS, EventBridge and
   * Kinesis bill by payload chunk.
   */
  eventSizeBytes?: number;
  /**
   * The share of the asked-for load not applied as asked: the largest of the count
   * shortfall, the phases' overrun and the share of arrivals sent late (docs/analysis.md).
   * Optional so older results still parse.
   */
  shortfall?: number;
  /** The phases' own wall time, first phase start to last phase end. */
  phasesWallMs?: number;
  /** How far behind its due time each arrival was sent. */
  arrivalLagMs?: { p50: number; p99: number; max: number };
  /** Arrivals sent more than `lateAfterMs` behind their due time. */
  lateArrivals?: number;
  lateAfterMs?: number;
  /** How long the run's own event loop was held up while it generated load. */
  eventLoopDelayMs?: { p50: number; p99: number; max: number };
  /** Each second of the load on its own clock: requested vs sent, worst lag, worst loop delay. */
  perSecond?: Array<{ tSec: number; requested: number; achieved: number; lagMaxMs: number; loopDelayMaxMs: number }>;
  /** Why the load stopped before its phases ended. */
  stoppedBecause?: 'overrun' | 'interrupted';
  /** On a local target: the events/s this machine held for the source (`npm run bench`); figures beyond it are the harness's. */
  harnessCeilingEventsPerSecond?: number;
  /**
   * With `--workers N` (N > 1): each load worker process's own load, whose sums (and, for
   * lag, merged histograms) are the figures above. Absent when the run's own process
   * generated the load.
   */
  workers?: WorkerLoadReport[];
}

/** One load worker's share of a pattern's load: its id block, what it was asked and what it sent, on its own clock. */
export interface WorkerLoadReport {
  /** 1-based: `load worker 2 of 4`. */
  worker: number;
  pid: number;
  /** Its block of event ids, firstId … lastId; it used the first `eventsSent`. */
  firstId: number;
  lastId: number;
  eventsSent: number;
  requestedArrivals: number;
  achievedArrivals: number;
  shortfall: number;
  phasesWallMs: number;
  arrivalLagMs: { p50: number; p99: number; max: number };
  lateArrivals: number;
  /** Its own process's event loop. */
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  perSecond: Array<{ tSec: number; requested: number; achieved: number; lagMaxMs: number; loopDelayMaxMs: number }>;
  stoppedBecause?: 'overrun' | 'interrupted';
  /** Its sending session's own counters (calls, errors by code), as the source's driver counts them. */
  sender?: Record<string, unknown>;
}

export interface PatternSummary {
  throughputInPerSecond: number;
  throughputOutPerSecond: number;
  /** Steady-state output rate: median of the per-second completions over the busiest half of the run. */
  throughputOutPerSecondSteady: number;
  peakConcurrency: number;
  coldStarts: number;
  coldStartShare: number;
  /** Invoke attempts Lambda refused for concurrency (TooManyRequestsException). */
  functionThrottles: number;
  /** Attempts the source refused for a quota (throttled PutRecords entries, PutEvents entries, S3 SlowDown, the gateway's 429s). */
  sourceThrottles: number;
  /**
   * Attempts to hand an event to the source: each event's first attempt plus every retry
   * (`sent + sourceRetries`). Absent in results before it was counted.
   */
  sourceAttempts?: number;
  /** sourceThrottles / sourceAttempts: the share of attempts the source refused for a quota. */
  throttleRate: number;
  /**
   * Attempts to invoke the function: invocations that ran plus invokes refused for
   * concurrency (`invocations + functionThrottles`). Absent in results before it was counted.
   */
  invokeAttempts?: number;
  /** functionThrottles / invokeAttempts: the share of invoke attempts Lambda refused for concurrency. Absent in older results. */
  functionThrottleRate?: number;
  invocationErrors: number;
  /** Invocations that ran (completed, failed or timed out), cold or warm. */
  invocations: number;
  queueAgeMsMax?: number;
  queueDepthMax?: number;
  iteratorAgeMsMax?: number;
  iteratorAgeMsP99?: number;
  asyncEventAgeMsMax?: number;
  asyncEventAgeMsP99?: number;
}

export interface CostEstimate {
  totalUsd: number;
  perMillionEventsUsd: number;
  lines: Array<{ item: string; quantity: number; unit: string; unitPriceUsd: number; usd: number }>;
  pricesAsOf: string;
  /** Assumptions the estimate had to make (unknown event size, items not priced, …). */
  notes?: string[];
}

/**
 * The account settings a pattern's function ran under, defaults included (the scenario's
 * `account:`): which burst-scaling model was in force and its numbers.
 */
export interface AccountSettings {
  concurrencyLimit: number;
  /** `current`: +`burstEnvironmentsPer10Seconds` environments per 10 s per function; `legacy`: `legacyInitialBurst`, then +`legacyBurstIncrementPerMinute` a minute. */
  scalingModel: 'current' | 'legacy';
  burstEnvironmentsPer10Seconds: number;
  legacyInitialBurst: number;
  legacyBurstIncrementPerMinute: number;
  /**
   * Who applied them: sluice's runtime, or the target's own Lambda (AWS, LocalStack's), whose
   * real account settings sluice cannot read — there these are the scenario's values only.
   */
  appliedBy: 'sluice' | 'target';
}

export interface PatternResult {
  name: string;
  source: string;
  /** The pattern's settings after defaults, as validated. */
  settings: Record<string, unknown>;
  /** The function's settings after defaults, with the concurrency limit in force (`concurrencyLimit`). */
  function: Record<string, unknown>;
  /** The account settings in force, defaults included. Absent in results before it was recorded. */
  account?: AccountSettings;
  startedAtMs: number;
  endedAtMs: number;
  /**
   * When the load's first phase started: second 0 of `series` (provisioning came before it).
   * Absent in results before it was recorded, whose series started at `startedAtMs`.
   */
  loadStartedAtMs?: number;
  load: LoadReport;
  accounting: EventAccounting;
  latency: {
    endToEndMs: Percentiles;
    invokeDurationMs: Percentiles;
    initDurationMs: Percentiles;
    /** Client-observed latency of synchronous invokes (API Gateway), split by cold/warm. */
    clientMs?: { all: Percentiles; warm: Percentiles; cold: Percentiles };
    /** A module handler's CPU time per invoke, measured in its own environment (thread). */
    handlerCpuMs?: Percentiles;
    /** A module handler's peak heap per invoke (V8 heap in use plus external memory). */
    handlerPeakMemoryMb?: Percentiles;
  };
  summary: PatternSummary;
  /** What sluice's runtime billed-for: duration on on-demand and provisioned environments, billed INIT, provisioned concurrency, keep-warm pings. Absent for remote consumers and older results. */
  functionUsage?: FunctionUsage;
  series: SeriesPoint[];
  quotas: QuotaRecord[];
  cost?: CostEstimate;
  /** Extra per-source facts (status codes, per-shard totals, …). */
  extras?: Record<string, unknown>;
  /** Things the user must know to read the numbers right (rate not held, emulator ceiling, …). */
  warnings: string[];
}

/**
 * What the function used over a pattern's run, in the units AWS bills; analysis/cost.ts
 * prices it. Durations in milliseconds; provisioned concurrency in environment-milliseconds
 * (the configured count integrated over time).
 */
export interface FunctionUsage {
  onDemandDurationMs: number;
  provisionedDurationMs: number;
  /** INIT of on-demand cold starts, billed since 1 August 2025. */
  onDemandInitMs: number;
  onDemandColdStarts: number;
  provisionedConcurrencyMs: number;
  provisionedConcurrencyMax: number;
  scalingActions: Array<{ atMs: number; from: number; to: number; reason: 'target-tracking' | 'schedule' }>;
  keepWarm?: { pings: number; durationMs: number; initMs: number; coldStarts: number };
  outOfMemory: number;
  timeouts: number;
}
