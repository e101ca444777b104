import { hostname, cpus } from 'node:os';
import { sluiceVersion } from '../core/sluice-version.ts';
import { patternNameOf, type Scenario } from '../scenario/schema.ts';
import { runResultSchemaVersion, type PatternResult, type RunResult } from '../analysis/run-result.ts';
import { randomBytes } from 'node:crypto';
import { ArrivalSchedule } from '../load/arrival-schedule.ts';
import { simulateExact } from './exact-simulation.ts';
import { simulateAggregate } from './aggregate-model.ts';

export const fidelities = ['exact', 'aggregate', 'auto'] as const;
export type Fidelity = (typeof fidelities)[number];

/**
 * The version of the rules a prediction applies: sluice's version, and the date of the
 * defaults table's AWS sources it was checked against. A prediction says which it used.
 */
export const rulesVersion = `sluice ${sluiceVersion} rules, AWS defaults as of 2026-11`;

/** Above this many events per pattern, `auto` predicts in aggregate (the exact mode's memory and time grow with each event). */
export const exactEventsMax = 2_000_000;

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
}

/** The fidelity `auto` picks for a scenario: exact while every event fits, else aggregate. */
export function chosenFidelity(scenario: Scenario, fidelity: Fidelity = 'auto'): 'exact' | 'aggregate' {
  if (fidelity !== 'auto') return fidelity;
  const events = new ArrivalSchedule(scenario.workload.phases).totalArrivals * scenario.workload.eventsPerArrival;
  return events <= exactEventsMax ? 'exact' : 'aggregate';
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
  const fidelity = chosenFidelity(scenario, options.fidelity);
  const selected = scenario.patterns.filter((pattern) => !options.only || options.only.includes(patternNameOf(pattern)));
  const patterns: PatternResult[] = [];
  let simulatedEvents = 0;
  for (const [index, pattern] of selected.entries()) {
    const patternName = patternNameOf(pattern);
    options.onPatternStart?.(patternName, index, selected.length, fidelity);
    const startMs = startedAtMs;
    const patternScenario = options.functionOf ? { ...scenario, function: options.functionOf(patternName) } : scenario;
    const simulation =
      fidelity === 'exact' ? await simulateExact({ scenario: patternScenario, pattern, patternName, startMs }) : simulateAggregate({ scenario: patternScenario, pattern, patternName, startMs });
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
