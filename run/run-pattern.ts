import type { Clock } from '../core/clock.ts';
import { LambdaFunction, type RuntimeObserver } from '../runtime/lambda-function.ts';
import { syntheticHandler, moduleHandler, type RunnableHandler } from '../runtime/handler.ts';
import { seededRandom } from '../runtime/random.ts';
import type { Scenario, PatternSpec } from '../scenario/schema.ts';
import { maxEventsPerPattern } from '../scenario/parts.ts';
import type { Target } from '../targets/target.ts';
import type { PatternResult, WorkerLoadReport } from '../analysis/run-result.ts';
import { invokeThrottleRate, summarize } from '../analysis/summarize.ts';
import { estimateCost } from '../analysis/cost.ts';
import { resolvePrices } from '../analysis/pricing.ts';
import { sourceModuleFor, type SourceRegistry } from '../drivers/registry.ts';
import { localRuntimeConsumer, type PatternConsumer } from './pattern-consumer.ts';
import type { PatternRunContext, PatternSession } from '../drivers/driver.ts';
import { EventLedger } from './event-ledger.ts';
import { LoadWorkerError, LoadWorkerPool, LoadWorkerProcesses, loadWorkerErrorCodes, type LoadWorkerCommon } from './load-workers.ts';
import { MetricsRecorder, percentilesOf, scaledPercentilesOf } from './metrics-recorder.ts';
import { EventFactory } from '../load/event-factory.ts';
import { runLoad, type LoadOutcome } from '../load/load-generator.ts';
import { phaseAt, phaseRateLabel, phasesDurationMs, requestedArrivals } from '../load/phases.ts';
import { LoadMeter, lateArrivalMs, loadTolerance, loadWarnings } from '../load/load-meter.ts';
import { beyondCeilingNotice, readMachineCeilings, requestedPeakEventsPerSecond } from '../load/machine-ceilings.ts';

export interface PatternProgress {
  patternName: string;
  phaseName: string;
  /** Time into the phases, on the load's own clock (0 until the first phase starts). */
  elapsedMs: number;
  totalMs: number;
  draining: boolean;
  /** How far the load is behind its schedule now (0 when on time). */
  behindScheduleMs: number;
  sentPerSecond: number;
  completedPerSecond: number;
  queueDepth?: number;
  concurrency: number;
  completed: number;
  sent: number;
}

export interface PatternRunOptions {
  scenario: Scenario;
  scenarioFile: string;
  pattern: PatternSpec;
  patternName: string;
  runId: string;
  target: Target;
  clock: Clock;
  signal: AbortSignal;
  onProgress?: (progress: PatternProgress) => void;
  /** Who consumes: sluice's runtime (the default), or a stack's Lambda whose completions arrive as records. */
  consumer?: PatternConsumer;
  /** The sources the scenario was parsed with (default: sluice's own, drivers/registry.ts). */
  sources?: SourceRegistry;
  /**
   * Load generator processes (`--workers`): above 1, each sends its share of every phase
   * from a process of its own (run/load-workers.ts); 1 (the default) generates in this one.
   */
  loadWorkers?: number;
  /** The run's worker processes, shared by its patterns; without them a pattern that needs workers forks its own. */
  loadWorkerProcesses?: LoadWorkerProcesses;
  /** Load generated elsewhere (`--load-from`: Artillery's cloud workers, run/cloud-load.ts), one ledger block per worker. */
  externalLoad?: { workers: number; run(context: { ledger: EventLedger; signal: AbortSignal; onStart(): void }): Promise<{ outcome: LoadOutcome; workers: WorkerLoadReport[] }> };
}

/**
 * One pattern, start to end: provision, consume, drive the phases, drain, account, tear
 * down. Whatever happens — the drain timing out, Ctrl-C, the target dying — it returns what
 * was measured; teardown runs in every case.
 */
export async function runPattern(options: PatternRunOptions): Promise<PatternResult> {
  const { scenario, pattern, clock, signal } = options;
  const consumer = options.consumer ?? localRuntimeConsumer;
  const sourceModule = sourceModuleFor(pattern.source, options.sources);
  const driver = await sourceModule.loadDriver();
  const eventsPerArrival = scenario.workload.eventsPerArrival;
  const plannedEvents = Math.ceil(requestedArrivals(scenario.workload.phases) * eventsPerArrival);
  const ledgerCapacity = Math.min(maxEventsPerPattern, Math.ceil(plannedEvents * 1.05) + 1000);
  const loadWorkers = options.externalLoad?.workers ?? options.loadWorkers ?? 1;
  // Several generators: one block of ids each, every block large enough for its share.
  const ledger =
    loadWorkers > 1
      ? new EventLedger(Math.ceil(ledgerCapacity / loadWorkers) * loadWorkers, { count: loadWorkers, size: Math.ceil(ledgerCapacity / loadWorkers) })
      : new EventLedger(ledgerCapacity);
  let workerPool: LoadWorkerPool | undefined;
  let workerReports: WorkerLoadReport[] | undefined;
  let workerFailure: Error | undefined;
  const startedAtMs = clock.nowMs();
  // The series' second 0 is the load's start (the meter's onStart below), not this moment: provisioning comes first.
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
      recorder.handlerUsage(record.handlerCpuMs, record.handlerPeakMemoryMb);
    },
    onThrottle() {
      recorder.count('functionThrottles', clock.nowMs());
    },
  };
  const handler: RunnableHandler =
    scenario.function.handler.type === 'module'
      ? moduleHandler(scenario.function.handler.module, options.scenarioFile, scenario.function)
      : syntheticHandler(scenario.function.handler, clock, seededRandom(scenario.workload.seed + 1), scenario.function);
  const runtimeObservers: RuntimeObserver[] = [observer];
  const fn = new LambdaFunction({
    spec: scenario.function,
    account: scenario.account,
    handler,
    clock,
    random: seededRandom(scenario.workload.seed + 2),
    observer: {
      onInvocation: (record) => runtimeObservers.forEach((o) => o.onInvocation?.(record)),
      onThrottle: (trigger, error) => runtimeObservers.forEach((o) => o.onThrottle?.(trigger, error)),
    },
  });
  await fn.ready();

  const warnings: string[] = [];
  // Local targets share this machine with the load generator: a rate above what it held here is the harness's limit.
  const harnessCeiling = options.target.info.kind === 'aws' ? undefined : readMachineCeilings()?.sources[pattern.source];
  const ceilingNotice = beyondCeilingNotice(options.patternName, pattern.source, requestedPeakEventsPerSecond(scenario.workload.phases, eventsPerArrival), harnessCeiling);
  if (ceilingNotice) warnings.push(ceilingNotice);
  let session: PatternSession | undefined;
  let load: LoadOutcome | undefined;
  let pendingAtEnd = 0;
  let drained = false;
  let loadEndedAtMs = startedAtMs;
  let sampling: ReturnType<typeof setInterval> | undefined;
  const totalMs = phasesDurationMs(scenario.workload.phases);
  const meter = new LoadMeter(scenario.workload.phases, { onStart: () => recorder.startLoadAt(clock.nowMs()) });

  try {
    session = await driver.provision({
      scenario,
      scenarioFile: options.scenarioFile,
      pattern,
      patternName: options.patternName,
      runId: options.runId,
      target: options.target,
      clock,
      ledger,
      recorder,
      fn,
      runtimeObservers,
      consumer: consumer.kind,
      existing: consumer.existing,
    });
    await session.startConsumer();
    consumer.start({ ledger, recorder, warn: (message) => warnings.push(message) });

    let lastSampleCompleted = 0;
    let lastSampleSent = 0;
    let draining = false;
    let samplingBusy = false;
    sampling = setInterval(() => {
      if (samplingBusy || !session) return;
      samplingBusy = true;
      const nowMs = clock.nowMs();
      recorder.gauge('concurrency', nowMs, fn.takePeakConcurrency());
      session
        .sample(nowMs)
        .catch(() => undefined)
        .finally(() => {
          samplingBusy = false;
          const completed = ledger.accounting(0).completed;
          const sent = ledger.sent;
          const position = workerPool?.position() ?? meter.position();
          const loadStarted = workerPool ? workerPool.position().started : meter.started;
          const point = recorder.latest(nowMs + 1000);
          options.onProgress?.({
            patternName: options.patternName,
            phaseName: position.running ? describePhase(scenario, position.elapsedMs) : loadStarted ? 'drain' : 'starting',
            elapsedMs: position.elapsedMs,
            totalMs,
            draining,
            behindScheduleMs: position.behindMs > lateArrivalMs ? position.behindMs : 0,
            sentPerSecond: sent - lastSampleSent,
            completedPerSecond: completed - lastSampleCompleted,
            queueDepth: point?.queueDepth,
            concurrency: fn.concurrency,
            completed,
            sent,
          });
          lastSampleCompleted = completed;
          lastSampleSent = sent;
        });
    }, 1000);

    const events = new EventFactory(scenario.workload);
    const maxArrivals = Math.floor(ledger.capacity / eventsPerArrival);
    if (options.externalLoad) {
      try {
        const fromCloud = await options.externalLoad.run({ ledger, signal, onStart: () => recorder.startLoadAt(clock.nowMs()) });
        load = fromCloud.outcome;
        workerReports = fromCloud.workers;
      } catch (error) {
        workerFailure = error as Error;
      }
    } else if (loadWorkers > 1) {
      const ownProcesses = options.loadWorkerProcesses ? undefined : LoadWorkerProcesses.fork(loadWorkers);
      try {
        workerPool = await LoadWorkerPool.start({
          processes: options.loadWorkerProcesses ?? ownProcesses!,
          count: loadWorkers,
          ledger,
          recorder,
          nowMs: () => clock.nowMs(),
          eventsPerArrival,
          common: {
            scenario: { workload: scenario.workload, function: scenario.function, account: scenario.account } as PatternRunContext<unknown>['scenario'],
            scenarioFile: options.scenarioFile,
            pattern: pattern as LoadWorkerCommon['pattern'],
            patternName: options.patternName,
            runId: options.runId,
            target: { info: options.target.info, clientSettings: options.target.clientSettings },
            consumer: consumer.kind,
            resources: loadWorkerResourcesOf(session, pattern.source),
          },
        });
        const fromWorkers = await workerPool.run(signal, () => recorder.startLoadAt(clock.nowMs()));
        load = fromWorkers.outcome;
        workerReports = fromWorkers.workers;
      } catch (error) {
        // The run fails naming the worker; what was measured is still accounted and torn down first.
        workerFailure = error as Error;
      } finally {
        // Ids no worker reported sending are not this run's events.
        ledger.dropUnsent();
        await ownProcesses?.close();
      }
    }
    if (loadWorkers <= 1 && !options.externalLoad) {
      load = session.runLoad
        ? await session.runLoad({ phases: scenario.workload.phases, signal, maxArrivals, eventsPerArrival, events, meter })
        : await runLoad({
            phases: scenario.workload.phases,
            signal,
            maxArrivals,
            meter,
            onArrival: async () => {
              const nowMs = clock.nowMs();
              const batch = Array.from({ length: eventsPerArrival }, () => events.next(nowMs));
              await session!.sendArrival(batch);
            },
          });
    }
    loadEndedAtMs = clock.nowMs();
    if (load && Math.abs(load.arrivalRateDeviation) > loadTolerance && !signal.aborted) {
      warnings.push(
        `the load generator sent ${load.achievedArrivals} arrivals where the phases ask for ${load.requestedArrivals} (${(load.arrivalRateDeviation * 100).toFixed(1)} %): the requested rate was not held, so throughput-in is the achieved one`,
      );
    }
    if (load && !signal.aborted) {
      const behind = loadWarnings(load.requestedArrivals, load.achievedArrivals, load.measurement);
      warnings.push(...behind);
      if (behind.length > 0 && options.target.info.kind !== 'aws') {
        warnings.push(
          `the load asked for was not applied on this machine: throughput, latency and ages from this run are the harness's limit, not the system's (lower the rate; README, "Targets › embedded", lists what this machine class holds, and 'npm run bench' measures this machine)`,
        );
      }
    }

    draining = true;
    const drainTimeoutMs = consumer.drainWaits ? scenario.drainTimeout : 0;
    const drainDeadlineMs = clock.nowMs() + drainTimeoutMs;
    // A failed load worker fails the run: no drain, straight to the accounting and teardown.
    while (!workerFailure && !signal.aborted && clock.nowMs() < drainDeadlineMs) {
      if (ledger.unfinished === 0 && fn.concurrency === 0) {
        drained = true;
        break;
      }
      if (await session.isDrained().catch(() => false)) {
        drained = true;
        break;
      }
      await clock.sleep(250, signal).catch(() => undefined);
    }
    if (!drained && !workerFailure && !signal.aborted && consumer.drainWaits) {
      warnings.push(`events were still in flight when the drain timeout (${scenario.drainTimeout / 1000} s) ended: they are counted as pending, not lost`);
    }
  } finally {
    if (sampling) clearInterval(sampling);
    await consumer.stop();
    if (session) {
      await session.stopConsumer().catch((error: Error) => warnings.push(`stopping the consumer failed: ${error.message}`));
      const nowMs = clock.nowMs();
      recorder.gauge('concurrency', nowMs, fn.takePeakConcurrency());
      pendingAtEnd = await session.pendingAtEnd().catch((error: Error) => {
        warnings.push(`could not read what the source still holds (${error.message}); unfinished events are reported as pending`);
        return ledger.unfinished;
      });
    }
  }

  // Deliveries during the drain of ids no worker ever sent are foreign, too.
  if (loadWorkers > 1) ledger.dropUnsent();
  const measured = ledger.accounting(signal.aborted ? ledger.unfinished : pendingAtEnd);
  // Without completion records, every accepted event sluice could not follow to its end has
  // an unknown fate: pending, not lost. (The split above is what the source still held.)
  const accounting = consumer.completionsObservable ? measured : { ...measured, pendingAtEnd: measured.pendingAtEnd + measured.lost, lost: 0, completionsObserved: false as const };
  if (ledger.foreignDeliveries > 0) warnings.push(`${ledger.foreignDeliveries} deliveries carried no sluice event id (messages from elsewhere in the source)`);
  if (accounting.lost > 0) warnings.push(`${accounting.lost} accepted events have no fate: neither completed, failed, dead-lettered nor still held by the source`);
  if (!consumer.completionsObservable && consumer.unobservedNotice) {
    warnings.unshift(consumer.unobservedNotice({ unobserved: accounting.pendingAtEnd, heldBySource: measured.pendingAtEnd, interrupted: signal.aborted }));
  }
  const { warnings: driverWarnings, ...extras } = (session?.extras() ?? {}) as Record<string, unknown> & { warnings?: string[] };
  if (Array.isArray(driverWarnings)) warnings.push(...driverWarnings);
  await session?.teardown().catch((error: Error) => warnings.push(`teardown failed: ${error.message}`));
  await fn.shutdown();
  if (workerFailure) throw workerFailure;
  const series = recorder.series();
  const endedAtMs = clock.nowMs();
  const observed = (await consumer.observe?.({ startedAtMs, endedAtMs })) ?? {};
  if (observed.warnings) warnings.push(...observed.warnings);
  const summary = summarize({ series, accounting, invocations, invocationErrors, loadDurationMs: Math.max(1000, (load?.achievedDurationMs ?? loadEndedAtMs - startedAtMs) || 1000) });
  for (const [key, value] of Object.entries(observed.summaryAtLeast ?? {}) as Array<[keyof NonNullable<typeof observed.summaryAtLeast>, number]>) summary[key] = Math.max(summary[key], value);
  for (const [key, value] of Object.entries(observed.summaryFrom ?? {}) as Array<[keyof NonNullable<typeof observed.summaryFrom>, number | undefined]>) if (value !== undefined) summary[key] = value;
  Object.assign(summary, invokeThrottleRate(summary));
  const { source, ...settings } = pattern;
  const result: PatternResult = {
    name: options.patternName,
    source,
    settings,
    function: { ...scenario.function, concurrencyLimit: fn.concurrencyLimit },
    account: { ...scenario.account, appliedBy: consumer.kind === 'remote' ? 'target' : 'sluice' },
    startedAtMs,
    endedAtMs,
    ...(recorder.originMs !== undefined ? { loadStartedAtMs: recorder.originMs } : {}),
    load: {
      requestedArrivals: load?.requestedArrivals ?? requestedArrivals(scenario.workload.phases),
      achievedArrivals: load?.achievedArrivals ?? 0,
      requestedDurationMs: totalMs,
      achievedDurationMs: load?.achievedDurationMs ?? 0,
      arrivalRateDeviation: load?.arrivalRateDeviation ?? -1,
      eventSizeBytes: scenario.workload.eventSizeBytes,
      ...(load ? { shortfall: load.shortfall, ...loadReportOf(load) } : {}),
      ...(harnessCeiling ? { harnessCeilingEventsPerSecond: harnessCeiling.heldEventsPerSecond } : {}),
      ...(workerReports ? { workers: workerReports } : {}),
    },
    accounting,
    latency: {
      endToEndMs: percentilesOf(recorder.endToEnd),
      invokeDurationMs: percentilesOf(recorder.invokeDuration),
      initDurationMs: percentilesOf(recorder.initDuration),
      ...(recorder.handlerCpuMicros.totalCount > 0 ? { handlerCpuMs: scaledPercentilesOf(recorder.handlerCpuMicros, 1000) } : {}),
      ...(recorder.handlerPeakMemoryKb.totalCount > 0 ? { handlerPeakMemoryMb: scaledPercentilesOf(recorder.handlerPeakMemoryKb, 1024) } : {}),
      ...(recorder.clientLatency.all.totalCount > 0
        ? { clientMs: { all: percentilesOf(recorder.clientLatency.all), warm: percentilesOf(recorder.clientLatency.warm), cold: percentilesOf(recorder.clientLatency.cold) } }
        : {}),
    },
    summary,
    series,
    functionUsage: fn.usage(),
    quotas: driver.quotas(pattern, options.target),
    extras: { ...extras, drained, ...observed.extras },
    warnings,
  };
  result.cost = estimateCost(result, resolvePrices(scenario.prices ?? {}), sourceModule.cost);
  return result;
}

/** What a load worker needs to send to the session's source; a source that cannot tell refuses workers. */
function loadWorkerResourcesOf(session: PatternSession, source: string): unknown {
  if (!session.loadWorkerResources) throw new LoadWorkerError(loadWorkerErrorCodes.failed, `the ${source} source cannot split its load over worker processes (its driver names no resources for them)`, 'run it with --workers 1');
  return session.loadWorkerResources();
}

/** The generator's self-measurement as result.json keeps it. */
function loadReportOf(load: LoadOutcome) {
  const { measurement } = load;
  return {
    phasesWallMs: measurement.phasesWallMs,
    arrivalLagMs: measurement.arrivalLagMs,
    lateArrivals: measurement.lateArrivals,
    lateAfterMs: measurement.lateAfterMs,
    eventLoopDelayMs: measurement.eventLoopDelayMs,
    perSecond: measurement.perSecond,
    ...(measurement.stoppedBecause ? { stoppedBecause: measurement.stoppedBecause } : {}),
  };
}

function describePhase(scenario: Scenario, elapsedMs: number): string {
  const current = phaseAt(scenario.workload.phases, elapsedMs);
  if (!current) return 'drain';
  const { index, phase } = current;
  const label = phase.name ?? `phase ${index + 1}`;
  return `${label} (${phaseRateLabel(phase)})`;
}
