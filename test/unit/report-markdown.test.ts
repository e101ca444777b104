import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { renderRunMarkdown, summaryTable } from '../../analysis/report-markdown.ts';
import type { RunResult } from '../../analysis/run-result.ts';

function fixture(name: string): RunResult {
  return JSON.parse(readFileSync(`test/fixtures/run-results/${name}`, 'utf8')) as RunResult;
}

describe('report.md of one run', () => {
  it('puts every pattern side by side in the summary, with accounting and cost', () => {
    const table = summaryTable(fixture('sqs-standard.json'));
    expect(table.split('\n')[0]).toBe('| metric | sqs-standard |');
    expect(table).toMatch(/\| lost \| 0 \|/);
    expect(table).toMatch(/\| cost per million events \| /);
  });

  it('shows iterator age per shard for a stream, so a hot shard stands out', () => {
    const markdown = renderRunMarkdown(fixture('kinesis-4-shards.json'));
    expect(markdown).toContain('### Iterator age per shard');
    const shardRows = markdown.split('\n').filter((line) => line.startsWith('| shardId-'));
    expect(shardRows).toHaveLength(4);
  });

  it('lists the status codes clients saw for API Gateway', () => {
    const run = fixture('eventbridge-apigateway.json');
    const api = run.patterns.find((p) => p.source === 'apigateway')!;
    api.extras = { ...api.extras, statusCodes: { 200: 900, 429: 100 } };
    expect(renderRunMarkdown(run)).toContain('Status codes: 200 × 900, 429 × 100.');
  });

  it('names what answered at an endpoint the user runs', () => {
    const run = fixture('sqs-standard.json');
    const onMoto = { ...run, target: { kind: 'localstack' as const, endpoint: 'http://127.0.0.1:5000', endpointKind: 'moto' as const, region: 'us-east-1', consumer: 'sluice' as const } };
    expect(renderRunMarkdown(onMoto)).toContain('- target: localstack (http://127.0.0.1:5000, moto), region us-east-1, consumer: sluice');
    const unnamed = { ...onMoto, target: { ...onMoto.target, endpointKind: 'aws-compatible' as const } };
    expect(renderRunMarkdown(unnamed)).toContain('- target: localstack (http://127.0.0.1:5000), region us-east-1');
  });

  it('says an interrupted run is interrupted', () => {
    const run = { ...fixture('sqs-standard.json'), status: 'interrupted' as const };
    expect(renderRunMarkdown(run)).toContain('status: **interrupted**');
  });
});
