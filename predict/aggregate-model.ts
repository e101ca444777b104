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
import { syntheticDurationFactor, syntheticHandlerRunsOutOfMemory } from '../runtime/handler.ts';
import { sourceModules } from '../drivers/registry.ts';
import { ReceiveWaitTrend } from '../drivers/sqs/receive-wait-trend.ts';
import { SimulatedBus } from '../drivers/eventbridge/simulated-bus.ts';
import { invocationQuotaRecord, invocationsPerSecondOf } from '../drivers/eventbridge/schema.ts';
import { asyncInvokeSettingsOf } from '../drivers/async-invoke/async-invoke-schema.ts';
import { SimulatedBucket } from '../drivers/s3/simulated-bucket.ts';
import { VirtualStream } from '../drivers/kinesis/virtual-stream.ts';
import { keyPicker } from '../load/key-distribution.ts';
import { seededRandom } from '../runtime/random.ts';
import { eventDetailFor } from './simulated-sources.ts';
import { ChancePeak } from './chance-peak.ts';
import { meanWaitForFirstOfMs } from './duration-quantiles.ts';
import { RunMaximum, runMaximumWeightPerSample } from './run-maximum.ts';

/** Events sampled to learn which share of them the EventBridge rules match (and how many copies). */
const ruleMatchSampleEvents = 10_000;

/** The share of objects the bucket's notification filter lets notify the function, from a sample of the workload's object keys. */
function s3NotifiedShare(scenario: Scenario, pattern: Extract<PatternSpec, { source: 's3' }>): number {
  const bucket = new SimulatedBucket({ nowMs: () => 0 }, { ...pattern, putRequestsPerSecondPerPrefix: 1e9, duplicateNotificationRate: 0 }, seededRandom(1));
  const pickKey = keyPicker(scenario.workload.keys, seededRandom(scenario.workload.seed));
  let notified = 0;
  for (let id = 0; id < ruleMatchSampleEvents; id += 1) {
    const outcome = bucket.putObject(id, pickKey());
    if (outcome.accepted && outcome.notifications > 0) notified += 1;
  }
  return notified / ruleMatchSampleEvents;
}

/** Each shard's share of the workload's events, from a sample of its keys routed as the stream routes them (MD5 against the hash-key ranges). */
function shardSharesOf(scenario: Scenario, shardCount: number): number[] {
  const stream = new VirtualStream({ nowMs: () => 0, setTimer: () => ({ id: 0 }), clearTimer: () => undefined, sleep: async () => undefined }, { shards: shardCount });
  const pickKey = keyPicker(scenario.workload.keys, seededRandom(scenario.workload.seed));
  const counts = new Map<string, number>(stream.shardIds.map((id) => [id, 0]));
  const shardByKey = new Map<string, string>();
  for (let sample = 0; sample < ruleMatchSampleEvents; sample += 1) {
    const key = pickKey();
    let shardId = shardByKey.get(key);
    if (shardId === undefined) {
      shardId = stream.shardOf(key);
      shardByKey.set(key, shardId);
    }
    counts.set(shardId, counts.get(shardId)! + 1);
  }
  return stream.shardIds.map((id) => counts.get(id)! / ruleMatchSampleEvents);
}

/** Invokes per event the pattern's rules make, on average, from a sample of the workload's events. */
function eventBridgeCopiesPerEvent(scenario: Scenario, pattern: Extract<PatternSpec, { source: 'eventbridge' }>): number {
  const bus = new SimulatedBus({ nowMs: () => 0 }, { ...pattern, putEventsRequestsPerSecond: 1e9, putEventsBurstRequests: 1e9 });
  const pickKey = keyPicker(scenario.workload.keys, seededRandom(scenario.workload.seed));
  const detailOf = eventDetailFor(scenario.workload);
  let copies = 0;
  for (let id = 0; id < ruleMatchSampleEvents; id += 1) {
    const [outcome] = bus.putEvents([detailOf(id, pickKey())], 0);
    if (outcome?.accepted) copies += outcome.matchedRules;
  }
  return copies / ruleMatchSampleEvents;
}

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
  /** When the cohort reached the queue it waits in, if later than its arrival (EventBridge: past the invocation quota). */
  queuedAtMs?: number;
  /** Function errors so far (an async invoke's retries). */
  errors?: number;
}

/**
 * Events some invokes carry: cohorts taken for them, each in the share `weight` × `share` (a
 * duration quantile's, a cold or warm start's), arrived `shiftMs` earlier than the cohort says
 * (SQS: the wait for a busy poller). One part refers to the taken cohorts, where a copy of
 * each for every quantile was most of what a stream's aggregate allocated.
 */
interface EndingPart {
  cohorts: readonly Cohort[];
  weight: number;
  share: number;
  shiftMs: number;
}

/** Invokes that end in the same step: the events they carry and the environments they free. */
interface Ending {
  invokes: number;
  parts: EndingPart[];
  /** Kinesis: the invokes by shard, whose lanes they free. */
  byShard?: Map<number, number>;
}

/** One Kinesis shard as counts: its share of the keys, what it holds unread and read, its busy lanes and write quota. */
interface ShardState {
  share: number;
  unread: CohortQueue;
  read: CohortQueue;
  busy: number;
  writeTokens: number;
  lastReadArrivalMs?: number;
  /** Records each invoke carries: what the last read held, in whole batches. */
  recordsPerInvoke?: number;
  /** The last read's batches per lane, and lanes they fill, until its first batches start. */
  batchesWaitingPerLane?: { batches: number; lanes: number };
}

/**
 * The pattern whose rules consume the events: a bucket that notifies through a queue
 * (S3 → SQS → Lambda) is consumed by an SQS mapping with the notification's settings; the
 * bucket's filter still decides which objects notify (the share of events that reach it).
 */
function consumingPatternOf(pattern: PatternSpec): PatternSpec {
  if (pattern.source !== 's3' || pattern.notify.to !== 'sqs') return pattern;
  const { to: _to, ...mapping } = pattern.notify;
  return { ...mapping, source: 'sqs', fifo: false, messageGroups: 1 } as PatternSpec;
}

/**
 * Handler durations as quantile buckets of the distribution, finer in the tail so the p99
 * of latency is the distribution's: 5 % steps to p90, 1 % to p98, 0.2 % to p99.8, then
 * 0.05 % steps. Each started group of invokes splits over them by their probability.
 */
const quantileBuckets: ReadonlyArray<readonly [number, number]> = [
  ...Array.from({ length: 18 }, (_, index) => [index * 0.05, (index + 1) * 0.05] as const),
  ...Array.from({ length: 8 }, (_, index) => [0.9 + index * 0.01, 0.9 + (index + 1) * 0.01] as const),
  ...Array.from({ length: 9 }, (_, index) => [0.98 + index * 0.002, 0.98 + (index + 1) * 0.002] as const),
  ...Array.from({ length: 4 }, (_, index) => [0.998 + index * 0.0005, 0.998 + (index + 1) * 0.0005] as const),
];
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

/** The synthetic handler's duration distribution (runtime/handler.ts) as buckets: duration at each bucket's midpoint, and its probability. */
export function durationQuantilesMs(fnSpec: Scenario['function']): Array<{ durationMs: number; weight: number }> {
  const handler = fnSpec.handler;
  if (handler.type !== 'synthetic') return [{ durationMs: 0, weight: 1 }];
  // At the function's memory size and architecture, as the handler draws them in a run.
  const factor = syntheticDurationFactor(handler, fnSpec);
  return drawnDurationQuantilesMs(handler.duration).map(({ durationMs, weight }) => ({ durationMs: durationMs * factor, weight }));
}

/** The duration distribution as the scenario gives it, in buckets. */
function drawnDurationQuantilesMs(duration: Extract<Scenario['function']['handler'], { type: 'synthetic' }>['duration']): Array<{ durationMs: number; weight: number }> {
  if (duration.kind === 'fixed') return [{ durationMs: duration.fixedMs, weight: 1 }];
  if (duration.p99Ms <= duration.p50Ms) return [{ durationMs: duration.p50Ms, weight: 1 }];
  const sigma = Math.log(duration.p99Ms / duration.p50Ms) / z99;
  return quantileBuckets.map(([low, high]) => ({ durationMs: duration.p50Ms * Math.exp(sigma * normalQuantile((low + high) / 2)), weight: high - low }));
}

/**
 * One pattern on simulated time as counts: arrivals per step (load/arrival-schedule.ts) wait
 * as cohorts in the source, are taken in batches up to the source's concurrency, run on
 * environments counted as idle (most recently used first) or busy, and end after the handler's
 * duration quantiles. The rules are the run's where they are functions of counts: burst
 * scaling is the runtime's own {@link createBurstScaling}; the function's concurrency limit,
 * cold starts (init before the first invoke), idle reclaim, the SQS poller scaling (5 at
 * start, +300 a minute while messages wait longer and longer, 1,250 at most, capped by
 * maximumConcurrency and the function), Kinesis's shards × parallelizationFactor and the
 * defaults table's numbers are the same rules re-stated over counts. What it leaves out is
 * said in the result's warnings and in the prediction's `modelled` list.
 */
export function simulateAggregate(options: AggregateSimulationOptions): AggregateSimulation {
  const wallStartedMs = performance.now();
  const { scenario } = options;
  const declared = options.pattern;
  // What consumes the events: S3 notifying through a queue is consumed by the SQS mapping's rules.
  const pattern = consumingPatternOf(declared);
  const fnSpec = scenario.function;
  const schedule = new ArrivalSchedule(scenario.workload.phases);
  const eventsPerArrival = scenario.workload.eventsPerArrival;
  const stepMs = options.stepMs ?? (schedule.durationMs <= 3_600_000 ? 10 : schedule.durationMs <= 6 * 3_600_000 ? 100 : 250);
  let nowMs = options.startMs;
  const clock: NowClock = { nowMs: () => nowMs };
  const burst = createBurstScaling(scenario.account, { ...clock, setTimer: () => ({ id: 0 }), clearTimer: () => undefined, sleep: async () => undefined });
  const concurrencyLimit = fnSpec.reservedConcurrency ?? scenario.account.concurrencyLimit;
  const quantiles = durationQuantilesMs(fnSpec);
  const meanDurationMs = quantiles.reduce((sum, { durationMs, weight }) => sum + durationMs * weight, 0);
  const residualWaits = new Map<number, number>();
  const residualWaitForPollerMs = (pollers: number): number => {
    let waitMs = residualWaits.get(pollers);
    if (waitMs === undefined) {
      waitMs = meanWaitForFirstOfMs(quantiles, meanDurationMs, pollers);
      residualWaits.set(pollers, waitMs);
    }
    return waitMs;
  };
  // A cold start's INIT: the fixed initDuration, else the median of the runtime's distribution (scenario/parts.ts).
  const initMs = coldStartDistributionOf(fnSpec).p50Ms;
  // A declared peak memory above memoryMb fails every invoke (runtime/handler.ts).
  const outOfMemory = fnSpec.handler.type === 'synthetic' && syntheticHandlerRunsOutOfMemory(fnSpec.handler, fnSpec);
  const errorRate = fnSpec.handler.type !== 'synthetic' ? 0 : outOfMemory ? 1 : fnSpec.handler.errorRate;

  // What limits concurrent invokes, and how many events one invoke takes, by source.
  const batchMax = pattern.source === 'sqs' ? Math.min(pattern.batchSize, pattern.maximumBatchingWindow > 0 ? pattern.batchSize : 10) : pattern.source === 'kinesis' ? pattern.batchSize : 1;
  const sqsFloor = pattern.source === 'sqs' ? Math.min(awsDefaults.sqsInitialPollers.value, pattern.maximumConcurrency ?? Infinity) : 0;
  const sqsCap =
    pattern.source === 'sqs' ? Math.max(sqsFloor, Math.min(pattern.maximumConcurrency ?? Infinity, awsDefaults.sqsStandardConcurrentInvokesMax.value, concurrencyLimit)) : 0;
  let sqsPollers = sqsFloor;
  const sqsWaitTrend = new ReceiveWaitTrend();
  const gatewayRate = pattern.source === 'apigateway' ? pattern.throttleRatePerSecond : Infinity;
  let gatewayTokens = pattern.source === 'apigateway' ? pattern.throttleBurst : Infinity;
  // EventBridge's invocation quota (core/invocation-throttle.ts): a bucket of one second's rate.
  // Events past it wait at EventBridge (`heldByQuota`), before Lambda's async queue, so they
  // add to end-to-end latency and not to the async event age, as in exact mode.
  const invocationRate = pattern.source === 'eventbridge' ? invocationsPerSecondOf(pattern, scenario.region) : Infinity;
  let invocationTokens = invocationRate;
  const heldByQuota = new CohortQueue();
  // Lambda's async retries after a function error (runtime/async-invoke-queue.ts): the failed
  // share of an ending invoke goes back to the queue's end after errorRetryDelays, up to
  // maximumRetryAttempts, keeping its first enqueue time (the async event age counts from it).
  const asyncRetry = pattern.source === 'eventbridge' || pattern.source === 's3' ? asyncInvokeSettingsOf(pattern.asyncInvoke) : undefined;
  // By due step, then by arrival and enqueue time: an ending's cohorts are split by duration quantile, merged again here.
  const retriesDue = new Map<number, Map<string, Cohort>>();
  let retriesWaiting = 0;
  let invokedAgeMsMax = 0;
  const kinesisWritePerShardPerSecond = 1000;

  // What waits in the source; for Kinesis, records read from the stream wait in `read` for a lane.
  const backlog = new CohortQueue();
  // EventBridge: the share of events some rule matches (the rest is filtered by design), and copies per match with fan-out.
  const invokesPerEvent = declared.source === 'eventbridge' ? eventBridgeCopiesPerEvent(scenario, declared) : declared.source === 's3' ? s3NotifiedShare(scenario, declared) : 1;
  let filtered = 0;
  const read = pattern.source === 'kinesis' ? new CohortQueue() : backlog;
  const kinesisPollIntervalMs = awsDefaults.kinesisPollIntervalMs.value;
  let nextKinesisReadMs = options.startMs;
  const shards: ShardState[] = pattern.source === 'kinesis' ? shardSharesOf(scenario, pattern.shards).map((share) => ({ share, unread: new CohortQueue(), read: new CohortQueue(), busy: 0, writeTokens: kinesisWritePerShardPerSecond })) : [];
  // Counts spread each record over the shards by their shares, so a shard's part of half a
  // record is its share of one half: the stream holds a record's even odds when the parts add up to it.
  const halfRecordOf = (shard: ShardState) => 0.5 * shard.share;
  const shardsHold = () => shards.reduce((sum, shard) => sum + shard.unread.count + shard.read.count, 0);
  let iteratorAgeMsInSecond = 0;
  // The run's max queue or iterator age as the largest of its samples (predict/run-maximum.ts).
  const ageMaximum = new RunMaximum();
  let eventsInInvokes = 0;
  // Environments: idle ones by when they were last used (most recent last), and the busy count.
  const idle: Array<{ lastUsedMs: number; count: number }> = [];
  let idleHead = 0;
  let idleCount = 0;
  let busy = 0;
  const wheelSize = Math.ceil((Math.max(...quantiles.map((q) => q.durationMs)) + initMs) / stepMs) + 2;
  const wheel: Array<Ending | undefined> = new Array(wheelSize);
  let stepIndex = 0;

  const endToEnd = new FractionalHistogram();
  const invokeDuration = new FractionalHistogram();
  const initDuration = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000, numberOfSignificantValueDigits: 3 });
  const series: SeriesPoint[] = [];
  // One event per invoke: the busiest instant's chance peak over the mean the counts carry.
  const chancePeak = pattern.source === 'eventbridge' || pattern.source === 's3' || pattern.source === 'apigateway' ? new ChancePeak(quantiles) : undefined;
  let invocationsBySecond = 0;
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
  // SQS with a batching window: messages wake the gathering pollers in turn, so their batches
  // grow together and, once each is a message short of full, complete one arrival apart (a wave).
  // What is left of the wave to fill, and the arrivals that can complete its batches.
  let waveGatherersLeft = 0;
  let waveArrivals = 0;
  let arrivedInStep = 0;

  // SQS, once a second: the events still in invokes by arrival, oldest first (one walk of the
  // wheel), for the oldest unfinished event and the run's max age.
  const inFlightOldestFirst = (): Array<[number, number]> => {
    const byArrival = new Map<number, number>();
    for (const ending of wheel) {
      if (!ending) continue;
      for (const { cohorts, weight, share, shiftMs } of ending.parts) {
        for (const cohort of cohorts) {
          const arrivedAtMs = cohort.arrivedAtMs - shiftMs;
          byArrival.set(arrivedAtMs, (byArrival.get(arrivedAtMs) ?? 0) + cohort.count * weight * share);
        }
      }
    }
    return [...byArrival].sort((a, b) => a[0] - b[0]);
  };

  // The arrival time of the oldest event still in an invoke: the oldest arrival by which half
  // an event (the model's counts are fractions) is still unfinished.
  const oldestOf = (inFlight: ReadonlyArray<[number, number]>): number => {
    let unfinished = 0;
    for (const [arrivedAtMs, count] of inFlight) {
      unfinished += count;
      if (unfinished >= 0.5) return arrivedAtMs;
    }
    return Infinity;
  };

  // The unfinished events, waiting or in an invoke, oldest first, each cohort with its expected
  // count, down to the sample's own even-odds age.
  const observeOldestUnfinished = (inFlight: ReadonlyArray<[number, number]>) => {
    const waiting = backlog.oldest(runMaximumWeightPerSample).map((cohort): [number, number] => [cohort.arrivedAtMs, cohort.count]);
    let seen = 0;
    for (const [arrivedAtMs, count] of [...inFlight, ...waiting].sort((a, b) => a[0] - b[0])) {
      ageMaximum.observe(nowMs - arrivedAtMs, count);
      seen += count;
      if (seen >= runMaximumWeightPerSample) return;
    }
  };

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
    // Warm counts are fractions: the last new environment makes up only what is still wanted, so starts never pass `wanted`.
    return { warm, cold: Math.min(cold, Math.max(0, wanted - warm)) };
  };

  const startInvokes = (invokes: number, events: number, from: CohortQueue = read, shardIndex?: number, takeFor?: (started: number) => Cohort[], waitedForPollerMs = 0) => {
    const { warm, cold } = takeEnvironments(invokes);
    const started = warm + cold;
    if (started < invokes) countThrottles(invokes - started);
    if (started === 0) return { started, cold };
    const eventsTaken = Math.min(events, started * batchMax);
    busy += started;
    coldStarts += cold;
    point.coldStarts += cold;
    if (Math.round(cold) > 0) initDuration.recordValueWithCount(Math.max(1, Math.round(initMs)), Math.round(cold));
    // The events, spread over the started invokes' duration quantiles: the oldest, or what the
    // caller takes for as many invokes as started (taken now, so none for invokes that did not).
    const cohorts = takeFor ? takeFor(started) : from.take(eventsTaken);
    for (const cohort of cohorts) eventsInInvokes += cohort.count;
    if (pattern.source === 'sqs' && cohorts.length > 0) sqsWaitTrend.received(nowMs - cohorts[0]!.arrivedAtMs);
    // A retry's age counts from its first enqueue (the queue's head, read once a second, shows only the first attempts').
    if (asyncRetry) for (const cohort of cohorts) if (cohort.errors !== undefined) invokedAgeMsMax = Math.max(invokedAgeMsMax, nowMs - (cohort.queuedAtMs ?? cohort.arrivedAtMs));
    if (shardIndex !== undefined) shards[shardIndex]!.busy += started;
    const coldShare = cold / started;
    const startParts: ReadonlyArray<readonly [number, number]> = coldShare > 0 && coldShare < 1 ? [[initMs, coldShare], [0, 1 - coldShare]] : [[coldShare > 0 ? initMs : 0, 1]];
    for (const { durationMs, weight } of quantiles) {
      for (const [extraMs, share] of startParts) {
        const invokesHere = started * weight * share;
        if (invokesHere <= 0) continue;
        const endStep = stepIndex + Math.max(1, Math.round((durationMs + extraMs) / stepMs));
        const slot = endStep % wheelSize;
        const ending = wheel[slot] ?? { invokes: 0, parts: [] };
        ending.invokes += invokesHere;
        if (shardIndex !== undefined) {
          ending.byShard ??= new Map();
          ending.byShard.set(shardIndex, (ending.byShard.get(shardIndex) ?? 0) + invokesHere);
        }
        ending.parts.push({ cohorts, weight, share, shiftMs: waitedForPollerMs });
        wheel[slot] = ending;
        invokeDuration.record(durationMs, invokesHere);
        invocationGbMsTotal += invokesHere * durationMs;
      }
    }
    invocations += started;
    return { started, cold };
  };

  for (; nowMs < drainEndMs || busy > 0; stepIndex += 1) {
    arrivedInStep = 0;
    if (nowMs >= loadEndMs && backlog.count < 0.5 && heldByQuota.count < 0.5 && retriesWaiting < 0.5 && read.count < 0.5 && shardsHold() < 0.5 && busy < 1e-6) break;
    if (nowMs >= drainEndMs + 900_000) break;
    // Invokes that end now free their environments; their events complete (or fail).
    const ending = wheel[stepIndex % wheelSize];
    const busyBeforeEnding = busy;
    if (ending) {
      wheel[stepIndex % wheelSize] = undefined;
      busy -= ending.invokes;
      if (busy < 1e-6) busy = 0;
      if (ending.byShard) for (const [index, invokes] of ending.byShard) shards[index]!.busy = Math.max(0, shards[index]!.busy - invokes);
      idle.push({ lastUsedMs: nowMs, count: ending.invokes });
      idleCount += ending.invokes;
      for (const { cohorts, weight, share, shiftMs } of ending.parts) {
        for (const cohort of cohorts) {
          const count = cohort.count * weight * share;
          const arrivedAtMs = cohort.arrivedAtMs - shiftMs;
          eventsInInvokes -= count;
          const ok = count * (1 - errorRate);
          const errored = count - ok;
          completed += ok;
          point.completed += ok;
          endToEnd.record(nowMs - arrivedAtMs, ok);
          const errors = (cohort.errors ?? 0) + 1;
          if (asyncRetry && errored > 0 && errors <= asyncRetry.maximumRetryAttempts) {
            const delays = asyncRetry.errorRetryDelaysMs;
            const delayMs = delays.length === 0 ? 0 : delays[Math.min(errors, delays.length) - 1]!;
            const dueStep = stepIndex + Math.max(1, Math.round(delayMs / stepMs));
            const due = retriesDue.get(dueStep) ?? new Map<string, Cohort>();
            const queuedAtMs = cohort.queuedAtMs ?? arrivedAtMs;
            const key = `${arrivedAtMs}:${queuedAtMs}:${errors}`;
            const same = due.get(key);
            if (same) same.count += errored;
            else due.set(key, { arrivedAtMs, queuedAtMs, count: errored, errors });
            retriesDue.set(dueStep, due);
            retriesWaiting += errored;
          } else failed += errored;
        }
      }
      invocationErrors += ending.invokes * errorRate;
      point.failedInvocations += ending.invokes * errorRate;
    }
    const retrying = retriesDue.get(stepIndex);
    if (retrying) {
      retriesDue.delete(stepIndex);
      for (const cohort of retrying.values()) {
        retriesWaiting -= cohort.count;
        backlog.push(cohort);
      }
      if (retriesWaiting < 1e-9) retriesWaiting = 0;
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
          // Each shard takes its share of the keys, against its own write quota (1,000 records/s).
          let admittedAll = 0;
          for (const shard of shards) {
            shard.writeTokens = Math.min(kinesisWritePerShardPerSecond, shard.writeTokens + (kinesisWritePerShardPerSecond * stepMs) / 1000);
            const offered = events * shard.share;
            const admitted = Math.min(offered, Math.max(0, shard.writeTokens));
            shard.writeTokens -= admitted;
            if (admitted > 0) shard.unread.push({ arrivedAtMs: nowMs, count: admitted });
            admittedAll += admitted;
          }
          const refused = events - admittedAll;
          sourceThrottledEvents += refused;
          sourceFailed += refused;
          point.sourceThrottles += refused;
          accepted += admittedAll;
          point.accepted += admittedAll;
          events = 0;
        }
        accepted += events;
        point.accepted += events;
        if (invokesPerEvent < 1) {
          filtered += events * (1 - invokesPerEvent);
          events *= invokesPerEvent;
        }
        if (events > 0) {
          // Arrivals due within the step count from its start, when they can first be taken: latency is then the handler's, not half a step less.
          (pattern.source === 'eventbridge' ? heldByQuota : backlog).push({ arrivedAtMs: nowMs, count: events });
          arrivedInStep = events;
        }
      }
    }
    // Start what the source's concurrency and the function's allow.
    const concurrencyRoom = Math.max(0, concurrencyLimit - busy);
    if (pattern.source === 'eventbridge') {
      invocationTokens = Math.min(invocationRate, invocationTokens + (invocationRate * stepMs) / 1000);
      const passing = Math.min(heldByQuota.count, invocationTokens);
      if (passing > 0) {
        invocationTokens -= passing;
        for (const cohort of heldByQuota.take(passing)) backlog.push({ ...cohort, queuedAtMs: nowMs });
      }
    }
    const sourceRoom = pattern.source === 'sqs' ? Math.max(0, sqsPollers - busy) : Infinity;
    // Kinesis: each shard's poller reads what the shard holds, once a second while caught up
    // (kinesis-mapping.ts's pollIntervalMs); the shard's lanes (parallelizationFactor) take
    // batches of what was read, each from its own keys.
    if (pattern.source === 'kinesis') {
      const read = nowMs >= nextKinesisReadMs;
      if (read) nextKinesisReadMs = nowMs + kinesisPollIntervalMs;
      let roomLeft = Math.max(0, concurrencyLimit - busy);
      const lanes = pattern.parallelizationFactor;
      shards.forEach((shard, index) => {
        // A read takes what was written by its instant, one due on the instant included (the
        // exact mode writes first: core/clock.ts setTimerFirst); this step's records are due after it.
        const written = read ? shard.unread.countArrivedBefore(nowMs) : 0;
        if (written >= halfRecordOf(shard)) {
          // The last record read is the shard's newest. Counts spread a shard's records over
          // every step; where they are few (under one a step), the newest whole record is older
          // than the last step: whether a record reached this shard by a given step has the odds
          // of a Poisson count, so its age is taken at even odds, and each age's odds go to the max.
          let newerRecords = 0;
          shard.lastReadArrivalMs = undefined;
          for (const cohort of shard.unread.newestFirst()) {
            if (cohort.arrivedAtMs >= nowMs) continue;
            const ageMs = nowMs - cohort.arrivedAtMs;
            ageMaximum.observe(ageMs, Math.exp(-newerRecords) * -Math.expm1(-cohort.count));
            newerRecords += cohort.count;
            if (shard.lastReadArrivalMs === undefined && newerRecords >= Math.LN2) shard.lastReadArrivalMs = cohort.arrivedAtMs;
            if (newerRecords > 7) break;
          }
          shard.lastReadArrivalMs ??= shard.unread.oldestArrivedAtMs();
          // What was read goes out in whole batches, each lane its own keys: the batch size the
          // lanes' invokes carry until the next read. A shard whose lanes had not finished the
          // last read is behind, and its poller reads on (five reads a second), so its batches are full.
          const behind = shard.read.count >= halfRecordOf(shard);
          for (const cohort of shard.unread.take(written)) shard.read.push(cohort);
          const heldNow = shard.read.count;
          const batchesPerLane = Math.ceil(heldNow / lanes / batchMax);
          // A batch carries whole records: a shard's part of a lone record is that part of one invoke.
          shard.recordsPerInvoke = behind ? batchMax : Math.max(1, heldNow / Math.min(Math.ceil(heldNow), lanes * batchesPerLane));
          // A lane runs its batches one after another, so its j-th batch of this read is
          // dispatched once the earlier ones have ended: the iterator age then is the read's
          // plus their durations (one of them slow, at each quantile, the rest typical). The
          // counts start them in parts as lanes free, which would hide that wait from the max.
          shard.batchesWaitingPerLane = behind ? undefined : { batches: batchesPerLane, lanes: Math.min(lanes, Math.ceil(heldNow / batchMax)) };
        }
        const held = shard.read.count;
        if (held < halfRecordOf(shard)) return;
        // Counts, as for one-event invokes: a lane whose last invoke ended in part (its duration
        // spread over quantiles) takes that part of its next batch now. Whole lanes would wait
        // for the slowest quantile to end, so a lane's pace would be the tail's, not the mean's.
        const recordsPerInvoke = Math.min(batchMax, shard.recordsPerInvoke ?? batchMax);
        const wanted = Math.min(Math.max(0, lanes - shard.busy), held / recordsPerInvoke);
        const allowed = Math.min(wanted, roomLeft);
        if (wanted > roomLeft) countThrottles(wanted - roomLeft);
        if (allowed > 0) {
          const { started, cold } = startInvokes(allowed, Math.min(held, allowed * recordsPerInvoke), shard.read, index);
          roomLeft -= started;
          const waiting = shard.batchesWaitingPerLane;
          if (waiting && started > 0 && shard.lastReadArrivalMs !== undefined) {
            // The first batches of the read start now (cold ones after their INIT); each
            // lane's later batches go once the earlier ones have ended.
            shard.batchesWaitingPerLane = undefined;
            const readAgeMs = nowMs - shard.lastReadArrivalMs;
            const coldShare = Math.min(1, cold / started);
            for (let batch = 2; batch <= waiting.batches; batch += 1) {
              for (const { durationMs, weight } of quantiles) {
                const afterMs = readAgeMs + (batch - 2) * meanDurationMs + durationMs;
                ageMaximum.observe(afterMs + initMs, weight * waiting.lanes * coldShare);
                ageMaximum.observe(afterMs, weight * waiting.lanes * (1 - coldShare));
              }
            }
          }
          // The iterator age at each batch dispatched, as the mapping's once-a-second gauge takes it.
          if (shard.lastReadArrivalMs !== undefined) {
            iteratorAgeMsInSecond = Math.max(iteratorAgeMsInSecond, nowMs - shard.lastReadArrivalMs);
            ageMaximum.observe(nowMs - shard.lastReadArrivalMs, started);
          }
        }
      });
    }
    const backlogCount = read.count;
    if (pattern.source !== 'kinesis' && backlogCount >= 0.5) {
      // SQS: whole invokes, one per free poller (a poller takes one batch at a time). One event
      // per invoke (async and sync sources): counts, so the share of an environment that
      // invokes ending in part (their durations spread over quantiles) left free starts that
      // share of an invoke now, as the queue or gateway would the moment an environment frees,
      // instead of idling until a whole one is free (which cost a saturated function ~13 % of
      // its throughput).
      let wantedInvokes = backlogCount;
      if (pattern.source === 'sqs' && pattern.maximumBatchingWindow === 0) {
        // Each message wakes one waiting long poll: free pollers each take what is there, up to a full receive.
        wantedInvokes = Math.min(sourceRoom, Math.max(Math.ceil(backlogCount / batchMax), Math.ceil(backlogCount)));
      } else if (pattern.source === 'sqs') {
        // A batching window (sqs-mapping.ts collectBatch): free pollers gather side by side, each
        // message waking the next in turn, so each holds its share; a poller invokes once its
        // batch is full, or once the window it opened with its first message has passed. Their
        // batches grow together, so they go in a wave, one arrival apart: once each is a message
        // short of full, each arrival fills the next; once the first window has passed, the next
        // ends at the next arrival (their first messages came in turn), or a step on when no more
        // arrive. A batch of the wave is its gatherer's part of every cohort waiting, so the
        // wave's batches take every message between them.
        const gatherers = Math.max(1, Math.min(Math.floor(sourceRoom), Math.floor(backlogCount)));
        const share = backlogCount / gatherers;
        const windowPassed = nowMs - (read.oldestQueuedAtMs() ?? nowMs) >= pattern.maximumBatchingWindow;
        wantedInvokes = 0;
        if (waveGatherersLeft === 0 && share < batchMax && ((share >= batchMax - 1 && batchMax > 1) || windowPassed)) {
          waveGatherersLeft = gatherers;
          waveArrivals = windowPassed ? 1 : 0;
        } else if (waveGatherersLeft > 0) waveArrivals += arrivedInStep > 0 ? arrivedInStep : windowPassed ? 1 : 0;
        if (waveGatherersLeft === 0) {
          if (share >= batchMax) wantedInvokes = Math.min(sourceRoom, Math.floor(backlogCount / batchMax));
        } else {
          const completing = Math.floor(Math.min(waveArrivals, waveGatherersLeft, sourceRoom, concurrencyRoom));
          if (completing >= 1) {
            const { started } = startInvokes(completing, (backlogCount * completing) / waveGatherersLeft, read, undefined, (started) => read.takeShare(started / waveGatherersLeft));
            waveArrivals -= started;
            waveGatherersLeft = Math.max(0, waveGatherersLeft - started);
          }
          if (read.count < 0.5) waveGatherersLeft = 0;
        }
      }
      const allowed = pattern.source === 'sqs' ? Math.floor(Math.min(wantedInvokes, concurrencyRoom)) : Math.min(wantedInvokes, concurrencyRoom);
      if (wantedInvokes > concurrencyRoom && pattern.source !== 'apigateway') countThrottles(wantedInvokes - concurrencyRoom);
      // SQS: where no poller was idle before this step's invokes ended, the messages waited for
      // one of the busy pollers to finish, which counts cannot see within a step.
      const waitedForPollerMs = pattern.source === 'sqs' && sqsPollers - busyBeforeEnding < 1 ? residualWaitForPollerMs(Math.floor(sqsPollers)) : 0;
      if (allowed > 0) startInvokes(allowed, Math.min(backlogCount, allowed * batchMax), read, undefined, undefined, waitedForPollerMs);
      if (pattern.source === 'apigateway' && wantedInvokes > concurrencyRoom && read.count > 0) {
        // A synchronous invoke the function cannot take is refused, not queued: the request ends
        // with an error (API Gateway answers 500), one throttle each, as in exact mode.
        const refused = read.count;
        read.take(refused);
        failed += refused;
        functionThrottles += refused;
        point.functionThrottles += refused;
      }
    }
    if (pattern.source === 'sqs') {
      // The mapping reads the visible backlog a few times a second (sqs-mapping.ts): the same
      // beat here, its first read one beat after the start. What the pollers hold (up to a
      // batch each: with a batching window, what they gather) is received, not visible.
      const backlogReadEveryMs = 1000 / awsDefaults.sqsBacklogReadsPerSecond.value;
      if (nowMs > loadStartMs && (nowMs - loadStartMs) % backlogReadEveryMs < stepMs / 2 && backlogCount <= Math.floor(sqsPollers) * batchMax) messagesWaitedAllSecond = false;
      if (backlogCount < 0.5 && busy < sqsPollers) emptyInSecond = true;
    }
    point.concurrency = Math.max(point.concurrency, Math.round(busy));
    nowMs += stepMs;
    // Once a second: the series point, the ages, and the SQS pollers' rescale.
    if ((nowMs - loadStartMs) % 1000 < stepMs / 2 || stepMs >= 1000) {
      chancePeak?.observeSecond(((invocations - invocationsBySecond) * 1000) / Math.max(1000, stepMs));
      invocationsBySecond = invocations;
      // The oldest event not yet finished (waiting or in an invoke), as the run's ledger reads it.
      const inFlight = pattern.source === 'sqs' ? inFlightOldestFirst() : [];
      const oldest = Math.min(backlog.oldestArrivedAtMs() ?? Infinity, read.oldestArrivedAtMs() ?? Infinity, oldestOf(inFlight));
      const ageMs = Number.isFinite(oldest) ? Math.max(0, nowMs - oldest) : 0;
      const waitingAgeMs = Math.max(0, nowMs - Math.min(backlog.oldestQueuedAtMs() ?? nowMs, read.oldestQueuedAtMs() ?? nowMs));
      if (pattern.source === 'sqs') {
        point.queueDepth = Math.round(read.count + eventsInInvokes);
        point.queueAgeMsMax = Math.round(ageMs);
        observeOldestUnfinished(inFlight);
        const step = awsDefaults.sqsPollerScaleUpPerMinute.value / 60;
        const waitingLonger = sqsWaitTrend.endSecond();
        if (messagesWaitedAllSecond && read.count > 0 && waitingLonger) sqsPollers = Math.min(sqsCap, sqsPollers + step);
        else if (emptyInSecond) sqsPollers = Math.max(sqsFloor, sqsPollers - step);
        point.pollers = Math.floor(sqsPollers);
        messagesWaitedAllSecond = true;
        emptyInSecond = false;
      } else if (pattern.source === 'kinesis') {
        // Iterator age: how far each shard's reader is behind (the last record read's age when dispatched, or the oldest unread).
        const unreadOldest = Math.min(...shards.map((shard) => (shard.unread.count >= 0.5 ? shard.unread.oldestArrivedAtMs() ?? Infinity : Infinity)), ...shards.map((shard) => (shard.read.count >= 0.5 ? shard.read.oldestArrivedAtMs() ?? Infinity : Infinity)));
        // …and its age at the sample: the last record read's, for a shard whose records wait or run.
        const ageNowMs = Math.max(0, ...shards.map((shard) => (shard.lastReadArrivalMs !== undefined && (shard.read.count >= 0.5 || shard.busy >= 0.5) ? nowMs - shard.lastReadArrivalMs : 0)));
        const unreadAgeMs = Number.isFinite(unreadOldest) ? nowMs - unreadOldest - kinesisPollIntervalMs : 0;
        point.iteratorAgeMsMax = Math.round(Math.max(iteratorAgeMsInSecond, ageNowMs, unreadAgeMs, 0));
        // A shard not idle at the sample shows its age: always while records wait, else with the odds its lanes are busy.
        for (const shard of shards) {
          if (shard.lastReadArrivalMs !== undefined) ageMaximum.observe(nowMs - shard.lastReadArrivalMs, shard.read.count >= 0.5 ? 1 : Math.min(1, shard.busy));
        }
        if (unreadAgeMs > 0) ageMaximum.observe(unreadAgeMs, 1);
        iteratorAgeMsInSecond = 0;
      } else if (pattern.source === 'eventbridge' || pattern.source === 's3') {
        // Async event age: how long events wait in the function's queue before an invoke.
        // As the queue reports it: events invoked this second, those waiting, and retries waiting for their delay.
        let retryAgeMs = 0;
        for (const due of retriesDue.values()) for (const cohort of due.values()) retryAgeMs = Math.max(retryAgeMs, nowMs - (cohort.queuedAtMs ?? cohort.arrivedAtMs));
        point.asyncEventAgeMsMax = Math.round(Math.max(waitingAgeMs, invokedAgeMsMax, retryAgeMs));
        invokedAgeMsMax = 0;
        point.queueDepth = Math.round(read.count + busy);
      }
      series.push(roundPoint(point));
      point = emptyPoint(series.length);
    }
  }
  if (point.completed > 0 || point.sent > 0) series.push(roundPoint(point));

  const pending = Math.round(backlog.count + heldByQuota.count + retriesWaiting + (read === backlog ? 0 : read.count) + shardsHold() + eventsInInvokes);
  const accounting: EventAccounting = {
    sent: Math.round(sent),
    accepted: Math.round(accepted),
    filtered: Math.round(filtered),
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
  // The peak is the run's busiest instant, a tail figure where environments are few; each
  // environment it needs beyond the counts' busiest started cold once, as in a run.
  if (chancePeak) {
    const peak = Math.min(concurrencyLimit, Math.max(summary.peakConcurrency, chancePeak.estimate()));
    const beyondCounts = peak - summary.peakConcurrency;
    if (beyondCounts > 0 && initMs > 0) initDuration.recordValueWithCount(Math.max(1, Math.round(initMs)), beyondCounts);
    coldStarts += beyondCounts;
    summary.peakConcurrency = peak;
  }
  // The max age is the run's largest sample, a tail figure where events are few; the series keeps each second's typical value.
  if (pattern.source === 'sqs') summary.queueAgeMsMax = Math.max(summary.queueAgeMsMax ?? 0, ageMaximum.estimateMs());
  if (pattern.source === 'kinesis') summary.iteratorAgeMsMax = Math.max(summary.iteratorAgeMsMax ?? 0, ageMaximum.estimateMs());
  const { source: sourceName, ...settings } = declared;
  const invokeDurationMs = percentilesOf(invokeDuration.toHistogram());
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
    latency: { endToEndMs: percentilesOf(endToEnd.toHistogram()), invokeDurationMs, initDurationMs: percentilesOf(initDuration) },
    summary: { ...summary, coldStarts: Math.round(coldStarts), functionThrottles: Math.round(functionThrottles) },
    series,
    quotas: pattern.source === 'eventbridge' ? [invocationQuotaRecord(invocationRate, scenario.region, 'sluice')] : [],
    extras: { fidelity: 'aggregate', stepMs },
    // Lambda ends an environment that runs out of memory, so each invoke cold-starts: the exact mode runs that, this model keeps environments warm.
    warnings: outOfMemory ? ['every invoke runs out of memory (function.handler.peakMemoryMb above memoryMb); the aggregate model counts them as errors but does not end their environments: predict with --fidelity exact for the cold starts'] : [],
  };
  result.cost = estimateCost(result, resolvePrices(scenario.prices ?? {}), sourceModules[declared.source].cost);
  return { result, simulatedEvents: Math.round(sent), steps: stepIndex, wallMs: performance.now() - wallStartedMs };
}

/** Cohorts a batching window's share walks at most; past it, neighbours are merged (mergedInto). */
const cohortsSharedMax = 512;
/** Cohorts one gathered batch carries into its invoke (each is spread over the duration quantiles). */
const takenCohortsMax = 16;

/** `cohorts` (in arrival order, of one kind) as at most `most`, each run of neighbours at its mean arrival. */
function mergedInto(cohorts: Cohort[], most: number): Cohort[] {
  if (cohorts.length <= most || cohorts.some((cohort) => cohort.errors !== undefined || cohort.queuedAtMs !== undefined)) return cohorts;
  const merged: Cohort[] = [];
  const perGroup = Math.ceil(cohorts.length / most);
  for (let start = 0; start < cohorts.length; start += perGroup) {
    let count = 0;
    let weightedMs = 0;
    for (const cohort of cohorts.slice(start, start + perGroup)) {
      count += cohort.count;
      weightedMs += cohort.arrivedAtMs * cohort.count;
    }
    if (count > 0) merged.push({ arrivedAtMs: Math.round(weightedMs / count), count });
  }
  return merged;
}

/** Cohorts in arrival order: push at the back, take the oldest first. */
class CohortQueue {
  private readonly cohorts: Cohort[] = [];
  private head = 0;
  count = 0;

  push(cohort: Cohort): void {
    this.cohorts.push(cohort);
    this.count += cohort.count;
  }

  take(events: number): Cohort[] {
    const taken: Cohort[] = [];
    let left = events;
    while (left > 1e-9 && this.head < this.cohorts.length) {
      const first = this.cohorts[this.head]!;
      const take = Math.min(first.count, left);
      taken.push(first.queuedAtMs === undefined && first.errors === undefined ? { arrivedAtMs: first.arrivedAtMs, count: take } : { ...first, count: take });
      first.count -= take;
      left -= take;
      this.count -= take;
      if (first.count <= 1e-9) this.head += 1;
    }
    if (this.count < 1e-9) this.count = 0;
    if (this.head > 4096 && this.head * 2 > this.cohorts.length) {
      this.cohorts.splice(0, this.head);
      this.head = 0;
    }
    return taken;
  }

  /** The same share of every cohort: a batch gathered over the time they arrived in. */
  takeShare(share: number): Cohort[] {
    // A long batching window holds many cohorts: merged past a bound, so a share costs a bounded walk.
    if (this.cohorts.length - this.head > cohortsSharedMax) {
      const merged = mergedInto(this.cohorts.slice(this.head), cohortsSharedMax);
      this.cohorts.length = 0;
      this.cohorts.push(...merged);
      this.head = 0;
    }
    const part = Math.min(1, Math.max(0, share));
    const taken: Cohort[] = [];
    for (let index = this.head; index < this.cohorts.length; index += 1) {
      const cohort = this.cohorts[index]!;
      const take = cohort.count * part;
      if (take <= 0) continue;
      taken.push({ ...cohort, count: take });
      cohort.count -= take;
      this.count -= take;
    }
    while (this.head < this.cohorts.length && this.cohorts[this.head]!.count <= 1e-9) this.head += 1;
    if (this.count < 1e-9) this.count = 0;
    return mergedInto(taken, takenCohortsMax);
  }

  /** The oldest cohorts, as many as it takes to hold `events` (all, if fewer wait). */
  oldest(events: number): Cohort[] {
    const cohorts: Cohort[] = [];
    let held = 0;
    for (let index = this.head; index < this.cohorts.length && held < events; index += 1) {
      cohorts.push(this.cohorts[index]!);
      held += this.cohorts[index]!.count;
    }
    return cohorts;
  }

  oldestArrivedAtMs(): number | undefined {
    return this.head < this.cohorts.length ? this.cohorts[this.head]!.arrivedAtMs : undefined;
  }

  /** When the oldest cohort reached this queue. */
  oldestQueuedAtMs(): number | undefined {
    if (this.head >= this.cohorts.length) return undefined;
    const first = this.cohorts[this.head]!;
    return first.queuedAtMs ?? first.arrivedAtMs;
  }

  /** Events of the cohorts that arrived before `ms`. */
  countArrivedBefore(ms: number): number {
    let count = this.count;
    for (let index = this.cohorts.length - 1; index >= this.head && this.cohorts[index]!.arrivedAtMs >= ms; index -= 1) count -= this.cohorts[index]!.count;
    return Math.max(0, count);
  }

  /** The cohorts from the newest back to the oldest. */
  *newestFirst(): Iterable<Cohort> {
    for (let index = this.cohorts.length - 1; index >= this.head; index -= 1) yield this.cohorts[index]!;
  }
}

/**
 * Counts of a model are fractions (a share of a cohort per duration bucket): kept per whole
 * millisecond and rounded once at the end, so a thin tail is neither lost nor inflated.
 */
class FractionalHistogram {
  /**
   * Count by millisecond, grown to the largest value recorded: a stream's aggregate records
   * each cohort once per duration quantile (millions of records a minute of load), where a map
   * lookup per record was a tenth of its time.
   */
  private counts = new Float64Array(1024);

  record(valueMs: number, count: number): void {
    if (!(count > 0)) return;
    const key = Math.min(3_600_000, Math.max(1, Math.round(valueMs)));
    if (key >= this.counts.length) {
      const grown = new Float64Array(Math.min(3_600_001, Math.max(key + 1, this.counts.length * 2)));
      grown.set(this.counts);
      this.counts = grown;
    }
    this.counts[key] += count;
  }

  toHistogram() {
    const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000, numberOfSignificantValueDigits: 3 });
    // Carry the rounding remainder from value to value, so the total stays the model's.
    let carry = 0;
    for (let key = 1; key < this.counts.length; key += 1) {
      if (this.counts[key] === 0) continue;
      const exact = this.counts[key]! + carry;
      const whole = Math.round(exact);
      carry = exact - whole;
      if (whole > 0) histogram.recordValueWithCount(key, whole);
    }
    return histogram;
  }
}

function emptyPoint(tSec: number): SeriesPoint {
  return { tSec, sent: 0, accepted: 0, completed: 0, failedInvocations: 0, sourceThrottles: 0, sourceRetries: 0, functionThrottles: 0, coldStarts: 0, concurrency: 0, deadLettered: 0 };
}

/** Counts in a series are whole events: the model's fractions are rounded per second. */
function roundPoint(point: SeriesPoint): SeriesPoint {
  return { ...point, sent: Math.round(point.sent), accepted: Math.round(point.accepted), completed: Math.round(point.completed), failedInvocations: Math.round(point.failedInvocations), sourceThrottles: Math.round(point.sourceThrottles), functionThrottles: Math.round(point.functionThrottles), coldStarts: Math.round(point.coldStarts) };
}
