import { describe, expect, it } from 'vitest';
import { comparePatterns, defaultComparisonMetrics, type Comparison } from '../../analysis/compare.ts';
import { estimateCost } from '../../analysis/cost.ts';
import { loadRunFixture, makePattern, makeRun, percentiles } from '../fixtures/run-results/helpers.ts';
import { sourceModules } from '../../drivers/registry.ts';

const costModels = Object.fromEntries(Object.entries(sourceModules).map(([source, module]) => [source, module.cost]));

function row(comparison: Comparison, metric: string) {
  const found = comparison.rows.find((r) => r.metric === metric);
  if (!found) throw new Error(`no row ${metric}`);
  return found;
}

function winners(comparison: Comparison, metric: string): string[] {
  return row(comparison, metric).winners.map((i) => comparison.columns[i].key);
}

describe('comparePatterns', () => {
  const comparison = comparePatterns([loadRunFixture('sqs-standard'), loadRunFixture('kinesis-4-shards')], { costModels });

  it('puts one column per pattern, named by the pattern when names are unique', () => {
    expect(comparison.columns.map((c) => [c.key, c.source])).toEqual([
      ['sqs-standard', 'sqs'],
      ['kinesis-4-shards', 'kinesis'],
    ]);
  });

  it('names the winner in the direction of each metric', () => {
    expect(winners(comparison, 'p50EndToEnd')).toEqual(['sqs-standard']); // 210 ms vs 530 ms: lower wins
    expect(winners(comparison, 'p99EndToEnd')).toEqual(['kinesis-4-shards']); // 2.56 s vs 1.23 s
    expect(winners(comparison, 'throughputOut')).toEqual(['kinesis-4-shards']); // 764/s vs 701/s: higher wins
    expect(winners(comparison, 'sourceThrottles')).toEqual(['sqs-standard']); // 0 vs 52
    expect(winners(comparison, 'peakConcurrency')).toEqual(['kinesis-4-shards']);
    expect(winners(comparison, 'costPerMillion')).toEqual(['kinesis-4-shards']);
  });

  it('calls values within 2 % of each other a tie', () => {
    expect(row(comparison, 'throughputIn')).toMatchObject({ verdict: 'tie', winners: [] }); // 841.2 vs 840.7
    expect(row(comparison, 'lost')).toMatchObject({ verdict: 'tie', values: [0, 0] });
  });

  it('leaves a metric only one pattern has without a winner, and shows n/a for the other', () => {
    expect(row(comparison, 'maxIteratorAge')).toMatchObject({ verdict: 'single', winners: [], values: [undefined, 927] });
    expect(row(comparison, 'maxQueueAge')).toMatchObject({ verdict: 'single', values: [1116, undefined] });
  });

  it('leaves out rows no pattern has', () => {
    expect(comparison.rows.map((r) => r.metric)).not.toContain('maxAsyncEventAge');
    expect(comparePatterns(loadRunFixture('eventbridge-apigateway')).rows.map((r) => r.metric)).toContain('maxAsyncEventAge');
  });

  it('keeps the default metric order', () => {
    const order = comparison.rows.map((r) => defaultComparisonMetrics.indexOf(r.metric));
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it('can name several winners when they tie with each other but not with the rest', () => {
    const fast = (name: string, p99: number) => makePattern({ name, latency: { endToEndMs: percentiles({ p99 }) } });
    const result = comparePatterns(makeRun([fast('a', 500), fast('b', 505), fast('c', 900)]));
    expect(winners(result, 'p99EndToEnd')).toEqual(['a', 'b']);
  });

  it('does not let a pattern that completed nothing win on latency', () => {
    const idle = makePattern({ name: 'idle', latency: { endToEndMs: percentiles({ count: 0, p50: 0, p90: 0, p95: 0, p99: 0, max: 0, mean: 0 }) } });
    const result = comparePatterns(makeRun([idle, makePattern({ name: 'busy' })]));
    expect(row(result, 'p99EndToEnd')).toMatchObject({ verdict: 'single', values: [undefined, 250] });
  });

  it('prefixes keys with the run label, or the run id, when pattern names collide', () => {
    const before = loadRunFixture('sqs-standard');
    const after = loadRunFixture('sqs-standard');
    after.runId = 'after-run';
    expect(comparePatterns([before, after]).columns.map((c) => c.key)).toEqual([`${before.runId}/sqs-standard`, 'after-run/sqs-standard']);
    expect(
      comparePatterns([
        { result: before, label: 'main' },
        { result: after, label: 'pr-42' },
      ]).columns.map((c) => c.key),
    ).toEqual(['main/sqs-standard', 'pr-42/sqs-standard']);
  });

  it('prices the cost row with the prices given', () => {
    const sqs = loadRunFixture('sqs-standard');
    const cheap = comparePatterns(sqs, { prices: { lambdaGbSecondArm64Usd: 0 }, costModels });
    const expected = estimateCost(sqs.patterns[0], { lambdaGbSecondArm64Usd: 0 }, sourceModules.sqs.cost).perMillionEventsUsd;
    expect(row(cheap, 'costPerMillion').values[0]).toBeCloseTo(expected, 12);
    expect(cheap.columns[0].cost.notes).toContain('prices overridden: lambdaGbSecondArm64Usd');
  });

  it('prices only the function of a source it has no cost model for, and says so', () => {
    const sqs = loadRunFixture('sqs-standard');
    const unpriced = comparePatterns(sqs, { prices: {} });
    expect(unpriced.columns[0].cost.lines.some((l) => l.item.startsWith('SQS'))).toBe(false);
    expect(unpriced.columns[0].cost.notes).toContain('no source prices for "sqs"; only the function is priced');
  });

  it('uses a cost the run recorded when no prices are given', () => {
    const sqs = loadRunFixture('sqs-standard');
    sqs.patterns[0].cost = { totalUsd: 1, perMillionEventsUsd: 42, lines: [], pricesAsOf: 'recorded' };
    expect(row(comparePatterns(sqs), 'costPerMillion').values).toEqual([42]);
  });
});
