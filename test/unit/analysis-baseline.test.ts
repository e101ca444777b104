import { describe, expect, it } from 'vitest';
import { compareWithBaseline, toleranceFor, type BaselineComparison } from '../../analysis/baseline.ts';
import type { RunResult } from '../../analysis/run-result.ts';
import { loadRunFixture } from '../fixtures/run-results/helpers.ts';

function delta(comparison: BaselineComparison, metric: string, pattern = 'sqs-standard') {
  const found = comparison.patterns.find((p) => p.pattern === pattern)?.deltas.find((d) => d.metric === metric);
  if (!found) throw new Error(`no delta for ${pattern}/${metric}`);
  return found;
}

function changed(edit: (run: RunResult) => void): { baseline: RunResult; current: RunResult } {
  const baseline = loadRunFixture('sqs-standard');
  const current = loadRunFixture('sqs-standard');
  current.runId = 'current';
  edit(current);
  return { baseline, current };
}

describe('compareWithBaseline', () => {
  it('finds no regression in an identical run', () => {
    const run = loadRunFixture('sqs-standard');
    const comparison = compareWithBaseline(run, loadRunFixture('sqs-standard'));
    expect(comparison).toMatchObject({ regressions: 0, improvements: 0, regressed: false });
    expect(comparison.patterns[0].deltas.every((d) => d.status === 'unchanged')).toBe(true);
    // A source's own metrics only: an SQS pattern has no iterator age to compare.
    expect(comparison.patterns[0].deltas.map((d) => d.metric)).not.toContain('maxIteratorAge');
  });

  it('leaves the load check to thresholds: a harness that held the load less well is no regression of the system', () => {
    const baseline = loadRunFixture('sqs-standard');
    baseline.patterns[0].load.shortfall = 0.0068;
    baseline.patterns[0].load.arrivalLagMs = { p50: 1, p99: 12, max: 40 };
    const { current } = changed((run) => {
      run.patterns[0].load.shortfall = 0.0165;
      run.patterns[0].load.arrivalLagMs = { p50: 2, p99: 300, max: 900 };
    });
    const comparison = compareWithBaseline(current, baseline);
    expect(comparison.patterns[0].deltas.map((d) => d.metric)).not.toContain('loadShortfall');
    expect(comparison.patterns[0].deltas.map((d) => d.metric)).not.toContain('arrivalLagP99');
    expect(comparison.regressed).toBe(false);
  });

  it('flags latency that grew beyond 10 %', () => {
    const { baseline, current } = changed((run) => (run.patterns[0].latency.endToEndMs.p99 = 2900));
    const comparison = compareWithBaseline(current, baseline);
    expect(delta(comparison, 'p99EndToEnd')).toMatchObject({ status: 'regressed', baseline: 2561.7, current: 2900 });
    expect(delta(comparison, 'p99EndToEnd').delta).toBeCloseTo(338.3, 6);
    expect(delta(comparison, 'p99EndToEnd').relative).toBeCloseTo(338.3 / 2561.7, 9);
    expect(delta(comparison, 'p99EndToEnd').message).toBe(
      'End-to-end p99: 2.56 s → 2.9 s (+338 ms, +13.2 %), beyond the tolerance (the larger of 10 % and 10 ms)',
    );
    expect(comparison).toMatchObject({ regressions: 1, regressed: true });
  });

  it('lets latency grow within the tolerance', () => {
    const { baseline, current } = changed((run) => (run.patterns[0].latency.endToEndMs.p99 = 2700));
    expect(delta(compareWithBaseline(current, baseline), 'p99EndToEnd').status).toBe('unchanged');
  });

  it('calls lower latency an improvement, not a regression', () => {
    const { baseline, current } = changed((run) => (run.patterns[0].latency.endToEndMs.p99 = 1500));
    const comparison = compareWithBaseline(current, baseline);
    expect(delta(comparison, 'p99EndToEnd').status).toBe('improved');
    expect(comparison).toMatchObject({ regressions: 0, improvements: 1, regressed: false });
  });

  it('knows higher throughput is better', () => {
    const lower = changed((run) => (run.patterns[0].summary.throughputOutPerSecond = 600));
    expect(delta(compareWithBaseline(lower.current, lower.baseline), 'throughputOut').status).toBe('regressed');
    const higher = changed((run) => (run.patterns[0].summary.throughputOutPerSecond = 800));
    expect(delta(compareWithBaseline(higher.current, higher.baseline), 'throughputOut').status).toBe('improved');
  });

  it('ignores changes below the absolute floor even when they are large in relative terms', () => {
    // 1 ms → 2 ms is +100 % and still noise.
    const baseline = loadRunFixture('sqs-standard');
    baseline.patterns[0].latency.endToEndMs.p50 = 1;
    const { current } = changed((run) => (run.patterns[0].latency.endToEndMs.p50 = 2));
    expect(delta(compareWithBaseline(current, baseline), 'p50EndToEnd')).toMatchObject({ status: 'unchanged', relative: 1 });
  });

  it('treats any newly lost event as a regression', () => {
    const { baseline, current } = changed((run) => (run.patterns[0].accounting.lost = 1));
    const lost = delta(compareWithBaseline(current, baseline), 'lost');
    expect(lost).toMatchObject({ status: 'regressed', baseline: 0, current: 1, relative: null });
  });

  it('accepts a wider tolerance, globally or per metric', () => {
    const { baseline, current } = changed((run) => (run.patterns[0].latency.endToEndMs.p99 = 2900));
    expect(delta(compareWithBaseline(current, baseline, { tolerance: 0.2 }), 'p99EndToEnd').status).toBe('unchanged');
    expect(delta(compareWithBaseline(current, baseline, { tolerances: { p99EndToEnd: { absolute: 500 } } }), 'p99EndToEnd').status).toBe('unchanged');
    expect(toleranceFor('lost')).toEqual({ relative: 0.1, absolute: 0 });
  });

  it('compares only the metrics asked for, in the order asked', () => {
    const comparison = compareWithBaseline(loadRunFixture('sqs-standard'), loadRunFixture('sqs-standard'), { metrics: ['lost', 'p99EndToEnd'] });
    expect(comparison.patterns[0].deltas.map((d) => d.metric)).toEqual(['lost', 'p99EndToEnd']);
  });

  it('reports patterns that are new or missing; a missing one fails the comparison', () => {
    const current = loadRunFixture('kinesis-4-shards');
    const comparison = compareWithBaseline(current, loadRunFixture('sqs-standard'));
    expect(comparison.patterns.map((p) => [p.pattern, p.status])).toEqual([
      ['kinesis-4-shards', 'new'],
      ['sqs-standard', 'missing'],
    ]);
    expect(comparison.regressed).toBe(true);
  });

  it('marks metrics one side lacks as not comparable when a pattern changes source', () => {
    const current = loadRunFixture('kinesis-4-shards');
    current.patterns[0].name = 'sqs-standard';
    const comparison = compareWithBaseline(current, loadRunFixture('sqs-standard'));
    expect(delta(comparison, 'maxQueueAge')).toMatchObject({ status: 'notComparable', baseline: 1116 });
    expect(delta(comparison, 'maxIteratorAge')).toMatchObject({ status: 'notComparable', current: 927 });
  });
});
