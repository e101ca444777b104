import { hostname, cpus } from 'node:os';
import { sluiceVersion } from '../core/sluice-version.ts';
import { patternNameOf, type PatternSpec, type Scenario } from '../scenario/schema.ts';
import { runResultSchemaVersion, type PatternResult, type RunResult } from '../analysis/run-result.ts';
import { randomBytes } from 'node:crypto';
import { ArrivalSchedule } from '../load/arrival-schedule.ts';
import { simulateExact } from './exact-simulation.ts';
import { simulateAggregate, type AggregateSimulation } from './aggregate-model.ts';

export const fidelities = ['exact', 'aggregate', 'auto'] as const;
export type Fidelity = (typeof fidelities)[number];

/**
 * The version of the rules a prediction applies: sluice's version, and the date of the
 * defaults table's AWS sources it was checked against. A prediction says which it used.
 */
export const rulesVersion = `sluice ${sluiceVersion} rules, AWS defaults as of 2026-11`;

/**
 * Past this many events per pattern the exact mode is not run by `auto`: its event ledger
 * holds 11 bytes an event (run/event-ledger.ts), and a prediction stays under 500 MB.
 */
export const exactEventsMax = 20_000_000;

/** Up to this many events per pattern `auto` runs exact without an estimate: a few seconds at the slowest cost per event. */
export const exactEventsWithoutEstimate = 250_000;

/** The step of the aggregate that counts a stream's invocations for `auto`'s estimate (the prediction's own is finer). */
const streamEstimateStepMs = 250;

/** Between the two sizes, `auto` runs exact when the exact mode is estimated to take at most this long. */
export const autoExactWallMsMax = 10_000;

/**
 * What the exact mode costs on one core, µs: an event through its source's store and
 * mapping, and an invoke through the runtime (`npm run bench`'s exact lines and one-event
 * invokes of every source, 2026-12). SQS messages are received and deleted as well as sent; an
 * S3 notification may go through a queue.
 */
const exactMicrosPerEvent: Record<PatternSpec['source'], number> = { sqs: 1.5, kinesis: 0.5, eventbridge: 0.5, s3: 1.5, apigateway: 0.5 };
const exactMicrosPerInvoke = 10;

/** The fidelity `auto` picks by size alone, or `estimate` where the aggregate's invocations decide it. */
export function fidelityBySize(scenario: Scenario): 'exact' | 'aggregate' | 'estimate' {
  const events = new ArrivalSchedule(scenario.workload.phases).totalArrivals * scenario.workload.eventsPerArrival;
  if (events <= exactEventsWithoutEstimate) return 'exact';
  return events <= exactEventsMax ? 'estimate' : 'aggregate';
}

/** How long the exact mode would take on one core for a pattern whose aggregate made these events and invocations. */
export function estimatedExactWallMs(source: PatternSpec['source'], events: number, invocations: number): number {
  return (events * exactMicrosPerEvent[source] + invocations * exactMicrosPerInvoke) / 1000;
}

/**
 * Figures sluice models beyond what AWS documents, named in every prediction: AWS publishes
 * the rules (scale rates, quotas), not the timing of its internals.
 */
export const modelledFigures = [
  'poller timing: long polls wake one poller per message; receives and deletes take no time',
  'producer retries back off 100 ms doubling (SDK jitter not modelled)',
  'the handler duration is the scenario’s synthetic distribution at the function’s memory size and architecture (as a run scales it); no network or service latency is added',
  'cold start = initDuration exactly; idle environments reclaimed after function.idleReclaim',
] as const;

const aggregateModelled = [
  'aggregate: events and environments as counts per time step; handler durations as 20 quantiles; throttled invokes retried once a second',
  'aggregate: SQS batches fill as free pollers wake, the pollers rescale on the backlog of every step; Kinesis shards take their share of keys (sampled, MD5-routed), all read on one 1 s beat; EventBridge rule matches and S3 notification filters from a sample of events; no retries of failed invokes and no duplicate notifications',
] as const;

export interface PredictOptions {
  scenario: Scenario;
  scenarioFile: string;
  fidelity?: Fidelity;
  only?: string[];
  /**
   * The function one pattern runs, where it is not the scenario's own: a module handler's
   * synthetic stand-in measured behind that pattern (run/handler-calibration.ts).
   */
  functionOf?: (patternName: string) => Scenario['function'];
  /** What else the prediction modelled, said in its `prediction.modelled` (e.g. how a stand-in was measured). */
  modelledAlso?: string[];
  onPatternStart?: (patternName: string, index: number, count: number, fidelity: 'exact' | 'aggregate') => void;
  /** What `auto` chose and why, once it has. */
  onFidelityChosen?: (fidelity: 'exact' | 'aggregate', why: string) => void;
}

/**
 * `sluice predict`: every pattern of the scenario on simulated time, as a RunResult marked
 * `mode: predicted`, so reports, thresholds, baselines and `compare` read it as they read a
 * measured run.
 */
export async function predictScenario(options: PredictOptions): Promise<RunResult> {
  const wallStartedMs = performance.now();
  const { scenario } = options;
  const startedAtMs = Date.now();
  const selected = scenario.patterns.filter((pattern) => !options.only || options.only.includes(patternNameOf(pattern)));
  const runs = selected.map((pattern) => {
    const patternName = patternNameOf(pattern);
    return { pattern, patternName, scenario: options.functionOf ? { ...scenario, function: options.functionOf(patternName) } : scenario };
  });
  const startMs = startedAtMs;
  const aggregateOf = (run: (typeof runs)[number]) => simulateAggregate({ scenario: run.scenario, pattern: run.pattern, patternName: run.patternName, startMs });
  let fidelity: 'exact' | 'aggregate';
  // `auto` between the sizes: the aggregate first (fast at these sizes), and exact when its invocations say exact fits the time.
  let aggregates: Array<AggregateSimulation | undefined> | undefined;
  if (options.fidelity !== undefined && options.fidelity !== 'auto') fidelity = options.fidelity;
  else {
    const bySize = fidelityBySize(scenario);
    const events = new ArrivalSchedule(scenario.workload.phases).totalArrivals * scenario.workload.eventsPerArrival;
    if (bySize !== 'estimate') {
      fidelity = bySize;
      options.onFidelityChosen?.(fidelity, bySize === 'exact' ? `${events.toLocaleString('en-US')} events a pattern, at most ${exactEventsWithoutEstimate.toLocaleString('en-US')}` : `${events.toLocaleString('en-US')} events a pattern, over the exact mode's ${exactEventsMax.toLocaleString('en-US')}`);
    } else {
      // A stream's invokes are its lanes' batches on the read beat, the same at a coarser step, where the aggregate costs a fifth.
      const estimates = runs.map((run) => (run.pattern.source === 'kinesis' ? simulateAggregate({ scenario: run.scenario, pattern: run.pattern, patternName: run.patternName, startMs, stepMs: streamEstimateStepMs }) : aggregateOf(run)));
      const estimateMs = estimates.reduce((sum, aggregate, index) => sum + estimatedExactWallMs(runs[index]!.pattern.source, aggregate.simulatedEvents, aggregate.result.summary.invocations), 0);
      fidelity = estimateMs <= autoExactWallMsMax ? 'exact' : 'aggregate';
      const invocations = estimates.reduce((sum, aggregate) => sum + aggregate.result.summary.invocations, 0);
      options.onFidelityChosen?.(
        fidelity,
        `exact estimated at ${(estimateMs / 1000).toFixed(1)} s on one core (${events.toLocaleString('en-US')} events a pattern, ${invocations.toLocaleString('en-US')} invocations in the aggregate), ${fidelity === 'exact' ? 'within' : 'over'} ${autoExactWallMsMax / 1000} s`,
      );
      // The prediction keeps those at its own step; a stream's is run again at it.
      if (fidelity === 'aggregate') aggregates = estimates.map((estimate, index) => (runs[index]!.pattern.source === 'kinesis' ? undefined : estimate));
    }
  }
  const patterns: PatternResult[] = [];
  let simulatedEvents = 0;
  for (const [index, run] of runs.entries()) {
    options.onPatternStart?.(run.patternName, index, runs.length, fidelity);
    const simulation =
      aggregates?.[index] ?? (fidelity === 'exact' ? await simulateExact({ scenario: run.scenario, pattern: run.pattern, patternName: run.patternName, startMs }) : aggregateOf(run));
    simulatedEvents += simulation.simulatedEvents;
    patterns.push(simulation.result);
  }
  const wallMs = performance.now() - wallStartedMs;
  const lastEnd = Math.max(startedAtMs, ...patterns.map((pattern) => pattern.endedAtMs));
  return {
    schemaVersion: runResultSchemaVersion,
    sluiceVersion,
    // The same shape as a measured run's id (run/run-scenario.ts), without loading the run's targets.
    runId: `${startedAtMs.toString(36)}${randomBytes(2).toString('hex')}`,
    scenario: { name: scenario.name, file: options.scenarioFile, ...(scenario.description ? { description: scenario.description } : {}) },
    status: 'completed',
    mode: 'predicted',
    prediction: {
      fidelity,
      rulesVersion,
      simulatedEventsPerWallSecond: Math.round(simulatedEvents / Math.max(wallMs / 1000, 1e-3)),
      wallMs: Math.round(wallMs),
      modelled: [...modelledFigures, ...(fidelity === 'aggregate' ? aggregateModelled : []), ...(options.modelledAlso ?? [])],
    },
    startedAtMs,
    endedAtMs: lastEnd,
    target: { kind: 'embedded', region: scenario.region, consumer: 'sluice' },
    environment: { node: process.version, platform: `${process.platform}-${process.arch}`, cpuCount: cpus().length, hostname: hostname() },
    patterns,
  };
}
