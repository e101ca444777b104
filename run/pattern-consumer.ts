import type { EventFates, SourceMetrics } from '../drivers/event-reporting.ts';
import type { PatternSummary } from '../analysis/run-result.ts';

/** One completion record of a consumer sluice does not run (targets/aws/completions.ts). */
export interface RemoteCompletion {
  eventId: number | string;
  completedAtMs: number;
  coldStart: boolean;
  durationMs: number;
  failed?: true;
}

/** What a consumer adds to a pattern's result once the load is over. */
export interface ConsumerObservations {
  /** Source-specific figures for `extras`. */
  extras?: Record<string, unknown>;
  warnings?: string[];
  /**
   * Figures seen by someone else (CloudWatch) that the summary takes when they are higher
   * than sluice's own: a consumer sluice does not run is measured from outside.
   */
  summaryAtLeast?: Partial<Pick<PatternSummary, 'peakConcurrency' | 'functionThrottles' | 'invocations' | 'invocationErrors'>>;
  /** Figures seen by someone else that replace sluice's own when present (ages sluice cannot see). */
  summaryFrom?: Partial<Pick<PatternSummary, 'iteratorAgeMsMax' | 'asyncEventAgeMsMax' | 'queueAgeMsMax'>>;
}

/**
 * Who consumes a pattern's events, as the run sees it: sluice's own Lambda runtime, or a
 * remote consumer (a CloudFormation stack's Lambda on AWS or LocalStack) whose completions
 * arrive as records, or not at all. The run asks the consumer up front what it can observe,
 * so its accounting and warnings are right the first time.
 */
export interface PatternConsumer {
  /** `sluice`: the driver's session consumes with sluice's runtime; `remote`: the driver only sends and samples. */
  readonly kind: 'sluice' | 'remote';
  /**
   * The source's resources that exist already (the stack's, the user's own), as the source
   * module reads them: the driver uses them instead of creating its own.
   */
  readonly existing?: unknown;
  /** Whether each event's completion reaches the run (sluice's runtime, or a stack's synthetic consumer). */
  readonly completionsObservable: boolean;
  /**
   * Whether the drain waits for in-flight events. Without completions only a source that
   * says what it still holds (a queue's depth) can tell when the load has been consumed;
   * for any other, the drain would wait its whole timeout for records that cannot come.
   */
  readonly drainWaits: boolean;
  /** What to say when completions are not observable: what was measured instead (one sentence each). */
  unobservedNotice?(counts: { unobserved: number; heldBySource: number; interrupted: boolean }): string;
  /** Starts following completions (a remote consumer's records) into the ledger and recorder. */
  start(report: { ledger: EventFates; recorder: SourceMetrics; warn(message: string): void }): void;
  /** Stops following completions; resolves once the last records are in. */
  stop(): Promise<void>;
  /** What the consumer saw from outside, for the run window (CloudWatch). */
  observe?(window: { startedAtMs: number; endedAtMs: number }): Promise<ConsumerObservations>;
}

/**
 * sluice's own Lambda runtime consumes: the driver's session runs the mapping rules, every
 * completion is seen, and the drain waits as the scenario says.
 */
export const localRuntimeConsumer: PatternConsumer = {
  kind: 'sluice',
  completionsObservable: true,
  drainWaits: true,
  start() {},
  async stop() {},
};

/**
 * A consumer sluice does not run whose completion records it reads (a stack's synthetic
 * consumer writing to its sink queue), or cannot read (the user's own function).
 *
 * @example
 * const consumer = remoteConsumer({ existing: outputs, completionsObservable: true, drainWaits: true, readCompletions });
 */
export function remoteConsumer(options: {
  existing: unknown;
  completionsObservable: boolean;
  drainWaits: boolean;
  /** Reads completion records until the signal aborts (and once more after it, for what arrived meanwhile). */
  readCompletions?: (onRecords: (records: RemoteCompletion[]) => void, signal: AbortSignal) => Promise<void>;
  unobservedNotice?: PatternConsumer['unobservedNotice'];
  observe?: PatternConsumer['observe'];
}): PatternConsumer {
  const abort = new AbortController();
  let reading: Promise<void> | undefined;
  return {
    kind: 'remote',
    existing: options.existing,
    completionsObservable: options.completionsObservable,
    drainWaits: options.drainWaits,
    ...(options.unobservedNotice ? { unobservedNotice: options.unobservedNotice } : {}),
    ...(options.observe ? { observe: options.observe } : {}),
    start({ ledger, recorder, warn }) {
      if (!options.readCompletions) return;
      reading = options
        .readCompletions((records) => {
          for (const record of records) {
            const id = Number(record.eventId);
            ledger.recordDelivered(id);
            if (record.failed) continue;
            const latencyMs = ledger.recordCompleted(id, record.completedAtMs);
            if (latencyMs !== undefined) {
              recorder.endToEndLatency(record.completedAtMs, latencyMs);
              recorder.count('completed', record.completedAtMs);
            }
          }
        }, abort.signal)
        .catch((error: Error) => warn(`reading completion records failed: ${error.message}`));
    },
    async stop() {
      abort.abort();
      await reading;
    },
  };
}
