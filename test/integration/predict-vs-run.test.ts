import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseScenario } from '../../scenario/load.ts';
import { runScenario } from '../../run/run-scenario.ts';
import { predictScenario } from '../../predict/predict-scenario.ts';
import { agreementOf, formatAgreement } from '../../predict/agreement.ts';

// The shortest shipped scenario with a 3 s phase, run on the embedded target and predicted
// (exact). The other shipped scenarios: `node --import ./bin/register.mjs scripts/predict-vs-run.ts`.
describe('sluice predict against a real embedded run', () => {
  it('agrees with a run of sqs-basic (3 s phase) within 10 % on throughput, peak concurrency and cost', async () => {
    const scenario = parseScenario(readFileSync('scenarios/sqs-basic.yaml', 'utf8'), 'scenarios/sqs-basic.yaml');
    const short = { ...scenario, workload: { ...scenario.workload, phases: [{ duration: 3000, arrivalRate: 50 }] }, drainTimeout: 10_000 };
    const measured = await runScenario({ scenario: short, scenarioFile: 'scenarios/sqs-basic.yaml', signal: new AbortController().signal });
    const predicted = await predictScenario({ scenario: short, scenarioFile: 'scenarios/sqs-basic.yaml', fidelity: 'exact' });
    expect(measured.status).toBe('completed');
    const rows = agreementOf(predicted.patterns[0]!, measured.patterns[0]!);
    console.log(formatAgreement('sqs-basic (3 s)', rows));
    expect(predicted.patterns[0]!.accounting.completed).toBe(measured.patterns[0]!.accounting.completed);
    for (const row of rows.filter((r) => r.figure === 'throughputOut' || r.figure === 'peakConcurrency' || r.figure === 'costUsd')) {
      expect(row.gap, `${row.figure}: ${row.rule}`).toBeLessThan(0.1);
    }
  }, 60_000);
});
