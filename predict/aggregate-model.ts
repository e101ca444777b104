import * as hdr from 'hdr-histogram-js';
import type { NowClock } from '../core/clock.ts';
import { createBurstScaling } from '../runtime/burst-scaling.ts';
import { awsDefaults } from '../core/aws-defaults.ts';
import { ArrivalSchedule } from '../load/arrival-schedule.ts';
import { percentilesOf } from '../run/metrics-recorder.ts';
import { invokeThrottleRate, summarize } from '../analysis/summarize.ts';
import { estimateCost } from '../analysis/cost.ts';
import { resolvePrices } from '../analysis/pricing.ts';
import type { EventAccounting, PatternResult, SeriesPoint } from '../analysis/run-result.ts';
import type { PatternSpec, Scenario } from '../scenario/schema.ts';
import { coldStartDistributionOf } from '../scenario/parts.ts';
import { sourceModules } from '../drivers/registry.ts';

export interface AggregateSimulationOptions {
  scenario: Scenario;
  pattern: PatternSpec;
  patternName: string;
  startMs: number;
  /** Length of one time step; by default 10 ms up to an hour of load, 100 ms up to 6 h, else 250 ms. */
  stepMs?: number;
}

export interface AggregateSimulation {
  result: PatternResult;
  simulatedEvents: number;
  steps: number;
  wallMs: number;
}

/** Events that arrived in the same step: they wait, are batched and complete together. */
interface Cohort {
  arrivedAtMs: number;
  count: number;
}

/** Invokes that end in the same step: the events they carry and the environments they free. */
interface Ending {
  invokes: number;
  cohorts: Cohort[];
}

/** Handler durations as equal-probability quantiles: each started group of invokes splits over them. */
const durationQuantiles = 20;
const z99 = 2.3263478740408408;

/** Inverse of the standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9). */
function normalQuantile(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/** The synthetic handler's duration distribution (runtime/handler.ts) as quantile midpoints. */
export function durationQuantilesMs(handler: Scenario['function']['handler']): number[] {
  if (handler.type !== 'synthetic') return [handler.type === 'module' ? 0 : 0];
  const duration = handler.duration;
  if (duration.kind === 'fixed' || duration.p99Ms <= duration.p50Ms) return [duration.kind === 'fixed' ? duration.fixedMs : duration.p50Ms];
  const sigma = Math.log(duration.p99Ms / duration.p50Ms) / z99;
  return Array.from({ length: durationQuantiles }, (_, index) => duration.p50Ms * Math.exp(sigma * normalQuantile((index + 0.5) / durationQuantiles)));
}

/**
 * One pattern on simulated time as counts: arrivals per step (load/arrival-schedule.ts) wait
 * as cohorts in the source, are taken in batches up to the source's concurrency, run on
 * environments counted as idle (most recently used first) or busy, and end after the handler's
 * duration quantiles. The rules are the run's where they are functions of counts: burst
 * scaling is the runtime's own {@link createBurstScaling}; the function's concurrency limit,
 * cold starts (init before the first invoke), idle reclaim, the SQS poller scaling (5 at
 * start, +300 a minute while messages wait, 1,250 at most, capped by maximumConcurrency and
 * the function), Kinesis's shards × parallelizationFactor and the defaults table's numbers
 * are the same rules re-stated over counts. What it leaves out is said in the result's
 * warnings and in the prediction's `modelled` list.
 */
export function simulateAggregate(options: AggregateSimulationOptions): AggregateSimulation {
  const wallStartedMs = performance.now();
  const { scenario, pattern } = options;
  const fnSpec = scenario.function;
  const schedule = new ArrivalSchedule(scenario.workload.phases);
  const eventsPerArrival = scenario.workload.eventsPerArrival;
  const stepMs = options.stepMs ?? (schedule.durationMs <= 3_600_000 ? 10 : schedule.durationMs <= 6 * 3_600_000 ? 100 : 250);
  let nowMs = options.startMs;
  const clock: NowClock = { nowMs: () => nowMs };
  const burst = createBurstScaling(scenario.account, { ...clock, setTimer: () => ({ id: 0 }), clearTimer: () => undefined, sleep: async () => undefined });
  const concurrencyLimit = fnSpec.reservedConcurrency ?? scenario.account.concurrencyLimit;
  const quantiles = durationQuantilesMs(fnSpec.handler);
  // A cold start's INIT: the fixed initDuration, else the median of the runtime's distribution (scenario/parts.ts).
  const initMs = coldStartDistributionOf(fnSpec).p50Ms;
  const errorRate = fnSpec.handler.type === 'synthetic' ? fnSpec.handler.errorRate : 0;

  // What limits concurrent invokes, and how many events one invoke takes, by source.
  const batchMax = pattern.source === 'sqs' ? Math.min(pattern.batchSize, pattern.maximumBatchingWindow > 0 ? pattern.batchSize : 10) : pattern.source === 'kinesis' ? pattern.batchSize : 1;
  const sqsFloor = pattern.source === 'sqs' ? Math.min(awsDefaults.sqsInitialPollers.value, pattern.maximumConcurrency ?? Infinity) : 0;
  const sqsCap =
    pattern.source === 'sqs' ? Math.max(sqsFloor, Math.min(pattern.maximumConcurrency ?? Infinity, awsDefaults.sqsStandardConcurrentInvokesMax.value, concurrencyLimit)) : 0;
  let sqsPollers = sqsFloor;
  const kinesisLanes = pattern.source === 'kinesis' ? pattern.shards * pattern.parallelizationFactor : 0;
  const gatewayRate = pattern.source === 'apigateway' ? pattern.throttleRatePerSecond : Infinity;
  let gatewayTokens = pattern.source === 'apigateway' ? pattern.throttleBurst : Infinity;
  const kinesisWritePerShardPerSecond = 1000;
  let kinesisWriteTokens = pattern.source === 'kinesis' ? pattern.shards * kinesisWritePerShardPerSecond : Infinity;

  const backlog: Cohort[] = [];
  let backlogHead = 0;
  let backlogCount = 0;
  // Environments: idle ones by when they were last used (most recent last), and the busy count.
  const idle: Array<{ lastUsedMs: number; count: number }> = [];
  let idleHead = 0;
  let idleCount = 0;
  let busy = 0;
  const wheelSize = Math.ceil((Math.max(...quantiles) + initMs) / stepMs) + 2;
  const wheel: Array<Ending | undefined> = new Array(wheelSize);
  let stepIndex = 0;

  const endToEnd = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000, numberOfSignificantValueDigits: 3 });
  const invokeDuration = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000, numberOfSignificantValueDigits: 3 });
  const initDuration = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000, numberOfSignificantValueDigits: 3 });
  const series: SeriesPoint[] = [];
  let point = emptyPoint(0);
  let invocations = 0;
  let invocationErrors = 0;
  let sent = 0;
  let accepted = 0;
  let completed = 0;
  let failed = 0;
  let sourceFailed = 0;
  let sourceThrottledEvents = 0;
  let functionThrottles = 0;
  let coldStarts = 0;
  let invocationGbMsTotal = 0;
  const loadStartMs = options.startMs;
  const loadEndMs = loadStartMs + schedule.durationMs;
  const drainEndMs = loadEndMs + scenario.drainTimeout;
  let arrivalsSoFar = 0;
  let messagesWaitedAllSecond = true;
  let emptyInSecond = false;

  // A refused invoke is tried again about once a second (the SQS poller's and the async queue's first backoff), not every step.
  const countThrottles = (refused: number) => {
    const attempts = (refused * stepMs) / 1000;
    functionThrottles += attempts;
    point.functionThrottles += attempts;
  };

  const takeEnvironments = (wanted: number): { warm: number; cold: number } => {
    // Idle environments past the idle time are gone (the runtime reclaims them on acquire).
    const oldestAllowedMs = nowMs - fnSpec.idleReclaim;
    while (idleHead < idle.length && idle[idleHead]!.lastUsedMs < oldestAllowedMs) {
      idleCount -= idle[idleHead]!.count;
      idleHead += 1;
    }
    let warm = 0;
    while (warm < wanted && idle.length > idleHead) {
      const top = idle[idle.length - 1]!;
      const take = Math.min(top.count, wanted - warm);
      top.count -= take;
      warm += take;
      idleCount -= take;
      if (top.count === 0) idle.pop();
    }
    let cold = 0;
    while (warm + cold < wanted && burst.tryAddEnvironment(busy + idleCount + cold)) cold += 1;
    return { warm, cold };
  };

  const startInvokes = (invokes: number, events: number) => {
    const { warm, cold } = takeEnvironments(invokes);
    const started = warm + cold;
    if (started < invokes) countThrottles(invokes - started);
    if (started === 0) return 0;
    const eventsTaken = Math.min(events, started * batchMax);
    busy += started;
    coldStarts += cold;
    point.coldStarts += cold;
    if (cold > 0) initDuration.recordValueWithCount(Math.max(1, Math.round(initMs)), cold);
    // The events, oldest first, spread over the started invokes' duration quantiles.
    const cohorts = takeFromBacklog(eventsTaken);
    const perQuantile = started / quantiles.length;
    const coldShare = cold / started;
    quantiles.forEach((durationMs, index) => {
      for (const [extraMs, share] of ( coldShare > 0 && coldShare < 1 ? ([[initMs, coldShare], [0, 1 - coldShare]] as const) : ([[coldShare > 0 ? initMs : 0, 1]] as const)) as ReadonlyArray<readonly [number, number]>) {
        const invokesHere = perQuantile * share;
        if (invokesHere <= 0) continue;
        const endStep = stepIndex + Math.max(1, Math.round((durationMs + extraMs) / stepMs));
        const slot = endStep % wheelSize;
        const ending = wheel[slot] ?? { invokes: 0, cohorts: [] };
        ending.invokes += invokesHere;
        for (const cohort of cohorts) ending.cohorts.push({ arrivedAtMs: cohort.arrivedAtMs, count: (cohort.count / quantiles.length) * share });
        wheel[slot] = ending;
        invokeDuration.recordValueWithCount(Math.max(1, Math.round(durationMs)), Math.max(1, Math.round(invokesHere)));
        invocationGbMsTotal += invokesHere * durationMs;
      }
    });
    invocations += started;
    return started;
  };

  const takeFromBacklog = (events: number): Cohort[] => {
    const taken: Cohort[] = [];
    let left = events;
    while (left > 1e-9 && backlogHead < backlog.length) {
      const head = backlog[backlogHead]!;
      const take = Math.min(head.count, left);
      taken.push({ arrivedAtMs: head.arrivedAtMs, count: take });
      head.count -= take;
      left -= take;
      backlogCount -= take;
      if (head.count <= 1e-9) backlogHead += 1;
    }
    if (backlogHead > 4096 && backlogHead * 2 > backlog.length) {
      backlog.splice(0, backlogHead);
      backlogHead = 0;
    }
    return taken;
  };

  for (; nowMs < drainEndMs || busy > 0; stepIndex += 1) {
    if (nowMs >= loadEndMs && backlogCount < 0.5 && busy < 1e-6) break;
    if (nowMs >= drainEndMs + 900_000) break;
    // Invokes that end now free their environments; their events complete (or fail).
    const ending = wheel[stepIndex % wheelSize];
    if (ending) {
      wheel[stepIndex % wheelSize] = undefined;
      busy -= ending.invokes;
      if (busy < 1e-6) busy = 0;
      idle.push({ lastUsedMs: nowMs, count: ending.invokes });
      idleCount += ending.invokes;
      for (const cohort of ending.cohorts) {
        const ok = cohort.count * (1 - errorRate);
        completed += ok;
        failed += cohort.count - ok;
        point.completed += ok;
        endToEnd.recordValueWithCount(Math.max(1, Math.round(nowMs - cohort.arrivedAtMs)), Math.max(1, Math.round(ok)));
      }
      invocationErrors += ending.invokes * errorRate;
      point.failedInvocations += ending.invokes * errorRate;
    }
    // Arrivals of this step.
    if (nowMs < loadEndMs) {
      const dueBy = schedule.dueBy(nowMs + stepMs - loadStartMs + 1e-6);
      const arrivals = dueBy - arrivalsSoFar;
      arrivalsSoFar = dueBy;
      let events = arrivals * eventsPerArrival;
      if (events > 0) {
        sent += events;
        point.sent += events;
        if (pattern.source === 'apigateway') {
          gatewayTokens = Math.min(pattern.throttleBurst, gatewayTokens + (gatewayRate * stepMs) / 1000);
          const admitted = Math.min(events, Math.floor(gatewayTokens));
          gatewayTokens -= admitted;
          const refused = events - admitted;
          sourceThrottledEvents += refused;
          sourceFailed += refused;
          point.sourceThrottles += refused;
          events = admitted;
        }
        if (pattern.source === 'kinesis') {
          kinesisWriteTokens = Math.min(pattern.shards * kinesisWritePerShardPerSecond, kinesisWriteTokens + (pattern.shards * kinesisWritePerShardPerSecond * stepMs) / 1000);
          const admitted = Math.min(events, Math.floor(kinesisWriteTokens));
          kinesisWriteTokens -= admitted;
          const refused = events - admitted;
          sourceThrottledEvents += refused;
          sourceFailed += refused;
          point.sourceThrottles += refused;
          events = admitted;
        }
        accepted += events;
        point.accepted += events;
        if (events > 0) {
          // An arrival's events are due through the step: on average half a step in.
          backlog.push({ arrivedAtMs: nowMs + stepMs / 2, count: events });
          backlogCount += events;
        }
      }
    }
    // Start what the source's concurrency and the function's allow.
    const concurrencyRoom = Math.max(0, concurrencyLimit - busy);
    const sourceRoom = pattern.source === 'sqs' ? Math.max(0, sqsPollers - busy) : pattern.source === 'kinesis' ? Math.max(0, kinesisLanes - busy) : Infinity;
    if (backlogCount >= 0.5) {
      const wantedInvokes = Math.min(sourceRoom, Math.ceil(backlogCount / batchMax));
      const allowed = Math.floor(Math.min(wantedInvokes, concurrencyRoom));
      if (wantedInvokes > concurrencyRoom) countThrottles(wantedInvokes - concurrencyRoom);
      if (allowed > 0) startInvokes(allowed, Math.min(backlogCount, allowed * batchMax));
    }
    if (pattern.source === 'sqs') {
      if (backlogCount <= sqsPollers * Math.min(10, pattern.batchSize)) messagesWaitedAllSecond = false;
      if (backlogCount < 0.5 && busy < sqsPollers) emptyInSecond = true;
    }
    point.concurrency = Math.max(point.concurrency, Math.round(busy));
    nowMs += stepMs;
    // Once a second: the series point, the ages, and the SQS pollers' rescale.
    if ((nowMs - loadStartMs) % 1000 < stepMs / 2 || stepMs >= 1000) {
      const oldest = backlogHead < backlog.length ? backlog[backlogHead]!.arrivedAtMs : undefined;
      const ageMs = oldest === undefined ? 0 : Math.max(0, nowMs - oldest);
      if (pattern.source === 'sqs') {
        point.queueDepth = Math.round(backlogCount + busy * batchMax);
        point.queueAgeMsMax = Math.round(ageMs);
        const step = awsDefaults.sqsPollerScaleUpPerMinute.value / 60;
        if (messagesWaitedAllSecond && backlogCount > 0) sqsPollers = Math.min(sqsCap, sqsPollers + step);
        else if (emptyInSecond) sqsPollers = Math.max(sqsFloor, sqsPollers - step);
        point.pollers = Math.floor(sqsPollers);
        messagesWaitedAllSecond = true;
        emptyInSecond = false;
      } else if (pattern.source === 'kinesis') {
        point.iteratorAgeMsMax = Math.round(ageMs);
      } else if (pattern.source === 'eventbridge' || pattern.source === 's3') {
        point.asyncEventAgeMsMax = Math.round(ageMs);
        point.queueDepth = Math.round(backlogCount);
      }
      series.push(roundPoint(point));
      point = emptyPoint(series.length);
    }
  }
  if (point.completed > 0 || point.sent > 0) series.push(roundPoint(point));

  const pending = Math.round(backlogCount + busy * batchMax);
  const accounting: EventAccounting = {
    sent: Math.round(sent),
    accepted: Math.round(accepted),
    filtered: 0,
    sourceThrottled: Math.round(sourceThrottledEvents),
    sourceFailed: Math.round(sourceFailed),
    delivered: Math.round(completed + failed),
    duplicateDeliveries: 0,
    completed: Math.round(completed),
    failed: Math.round(failed),
    deadLettered: 0,
    pendingAtEnd: pending,
    lost: 0,
  };
  const invocationCount = Math.round(invocations);
  const summary = summarize({ series, accounting, invocations: invocationCount, invocationErrors: Math.round(invocationErrors), loadDurationMs: Math.max(1000, schedule.durationMs) });
  Object.assign(summary, invokeThrottleRate(summary));
  const { source: sourceName, ...settings } = pattern;
  const invokeDurationMs = percentilesOf(invokeDuration);
  // The mean as the model knows it exactly (the histogram's counts are rounded per quantile).
  if (invocations > 0) invokeDurationMs.mean = Math.round((invocationGbMsTotal / invocations) * 100) / 100;
  invokeDurationMs.count = invocationCount;
  const result: PatternResult = {
    name: options.patternName,
    source: sourceName,
    settings,
    function: { ...fnSpec, concurrencyLimit },
    account: { ...scenario.account, appliedBy: 'sluice' },
    startedAtMs: options.startMs,
    endedAtMs: nowMs,
    loadStartedAtMs: loadStartMs,
    load: {
      requestedArrivals: schedule.totalArrivals,
      achievedArrivals: arrivalsSoFar,
      requestedDurationMs: schedule.durationMs,
      achievedDurationMs: schedule.durationMs,
      arrivalRateDeviation: 0,
      eventSizeBytes: scenario.workload.eventSizeBytes,
    },
    accounting,
    latency: { endToEndMs: percentilesOf(endToEnd), invokeDurationMs, initDurationMs: percentilesOf(initDuration) },
    summary: { ...summary, coldStarts: Math.round(coldStarts), functionThrottles: Math.round(functionThrottles) },
    series,
    quotas: [],
    extras: { fidelity: 'aggregate', stepMs },
    warnings: [],
  };
  result.cost = estimateCost(result, resolvePrices(scenario.prices ?? {}), sourceModules[pattern.source].cost);
  return { result, simulatedEvents: Math.round(sent), steps: stepIndex, wallMs: performance.now() - wallStartedMs };
}

function emptyPoint(tSec: number): SeriesPoint {
  return { tSec, sent: 0, accepted: 0, completed: 0, failedInvocations: 0, sourceThrottles: 0, sourceRetries: 0, functionThrottles: 0, coldStarts: 0, concurrency: 0, deadLettered: 0 };
}

/** Counts in a series are whole events: the model's fractions are rounded per second. */
function roundPoint(point: SeriesPoint): SeriesPoint {
  return { ...point, sent: Math.round(point.sent), accepted: Math.round(point.accepted), completed: Math.round(point.completed), failedInvocations: Math.round(point.failedInvocations), sourceThrottles: Math.round(point.sourceThrottles), functionThrottles: Math.round(point.functionThrottles), coldStarts: Math.round(point.coldStarts) };
}
