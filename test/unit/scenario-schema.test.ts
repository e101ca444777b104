import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../scenario/load.ts';
import { ScenarioError } from '../../scenario/errors.ts';
import { parseDurationMs } from '../../core/duration.ts';
import { coldStartDistributionOf } from '../../scenario/parts.ts';

function problemsOf(text: string) {
  try {
    parseScenario(text, 'scenario.yaml');
  } catch (error) {
    if (error instanceof ScenarioError) return error.problems;
    throw error;
  }
  return [];
}

const minimal = `
name: minimal
workload:
  phases:
    - duration: 10
      arrivalRate: 5
patterns:
  - source: sqs
`;

describe('scenario schema', () => {
  it('fills AWS defaults in the units the runtime uses', () => {
    const scenario = parseScenario(minimal, 'scenario.yaml');
    expect(scenario.target).toBe('embedded');
    expect(scenario.function.timeout).toBe(3000);
    // No initDuration and no runtime: a 250 ms cold start.
    expect(scenario.function.initDuration).toBeUndefined();
    expect(coldStartDistributionOf(scenario.function)).toEqual({ p50Ms: 250, p99Ms: 250 });
    expect(scenario.function.handler).toEqual({ type: 'synthetic', duration: { kind: 'fixed', fixedMs: 50 }, errorRate: 0, cpuShare: 0.5 });
    expect(scenario.account.concurrencyLimit).toBe(1000);
    expect(scenario.account.burstEnvironmentsPer10Seconds).toBe(1000);
    const sqs = scenario.patterns[0];
    expect(sqs).toMatchObject({ source: 'sqs', batchSize: 10, visibilityTimeout: 30_000, maxReceiveCount: 3, maximumBatchingWindow: 0 });
    expect(scenario.workload.phases[0]).toEqual({ duration: 10_000, arrivalRate: 5 });
  });

  it('reads durations as seconds or with a unit', () => {
    expect(parseDurationMs(30)).toBe(30_000);
    expect(parseDurationMs('250ms')).toBe(250);
    expect(parseDurationMs('2m')).toBe(120_000);
    expect(parseDurationMs('1.5s')).toBe(1500);
    expect(parseDurationMs('soon')).toBeUndefined();
    expect(parseDurationMs(-1)).toBeUndefined();
  });

  it('reads a p50/p99 handler duration as a lognormal', () => {
    const scenario = parseScenario(minimal + 'function:\n  handler:\n    duration: { p50: 40ms, p99: 200ms }\n', 'scenario.yaml');
    expect(scenario.function.handler).toMatchObject({ duration: { kind: 'lognormal', p50Ms: 40, p99Ms: 200 } });
  });

  it('reports every problem at once, each with line, column and key path', () => {
    const problems = problemsOf(`
name: Not_Valid
workload:
  phases:
    - duration: 10
      arrivalRate: -1
    - pause: later
  eventSizeBytes: 1
function:
  memroyMb: 512
patterns:
  - source: sqs
    batchSize: 20000
  - source: carrier-pigeon
`);
    const byKey = Object.fromEntries(problems.map((p) => [p.keyPath, p]));
    expect(byKey['name'].line).toBe(2);
    expect(byKey['workload.phases[0].arrivalRate']).toMatchObject({ line: 6 });
    expect(byKey['workload.phases[1].pause'].message).toContain('not a duration');
    expect(byKey['workload.eventSizeBytes'].line).toBe(8);
    expect(byKey['function.memroyMb'].message).toBe('unknown key "memroyMb"');
    expect(byKey['patterns[0].batchSize'].line).toBe(13);
    expect(byKey['patterns[1].source'].line).toBe(14);
    expect(problems.every((p) => p.file === 'scenario.yaml')).toBe(true);
  });

  it('rejects YAML syntax errors with their line', () => {
    const problems = problemsOf('name: x\nworkload: [unclosed\n');
    expect(problems[0].message).toMatch(/^YAML:/);
    expect(problems[0].line).toBeGreaterThanOrEqual(2);
  });

  it('applies the cross-field rules AWS applies', () => {
    const problems = problemsOf(`
name: rules
workload:
  phases: [{ duration: 5, arrivalRate: 1 }]
function:
  reservedConcurrency: 5
  provisionedConcurrency: 10
patterns:
  - source: sqs
    fifo: true
    batchSize: 20
    maximumBatchingWindow: 1s
  - source: sqs
    messageGroups: 4
`);
    const messages = problems.map((p) => `${p.keyPath}: ${p.message}`);
    expect(messages).toContain('patterns[0].batchSize: FIFO queues allow a batchSize of at most 10');
    expect(messages.some((m) => m.startsWith('patterns[1].messageGroups'))).toBe(true);
    expect(messages.some((m) => m.startsWith('patterns[1].name'))).toBe(true);
    expect(messages.some((m) => m.startsWith('function.provisionedConcurrency'))).toBe(true);
  });
});

describe('scenario JSON Schema for editors', () => {
  it('docs/scenario.schema.json is generated from the current schema (regenerate: npx sluice schema > docs/scenario.schema.json)', async () => {
    const { readFile } = await import('node:fs/promises');
    const { scenarioJsonSchema } = await import('../../scenario/json-schema.ts');
    const committed = JSON.parse(await readFile('docs/scenario.schema.json', 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(scenarioJsonSchema())));
  });
});
