import type { Clock } from '../core/clock.ts';
import type { LambdaFunction, RuntimeObserver } from '../runtime/lambda-function.ts';
import type { Target } from '../targets/target.ts';
import type { EventFates, SourceMetrics } from './event-reporting.ts';
import type { EventFactory, OutgoingEvent } from '../load/event-factory.ts';
import type { LoadOutcome } from '../load/load-generator.ts';
import type { LoadMeter } from '../load/load-meter.ts';
import type { Phase, ScenarioParts } from '../scenario/parts.ts';
import type { QuotaRecord } from '../analysis/run-result.ts';

/** What a driver is given for one pattern run. */
export interface PatternRunContext<Pattern, Resources = unknown> {
  /** The scenario's settings (its workload, function, account); patterns arrive one at a time as `pattern`. */
  scenario: ScenarioParts;
  scenarioFile: string;
  pattern: Pattern;
  patternName: string;
  runId: string;
  target: Target;
  clock: Clock;
  /** Where the driver reports each event's fate. */
  ledger: EventFates;
  /** Where the driver reports its per-second measurements. */
  recorder: SourceMetrics;
  /** The consumer function of sluice's own runtime (unused when `consumer` is `remote`). */
  fn: LambdaFunction;
  /**
   * `sluice`: sluice's runtime consumes (embedded, LocalStack endpoints). `remote`: a real
   * Lambda consumes (AWS, or LocalStack's Lambda) and completions arrive from its sink
   * queue; the driver then only sends and samples. Absent means `sluice`.
   */
  consumer?: 'sluice' | 'remote';
  /**
   * The source's resources that already exist — the managed stack's, or the user's own —
   * as the source module reads them (its `existingResources`). The driver uses them instead
   * of creating its own, and never deletes them.
   */
  existing?: Resources;
  /** Lets a driver hear about invocations it starts itself (synchronous sources). */
  runtimeObservers: RuntimeObserver[];
  /**
   * This session only sends: it runs in a load worker process (run/load-worker.ts), while
   * the run's own session — which created the resources (given as `existing`) — consumes,
   * samples and accounts. The driver creates, configures and starts nothing, and sends as
   * it would for the run's consumer (`consumer`).
   */
  loadOnly?: boolean;
}

/**
 * A pattern's resources and behaviour for one run, in the order the run uses them:
 * send → consume → sample → stop → account → tear down.
 */
export interface PatternSession {
  /**
   * Sends one arrival's events (the load generator calls this). Records each event's
   * acceptance, throttles and failures in the ledger; never throws for a refused event.
   */
  sendArrival(events: OutgoingEvent[]): Promise<void>;
  /**
   * Drives the phases itself instead of through the load generator's sender — for a source
   * whose producer is another kind of client (API Gateway: an HTTP client).
   * Without it, the run calls {@link sendArrival} for each arrival.
   */
  runLoad?(options: CustomLoadOptions): Promise<LoadOutcome>;
  /**
   * The resources a load worker's session sends to, as this driver reads `existing`
   * (plain data: it crosses to the worker process). Without it, the source's load cannot
   * be split over workers.
   */
  loadWorkerResources?(): unknown;
  /** Starts the consumer side (event source mapping, subscription, endpoint). */
  startConsumer(): Promise<void>;
  /** Once a second: the source's own gauges (queue depth, ages) into the recorder. */
  sample(nowMs: number): Promise<void>;
  /** Whether every accepted event has reached an end (for the drain phase). */
  isDrained(): Promise<boolean>;
  /** Stops consuming; in-flight invokes finish. */
  stopConsumer(): Promise<void>;
  /** Events still held by the source after the consumer stopped (queued, in flight, retrying). */
  pendingAtEnd(): Promise<number>;
  /** Source-specific totals for the report. */
  extras(): Record<string, unknown>;
  /** Deletes what provision created. Safe to call more than once. */
  teardown(): Promise<void>;
}

export interface CustomLoadOptions {
  phases: Phase[];
  signal: AbortSignal;
  maxArrivals: number;
  eventsPerArrival: number;
  events: EventFactory;
  /** The generator's own meter: the driver's load loop reports each arrival to it. */
  meter: LoadMeter;
}

/**
 * The local side of one event source: its resources on a local or managed target, the load
 * it sends, and (with sluice's runtime) the mapping rules that consume it. A source module
 * (drivers/source-module.ts) loads it when a run starts.
 */
export interface Driver<Pattern, Resources = unknown> {
  readonly source: string;
  /** The quotas that shape this source's numbers, and who enforces them on the target. */
  quotas(pattern: Pattern, target: Target): QuotaRecord[];
  /** Creates the source's resources and returns the session that drives them. */
  provision(context: PatternRunContext<Pattern, Resources>): Promise<PatternSession>;
}
