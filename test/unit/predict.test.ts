import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseScenario } from '../../scenario/load.ts';
import { patternNameOf } from '../../scenario/schema.ts';
import { simulateExact } from '../../predict/exact-simulation.ts';
import { simulateAggregate } from '../../predict/aggregate-model.ts';
import { predictScenario } from '../../predict/predict-scenario.ts';
import { parseRunResult } from '../../analysis/run-result-schema.ts';
import { renderRunMarkdown } from '../../analysis/report-markdown.ts';

const startMs = 1_767_225_600_000;

function scenarioOf(yaml: string) {
  return parseScenario(yaml, 'predict-test.yaml', undefined, { enforceEventCap: false });
}

describe('sluice predict', () => {
  it('writes a RunResult marked predicted that the result schema reads back, and its report says it is a model', async () => {
    const scenario = scenarioOf(readFileSync('scenarios/sqs-basic.yaml', 'utf8'));
    const result = await predictScenario({ scenario, scenarioFile: 'scenarios/sqs-basic.yaml', fidelity: 'exact' });
    expect(result.mode).toBe('predicted');
    const parsed = parseRunResult(JSON.stringify(result), 'result.json', { requirePatterns: 'a baseline' });
    expect(parsed.prediction?.fidelity).toBe('exact');
    const markdown = renderRunMarkdown(result);
    expect(markdown).toContain('mode: **predicted** — a model');
    expect(markdown).toContain(result.prediction!.rulesVersion);
    expect(markdown).toContain('‡');
    expect(result.patterns[0]!.accounting.lost).toBe(0);
    expect(result.patterns[0]!.accounting.completed).toBe(850);
  });

  // https://docs.aws.amazon.com/lambda/latest/dg/scaling-behavior.html — "each function can
  // scale by 1,000 execution environments every 10 seconds".
  it('adds at most 1,000 environments per 10 s per function (burst-100k)', () => {
    const scenario = scenarioOf(readFileSync('scenarios/burst-100k.yaml', 'utf8'));
    const { result } = simulateAggregate({ scenario, pattern: scenario.patterns[0]!, patternName: 'apigateway', startMs });
    const concurrency = result.series.map((point) => point.concurrency);
    const burstStart = 60;
    // 2,000 warm environments before the step; then +1,000 per 10 s (the first 10 s may use the full bucket).
    const after100s = concurrency[burstStart + 100]!;
    console.log(`burst-100k: concurrency at the step ${concurrency[burstStart]}, +100 s ${after100s}, peak ${result.summary.peakConcurrency}`);
    for (let second = burstStart + 10; second + 10 < burstStart + 900; second += 10) {
      expect(concurrency[second + 10]! - concurrency[second]!).toBeLessThanOrEqual(1000 + 1);
    }
    expect(result.summary.peakConcurrency).toBe(100_000);
  });

  // https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html — standard queues:
  // "Lambda starts with five concurrent batches", adds "up to 300 more instances per minute"
  // while messages are available, to 1,250 concurrent invokes at most.
  it('SQS pollers start at 5 and grow by 300 a minute (exact mode, the run’s own mapping), to 1,250 at most (aggregate)', async () => {
    const yaml = (seconds: number, rate: number) => `name: sqs-scale
workload:
  phases: [{ duration: ${seconds}, arrivalRate: ${rate} }]
function:
  handler: { duration: 1s }
  initDuration: 100ms
account: { concurrencyLimit: 2000 }
drainTimeout: 0
patterns:
  - source: sqs
    batchSize: 1
`;
    const firstMinute = scenarioOf(yaml(62, 600));
    const { result } = await simulateExact({ scenario: firstMinute, pattern: firstMinute.patterns[0]!, patternName: 'sqs', startMs });
    const pollers = result.series.map((point) => point.pollers ?? 0);
    const long = scenarioOf(yaml(600, 3000));
    const aggregate = simulateAggregate({ scenario: long, pattern: long.patterns[0]!, patternName: 'sqs', startMs }).result;
    const aggregatePollers = aggregate.series.map((point) => point.pollers ?? 0);
    console.log(`sqs pollers (exact): t=1 s ${pollers[1]}, t=60 s ${pollers[60]}; (aggregate) t=60 s ${aggregatePollers[60]}, max ${Math.max(...aggregatePollers)}`);
    expect(pollers[1]).toBeLessThanOrEqual(10);
    expect(pollers[60]! - pollers[1]!).toBeGreaterThan(300 * 0.9);
    expect(pollers[60]! - pollers[1]!).toBeLessThanOrEqual(300 + 5);
    expect(Math.abs(aggregatePollers[60]! - pollers[60]!)).toBeLessThanOrEqual(10);
    expect(Math.max(...aggregatePollers)).toBe(1250);
  }, 60_000);

  // https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html — concurrent batches per
  // shard = parallelizationFactor.
  it('Kinesis concurrency is shards × parallelizationFactor (exact mode)', async () => {
    const scenario = scenarioOf(`name: kinesis-pf
workload:
  phases: [{ duration: 20, arrivalRate: 2000 }]
  keys: { count: 1000 }
function:
  handler: { duration: 400ms }
patterns:
  - source: kinesis
    shards: 2
    parallelizationFactor: 5
    batchSize: 10
`);
    const { result } = await simulateExact({ scenario, pattern: scenario.patterns[0]!, patternName: 'kinesis', startMs });
    console.log(`kinesis 2 shards × pf 5: peak concurrency ${result.summary.peakConcurrency}`);
    expect(result.summary.peakConcurrency).toBe(10);
  }, 60_000);

  it('exact and aggregate agree on the shipped basic scenarios (figures printed)', async () => {
    const rows: string[] = [];
    for (const file of ['scenarios/sqs-basic.yaml', 'scenarios/compare-all.yaml']) {
      const scenario = scenarioOf(readFileSync(file, 'utf8'));
      for (const pattern of scenario.patterns) {
        const name = patternNameOf(pattern);
        const exact = (await simulateExact({ scenario, pattern, patternName: name, startMs })).result;
        const aggregate = simulateAggregate({ scenario, pattern, patternName: name, startMs }).result;
        const gap = (a: number, b: number) => (Math.max(a, b) === 0 ? 0 : Math.abs(a - b) / Math.max(a, b));
        const figures = {
          throughputOut: [exact.summary.throughputOutPerSecond, aggregate.summary.throughputOutPerSecond],
          p99: [exact.latency.endToEndMs.p99, aggregate.latency.endToEndMs.p99],
          peakConcurrency: [exact.summary.peakConcurrency, aggregate.summary.peakConcurrency],
          cost: [exact.cost!.totalUsd, aggregate.cost!.totalUsd],
        };
        rows.push(`${file.split('/').pop()} ${name}: ` + Object.entries(figures).map(([metric, [a, b]]) => `${metric} ${a} vs ${b} (${(gap(a!, b!) * 100).toFixed(1)} %)`).join(', '));
        // Completions are counted, not estimated: both fates of every event agree exactly.
        expect(aggregate.accounting.completed).toBe(exact.accounting.completed);
        expect(gap(figures.throughputOut[0]!, figures.throughputOut[1]!)).toBeLessThan(0.06);
      }
    }
    console.log(rows.join('\n'));
  }, 120_000);
});
