import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { apiGatewayAccountThrottleIn, awsDefaults, eventBridgeInvocationsPerSecondIn } from '../../core/aws-defaults.ts';
import { renderAwsDefaultsTable, tableEnd, tableStart } from '../../scripts/aws-defaults-table.ts';
import { parseScenario } from '../../scenario/load.ts';
import { ScenarioError } from '../../scenario/errors.ts';

describe('the table of AWS defaults', () => {
  it('is the README’s table, row for row (regenerate: node bin/run-ts.js scripts/aws-defaults-table.ts)', () => {
    const readme = readFileSync('README.md', 'utf8');
    const block = readme.slice(readme.indexOf(tableStart), readme.indexOf(tableEnd) + tableEnd.length);
    expect(block).toBe(renderAwsDefaultsTable());
  });

  it('names a source for every row', () => {
    for (const [name, row] of Object.entries(awsDefaults)) expect(row.source.length, name).toBeGreaterThan(10);
  });

  it('keeps the SQS standard-mode ceiling of 1,250 concurrent invokes', () => {
    expect(awsDefaults.sqsStandardConcurrentInvokesMax.value).toBe(1250);
  });
});

describe('quotas by region', () => {
  it('EventBridge invocations: 18,750/s in us-east-1, us-west-2 and eu-west-1, lower elsewhere', () => {
    for (const region of ['us-east-1', 'us-west-2', 'eu-west-1']) expect(eventBridgeInvocationsPerSecondIn(region)).toBe(18_750);
    expect(eventBridgeInvocationsPerSecondIn('us-east-2')).toBe(4_500);
    expect(eventBridgeInvocationsPerSecondIn('af-south-1')).toBe(750);
    expect(eventBridgeInvocationsPerSecondIn('sa-east-1')).toBe(1_100);
  });

  it('API Gateway: 10,000 rps (burst 5,000), 2,500 (1,250) in the newer regions', () => {
    expect(apiGatewayAccountThrottleIn('us-east-1')).toEqual({ ratePerSecond: 10_000, burst: 5_000 });
    expect(apiGatewayAccountThrottleIn('eu-south-2')).toEqual({ ratePerSecond: 2_500, burst: 1_250 });
  });

  const apiScenario = (region: string, pattern = '') => `name: regional\nregion: ${region}\nworkload:\n  phases: [{ duration: 2, arrivalRate: 5 }]\npatterns:\n  - source: apigateway\n${pattern}`;

  it('takes the scenario’s region for the defaults a pattern leaves out, and keeps what it says', () => {
    const newer = parseScenario(apiScenario('ap-southeast-3'), 'r.yaml').patterns[0] as { throttleRatePerSecond: number; throttleBurst: number };
    expect(newer).toMatchObject({ throttleRatePerSecond: 2_500, throttleBurst: 1_250 });
    const classic = parseScenario(apiScenario('us-east-1'), 'r.yaml').patterns[0];
    expect(classic).toMatchObject({ throttleRatePerSecond: 10_000, throttleBurst: 5_000 });
    const raised = parseScenario(apiScenario('ap-southeast-3', '    throttleRatePerSecond: 8000\n'), 'r.yaml').patterns[0];
    expect(raised).toMatchObject({ throttleRatePerSecond: 8_000, throttleBurst: 1_250 });
  });
});

describe('event sizes against each source’s limit', () => {
  const scenario = (eventSizeBytes: number, source: string) => `name: sizes\nworkload:\n  phases: [{ duration: 2, arrivalRate: 5 }]\n  eventSizeBytes: ${eventSizeBytes}\npatterns:\n  - source: ${source}\n`;
  const problems = (text: string) => {
    try {
      parseScenario(text, 's.yaml');
      return [];
    } catch (error) {
      if (error instanceof ScenarioError) return error.problems.map((p) => `${p.line}:${p.column} ${p.keyPath}: ${p.message}`);
      throw error;
    }
  };

  it('lets a 1 MiB event through SQS (256 KiB before August 2025)', () => {
    expect(problems(scenario(1_048_576, 'sqs'))).toEqual([]);
  });

  it('refuses an EventBridge event whose entry and envelope would pass 1 MiB, at eventSizeBytes', () => {
    expect(problems(scenario(1_048_576, 'eventbridge'))).toEqual([expect.stringMatching(/^4:19 workload\.eventSizeBytes: pattern "eventbridge" \(patterns\[0\]\): an EventBridge event of 1,048,576 bytes/)]);
    expect(problems(scenario(1_000_000, 'eventbridge'))).toEqual([]);
  });

  it('refuses more than 1 MiB for any source', () => {
    expect(problems(scenario(1_048_577, 's3'))).toEqual([expect.stringMatching(/^4:19 workload\.eventSizeBytes: /)]);
  });
});
