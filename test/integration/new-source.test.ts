import { describe, expect, it } from 'vitest';
import { sourceModules, type SourceRegistry } from '../../drivers/registry.ts';
import { parseScenario } from '../../scenario/load.ts';
import { runScenario } from '../../run/run-scenario.ts';
import { planAwsRun, formatAwsPlan } from '../../run/aws-dry-run.ts';
import { buildStackTemplate } from '../../targets/aws/template.ts';
import { functionUrlSource } from '../fixtures/sources/function-url/function-url-source.ts';
import type { FunctionUrlPattern } from '../fixtures/sources/function-url/schema.ts';

/**
 * A sixth source, registered as a new source is: its folder
 * (test/fixtures/sources/function-url/) and one registry line. Nothing else in sluice
 * names it, and it is validated, planned, priced, templated and run like the others.
 */
const sources = { ...sourceModules, 'function-url': functionUrlSource } as const satisfies SourceRegistry;

const scenarioText = [
  'name: function-url-demo',
  'workload:',
  '  phases: [{ duration: 3, arrivalRate: 20 }]',
  'function:',
  '  handler: { duration: 20ms }',
  '  initDuration: 100ms',
  'drainTimeout: 10',
  'patterns:',
  '  - source: function-url',
  '  - source: sqs',
  '    name: beside-it',
].join('\n');

describe('a source sluice does not ship (function-url, test-only)', () => {
  const scenario = parseScenario(scenarioText, 'function-url-demo.yaml', sources);

  it('is priced and templated by the dry run beside a built-in source', () => {
    const plan = planAwsRun(scenario, { sources });
    const [functionUrl, sqs] = plan.patterns;
    expect(functionUrl!.source).toBe('function-url');
    expect(functionUrl!.resources.map((r) => r.type)).toContain('AWS::Lambda::Url');
    expect(functionUrl!.costUsd.high).toBeGreaterThan(0);
    expect(sqs!.source).toBe('sqs');
    expect(formatAwsPlan(plan)).toContain('pattern function-url (function-url)');
    // The built-in Scenario type knows sluice's own sources; this pattern is the test source's.
    const template = buildStackTemplate(scenario, scenario.patterns[0] as unknown as FunctionUrlPattern, functionUrlSource.aws, 'demo-run');
    expect(template.Outputs.ApiUrl).toBeDefined();
  });

  it('runs on the embedded target, each event accounted for', async () => {
    const result = await runScenario({ scenario, scenarioFile: 'function-url-demo.yaml', signal: new AbortController().signal, only: ['function-url'], sources });
    expect(result.status).toBe('completed');
    const pattern = result.patterns[0]!;
    console.log(`function-url: sent ${pattern.accounting.sent}, completed ${pattern.accounting.completed}, lost ${pattern.accounting.lost}, p99 ${pattern.latency.endToEndMs.p99} ms`);
    expect(pattern.source).toBe('function-url');
    expect(pattern.accounting.sent).toBe(60);
    expect(pattern.accounting.completed + pattern.accounting.failed).toBe(60);
    expect(pattern.accounting.lost).toBe(0);
    expect(pattern.summary.coldStarts).toBeGreaterThan(0);
    expect(pattern.cost?.notes).toContain('function URL requests are included in Lambda’s request pricing');
  });
});
