import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { loadScenarioFile } from '../scenario/load.ts';
import { predictScenario } from '../predict/predict-scenario.ts';
import { simulateExact } from '../predict/exact-simulation.ts';
import { parseScenario } from '../scenario/load.ts';

/**
 * `sluice predict` at scale: simulated events per second of wall time and the wall time of
 * the two large shipped scenarios (aggregate fidelity; targets: burst-100k < 5 s, day-1b <
 * 10 s, under 500 MB), and the exact mode's rate on a 120,000-event SQS run and a
 * 600,000-record Kinesis run (every event through the run's own mapping, runtime and ledger
 * on the virtual clock).
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
  lines.push(exactLine('SQS 2,000 events/s for 60 s (batches of up to 10)', exact));
  // Kinesis batches of 100: the cost per record, where SQS's line is mostly the cost per invoke.
  const kinesisScenario = parseScenario(
    'name: exact-bench-kinesis\nworkload:\n  phases: [{ duration: 60, arrivalRate: 10000 }]\n  keys: { count: 1000 }\nfunction:\n  handler: { duration: { p50: 40ms, p99: 120ms } }\npatterns:\n  - source: kinesis\n    shards: 12\n    batchSize: 100\n',
    'exact-bench-kinesis.yaml',
    undefined,
    { enforceEventCap: false },
  );
  const kinesis = await simulateExact({ scenario: kinesisScenario, pattern: kinesisScenario.patterns[0]!, patternName: 'kinesis', startMs: Date.now() });
  lines.push(exactLine('Kinesis 10,000 records/s into 12 shards for 60 s (batches of 100)', kinesis));
  return { name: 'predict', lines };
}

function exactLine(what: string, exact: Awaited<ReturnType<typeof simulateExact>>): string {
  return `exact, ${what}: ${exact.simulatedEvents.toLocaleString('en-US')} events, ${exact.result.summary.invocations.toLocaleString('en-US')} invocations, ${exact.timersFired.toLocaleString('en-US')} timers, ${(exact.wallMs / 1000).toFixed(2)} s wall, ${Math.round((exact.simulatedEvents / exact.wallMs) * 1000).toLocaleString('en-US')} simulated events/s`;
}

if (process.argv.includes(childFlag)) console.log(JSON.stringify(await measurePredict()));
