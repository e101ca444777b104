import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  evaluateThresholds,
  parseThresholds,
  ThresholdError,
  thresholdMetrics,
  thresholdsSchema,
  tryParseThreshold,
  unknownThresholdPatterns,
} from '../../analysis/thresholds.ts';
import { loadRunFixture, makePattern, makeRun, percentiles } from '../fixtures/run-results/helpers.ts';

function parsed(text: string) {
  const result = tryParseThreshold(text);
  if (!result.ok) throw new Error(result.message);
  return result.threshold;
}

function problem(text: string): string {
  const result = tryParseThreshold(text);
  if (result.ok) throw new Error(`"${text}" parsed`);
  return result.message;
}

describe('threshold grammar', () => {
  it.each([
    ['p99EndToEnd < 2s', 'p99EndToEnd', '<', 2000],
    ['p50EndToEnd <= 250ms', 'p50EndToEnd', '<=', 250],
    ['maxIteratorAge < 30s', 'maxIteratorAge', '<', 30_000],
    ['maxQueueAge < 1.5m', 'maxQueueAge', '<', 90_000],
    ['maxEndToEnd < 800', 'maxEndToEnd', '<', 800],
    ['throttleRate < 0.1%', 'throttleRate', '<', 0.001],
    ['errorRate <= 0.02', 'errorRate', '<=', 0.02],
    ['lost == 0', 'lost', '==', 0],
    ['dlq != 1', 'dlq', '!=', 1],
    ['costPerMillion < 5', 'costPerMillion', '<', 5],
    ['throughputOut >= 45', 'throughputOut', '>=', 45],
    ['peakConcurrency > 2', 'peakConcurrency', '>', 2],
  ] as const)('parses "%s"', (text, metric, operator, limit) => {
    const threshold = parsed(text);
    expect(threshold).toMatchObject({ metric, operator });
    expect(threshold.limit).toBeCloseTo(limit, 12);
  });

  it('accepts any spacing and normalises the expression', () => {
    expect(parsed('  lost==0 ').expression).toBe('lost == 0');
    expect(parsed('p99EndToEnd<2 s').expression).toBe('p99EndToEnd < 2s');
  });

  it('knows every metric the design names', () => {
    const names = ['p50EndToEnd', 'p90EndToEnd', 'p95EndToEnd', 'p99EndToEnd', 'maxEndToEnd', 'maxQueueAge', 'maxIteratorAge', 'p99IteratorAge', 'maxAsyncEventAge'];
    const more = ['throttleRate', 'sourceThrottles', 'functionThrottles', 'errors', 'errorRate', 'lost', 'dlq', 'coldStarts', 'peakConcurrency', 'throughputIn', 'throughputOut', 'costPerMillion'];
    for (const name of [...names, ...more]) expect(Object.keys(thresholdMetrics)).toContain(name);
  });

  it('documents every metric name in docs/analysis.md', () => {
    const docs = readFileSync(new URL('../../docs/analysis.md', import.meta.url), 'utf8');
    for (const name of Object.keys(thresholdMetrics)) expect(docs, name).toContain(`\`${name}\``);
  });

  it('rejects text that is not an expression', () => {
    expect(problem('p99EndToEnd')).toMatch(/is not a threshold: write <metric> <op> <value>\[unit\]/);
    expect(problem('p99EndToEnd => 2s')).toMatch(/is not a threshold/);
    expect(problem('p99EndToEnd < two seconds')).toMatch(/is not a threshold/);
    expect(problem('p99 End < 2s')).toMatch(/is not a threshold/);
  });

  it('rejects unknown metrics and suggests the one meant', () => {
    expect(problem('p99 < 2s')).toBe('unknown metric "p99"; did you mean p99EndToEnd?');
    expect(problem('maxIteratorAgee < 2s')).toBe('unknown metric "maxIteratorAgee"; did you mean maxIteratorAge?');
    expect(problem('banana < 2')).toMatch(/^unknown metric "banana" \(known: throughputIn, /);
  });

  it('checks the unit against the kind of metric', () => {
    expect(problem('p99EndToEnd < 2h')).toBe('unknown unit "h" (use ms, s or m for times, % for rates)');
    expect(problem('maxQueueAge < 5%')).toBe('maxQueueAge is a duration; use ms, s or m (or no unit for milliseconds)');
    expect(problem('throttleRate < 2s')).toBe('throttleRate is a rate; use % or a fraction from 0 to 1 without a unit');
    expect(problem('lost == 0ms')).toBe('lost is a count; write the number without a unit');
    expect(problem('throughputOut >= 45%')).toBe('throughputOut is in events per second; write the number without a unit');
    expect(problem('costPerMillion < 5s')).toBe('costPerMillion is in US dollars; write the number without a unit');
  });

  it('refuses a bare rate above 1, which is surely a forgotten %', () => {
    expect(problem('throttleRate < 5')).toBe('throttleRate is a rate: write a percentage (5%) or a fraction from 0 to 1');
  });
});

describe('thresholds schema', () => {
  const scenario = z.object({ thresholds: thresholdsSchema.optional() }).strict();

  it('takes a list for every pattern', () => {
    const result = scenario.parse({ thresholds: ['p99EndToEnd < 2s', 'lost == 0'] });
    expect(result.thresholds?.all.map((t) => t.expression)).toEqual(['p99EndToEnd < 2s', 'lost == 0']);
    expect(result.thresholds?.byPattern).toEqual({});
  });

  it('takes a map of all and per-pattern lists', () => {
    const result = scenario.parse({ thresholds: { all: ['lost == 0'], 'kinesis-4': ['maxIteratorAge < 30s'] } });
    expect(result.thresholds?.all).toHaveLength(1);
    expect(result.thresholds?.byPattern['kinesis-4'][0]).toMatchObject({ metric: 'maxIteratorAge', limit: 30_000 });
  });

  it('reports every bad expression at its own path', () => {
    const result = scenario.safeParse({ thresholds: { all: ['lost == 0'], 'sqs-standard': ['ok == 1', 'maxQueueAge < 2s', 'maxQueueAge < 2%'] } });
    expect(result.success).toBe(false);
    const issues = result.error!.issues.map((issue) => ({ path: issue.path, message: issue.message }));
    expect(issues).toEqual([
      { path: ['thresholds', 'sqs-standard', 0], message: expect.stringMatching(/^unknown metric "ok"/) },
      { path: ['thresholds', 'sqs-standard', 2], message: 'maxQueueAge is a duration; use ms, s or m (or no unit for milliseconds)' },
    ]);
  });

  it('rejects a shape that is neither a list nor a map', () => {
    const result = scenario.safeParse({ thresholds: 'lost == 0' });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0].path).toEqual(['thresholds']);
    expect(result.error!.issues[0].message).toMatch(/list of expressions, or a map/);
  });

  it('parseThresholds throws a ThresholdError listing every problem', () => {
    let caught: unknown;
    try {
      parseThresholds(['p99EndToEnd < 2s', 'p99 < 2s', 'lost == 0ms']);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ThresholdError);
    const error = caught as ThresholdError;
    expect(error.code).toBe('SLUICE_BAD_THRESHOLD');
    expect(error.problems.map((p) => p.path)).toEqual([[1], [2]]);
    expect(error.message).toBe('thresholds[1]: unknown metric "p99"; did you mean p99EndToEnd?\nthresholds[2]: lost is a count; write the number without a unit');
  });

  it('lists pattern names that match no pattern', () => {
    expect(unknownThresholdPatterns(parseThresholds({ all: [], sqs: ['lost == 0'], kinesis: ['lost == 0'] }), ['sqs'])).toEqual(['kinesis']);
  });
});

describe('evaluateThresholds', () => {
  const sqs = loadRunFixture('sqs-standard');
  const kinesis = loadRunFixture('kinesis-4-shards');

  it('passes and fails with the measured value and a message', () => {
    const evaluation = evaluateThresholds(sqs, ['p99EndToEnd < 3s', 'p99EndToEnd < 2s']);
    expect(evaluation.outcomes).toEqual([
      expect.objectContaining({ pattern: 'sqs-standard', expression: 'p99EndToEnd < 3s', status: 'passed', actual: 2561.7, message: 'p99EndToEnd was 2.56 s (limit < 3 s)' }),
      expect.objectContaining({ expression: 'p99EndToEnd < 2s', status: 'failed', actual: 2561.7, message: 'p99EndToEnd was 2.56 s, expected < 2 s' }),
    ]);
    expect(evaluation).toMatchObject({ passed: 1, failed: 1, notApplicable: 0, ok: false, runId: sqs.runId });
  });

  it('compares rates in percent', () => {
    const [outcome] = evaluateThresholds(kinesis, ['throttleRate < 0.1%']).outcomes;
    expect(outcome).toMatchObject({ status: 'failed', actual: 0.002058, message: 'throttleRate was 0.206 %, expected < 0.1 %' });
    expect(evaluateThresholds(kinesis, ['throttleRate < 0.5%']).ok).toBe(true);
  });

  it('marks a metric the pattern does not have as not applicable, not as a pass', () => {
    const evaluation = evaluateThresholds(sqs, ['maxIteratorAge < 30s']);
    expect(evaluation.outcomes[0]).toMatchObject({
      status: 'notApplicable',
      message: 'maxIteratorAge does not apply to sqs-standard (sqs): no iterator (not a stream source)',
    });
    expect(evaluation.outcomes[0].actual).toBeUndefined();
    expect(evaluation).toMatchObject({ passed: 0, notApplicable: 1, ok: true });
  });

  it('applies `all` to every pattern and a pattern list only to its pattern, once per expression', () => {
    const run = loadRunFixture('eventbridge-apigateway');
    const evaluation = evaluateThresholds(run, { all: ['lost == 0', 'functionThrottles == 0'], 'api-http': ['lost == 0', 'sourceThrottles < 100'] });
    expect(evaluation.outcomes.map((o) => `${o.pattern}: ${o.expression} ${o.status} (${o.scope})`)).toEqual([
      'eventbridge-bus: lost == 0 passed (all)',
      'eventbridge-bus: functionThrottles == 0 failed (all)',
      'api-http: lost == 0 passed (all)',
      'api-http: functionThrottles == 0 failed (all)',
      'api-http: sourceThrottles < 100 failed (pattern)',
    ]);
  });

  it('fails thresholds written for a pattern the run does not have, unless told to ignore them', () => {
    const thresholds = { 'sqs-standrad': ['lost == 0'] };
    const evaluation = evaluateThresholds(sqs, thresholds);
    expect(evaluation.outcomes).toEqual([
      expect.objectContaining({ pattern: 'sqs-standrad', status: 'failed', message: 'no pattern named "sqs-standrad" in this run (patterns: sqs-standard)' }),
    ]);
    expect(evaluateThresholds(sqs, thresholds, { unknownPatterns: 'ignore' }).outcomes).toEqual([]);
  });

  it('fails a latency threshold when no event completed, rather than passing on a 0', () => {
    const run = makeRun([makePattern({ latency: { endToEndMs: percentiles({ count: 0, p50: 0, p90: 0, p95: 0, p99: 0, max: 0, mean: 0 }) } })]);
    expect(evaluateThresholds(run, ['p99EndToEnd < 2s']).outcomes[0]).toMatchObject({ status: 'failed', message: 'p99EndToEnd has no samples: no event completed' });
  });

  it('reads every metric from a pattern that has them', () => {
    const expressions = ['throughputIn > 800', 'throughputOut > 700', 'p50EndToEnd < 1s', 'p90EndToEnd < 1s', 'p95EndToEnd < 1s', 'maxEndToEnd < 20s'];
    const more = ['maxQueueAge < 2s', 'sourceThrottles == 0', 'functionThrottles == 0', 'errors <= 3', 'errorRate < 0.2%', 'dlq == 0', 'coldStarts <= 26', 'peakConcurrency <= 26', 'costPerMillion < 1'];
    const evaluation = evaluateThresholds(sqs, [...expressions, ...more]);
    expect(evaluation.outcomes.filter((o) => o.status !== 'passed')).toEqual([]);
  });

  it('equality tolerates float noise from divisions', () => {
    const run = makeRun([makePattern({ summary: { invocationErrors: 1, invocations: 3 } })]);
    expect(evaluateThresholds(run, ['errorRate == 0.3333333333333333']).ok).toBe(true);
  });

  it('accepts thresholds already validated by the schema', () => {
    const set = thresholdsSchema.parse(['lost == 0']);
    expect(evaluateThresholds(kinesis, set).passed).toBe(1);
  });

  it('throws a ThresholdError for raw thresholds that do not parse', () => {
    expect(() => evaluateThresholds(kinesis, ['lost = 0'])).toThrow(ThresholdError);
  });
});
