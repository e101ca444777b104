import { cpus } from 'node:os';
import { startEmbeddedTarget } from '../targets/embedded/embedded-target.ts';
import { LoadWorkerProcesses, parseLoadWorkers } from '../run/load-workers.ts';
import { readMachineCeilings } from '../load/machine-ceilings.ts';
import { describeProbe, probeScenarioYaml, runProbePattern, searchHeldRate } from './held-rate.ts';
import { probePhaseSeconds } from './source-ceiling.ts';

/**
 * The held arrival rate of a full SQS run (load within 1 %, nothing lost or pending) with
 * its load from this process (`--workers 1`), from 2 worker processes and from `auto`
 * (cores − 1), each found by the same search against the same embedded target in one run,
 * and printed as ratios against one worker: these machines are shared and noisy, so only
 * the ratio means something. On two cores `auto` is 1 worker, the run's own process.
 */
const pattern = '{ source: sqs, batchSize: 10, maximumConcurrency: 100 }';
/** Per worker count, so the three searches stay near four minutes together. */
const searchBudgetMs = 60_000;

export async function benchLoadWorkers(): Promise<{ name: string; lines: string[] }> {
  const auto = parseLoadWorkers('auto');
  const counts = [...new Set([1, 2, 'count' in auto ? auto.count : 1])];
  const target = await startEmbeddedTarget(['sqs'], 'us-east-1');
  const lines: string[] = [`${cpus().length} cores; auto = ${'count' in auto ? auto.count : 1} worker(s); pattern ${pattern}, ${probePhaseSeconds} s probes`];
  const held = new Map<number, number>();
  try {
    // Well below this machine's recorded ceiling, so the doubling search reaches it within the budget
    // even on a loaded machine (a first probe far past it can take minutes to fail).
    const startRate = Math.min(500, (readMachineCeilings()?.sources.sqs?.heldEventsPerSecond ?? 1_000) / 4);
    for (const workers of counts) {
      const processes = workers > 1 ? LoadWorkerProcesses.fork(workers) : undefined;
      try {
        const options = workers > 1 ? { loadWorkers: workers, loadWorkerProcesses: processes } : {};
        // A first short run loads what a run loads (and starts the workers' sessions once), outside the probes.
        await runProbePattern(target, probeScenarioYaml({ name: 'bench-workers-warmup', arrivalRate: 20, phaseSeconds: 2, patternYaml: pattern }), 'bench-workers.yaml', options);
        lines.push(`--workers ${workers}:`);
        const search = await searchHeldRate({
          startRate,
          budgetMs: searchBudgetMs,
          stepPerSecond: 20,
          runAt: (arrivalRate) => runProbePattern(target, probeScenarioYaml({ name: 'bench-workers', arrivalRate, phaseSeconds: probePhaseSeconds, patternYaml: pattern }), 'bench-workers.yaml', options),
          onProbe: (probe) => {
            lines.push(describeProbe(probe, probePhaseSeconds));
            console.error(`[bench workers ${workers}] ${lines[lines.length - 1]}`);
          },
        });
        held.set(workers, search.heldPerSecond);
        lines.push(`  held ${search.heldPerSecond}/s${search.failedPerSecond !== undefined ? ` (${search.failedPerSecond}/s did not hold)` : ''}`);
      } finally {
        await processes?.close();
      }
    }
  } finally {
    await target.stop();
  }
  const one = held.get(1) ?? 0;
  lines.push('', '| workers | held (events/s) | ratio to 1 worker |', '| --- | --- | --- |');
  for (const workers of counts) lines.push(`| ${workers}${workers === ('count' in auto ? auto.count : 1) ? ' (auto)' : ''} | ${held.get(workers)?.toLocaleString('en-US')} | ${one > 0 ? ((held.get(workers) ?? 0) / one).toFixed(2) : '–'} |`);
  return { name: 'sqs: held rate by load workers', lines };
}
