import { describe, expect, it } from 'vitest';
import { kinesisPatternSchema } from '../../drivers/kinesis/schema.ts';
import { parseScenario } from '../../scenario/load.ts';
import { ScenarioError } from '../../scenario/errors.ts';

const parse = (input: Record<string, unknown>) => kinesisPatternSchema.safeParse({ source: 'kinesis', ...input });

describe('kinesis pattern settings', () => {
  it('fills in AWS’s defaults and records shards and streamMode for the cost model', () => {
    expect(kinesisPatternSchema.parse({ source: 'kinesis' })).toEqual({
      source: 'kinesis',
      shards: 1,
      streamMode: 'provisioned',
      batchSize: 100,
      maximumBatchingWindow: 0,
      parallelizationFactor: 1,
      startingPosition: 'TRIM_HORIZON',
      maximumRetryAttempts: -1,
      maximumRecordAge: -1,
      bisectBatchOnFunctionError: false,
      producerRetries: 3,
      putRecordsBatchSize: 500,
    });
  });

  it('parses durations into ms and keeps -1 as "no limit"', () => {
    const pattern = kinesisPatternSchema.parse({ source: 'kinesis', shards: 4, maximumBatchingWindow: '500ms', maximumRecordAge: '2m', maximumRetryAttempts: 5 });
    expect(pattern).toMatchObject({ shards: 4, maximumBatchingWindow: 500, maximumRecordAge: 120_000, maximumRetryAttempts: 5 });
    expect(kinesisPatternSchema.parse({ source: 'kinesis', maximumRecordAge: -1 }).maximumRecordAge).toBe(-1);
  });

  it('gives an on-demand stream its starting 4 shards', () => {
    expect(kinesisPatternSchema.parse({ source: 'kinesis', mode: 'on-demand' })).toMatchObject({ shards: 4, streamMode: 'on-demand' });
  });

  it.each([
    [{ batchSize: 0 }, 'batchSize'],
    [{ batchSize: 10_001 }, 'batchSize'],
    [{ parallelizationFactor: 11 }, 'parallelizationFactor'],
    [{ parallelizationFactor: 0 }, 'parallelizationFactor'],
    [{ maximumRetryAttempts: -2 }, 'maximumRetryAttempts'],
    [{ maximumRecordAge: '30s' }, 'maximumRecordAge'],
    [{ maximumRecordAge: '8d' }, 'maximumRecordAge'],
    [{ maximumBatchingWindow: '6m' }, 'maximumBatchingWindow'],
    [{ startingPosition: 'AT_TIMESTAMP' }, 'startingPosition'],
    [{ putRecordsBatchSize: 501 }, 'putRecordsBatchSize'],
    [{ producerRetries: -1 }, 'producerRetries'],
    [{ shards: 0 }, 'shards'],
    [{ mode: 'on-demand', shards: 2 }, 'shards'],
    [{ bisectBatchOnFunctionError: 'yes' }, 'bisectBatchOnFunctionError'],
  ])('refuses %j', (input, key) => {
    const result = parse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toContain(key);
  });

  it('refuses unknown keys', () => {
    const result = parse({ shardCount: 2 });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]).toMatchObject({ code: 'unrecognized_keys', keys: ['shardCount'] });
  });

  it('reports every problem of a scenario file with its line and key', () => {
    const yaml = [
      'name: bad-kinesis',
      'workload:',
      '  phases: [{ duration: 5, arrivalRate: 10 }]',
      'patterns:',
      '  - source: kinesis',
      '    shards: 2',
      '    parallelizationFactor: 12',
      '    batchSize: 20000',
      '    iteratorAge: 3',
    ].join('\n');
    let error: unknown;
    try {
      parseScenario(yaml, 'bad.yaml');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ScenarioError);
    const problems = (error as ScenarioError).problems.map((problem) => `${problem.line} ${problem.keyPath}`);
    expect(problems).toEqual(expect.arrayContaining(['7 patterns[0].parallelizationFactor', '8 patterns[0].batchSize', '9 patterns[0].iteratorAge']));
  });
});
