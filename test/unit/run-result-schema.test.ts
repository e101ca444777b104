import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseRunResult, RunResultError } from '../../analysis/run-result-schema.ts';
import { compareWithBaseline } from '../../analysis/baseline.ts';
import { comparePatterns } from '../../analysis/compare.ts';
import { makePattern, makeRun } from '../fixtures/run-results/helpers.ts';

const fixture = (name: string) => readFileSync(`test/fixtures/run-results/${name}`, 'utf8');

function problemsOf(text: string, file = 'result.json', requirePatterns?: string): string[] {
  try {
    parseRunResult(text, file, requirePatterns ? { requirePatterns } : {});
  } catch (error) {
    expect(error).toBeInstanceOf(RunResultError);
    expect((error as RunResultError).code).toBe('SLUICE_BAD_RUN_RESULT');
    return (error as RunResultError).message.split('\n').slice(1);
  }
  return [];
}

describe('RunResult schema', () => {
  it.each(['sqs-standard.json', 'kinesis-4-shards.json', 'eventbridge-apigateway.json'])('reads the fixture %s, and what it reads compares', (name) => {
    const result = parseRunResult(fixture(name), name, { requirePatterns: 'a baseline' });
    expect(compareWithBaseline(result, result).regressions).toBe(0);
    expect(comparePatterns(result).columns.length).toBe(result.patterns.length);
  });

  it('reads what the fixtures helper builds (the fields every writer fills)', () => {
    const run = makeRun([makePattern({ name: 'a' }), makePattern({ name: 'b' })]);
    expect(parseRunResult(JSON.stringify(run), 'run.json').patterns.map((p) => p.name)).toEqual(['a', 'b']);
  });

  it('accepts fields it does not know (a newer writer of the same schema version)', () => {
    const run = { ...makeRun([makePattern()]), addedLater: { x: 1 } };
    expect(problemsOf(JSON.stringify(run))).toEqual([]);
  });

  it('names every problem on its own line with file, line, column and JSON path', () => {
    expect(problemsOf(fixture('malformed/pattern-without-name.json'), 'b.json')).toEqual([
      'b.json:26:5 patterns[0].name: missing (expected string)',
      'b.json:111:35 patterns[0].summary.throughputOutPerSecond: expected number, found "fast"',
    ]);
  });

  it('refuses summary: null where the comparison would read it', () => {
    expect(problemsOf(fixture('malformed/summary-null.json'))).toEqual(['result.json:110:18 patterns[0].summary: expected object, found null']);
  });

  it('refuses a result without patterns only where patterns are needed', () => {
    expect(problemsOf(fixture('malformed/no-patterns.json'))).toEqual([]);
    expect(problemsOf(fixture('malformed/no-patterns.json'), 'result.json', 'a baseline')[0]).toMatch(/^result\.json:25:15 patterns: no patterns: .* cannot serve as a baseline$/);
  });

  it('locates a JSON syntax error (a truncated file) by line and column', () => {
    expect(problemsOf(fixture('malformed/truncated.json'))[0]).toMatch(/^result\.json:29:\d+ not JSON \(/);
  });

  it('refuses another schema version, saying which one it found', () => {
    expect(problemsOf(fixture('malformed/schema-version-2.json'))).toEqual(['result.json:2:20 schemaVersion: sluice reads RunResults of schema version 1, found 2']);
  });

  it('refuses two patterns of one name, which baselines and compare could not tell apart', () => {
    const run = makeRun([makePattern({ name: 'same' }), makePattern({ name: 'same' })]);
    expect(problemsOf(JSON.stringify(run, null, 2))).toEqual([expect.stringMatching(/^result\.json:\d+:\d+ patterns\[1\]\.name: "same" is also the name of patterns\[0\]/)]);
  });

  it('refuses negative counts and wrong enum values', () => {
    const run = makeRun([makePattern({ accounting: { lost: -1 } })]);
    const text = JSON.stringify({ ...run, status: 'done' }, null, 2);
    const problems = problemsOf(text);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/status: .*found "done"/);
    expect(problems[1]).toMatch(/patterns\[0\]\.accounting\.lost: .*found -1/);
  });
});
