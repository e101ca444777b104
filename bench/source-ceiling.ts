import type { Target } from '../targets/target.ts';
import { recordMachineCeiling, ceilingsFile } from '../load/machine-ceilings.ts';
import { describeProbe, probeScenarioYaml, runProbePattern, searchHeldRate } from './held-rate.ts';

/**
 * One source's line of the ceilings table: the raw ceiling of its embedded emulator for the
 * same work (plain SDK or HTTP calls in one process, as a run makes them), then the highest
 * rate a full sluice run of the pattern holds against the same target, found by
 * {@link searchHeldRate}, recorded as this machine's ceiling for the source.
 */
export interface SourceCeilingRow {
  source: string;
  work: string;
  rawPerSecond: number;
  heldPerSecond: number;
}

export interface SourceCeilingBench {
  source: string;
  /** What the raw figure measures, for the table. */
  work: string;
  /** The pattern as YAML flow mapping, e.g. `{ source: kinesis, shards: 16, batchSize: 1000 }`. */
  patternYaml: string;
  startTarget(): Promise<Target>;
  /** The raw ceiling in events/s, with lines describing how it was measured. */
  measureRaw(target: Target): Promise<{ perSecond: number; lines: string[] }>;
}

/** Seconds of load per probe: long enough for 1 % to mean something, short enough for ~6 probes in 90 s. */
export const probePhaseSeconds = Number(process.env.SLUICE_BENCH_PHASE_SECONDS ?? 8);

export async function runSourceCeilingBench(bench: SourceCeilingBench): Promise<{ name: string; lines: string[]; row: SourceCeilingRow }> {
  const target = await bench.startTarget();
  const lines: string[] = [];
  try {
    // A first short run loads what a run loads (the load generator, the driver, the SDK
    // clients' modules), so the first probe does not carry it inside its phase.
    await runProbePattern(target, probeScenarioYaml({ name: `bench-${bench.source}-warmup`, arrivalRate: 10, phaseSeconds: 2, patternYaml: bench.patternYaml }), `bench-${bench.source}.yaml`);
    const rawBefore = await bench.measureRaw(target);
    lines.push(`raw ${bench.work}, before the search: ${Math.round(rawBefore.perSecond).toLocaleString('en-US')} events/s`, ...rawBefore.lines.map((line) => `  ${line}`));
    const search = await searchHeldRate({
      startRate: rawBefore.perSecond * 0.5,
      // With the raw windows and the warm-up, about 100 s per source: four sources and SQS's benches stay near 10 minutes.
      budgetMs: 75_000,
      runAt: (arrivalRate) =>
        runProbePattern(target, probeScenarioYaml({ name: `bench-${bench.source}-held`, arrivalRate, phaseSeconds: probePhaseSeconds, patternYaml: bench.patternYaml }), `bench-${bench.source}.yaml`),
      onProbe: (probe) => lines.push(describeProbe(probe, probePhaseSeconds)),
    });
    // Measured again after the search, and the higher of the two kept: a neighbour's load on
    // the shared cores during one measurement must not lower the ceiling sluice is judged by.
    const rawAfter = await bench.measureRaw(target);
    lines.push(`raw ${bench.work}, after the search: ${Math.round(rawAfter.perSecond).toLocaleString('en-US')} events/s`, ...rawAfter.lines.map((line) => `  ${line}`));
    const raw = rawAfter.perSecond > rawBefore.perSecond ? rawAfter : rawBefore;
    const ratio = search.heldPerSecond / raw.perSecond;
    lines.push(
      `highest rate a full sluice run held (shortfall ≤ 1 %, nothing lost or pending; pattern ${bench.patternYaml}): ${search.heldPerSecond}/s = ${ratio.toFixed(2)} × raw` +
        `${search.failedPerSecond !== undefined ? ` (${search.failedPerSecond}/s did not hold)` : ''}; search took ${(search.searchMs / 1000).toFixed(0)} s`,
    );
    if (search.heldPerSecond > 0) {
      recordMachineCeiling(bench.source, { heldEventsPerSecond: search.heldPerSecond, rawEventsPerSecond: Math.round(raw.perSecond), measuredAt: new Date().toISOString() });
      lines.push(`recorded in ${ceilingsFile()}`);
    }
    return { name: `${bench.source}: raw ceiling vs held rate`, lines, row: { source: bench.source, work: bench.work, rawPerSecond: raw.perSecond, heldPerSecond: search.heldPerSecond } };
  } finally {
    await target.stop();
  }
}

/** The table README's "Measured ceilings" shows. */
export function ceilingsTable(rows: SourceCeilingRow[]): string[] {
  return [
    '| source | raw ceiling (same emulator, same work) | sluice held within 1 % | ratio |',
    '| --- | --- | --- | --- |',
    ...rows.map((row) => `| ${row.source} (${row.work}) | ${Math.round(row.rawPerSecond).toLocaleString('en-US')}/s | ${row.heldPerSecond.toLocaleString('en-US')}/s | ${(row.heldPerSecond / row.rawPerSecond).toFixed(2)} |`),
  ];
}
