import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../scenario/load.ts';
import { ScenarioError } from '../../scenario/errors.ts';

function scenarioWith(sqsLines: string[]): string {
  return ['name: s', 'workload:', '  phases: [{ duration: 5, arrivalRate: 10 }]', 'patterns:', '  - source: sqs', ...sqsLines.map((line) => `    ${line}`)].join('\n');
}

function problemsOf(text: string) {
  try {
    parseScenario(text, 'scenario.yaml');
  } catch (error) {
    if (error instanceof ScenarioError) return error.problems;
    throw error;
  }
  return [];
}

describe('sqs pattern schema', () => {
  it('accepts maximumConcurrency at both ends of AWS’s range, 2 and 1,000', () => {
    for (const value of [2, 1000]) {
      const scenario = parseScenario(scenarioWith([`maximumConcurrency: ${value}`]), 'scenario.yaml');
      expect(scenario.patterns[0]).toMatchObject({ source: 'sqs', maximumConcurrency: value });
    }
  });

  it('refuses maximumConcurrency outside 2–1,000 with the range, the file, the line and the key', () => {
    for (const value of [1, 1001]) {
      const problems = problemsOf(scenarioWith(['batchSize: 10', `maximumConcurrency: ${value}`]));
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({ file: 'scenario.yaml', line: 7, keyPath: 'patterns[0].maximumConcurrency' });
      expect(problems[0]!.message).toContain('maximumConcurrency must be between 2 and 1,000');
    }
  });

  it('leaves sendBatchSize unset by default: several events per arrival go in SendMessageBatch calls of 10', () => {
    const scenario = parseScenario(scenarioWith([]), 'scenario.yaml');
    expect(scenario.patterns[0]).not.toHaveProperty('sendBatchSize');
    expect(problemsOf(scenarioWith(['sendBatchSize: 11']))[0]).toMatchObject({ keyPath: 'patterns[0].sendBatchSize' });
  });
});
