import { realClock } from '../core/clock.ts';
import { parseScenario } from '../scenario/load.ts';
import { runPattern, type PatternRunOptions } from '../run/run-pattern.ts';
import type { Target } from '../targets/target.ts';
import type { PatternResult } from '../analysis/run-result.ts';
import { loadTolerance } from '../load/load-meter.ts';
import { childProcessesCpuUs } from './raw-invoke-sink.ts';

/**
 * The highest arrival rate a full sluice run of one pattern holds on this machine: load
 * applied within 1 % on count, time and schedule (`load.shortfall`, measured by the load
 * generator itself), nothing lost, and nothing still pending when the drain ends — the
 * consumer kept up, so the rate is one the whole path sustains, not only the send side.
 *
 * The search doubles from a starting rate until a probe fails (or halves until one holds),
 * then bisects between the highest held and the lowest failed rate, within a probe count and
 * a time budget, so a bench of several sources stays a few minutes long.
 */

/** Why a probe did not hold, or `held`. */
export type ProbeVerdict = 'held' | 'load fell behind' | 'events lost' | 'consumer behind' | 'run failed';

export interface HeldProbe {
  arrivalRate: number;
  verdict: ProbeVerdict;
  /** The load's own shortfall (docs/analysis.md, "The load check"). */
  shortfall: number;
  arrivalLagMsP99: number;
  /** Completed / sent. */
  completedRatio: number;
  lost: number;
  pendingAtEnd: number;
  /** The probe's own wall time, provisioning and drain included. */
  wallMs: number;
  /** CPU time of this process (the run's: generator, SDK clients, runtime) per event sent, provisioning and drain included. */
  cpuUsPerEvent: number;
  /** The same for the embedded target's process (the emulators). */
  emulatorCpuUsPerEvent: number;
  result?: PatternResult;
  error?: string;
}

/** Whether a pattern run held its rate: the load within 1 %, no event lost, none left pending. */
export function verdictOf(result: PatternResult): ProbeVerdict {
  if ((result.load.shortfall ?? 1) > loadTolerance) return 'load fell behind';
  if (result.accounting.lost > 0) return 'events lost';
  if (result.accounting.pendingAtEnd > 0) return 'consumer behind';
  return 'held';
}

export interface HeldRateSearch {
  /** Runs one full pattern at `arrivalRate` arrivals/s and returns its result. */
  runAt(arrivalRate: number): Promise<PatternResult>;
  /** The first rate tried (e.g. half the raw ceiling, so doubling crosses it at once). */
  startRate: number;
  /** At most this many probes (default 6). */
  probesMax?: number;
  /** No probe starts after this much time has gone (default 90 s). */
  budgetMs?: number;
  /** Rates are rounded to this step (default 10/s). */
  stepPerSecond?: number;
  /** Stop bisecting once high − low is within this share of low (default 5 %). */
  resolution?: number;
  onProbe?(probe: HeldProbe): void;
}

export interface HeldRateOutcome {
  /** The highest rate held (0 when none did). */
  heldPerSecond: number;
  /** The lowest rate that did not hold, when one was tried. */
  failedPerSecond?: number;
  probes: HeldProbe[];
  searchMs: number;
}

/** Doubling-then-bisect search for the highest held rate. */
export async function searchHeldRate(search: HeldRateSearch): Promise<HeldRateOutcome> {
  const probesMax = search.probesMax ?? 6;
  const budgetMs = search.budgetMs ?? 90_000;
  const step = search.stepPerSecond ?? 10;
  const resolution = search.resolution ?? 0.05;
  const round = (rate: number) => Math.max(step, Math.round(rate / step) * step);
  const startedMs = performance.now();
  const probes: HeldProbe[] = [];
  let low = 0;
  let high: number | undefined;
  let rate = round(search.startRate);
  while (probes.length < probesMax && performance.now() - startedMs < budgetMs) {
    const probe = await probeAt(search, rate);
    probes.push(probe);
    search.onProbe?.(probe);
    if (probe.verdict === 'held') low = Math.max(low, rate);
    else high = Math.min(high ?? rate, rate);
    let next: number;
    if (high === undefined) next = round(rate * 2);
    else if (low === 0) next = round(rate / 2);
    else {
      if (high - low <= Math.max(step, low * resolution)) break;
      next = round((low + high) / 2);
    }
    if (next === rate || next === low || next === high || (low === 0 && next <= step && rate <= step)) break;
    rate = next;
  }
  return { heldPerSecond: low, ...(high !== undefined ? { failedPerSecond: high } : {}), probes, searchMs: performance.now() - startedMs };
}

async function probeAt(search: HeldRateSearch, arrivalRate: number): Promise<HeldProbe> {
  const startedMs = performance.now();
  const cpuAtStart = process.cpuUsage();
  const childCpuAtStartUs = childProcessesCpuUs();
  try {
    const result = await search.runAt(arrivalRate);
    const cpu = process.cpuUsage(cpuAtStart);
    const childCpuUs = childProcessesCpuUs() - childCpuAtStartUs;
    return {
      arrivalRate,
      verdict: verdictOf(result),
      shortfall: result.load.shortfall ?? Number.NaN,
      arrivalLagMsP99: result.load.arrivalLagMs?.p99 ?? Number.NaN,
      completedRatio: result.accounting.completed / Math.max(1, result.accounting.sent),
      lost: result.accounting.lost,
      pendingAtEnd: result.accounting.pendingAtEnd,
      wallMs: performance.now() - startedMs,
      cpuUsPerEvent: (cpu.user + cpu.system) / Math.max(1, result.accounting.sent),
      emulatorCpuUsPerEvent: childCpuUs / Math.max(1, result.accounting.sent),
      result,
    };
  } catch (error) {
    return { arrivalRate, verdict: 'run failed', shortfall: Number.NaN, arrivalLagMsP99: Number.NaN, completedRatio: 0, lost: 0, pendingAtEnd: 0, wallMs: performance.now() - startedMs, cpuUsPerEvent: Number.NaN, emulatorCpuUsPerEvent: Number.NaN, error: (error as Error).message };
  }
}

/** The bench's probe scenario: one phase at `arrivalRate`, a 1 ms synthetic handler, a short drain. */
export function probeScenarioYaml(options: { name: string; arrivalRate: number; phaseSeconds: number; patternYaml: string; drainTimeoutSeconds?: number; eventSizeBytes?: number }): string {
  return `
name: ${options.name}
drainTimeout: ${options.drainTimeoutSeconds ?? 5}
workload:
  phases: [{ duration: ${options.phaseSeconds}, arrivalRate: ${options.arrivalRate} }]
  eventSizeBytes: ${options.eventSizeBytes ?? 100}
function:
  handler: { duration: 1ms }
  initDuration: 0ms
patterns: [${options.patternYaml}]
`;
}

/** One full pattern run of an inline scenario against a target that is already up (as `sluice run` runs each pattern). */
export async function runProbePattern(target: Target, yamlText: string, fileName: string, workers: Pick<PatternRunOptions, 'loadWorkers' | 'loadWorkerProcesses'> = {}): Promise<PatternResult> {
  const scenario = parseScenario(yamlText, fileName);
  return runPattern({
    ...workers,
    scenario,
    scenarioFile: fileName,
    pattern: scenario.patterns[0]!,
    patternName: scenario.patterns[0]!.source,
    runId: `bench${Date.now().toString(36)}`,
    target,
    clock: realClock,
    signal: new AbortController().signal,
  });
}

/** A probe as one line of the bench's output. */
export function describeProbe(probe: HeldProbe, phaseSeconds: number): string {
  if (probe.error) return `  sluice run ${String(probe.arrivalRate).padStart(5)}/s: run failed (${probe.error})`;
  return (
    `  sluice run ${String(probe.arrivalRate).padStart(5)}/s for ${phaseSeconds} s: shortfall ${(probe.shortfall * 100).toFixed(2)} %, lag p99 ${probe.arrivalLagMsP99.toFixed(0)} ms, ` +
    `completed ×${probe.completedRatio.toFixed(3)}, lost ${probe.lost}, pending ${probe.pendingAtEnd}, CPU/event ${Math.round(probe.cpuUsPerEvent)} µs run + ${Math.round(probe.emulatorCpuUsPerEvent)} µs emulators (${(probe.wallMs / 1000).toFixed(1)} s) — ${probe.verdict}`
  );
}
