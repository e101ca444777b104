import type { ClientSettings } from '../core/client-config.ts';
import type { TargetInfo } from '../analysis/run-result.ts';
import type { ScenarioParts } from '../scenario/parts.ts';
import type { LoadOutcome } from '../load/load-generator.ts';
import { counterNames } from '../drivers/event-reporting.ts';
import type { TransferredHistogram } from '../load/histogram-transfer.ts';

/**
 * The messages between a run and its load worker processes (run/load-worker.ts), over the
 * child process's IPC channel with structured-clone serialization. A worker process runs
 * one or more loads — one per pattern run that uses it, each its share of that pattern's
 * phases — told apart by `loadId`; the run keeps the ledger, the recorder and the consumer.
 */

/** What a worker is told before it provisions its sending session. */
export interface LoadWorkerInit {
  /** 0-based; the worker's name is `load worker <index + 1> of <count>`. */
  index: number;
  count: number;
  /** Its block of ids: firstId … firstId + idCount − 1. */
  firstId: number;
  idCount: number;
  /** Arrivals it may send at most (its block's worth). */
  maxArrivals: number;
  scenario: ScenarioParts;
  scenarioFile: string;
  pattern: { source: string } & Record<string, unknown>;
  patternName: string;
  runId: string;
  target: { info: TargetInfo; clientSettings: ClientSettings };
  /** Who consumes in the run: the worker sends as the run's own session would for it. */
  consumer: 'sluice' | 'remote';
  /** The run's session's resources (its `loadWorkerResources()`), the worker's `existing`. */
  resources: unknown;
}

export type ToLoadWorker = { type: 'init'; loadId: number; init: LoadWorkerInit } | { type: 'start'; loadId: number } | { type: 'stop'; loadId: number };

/**
 * A batch of what the worker's session reported, in order. `fates` is flat: an opcode of
 * {@link fateOps}, the event id, and for `sent` the send time. `counts` is flat triples:
 * the index of the counter in `counterNames`, the time, the amount.
 */
export interface LoadWorkerReports {
  type: 'reports';
  loadId: number;
  fates: number[];
  counts: number[];
  /** Where the worker's load stands (its meter), for the run's progress line. */
  position: { elapsedMs: number; behindMs: number; running: boolean };
  /** Events it has sent so far. */
  eventsSent: number;
}

/** The worker's load ended: what its meter measured, and its histograms for lossless merging. */
export interface LoadWorkerDone {
  type: 'done';
  loadId: number;
  outcome: LoadOutcome;
  /** Its arrival-lag histogram and its client-side latency histograms, for merging without loss. */
  histograms: { arrivalLag: TransferredHistogram; clientAll: TransferredHistogram; clientWarm: TransferredHistogram; clientCold: TransferredHistogram };
  /** Its session's own send-side counters (calls, errors by code, …). */
  extras: Record<string, unknown>;
  eventsSent: number;
}

export type FromLoadWorker = { type: 'ready'; loadId: number } | LoadWorkerReports | LoadWorkerDone | { type: 'failed'; loadId: number; message: string };

/** The ledger calls a worker forwards, by opcode. */
export const fateOps = ['sent', 'accepted', 'filtered', 'throttled', 'sourceFailed', 'delivered', 'completed', 'failed', 'deadLettered'] as const;
export type FateOp = (typeof fateOps)[number];

export const fateOpCode = Object.fromEntries(fateOps.map((op, index) => [op, index])) as Record<FateOp, number>;
export const counterCode = Object.fromEntries(counterNames.map((name, index) => [name, index])) as Record<(typeof counterNames)[number], number>;

/** The name a worker goes by in messages and in result.json. */
export function loadWorkerName(index: number, count: number): string {
  return `load worker ${index + 1} of ${count}`;
}
