import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseScenario } from '../../scenario/load.ts';
import { runScenario } from '../../run/run-scenario.ts';
import { predictScenario } from '../../predict/predict-scenario.ts';
import { agreementOf, formatAgreement } from '../../predict/agreement.ts';

// Shipped scenarios with a 3 s phase, run on the embedded target and predicted (exact). Every
// shipped scenario at full length: test/agreement/predict-vs-run-all.test.ts (`npm run test:agreement`).
/** A shipped scenario with one 3 s phase at `arrivalRate`: run on the embedded target, then predicted exactly. */
async function runAndPredict(file: string, arrivalRate: number, drainTimeoutMs: number) {
  const scenario = parseScenario(readFileSync(file, 'utf8'), file);
  const short = { ...scenario, workload: { ...scenario.workload, phases: [{ duration: 3000, arrivalRate }] }, drainTimeout: drainTimeoutMs };
  const measured = await runScenario({ scenario: short, scenarioFile: file, signal: new AbortController().signal });
  const predicted = await predictScenario({ scenario: short, scenarioFile: file, fidelity: 'exact' });
  expect(measured.status).toBe('completed');
  return { measured, predicted };
}

describe('sluice predict against a real embedded run', () => {
  it('agrees with a run of sqs-basic (3 s phase) within 10 % on throughput, peak concurrency and cost', async () => {
    const { measured, predicted } = await runAndPredict('scenarios/sqs-basic.yaml', 50, 10_000);
    const rows = agreementOf(predicted.patterns[0]!, measured.patterns[0]!);
    console.log(formatAgreement('sqs-basic (3 s)', rows));
    expect(predicted.patterns[0]!.accounting.completed).toBe(measured.patterns[0]!.accounting.completed);
    for (const row of rows.filter((r) => r.figure === 'throughputOut' || r.figure === 'peakConcurrency' || r.figure === 'costUsd')) {
      expect(row.gap, `${row.figure}: ${row.rule}`).toBeLessThan(0.1);
    }
  }, 60_000);

  it('agrees with a run of compare-all (every source, 3 s phase) within 10 % on throughput and cost, and within two environments on peak concurrency', async () => {
    const { measured, predicted } = await runAndPredict('scenarios/compare-all.yaml', 40, 15_000);
    for (const pattern of measured.patterns) {
      const twin = predicted.patterns.find((p) => p.name === pattern.name)!;
      const rows = agreementOf(twin, pattern);
      console.log(formatAgreement(`compare-all (3 s) ${pattern.name}`, rows));
      expect(twin.accounting.completed, pattern.name).toBe(pattern.accounting.completed);
      console.log(`compare-all (3 s) ${pattern.name} invocations: predicted ${twin.summary.invocations} vs measured ${pattern.summary.invocations}`);
      // Kinesis takes 3 s of load in six or seven batches, a read per shard a second: where those
      // reads fall against the 3 s (and against a loaded machine's timers) moves a batch between
      // seconds and invokes, so the steady throughput and the GB-seconds of a few draws part by
      // 15–30 % while every record completes in both. Checked here as records and invokes (one
      // batch per shard either way); at full length (test/agreement/predict-vs-run-all.test.ts) throughput agrees
      // within 5 % and cost within 6 %.
      const readsPerShard = pattern.source === 'kinesis' ? (pattern.settings as { shards: number }).shards : 0;
      for (const row of rows.filter((r) => (r.figure === 'throughputOut' || r.figure === 'costUsd') && readsPerShard === 0)) expect(row.gap, `${pattern.name} ${row.figure}: ${row.rule}`).toBeLessThan(0.1);
      if (readsPerShard > 0) expect(Math.abs(twin.summary.invocations - pattern.summary.invocations), `${pattern.name} invocations`).toBeLessThanOrEqual(readsPerShard);
      // A handful of environments: one more or fewer is a 7–20 % gap, so the bound is in environments.
      // The run's async peak moves with how promptly its deliveries run (measured alone: 14 vs 15;
      // with other test files beside it: 14 vs 17), hence two.
      expect(Math.abs(twin.summary.peakConcurrency - pattern.summary.peakConcurrency), `${pattern.name} peak concurrency`).toBeLessThanOrEqual(Math.max(2, 0.1 * pattern.summary.peakConcurrency));
    }
  }, 120_000);
});
