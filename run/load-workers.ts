import { fork, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { addTransferredHistogram, type TransferredHistogram } from '../load/histogram-transfer.ts';
import { SluiceError } from '../core/sluice-error.ts';
import { counterNames } from '../drivers/event-reporting.ts';
import type { LoadOutcome } from '../load/load-generator.ts';
import { lagSummaryOf, loadShortfall, newLagHistogram, type LoadMeasurement, type LoadSecond } from '../load/load-meter.ts';
import type { WorkerLoadReport } from '../analysis/run-result.ts';
import type { EventLedger } from './event-ledger.ts';
import type { MetricsRecorder } from './metrics-recorder.ts';
import { fateOps, loadWorkerName, type FromLoadWorker, type LoadWorkerDone, type LoadWorkerInit, type ToLoadWorker } from './load-worker-protocol.ts';

/** Stable codes of {@link LoadWorkerError}. */
export const loadWorkerErrorCodes = {
  died: 'SLUICE_LOAD_WORKER_DIED',
  failed: 'SLUICE_LOAD_WORKER_FAILED',
} as const;

/** A load worker process died or could not start its load: the run fails, naming it and what it sent. */
export class LoadWorkerError extends SluiceError<(typeof loadWorkerErrorCodes)[keyof typeof loadWorkerErrorCodes]> {}

/** The most load workers a run starts: each is a Node process of its own (about 60 MB). */
export const loadWorkersMax = 64;

/**
 * `--workers`: a whole number from 1 to {@link loadWorkersMax}, or `auto` — one worker per
 * core but one, which the run's own process (the consumer, the emulators' clients) keeps,
 * and at least one. Undefined with a reason for anything else.
 */
export function parseLoadWorkers(text: string, coreCount = cpus().length): { count: number } | { problem: string } {
  if (text.trim() === 'auto') return { count: Math.max(1, coreCount - 1) };
  if (!/^\d+$/.test(text.trim())) return { problem: `${JSON.stringify(text)} is not a number of workers: give a whole number from 1 to ${loadWorkersMax}, or auto (cores − 1, here ${Math.max(1, coreCount - 1)})` };
  const count = Number(text);
  if (count < 1 || count > loadWorkersMax) return { problem: `${count} workers is outside 1–${loadWorkersMax}: give a whole number in it, or auto (cores − 1, here ${Math.max(1, coreCount - 1)})` };
  return { count };
}

/** What every worker of a pattern is told; the pool adds each one's index and id block. */
export type LoadWorkerCommon = Omit<LoadWorkerInit, 'index' | 'count' | 'firstId' | 'idCount' | 'maxArrivals'>;

/** How long a worker may take to start its session (load the driver, open the SDK clients, read the stream's shards). */
const readyTimeoutMs = 60_000;
/** After a stop, how long a worker may take to answer its last sends before it is killed. */
const stopGraceMs = 30_000;
/** After another worker died, how long the others may take to stop: the run has failed, and only its teardown waits. */
const failureGraceMs = 5_000;

const runTs = fileURLToPath(new URL('../bin/run-ts.js', import.meta.url));
const workerEntry = fileURLToPath(new URL('./load-worker.ts', import.meta.url));

/** One forked worker process, shared by the loads (pattern runs) that use it. */
interface WorkerProcess {
  child: ChildProcess;
  stderrTail: string;
  /** Resolves when the process has gone (exited and its channel closed). */
  closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The loads it runs now, by id: each hears its messages, and its death. */
  loads: Map<number, { onMessage(message: FromLoadWorker): void; onClosed(how: { code: number | null; signal: NodeJS.Signals | null }): void }>;
}

let nextLoadId = 1;

/**
 * The load worker processes of a run: forked once, each in its own process group (a Ctrl-C
 * at the terminal reaches the run, which stops its loads itself), and reused by every
 * pattern run that splits its load — patterns one after the other, or side by side with
 * `--parallel` — so N workers cost N process starts per run, not per pattern.
 *
 * @example
 * const processes = LoadWorkerProcesses.fork(4);
 * try { … runPattern({ …, loadWorkers: 4, loadWorkerProcesses: processes }) … } finally { await processes.close(); }
 */
export class LoadWorkerProcesses {
  private constructor(private readonly processes: WorkerProcess[]) {}

  static fork(count: number): LoadWorkerProcesses {
    const processes: WorkerProcess[] = [];
    for (let index = 0; index < count; index += 1) {
      const child = fork(runTs, [workerEntry], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced', execArgv: [], detached: true });
      const worker: WorkerProcess = {
        child,
        stderrTail: '',
        loads: new Map(),
        // Gone when the process has exited, not when its stdio closes ('close'): a process it
        // started (the TypeScript loader's compiler service) can hold its stderr open long after.
        // The stderr already written is read first, for a short while, to name what it said.
        closed: new Promise((resolve) =>
          child.once('exit', (code, signal) => {
            const settle = () => resolve({ code, signal });
            if (!child.stderr || child.stderr.readableEnded) return settle();
            child.stderr.once('end', settle);
            setTimeout(settle, 500).unref();
          }),
        ),
      };
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (chunk: string) => {
        worker.stderrTail = (worker.stderrTail + chunk).slice(-2000);
      });
      child.on('message', (message: FromLoadWorker) => worker.loads.get(message.loadId)?.onMessage(message));
      void worker.closed.then((how) => {
        for (const load of [...worker.loads.values()]) load.onClosed(how);
      });
      processes.push(worker);
    }
    return new LoadWorkerProcesses(processes);
  }

  get count(): number {
    return this.processes.length;
  }

  /** The first `count` processes, for one load. */
  take(count: number): WorkerProcess[] {
    if (count > this.processes.length) throw new RangeError(`${count} load workers asked of ${this.processes.length}`);
    return this.processes.slice(0, count);
  }

  /** Ends every process: its channel closes and it exits; one that does not within {@link stopGraceMs} is killed. */
  async close(): Promise<void> {
    for (const worker of this.processes) if (worker.child.connected) worker.child.disconnect();
    const grace = new Promise<void>((resolve) => setTimeout(resolve, stopGraceMs).unref());
    await Promise.race([Promise.all(this.processes.map((worker) => worker.closed)), grace]);
    for (const worker of this.processes) if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
  }
}

/** One worker's part of one load. */
interface WorkerState {
  index: number;
  process: WorkerProcess;
  child: ChildProcess;
  firstId: number;
  idCount: number;
  eventsSent: number;
  position: { elapsedMs: number; behindMs: number; running: boolean };
  done?: LoadWorkerDone;
  /** Resolves when its load has ended: done, failed, or its process gone. */
  ended: Promise<void>;
  end(): void;
}

/**
 * A pattern's load generator spread over N worker processes (run/load-worker.ts), each
 * sending its share of every phase (load/worker-share.ts) with its own block of ids, to the
 * run's own resources. The run's ledger and recorder get every worker's reports as they
 * come; the load outcome is merged from theirs exactly: counts and seconds add, lag
 * histograms add, the load check is made on the totals.
 *
 * A worker that dies before its load finished fails the run ({@link LoadWorkerError}) with
 * its name and the events it sent; the others are stopped. The signal (Ctrl-C) stops them all.
 *
 * @example
 * const pool = await LoadWorkerPool.start({ processes, count: 4, common, ledger, recorder, nowMs, eventsPerArrival });
 * const load = await pool.run(signal, () => recorder.startLoadAt(Date.now()));
 */
export class LoadWorkerPool {
  private readonly workers: WorkerState[];
  private readonly loadId = nextLoadId++;
  private startedAtMs: number | undefined;
  private failure: LoadWorkerError | undefined;
  private onFailure: ((error: LoadWorkerError) => void) | undefined;

  private constructor(
    workers: WorkerState[],
    private readonly ledger: EventLedger,
    private readonly recorder: MetricsRecorder,
    private readonly nowMs: () => number,
  ) {
    this.workers = workers;
  }

  /** Hands each worker process its part of the load and waits until each has its session ready. */
  static async start(options: {
    processes: LoadWorkerProcesses;
    count: number;
    common: LoadWorkerCommon;
    ledger: EventLedger;
    recorder: MetricsRecorder;
    nowMs: () => number;
    eventsPerArrival: number;
  }): Promise<LoadWorkerPool> {
    const { count, ledger } = options;
    const blockSize = ledger.blocks.size;
    const workers: WorkerState[] = options.processes.take(count).map((process, index) => {
      let end: () => void = () => {};
      const ended = new Promise<void>((resolve) => (end = resolve));
      return { index, process, child: process.child, firstId: index * blockSize, idCount: blockSize, eventsSent: 0, position: { elapsedMs: 0, behindMs: 0, running: false }, ended, end };
    });
    const pool = new LoadWorkerPool(workers, ledger, options.recorder, options.nowMs);
    try {
      await Promise.all(
        workers.map((worker) =>
          pool.whenReady(worker, {
            ...options.common,
            index: worker.index,
            count,
            firstId: worker.firstId,
            idCount: worker.idCount,
            maxArrivals: Math.floor(worker.idCount / options.eventsPerArrival),
          }),
        ),
      );
    } catch (error) {
      pool.stopAll();
      pool.release();
      throw error;
    }
    return pool;
  }

  private whenReady(worker: WorkerState, init: LoadWorkerInit): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(this.errorOf(worker, 'failed', `did not start within ${readyTimeoutMs / 1000} s`)), readyTimeoutMs);
      worker.process.loads.set(this.loadId, {
        onMessage: (message) => {
          if (message.type === 'ready') {
            clearTimeout(timer);
            resolve();
          } else if (message.type === 'failed') {
            clearTimeout(timer);
            const error = this.errorOf(worker, 'failed', `failed: ${message.message}`);
            reject(error);
            this.fail(error);
            worker.end();
          } else if (message.type === 'reports') {
            this.apply(worker, message);
          } else if (message.type === 'done') {
            worker.done = message;
            worker.end();
          }
        },
        onClosed: ({ code, signal }) => {
          clearTimeout(timer);
          worker.end();
          if (worker.done) return;
          const error = this.errorOf(worker, 'died', `exited (${signal ? `signal ${signal}` : `code ${code}`}) before its load ended`);
          reject(error);
          this.fail(error);
        },
      });
      this.post(worker, { type: 'init', loadId: this.loadId, init });
    });
  }

  /** Forgets this load in every process it used. */
  private release(): void {
    for (const worker of this.workers) worker.process.loads.delete(this.loadId);
  }

  private stopAll(): void {
    for (const worker of this.workers) this.post(worker, { type: 'stop', loadId: this.loadId });
  }

  private errorOf(worker: WorkerState, kind: 'died' | 'failed', what: string): LoadWorkerError {
    const name = loadWorkerName(worker.index, this.workers.length);
    const lastIdSent = worker.firstId + worker.eventsSent - 1;
    const sent = worker.eventsSent > 0 ? `${worker.eventsSent} events (ids ${worker.firstId}–${lastIdSent})` : 'no events';
    const stderr = worker.process.stderrTail.trim().split('\n').slice(-3).join(' | ');
    return new LoadWorkerError(
      loadWorkerErrorCodes[kind],
      `${name} (pid ${worker.child.pid}) ${what}, having sent ${sent}${stderr ? `; its last output: ${stderr}` : ''}`,
      kind === 'died' ? 'the events it sent are in the accounting up to its last report; re-run, with fewer --workers if the machine ran out of memory' : 'fix what the message names and re-run',
    );
  }

  private fail(error: LoadWorkerError): void {
    if (this.failure) return;
    this.failure = error;
    this.onFailure?.(error);
  }

  private post(worker: WorkerState, message: ToLoadWorker): void {
    if (worker.child.connected) worker.child.send(message, (error) => void error);
  }

  /** A worker's reports, in the order it made them, into the run's ledger and recorder. */
  private apply(worker: WorkerState, reports: Extract<FromLoadWorker, { type: 'reports' }>): void {
    const { ledger, recorder } = this;
    const { fates, counts } = reports;
    for (let at = 0; at < fates.length; ) {
      const op = fateOps[fates[at]];
      const id = fates[at + 1];
      at += 2;
      switch (op) {
        case 'sent': {
          const late = ledger.recordSent(id, fates[at++]);
          // Its completion came first (the run's consumer is quicker than the worker's channel): its latency now.
          if (late) {
            recorder.endToEndLatency(late.completedAtMs, late.latencyMs);
            recorder.count('completed', late.completedAtMs);
          }
          break;
        }
        case 'completed': {
          const atMs = fates[at++];
          const latencyMs = ledger.recordCompleted(id, atMs);
          if (latencyMs !== undefined) {
            recorder.endToEndLatency(atMs, latencyMs);
            recorder.count('completed', atMs);
          }
          break;
        }
        case 'accepted':
          ledger.recordAccepted(id);
          break;
        case 'filtered':
          ledger.recordFiltered(id);
          break;
        case 'throttled':
          ledger.recordThrottled(id);
          break;
        case 'sourceFailed':
          ledger.recordSourceFailed(id);
          break;
        case 'delivered':
          ledger.recordDelivered(id);
          break;
        case 'failed':
          ledger.recordFailed(id);
          break;
        case 'deadLettered':
          ledger.recordDeadLettered(id);
          break;
        default:
          throw new Error(`unknown ledger report ${fates[at - 2]} from ${loadWorkerName(worker.index, this.workers.length)}`);
      }
    }
    for (let at = 0; at + 2 < counts.length; at += 3) recorder.count(counterNames[counts[at]], counts[at + 1], counts[at + 2]);
    worker.eventsSent = reports.eventsSent;
    worker.position = reports.position;
  }

  /** Where the load stands: the time since the start, and the worst worker's lag behind its schedule. */
  position(): { elapsedMs: number; behindMs: number; running: boolean; started: boolean } {
    const started = this.startedAtMs !== undefined;
    const running = started && this.workers.some((worker) => !worker.done);
    return {
      elapsedMs: started ? this.nowMs() - this.startedAtMs! : 0,
      behindMs: Math.max(0, ...this.workers.map((worker) => (worker.position.running ? worker.position.behindMs : 0))),
      running,
      started,
    };
  }

  /**
   * Starts every worker's load at once and resolves with the merged outcome when each has
   * answered its last send. Rejects with a {@link LoadWorkerError} when one dies; the
   * others are stopped first.
   */
  async run(signal: AbortSignal, onStart: () => void): Promise<{ outcome: LoadOutcome; workers: WorkerLoadReport[] }> {
    const stopAll = () => this.stopAll();
    const failed = new Promise<never>((_, reject) => {
      if (this.failure) reject(this.failure);
      this.onFailure = reject;
    });
    failed.catch(() => undefined);
    signal.addEventListener('abort', stopAll, { once: true });
    try {
      this.startedAtMs = this.nowMs();
      onStart();
      for (const worker of this.workers) this.post(worker, { type: 'start', loadId: this.loadId });
      if (signal.aborted) stopAll();
      await Promise.race([Promise.all(this.workers.map((worker) => worker.ended)), failed]);
      if (this.failure) throw this.failure;
    } catch (error) {
      // The others stop; each answers its last sends, within the grace period.
      stopAll();
      await Promise.race([Promise.all(this.workers.map((worker) => worker.ended)), new Promise<void>((resolve) => setTimeout(resolve, failureGraceMs).unref())]);
      throw error;
    } finally {
      signal.removeEventListener('abort', stopAll);
      this.release();
    }
    return this.merged();
  }

  private merged(): { outcome: LoadOutcome; workers: WorkerLoadReport[] } {
    const dones = this.workers.map((worker) => worker.done!);
    const outcome = mergeLoadOutcomes(dones.map((done) => ({ outcome: done.outcome, arrivalLag: done.histograms.arrivalLag })));
    // Client-side latency (an HTTP source's answers), recorded in each worker, added without loss.
    for (const done of dones) {
      addTransferredHistogram(this.recorder.clientLatency.all, done.histograms.clientAll);
      addTransferredHistogram(this.recorder.clientLatency.warm, done.histograms.clientWarm);
      addTransferredHistogram(this.recorder.clientLatency.cold, done.histograms.clientCold);
    }
    const workers: WorkerLoadReport[] = this.workers.map((worker) => {
      const { outcome: own } = worker.done!;
      return {
        worker: worker.index + 1,
        pid: worker.child.pid ?? 0,
        firstId: worker.firstId,
        lastId: worker.firstId + worker.idCount - 1,
        eventsSent: worker.done!.eventsSent,
        requestedArrivals: own.requestedArrivals,
        achievedArrivals: own.achievedArrivals,
        shortfall: own.shortfall,
        phasesWallMs: own.measurement.phasesWallMs,
        arrivalLagMs: own.measurement.arrivalLagMs,
        lateArrivals: own.measurement.lateArrivals,
        eventLoopDelayMs: own.measurement.eventLoopDelayMs,
        perSecond: own.measurement.perSecond,
        ...(own.measurement.stoppedBecause ? { stoppedBecause: own.measurement.stoppedBecause } : {}),
        sender: worker.done!.extras,
      };
    });
    return { outcome, workers };
  }
}

/**
 * The load outcome of several generators that shared one set of phases, exactly: arrivals,
 * late arrivals and errors add; each second's requested and sent add, its worst lag and
 * loop delay are the worst generator's; the lag histograms add (so the percentiles are
 * those of every arrival); the wall time is the longest generator's; the load check is made
 * on the totals. Event-loop delay is each generator's own loop: the worst one's figures.
 */
export function mergeLoadOutcomes(parts: ReadonlyArray<{ outcome: LoadOutcome; arrivalLag: TransferredHistogram }>): LoadOutcome {
  if (parts.length === 0) throw new RangeError('no load outcomes to merge');
  const lag = newLagHistogram();
  for (const part of parts) addTransferredHistogram(lag, part.arrivalLag);
  const measurements = parts.map((part) => part.outcome.measurement);
  const seconds = new Map<number, LoadSecond>();
  for (const measurement of measurements) {
    for (const second of measurement.perSecond) {
      const merged = seconds.get(second.tSec) ?? { tSec: second.tSec, requested: 0, achieved: 0, lagMaxMs: 0, loopDelayMaxMs: 0 };
      merged.requested += second.requested;
      merged.achieved += second.achieved;
      merged.lagMaxMs = Math.max(merged.lagMaxMs, second.lagMaxMs);
      merged.loopDelayMaxMs = Math.max(merged.loopDelayMaxMs, second.loopDelayMaxMs);
      seconds.set(second.tSec, merged);
    }
  }
  const worstLoop = measurements.reduce((a, b) => (b.eventLoopDelayMs.max > a.eventLoopDelayMs.max ? b : a));
  const stoppedBecause = measurements.find((measurement) => measurement.stoppedBecause === 'overrun')?.stoppedBecause ?? measurements.find((measurement) => measurement.stoppedBecause)?.stoppedBecause;
  const measurement: LoadMeasurement = {
    phasesWallMs: Math.max(...measurements.map((m) => m.phasesWallMs)),
    plannedMs: measurements[0].plannedMs,
    arrivalLagMs: lagSummaryOf(lag),
    lateArrivals: measurements.reduce((sum, m) => sum + m.lateArrivals, 0),
    lateAfterMs: measurements[0].lateAfterMs,
    eventLoopDelayMs: worstLoop.eventLoopDelayMs,
    perSecond: [...seconds.values()].sort((a, b) => a.tSec - b.tSec),
    overrunLimitMs: measurements[0].overrunLimitMs,
    ...(stoppedBecause ? { stoppedBecause } : {}),
  };
  const outcomes = parts.map((part) => part.outcome);
  const requested = outcomes.reduce((sum, o) => sum + o.requestedArrivals, 0);
  const achieved = outcomes.reduce((sum, o) => sum + o.achievedArrivals, 0);
  return {
    requestedArrivals: requested,
    achievedArrivals: achieved,
    requestedDurationMs: outcomes[0].requestedDurationMs,
    achievedDurationMs: Math.max(...outcomes.map((o) => o.achievedDurationMs)),
    arrivalRateDeviation: requested > 0 ? (achieved - requested) / requested : 0,
    arrivalErrors: outcomes.reduce((sum, o) => sum + o.arrivalErrors, 0),
    stopped: outcomes.some((o) => o.stopped),
    measurement,
    shortfall: loadShortfall(requested, achieved, measurement).value,
  };
}
