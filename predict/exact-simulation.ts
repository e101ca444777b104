import { startedNoJobs, VirtualClock } from '../core/clock.ts';
import { LambdaFunction, type RuntimeObserver } from '../runtime/lambda-function.ts';
import { syntheticHandler } from '../runtime/handler.ts';
import { seededRandom } from '../runtime/random.ts';
import { EventLedger } from '../run/event-ledger.ts';
import { MetricsRecorder, percentilesOf } from '../run/metrics-recorder.ts';
import { ArrivalSchedule } from '../load/arrival-schedule.ts';
import { keyPicker } from '../load/key-distribution.ts';
import { invokeThrottleRate, summarize } from '../analysis/summarize.ts';
import { estimateCost } from '../analysis/cost.ts';
import { resolvePrices } from '../analysis/pricing.ts';
import type { PatternResult } from '../analysis/run-result.ts';
import type { PatternSpec, Scenario } from '../scenario/schema.ts';
import { sourceModules } from '../drivers/registry.ts';
import { simulatedSources, type SimulatedEvent, type SimulatedSource } from './simulated-sources.ts';
import { PredictError } from './predict-error.ts';

export interface ExactSimulationOptions {
  scenario: Scenario;
  pattern: PatternSpec;
  patternName: string;
  /** Epoch ms the simulated run starts at (the report's timestamps). */
  startMs: number;
  /**
   * How the virtual clock lets promise jobs run after each timer (core/clock.ts): that many
   * microtask hops (fast; {@link defaultSettleTurns} by default), or a full macrotask turn.
   */
  settle?: number | 'macrotask';
}

export interface ExactSimulation {
  result: PatternResult;
  /** Events simulated (sent), timers fired, wall time. */
  simulatedEvents: number;
  timersFired: number;
  wallMs: number;
}

/**
 * Microtask hops per timer: deeper than any await chain of the rules' code. Measured on the
 * shipped scenarios: 8 hops give the results a full event-loop turn per timer gives, 6 do not;
 * 12 leaves a margin, and test/unit/predict.test.ts checks it against the full turn.
 */
export const defaultSettleTurns = 12;

/** How often a drain checks whether every event has its fate, ms. */
const drainCheckMs = 10;

/**
 * One pattern on simulated time, every event: the scenario's arrivals into the source's
 * simulated store, consumed by the same mapping (or invoke path), the same Lambda runtime
 * (concurrency, burst scaling, cold starts, idle reclaim), the same async invoke queue and
 * quotas as `sluice run`, on a {@link VirtualClock}; recorded by the same ledger and
 * recorder and summarised by the same analysis. Only the clock and the store differ.
 *
 * Arrivals are sent at their due time (load/arrival-schedule.ts), so there is no generator
 * lag: the load is what the phases ask for.
 */
export async function simulateExact(options: ExactSimulationOptions): Promise<ExactSimulation> {
  const wallStartedMs = performance.now();
  const { scenario, pattern } = options;
  if (scenario.function.handler.type !== 'synthetic') {
    throw new PredictError(
      'SLUICE_PREDICT_MODULE_HANDLER',
      `pattern ${options.patternName}: a prediction runs the synthetic handler only, and this scenario's function runs a module (${scenario.function.handler.module})`,
      'give function.handler a duration distribution (p50/p99) measured from your handler — `sluice run` reports it as latency.invokeDurationMs — and predict with that',
    );
  }
  const clock = new VirtualClock(options.startMs, options.settle === 'macrotask' ? {} : { settleTurns: options.settle ?? defaultSettleTurns });
  const schedule = new ArrivalSchedule(scenario.workload.phases);
  const eventsPerArrival = scenario.workload.eventsPerArrival;
  const plannedEvents = schedule.totalArrivals * eventsPerArrival;
  const ledger = new EventLedger(plannedEvents + 1);
  const recorder = new MetricsRecorder();
  let invocations = 0;
  let invocationErrors = 0;
  const observer: RuntimeObserver = {
    onInvocation(record) {
      invocations += 1;
      if (record.outcome !== 'ok') {
        invocationErrors += 1;
        recorder.count('failedInvocations', record.endedAtMs);
      }
      recorder.invocation(record.durationMs, record.initDurationMs, record.coldStart, record.endedAtMs);
    },
    onThrottle() {
      recorder.count('functionThrottles', clock.nowMs());
    },
  };
  const fn = new LambdaFunction({
    spec: scenario.function,
    account: scenario.account,
    // The function's settings, as a run gives them: durations move to its memory size and
    // architecture, and a declared peak memory above memoryMb fails every invoke.
    handler: syntheticHandler(scenario.function.handler, clock, seededRandom(scenario.workload.seed + 1), scenario.function),
    clock,
    observer,
  });
  await fn.ready();
  const source = simulatedSources[pattern.source] as SimulatedSource<PatternSpec>;
  const session = source.simulate({ scenario, pattern, clock, fn, ledger, recorder });
  session.start();

  const loadStartMs = clock.nowMs();
  recorder.startLoadAt(loadStartMs);
  const pickKey = keyPicker(scenario.workload.keys, seededRandom(scenario.workload.seed));
  let nextArrival = 0;
  let nextEventId = 0;
  // One timer sends every arrival due by its time, then waits for the next one (at least 1 ms on).
  const sendDue = () => {
    const dueBy = schedule.dueBy(clock.nowMs() - loadStartMs + 1e-6);
    let startedJobs = false;
    while (nextArrival < dueBy) {
      // Sized at once: an array grown by push from empty was most of the memory an event took.
      const events = new Array<SimulatedEvent>(eventsPerArrival);
      for (let index = 0; index < eventsPerArrival; index += 1) events[index] = { id: nextEventId++, key: pickKey() };
      if (session.send(events)) startedJobs = true;
      nextArrival += 1;
    }
    if (nextArrival < schedule.totalArrivals) {
      const dueAtMs = loadStartMs + schedule.dueAtMs(nextArrival);
      clock.setTimerFirst(sendDue, Math.max(1, dueAtMs - clock.nowMs()));
    }
    return startedJobs ? undefined : startedNoJobs;
  };
  // Arrivals go first at their instant: one due on a poller's beat is in that read.
  if (schedule.totalArrivals > 0) clock.setTimerFirst(sendDue, schedule.dueAtMs(0));

  let sampling = true;
  const sample = () => {
    if (!sampling) return;
    const nowMs = clock.nowMs();
    recorder.gauge('concurrency', nowMs, fn.takePeakConcurrency());
    session.sample(nowMs);
    clock.setTimer(sample, 1000);
  };
  clock.setTimer(sample, 1000);

  const loadEndMs = loadStartMs + schedule.durationMs;
  while (clock.nowMs() < loadEndMs) await clock.advanceTo(Math.min(loadEndMs, clock.nowMs() + 1000));
  // Drain: until every accepted event has a fate, or the drain timeout.
  const drainDeadlineMs = loadEndMs + scenario.drainTimeout;
  let drained = false;
  // Checked every 10 ms (the aggregate's step): the run's end, which shard-hours and
  // provisioned capacity are billed to, is then the drain's own, not a coarser poll's.
  while (clock.nowMs() < drainDeadlineMs) {
    if (session.isDrained()) {
      drained = true;
      break;
    }
    await clock.advanceTo(Math.min(drainDeadlineMs, clock.nowMs() + drainCheckMs));
  }
  drained ||= session.isDrained();
  sampling = false;
  const stopping = session.stop();
  // Stopping waits for invokes in flight, which finish on simulated time: timer by timer, so
  // the end is when the last of them finished, not the next whole second.
  let settled = false;
  void stopping.finally(() => {
    settled = true;
  });
  await clock.advanceBy(0);
  for (let step = 0; !settled && step < 1_000_000; step += 1) await clock.advanceTo(clock.nextDueMs() ?? clock.nowMs() + 1000);
  await stopping;
  const endMs = clock.nowMs();
  recorder.gauge('concurrency', endMs, fn.takePeakConcurrency());
  const pendingAtEnd = session.pendingAtEnd();
  const accounting = ledger.accounting(pendingAtEnd);
  const warnings: string[] = [];
  if (!drained) warnings.push(`events were still in flight when the drain timeout (${scenario.drainTimeout / 1000} s) ended: they are counted as pending, not lost`);
  const series = recorder.series();
  const summary = summarize({ series, accounting, invocations, invocationErrors, loadDurationMs: Math.max(1000, schedule.durationMs) });
  Object.assign(summary, invokeThrottleRate(summary));
  const { source: sourceName, ...settings } = pattern;
  const result: PatternResult = {
    name: options.patternName,
    source: sourceName,
    settings,
    function: { ...scenario.function, concurrencyLimit: fn.concurrencyLimit },
    account: { ...scenario.account, appliedBy: 'sluice' },
    startedAtMs: options.startMs,
    endedAtMs: endMs,
    loadStartedAtMs: loadStartMs,
    load: {
      requestedArrivals: schedule.totalArrivals,
      achievedArrivals: nextArrival,
      requestedDurationMs: schedule.durationMs,
      achievedDurationMs: schedule.durationMs,
      arrivalRateDeviation: schedule.totalArrivals > 0 ? (nextArrival - schedule.totalArrivals) / schedule.totalArrivals : 0,
      eventSizeBytes: scenario.workload.eventSizeBytes,
    },
    accounting,
    latency: {
      endToEndMs: percentilesOf(recorder.endToEnd),
      invokeDurationMs: percentilesOf(recorder.invokeDuration),
      initDurationMs: percentilesOf(recorder.initDuration),
    },
    summary,
    series,
    quotas: session.quotas(),
    extras: { ...session.extras(), drained, fidelity: 'exact' },
    warnings,
  };
  result.cost = estimateCost(result, resolvePrices(scenario.prices ?? {}), sourceModules[pattern.source].cost);
  return { result, simulatedEvents: nextEventId, timersFired: clock.firedTimers, wallMs: performance.now() - wallStartedMs };
}
