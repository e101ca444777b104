/**
 * A load worker process: pattern runs' load generators, each for its share of a pattern's
 * phases, started by the run (run/load-workers.ts) with `child_process.fork` through
 * bin/run-ts.js, so it runs the same TypeScript as the run; a run's patterns reuse it. For
 * each load it is given, it provisions a send-only session of the pattern's
 * driver on the run's resources (`loadOnly`), waits for the run's start, sends its share of
 * the arrivals (load/worker-share.ts) stamped with the ids of its own block, and forwards
 * what the session reports — each event's send, acceptance, throttles and failures, and the
 * per-second counters — to the run, which keeps the one ledger and the one series. Its
 * meter's own measurement and its histograms go to the run at the end.
 */
import { realClock } from '../core/clock.ts';
import { sourceModuleFor } from '../drivers/registry.ts';
import type { EventFates, SourceMetrics, CounterName } from '../drivers/event-reporting.ts';
import type { PatternRunContext, PatternSession } from '../drivers/driver.ts';
import type { LambdaFunction } from '../runtime/lambda-function.ts';
import type { Target } from '../targets/target.ts';
import { EventFactory } from '../load/event-factory.ts';
import { runLoad, type LoadOutcome } from '../load/load-generator.ts';
import { LoadMeter } from '../load/load-meter.ts';
import { WorkerShareSchedule } from '../load/worker-share.ts';
import { ArrivalSchedule } from '../load/arrival-schedule.ts';
import { newLatencyHistogram } from './metrics-recorder.ts';
import { transferHistogram } from '../load/histogram-transfer.ts';
import { counterCode, fateOpCode, type FromLoadWorker, type LoadWorkerInit, type ToLoadWorker } from './load-worker-protocol.ts';

/** Reports wait at most this long before they go to the run: its progress line and its series see them within it. */
const flushIntervalMs = 50;
/** A batch this long goes at once (a busy second would otherwise build one large message). */
const flushBatchMax = 6_000;

function send(message: FromLoadWorker): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

/**
 * The worker's ledger and recorder: each call is kept in order and forwarded. What a sending
 * session reads back (events sent, accepted) it counts itself; the run's ledger holds the rest.
 */
function forwardingReports() {
  let fates: number[] = [];
  let counts: number[] = [];
  let eventsSent = 0;
  let accepted = 0;
  const clientLatency = { all: newLatencyHistogram(), warm: newLatencyHistogram(), cold: newLatencyHistogram() };
  const fate = (op: keyof typeof fateOpCode, id: number) => {
    fates.push(fateOpCode[op], id);
  };
  const ledger: EventFates = {
    recordSent(id, atMs) {
      eventsSent += 1;
      fates.push(fateOpCode.sent, id, atMs);
    },
    recordAccepted(id) {
      accepted += 1;
      fate('accepted', id);
    },
    recordFiltered(id) {
      accepted += 1;
      fate('filtered', id);
    },
    recordThrottled: (id) => fate('throttled', id),
    recordSourceFailed: (id) => fate('sourceFailed', id),
    recordDelivered: (id) => fate('delivered', id),
    recordCompleted(id, atMs) {
      // Only a session whose answer is the completion (an API sluice does not consume) gets
      // here: the run records the latency, from the ledger's send time.
      fates.push(fateOpCode.completed, id, atMs);
      return undefined;
    },
    recordFailed: (id) => fate('failed', id),
    recordDeadLettered: (id) => fate('deadLettered', id),
    isFinished: () => false,
    oldestUnfinishedSentAtMs: () => undefined,
    get sent() {
      return eventsSent;
    },
    get acceptedCount() {
      return accepted;
    },
    unfinished: 0,
    foreignDeliveries: 0,
  };
  const recorder: SourceMetrics = {
    count(name: CounterName, atMs: number, amount = 1) {
      counts.push(counterCode[name], atMs, amount);
    },
    // Gauges, ages and end-to-end latency belong to the consumer side, which runs in the run's process.
    gauge() {},
    shardIteratorAge() {},
    endToEndLatency() {},
    clientObserved(latencyMs, coldStart) {
      const value = Math.min(3_600_000, Math.max(1, Math.round(latencyMs)));
      clientLatency.all.recordValue(value);
      if (coldStart !== undefined) (coldStart ? clientLatency.cold : clientLatency.warm).recordValue(value);
    },
  };
  return {
    ledger,
    recorder,
    clientLatency,
    get eventsSent() {
      return eventsSent;
    },
    get pending() {
      return fates.length + counts.length;
    },
    take() {
      const batch = { fates, counts };
      fates = [];
      counts = [];
      return batch;
    },
  };
}

/** A load-only session consumes nothing, so it is given no function: touching it is a bug, said as such. */
const noFunction = new Proxy({} as LambdaFunction, {
  get(_target, property) {
    throw new Error(`a load worker's session has no consumer function (it read fn.${String(property)})`);
  },
});

/** One load this process runs: started and stopped by the run. */
interface LoadControl {
  abort: AbortController;
  start(): void;
  started: Promise<void>;
}

const loads = new Map<number, LoadControl>();

process.on('message', (message: ToLoadWorker) => {
  if (message.type === 'init') {
    let start: () => void = () => {};
    const started = new Promise<void>((resolve) => (start = resolve));
    const control: LoadControl = { abort: new AbortController(), start, started };
    loads.set(message.loadId, control);
    runOneLoad(message.loadId, message.init, control).then(
      () => loads.delete(message.loadId),
      async (error: Error & { hint?: string }) => {
        loads.delete(message.loadId);
        await send({ type: 'failed', loadId: message.loadId, message: `${error.message}${error.hint ? ` — ${error.hint}` : ''}` });
      },
    );
    return;
  }
  const control = loads.get(message.loadId);
  if (!control) return;
  if (message.type === 'start') control.start();
  if (message.type === 'stop') {
    control.abort.abort(new Error('stopped by the run'));
    control.start();
  }
});

async function runOneLoad(loadId: number, init: LoadWorkerInit, control: LoadControl): Promise<void> {
  const abort = control.abort;
  const startSignal = control.started;
  const reports = forwardingReports();
  const target: Target = { ...init.target, died: new Promise<never>(() => {}), stop: async () => {} };
  const driver = await sourceModuleFor(init.pattern.source).loadDriver();
  const context: PatternRunContext<never> = {
    scenario: init.scenario,
    scenarioFile: init.scenarioFile,
    pattern: init.pattern as never,
    patternName: init.patternName,
    runId: init.runId,
    target,
    clock: realClock,
    ledger: reports.ledger,
    recorder: reports.recorder,
    fn: noFunction,
    consumer: init.consumer,
    existing: init.resources as never,
    runtimeObservers: [],
    loadOnly: true,
  };
  const session: PatternSession = await driver.provision(context);

  let meter: LoadMeter | undefined;
  const flush = () => {
    if (reports.pending === 0 && meter?.position().running === false) return;
    const position = meter?.position() ?? { elapsedMs: 0, behindMs: 0, running: false };
    void send({ type: 'reports', loadId, ...reports.take(), position, eventsSent: reports.eventsSent });
  };
  const flushing = setInterval(flush, flushIntervalMs);
  let outcome: LoadOutcome;
  try {
    await send({ type: 'ready', loadId });
    await startSignal;
    const { workload } = init.scenario;
    const schedule = new WorkerShareSchedule(new ArrivalSchedule(workload.phases), { index: init.index, count: init.count });
    meter = new LoadMeter(workload.phases, { schedule });
    const events = new EventFactory(workload, { firstId: init.firstId, seedOffset: init.index * 7919 });
    const eventsPerArrival = workload.eventsPerArrival;
    const loadOptions = { phases: workload.phases, signal: abort.signal, maxArrivals: init.maxArrivals, meter };
    const sendArrival = async () => {
      const nowMs = realClock.nowMs();
      const batch = Array.from({ length: eventsPerArrival }, () => events.next(nowMs));
      await session.sendArrival(batch);
      if (reports.pending >= flushBatchMax) flush();
    };
    outcome = session.runLoad ? await session.runLoad({ ...loadOptions, eventsPerArrival, events }) : await runLoad({ ...loadOptions, onArrival: sendArrival });
  } finally {
    clearInterval(flushing);
  }
  void send({ type: 'reports', loadId, ...reports.take(), position: meter.position(), eventsSent: reports.eventsSent });
  // Warnings about the source are the run's session's to give, once.
  const { warnings: _warnings, ...extras } = session.extras() as Record<string, unknown> & { warnings?: unknown };
  await send({
    type: 'done',
    loadId,
    outcome,
    histograms: {
      arrivalLag: transferHistogram(meter.lagHistogram),
      clientAll: transferHistogram(reports.clientLatency.all),
      clientWarm: transferHistogram(reports.clientLatency.warm),
      clientCold: transferHistogram(reports.clientLatency.cold),
    },
    extras,
    eventsSent: reports.eventsSent,
  });
  await session.teardown().catch(() => undefined);
}

// The run decides when its workers stop: a Ctrl-C at the terminal reaches the whole process
// group, and the run answers it by stopping each worker in turn (a 'stop' message).
process.on('SIGINT', () => {});
// The run closes the channel when it needs the process no more (or is gone): exit then,
// since SDK keep-alive sockets would otherwise hold the process.
process.on('disconnect', () => process.exit(0));
