import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../scenario/load.ts';
import { runScenario } from '../../run/run-scenario.ts';

describe('several patterns in one run', () => {
  it('--parallel runs each pattern on its own resources at the same time, and accounts for each separately', async () => {
    const scenario = parseScenario(
      `
name: parallel
workload:
  phases: [{ duration: 4, arrivalRate: 25 }]
function:
  handler: { duration: 20ms }
patterns:
  - source: sqs
    name: queue-a
  - source: sqs
    name: queue-b
    batchSize: 1
  - source: kinesis
    shards: 1
`,
      'parallel.yaml',
    );
    const startedAtMs = Date.now();
    const result = await runScenario({ scenario, scenarioFile: 'parallel.yaml', parallel: true, signal: new AbortController().signal });
    const wallMs = Date.now() - startedAtMs;
    expect(result.status).toBe('completed');
    expect(result.patterns.map((p) => p.name).sort()).toEqual(['kinesis', 'queue-a', 'queue-b']);
    for (const pattern of result.patterns) {
      expect(pattern.accounting.sent, pattern.name).toBe(100);
      expect(pattern.accounting.completed, pattern.name).toBe(100);
      expect(pattern.accounting.lost, pattern.name).toBe(0);
    }
    // The patterns overlapped in time rather than running one after the other.
    const [first, ...others] = result.patterns;
    for (const other of others) expect(other.startedAtMs).toBeLessThan(first.endedAtMs);
    expect(wallMs).toBeGreaterThan(4000);
  });
});
