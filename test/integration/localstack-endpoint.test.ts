import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseScenario } from '../../scenario/load.ts';
import { runScenario } from '../../run/run-scenario.ts';
import { startEmbeddedTarget } from '../../targets/embedded/embedded-target.ts';
import type { Target } from '../../targets/target.ts';

/**
 * `--target localstack --endpoint URL` exercised here against sluice's own edge endpoint,
 * which speaks the same APIs as LocalStack: the same scenario, unchanged, through the quota
 * edge sluice puts in front of an endpoint it did not start.
 */
describe('--target localstack --endpoint', () => {
  let upstream: Target;

  beforeAll(async () => {
    upstream = await startEmbeddedTarget(['sqs', 'kinesis', 'eventbridge'], 'us-east-1');
  });

  afterAll(async () => {
    await upstream?.stop();
  });

  it('runs a scenario unchanged through the quota edge, states who enforced each quota, and leaves the endpoint running', async () => {
    const scenario = parseScenario(
      `
name: endpoint
workload:
  phases: [{ duration: 3, arrivalRate: 20 }]
function:
  handler: { duration: 20ms }
patterns:
  - source: sqs
  - source: kinesis
    shards: 1
  - source: eventbridge
`,
      'endpoint.yaml',
    );
    const result = await runScenario({ scenario, scenarioFile: 'endpoint.yaml', target: 'localstack', endpoint: upstream.info.endpoint, signal: new AbortController().signal });
    expect(result.status).toBe('completed');
    expect(result.target).toMatchObject({ kind: 'localstack', endpoint: upstream.info.endpoint, consumer: 'sluice' });
    expect(result.target.quotaEdge).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(result.target.quotaEdge).not.toBe(upstream.info.endpoint);
    for (const pattern of result.patterns) {
      expect(pattern.accounting, pattern.name).toMatchObject({ sent: 60, completed: 60, lost: 0 });
    }
    const kinesis = result.patterns.find((p) => p.source === 'kinesis')!;
    expect(kinesis.quotas.every((quota) => quota.enforcedBy === 'sluice')).toBe(true);
    // sluice never stops what it did not start.
    const health = await fetch(new URL('/_sluice/health', upstream.info.endpoint!));
    expect(health.ok).toBe(true);
  });

  it('says what to do when nothing answers at the endpoint', async () => {
    const scenario = parseScenario('name: nothing\nworkload: { phases: [{ duration: 1, arrivalRate: 1 }] }\npatterns: [{ source: sqs }]\n', 'nothing.yaml');
    const result = await runScenario({ scenario, scenarioFile: 'nothing.yaml', target: 'localstack', endpoint: 'http://127.0.0.1:9', signal: new AbortController().signal });
    expect(result.status).toBe('failed');
    expect(result.failure?.message).toMatch(/127\.0\.0\.1:9/);
    expect(result.patterns).toHaveLength(0);
  });
});
