import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { loadScenarioFile } from '../scenario/load.ts';
import { predictScenario } from '../predict/predict-scenario.ts';
import { simulateExact } from '../predict/exact-simulation.ts';
import { parseScenario } from '../scenario/load.ts';

/**
 * `sluice predict` at scale: simulated events per second of wall time and the wall time of
 * the two large shipped scenarios (aggregate fidelity; targets: burst-100k < 5 s, day-1b <
 * 10 s, under 500 MB), and the exact mode's rate on a 120,000-event SQS run (every event
 * through the run's own mapping, runtime and ledger on the virtual clock).
 */
export async function benchPredict(): Promise<{ name: string; lines: string[] }> {
  // In a process of its own: the memory figures and the exact mode's rate are then the
  // prediction's, not those of a heap the benches before it filled.
  const { stdout } = await promisify(execFile)(process.execPath, ['bin/run-ts.js', 'bench/predict.bench.ts', childFlag], { maxBuffer: 16 * 1024 * 1024, timeout: 600_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as { name: string; lines: string[] };
}

const childFlag = '--in-own-process';

async function measurePredict(): Promise<{ name: string; lines: string[] }> {
  const lines: string[] = [];
  for (const file of ['scenarios/burst-100k.yaml', 'scenarios/day-1b.yaml']) {
    const scenario = await loadScenarioFile(file, { enforceEventCap: false });
    const heapBefore = process.memoryUsage().rss;
    const result = await predictScenario({ scenario, scenarioFile: file });
    const prediction = result.prediction!;
    const pattern = result.patterns[0]!;
    lines.push(
      `${file}: ${prediction.fidelity}, ${(prediction.wallMs / 1000).toFixed(2)} s wall, ${prediction.simulatedEventsPerWallSecond.toLocaleString('en-US')} simulated events/s, ` +
        `${pattern.summary.invocations.toLocaleString('en-US')} invocations, peak concurrency ${pattern.summary.peakConcurrency.toLocaleString('en-US')}, rss ${Math.round(Math.max(heapBefore, process.memoryUsage().rss) / 1e6)} MB`,
    );
  }
  const exactScenario = parseScenario(
    'name: exact-bench\nworkload:\n  phases: [{ duration: 60, arrivalRate: 2000 }]\nfunction:\n  handler: { duration: { p50: 40ms, p99: 120ms } }\npatterns:\n  - source: sqs\n    batchSize: 10\n',
    'exact-bench.yaml',
  );
  const exact = await simulateExact({ scenario: exactScenario, pattern: exactScenario.patterns[0]!, patternName: 'sqs', startMs: Date.now() });
  lines.push(
    `exact, SQS 2,000 events/s for 60 s: ${exact.simulatedEvents.toLocaleString('en-US')} events, ${exact.timersFired.toLocaleString('en-US')} timers, ${(exact.wallMs / 1000).toFixed(2)} s wall, ${Math.round((exact.simulatedEvents / exact.wallMs) * 1000).toLocaleString('en-US')} simulated events/s`,
  );
  return { name: 'predict', lines };
}

if (process.argv.includes(childFlag)) console.log(JSON.stringify(await measurePredict()));
