import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../scenario/load.ts';
import { ScenarioError, type ScenarioProblem } from '../../scenario/errors.ts';
import { maxEventsPerPattern } from '../../scenario/parts.ts';

function problemsOf(text: string): ScenarioProblem[] {
  try {
    parseScenario(text, 'scenario.yaml');
  } catch (error) {
    if (error instanceof ScenarioError) return error.problems;
    throw error;
  }
  return [];
}

const located = (problems: ScenarioProblem[]) => problems.map((p) => `${p.line}:${p.column} ${p.keyPath}: ${p.message}`);

const base = ['name: hidden', 'workload:', '  phases: [{ duration: 2, arrivalRate: 1 }]', 'patterns:', '  - source: sqs'];

describe('scenario problems are never hidden behind others', () => {
  it('a non-string threshold does not hide its neighbours’ grammar errors', () => {
    const problems = problemsOf([...base, 'thresholds:', '  - 42', '  - p99 < 2s', '  - lost == 0', '  - lost >< 1', ''].join('\n'));
    expect(located(problems)).toEqual([
      '7:5 thresholds[0]: a threshold is an expression such as "lost == 0" or "p99EndToEnd < 2s", not the number 42',
      '8:5 thresholds[1]: unknown metric "p99"; did you mean p99EndToEnd?',
      expect.stringMatching(/^10:5 thresholds\[3\]: "lost >< 1" is not a threshold/),
    ]);
  });

  it('a bad threshold map entry does not hide an unknown pattern name', () => {
    const problems = problemsOf([...base, 'thresholds:', '  all: lost == 0', '  sqs: [p99EndToEnd < 2s, 7]', '  sqs-typo: [lost == 0]', ''].join('\n'));
    expect(located(problems)).toEqual([
      '7:8 thresholds.all: a list of expressions, e.g. [lost == 0, p99EndToEnd < 2s], not the string lost == 0',
      '8:27 thresholds.sqs[1]: a threshold is an expression such as "lost == 0" or "p99EndToEnd < 2s", not the number 7',
      '9:13 thresholds.sqs-typo: no pattern is named "sqs-typo" (patterns: sqs)',
    ]);
  });

  it('gives each unknown key its own line, key path and position, at the top level too', () => {
    const problems = problemsOf(
      ['name: keys', 'colour: blue', 'size: 3', 'workload:', '  phases: [{ duration: 2, arrivalRate: 1 }]', '  speed: 1', '  seeds: 2', 'patterns:', '  - source: sqs', '    batchSise: 5', '    fifoo: true', ''].join('\n'),
    );
    expect(located(problems)).toEqual([
      '2:1 colour: unknown key "colour"',
      '3:1 size: unknown key "size"',
      '6:3 workload.speed: unknown key "speed"',
      '7:3 workload.seeds: unknown key "seeds"',
      '10:5 patterns[0].batchSise: unknown key "batchSise"',
      '11:5 patterns[0].fifoo: unknown key "fifoo"',
    ]);
  });

  it('checks pattern names and the function’s limits beside problems elsewhere in the file', () => {
    const problems = problemsOf(
      ['name: rules', 'workload:', '  phases: [{ duration: 2, arrivalRate: 1 }]', 'function:', '  reservedConcurrency: 5', '  provisionedConcurrency: 10', 'patterns:', '  - source: sqs', '    batchSize: 0', '  - source: sqs', 'thresholds: { sqs: [lost == 0ms] }', ''].join('\n'),
    );
    expect(problems.map((p) => p.keyPath)).toEqual(['function.provisionedConcurrency', 'patterns[0].batchSize', 'patterns[1].name', 'thresholds.sqs[0]']);
  });

  it('orders problems as they stand in the file', () => {
    const problems = problemsOf(['name: Bad_Name', 'zzz: 1', 'workload:', '  phases: []', 'patterns:', '  - source: pigeon', ''].join('\n'));
    const lines = problems.map((p) => p.line);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
    expect(problems.map((p) => p.keyPath)).toEqual(['name', 'zzz', 'workload.phases', 'patterns[0].source']);
  });
});

describe('scenario files that would exhaust the machine', () => {
  it('refuses a YAML alias bomb as bad input, at its first alias', () => {
    const rows = ['name: bomb', 'a: &a [x, x, x, x, x, x, x, x, x]'];
    for (const [name, previous] of [['b', 'a'], ['c', 'b'], ['d', 'c'], ['e', 'd'], ['f', 'e'], ['g', 'f']]) {
      rows.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(', ')}]`);
    }
    const problems = problemsOf([...rows, ...base.slice(1), ''].join('\n'));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: 'scenario.yaml', line: 3, column: 8, keyPath: 'b[0]' });
    expect(problems[0].message).toMatch(/^YAML: the aliases \(\*name\) expand to more than 100 copies/);
  });

  it('still reads anchors and aliases used within reason', () => {
    const scenario = parseScenario(
      ['name: anchors', 'workload:', '  phases:', '    - &steady { duration: 2, arrivalRate: 1 }', '    - *steady', 'patterns:', '  - source: sqs', ''].join('\n'),
      'scenario.yaml',
    );
    expect(scenario.workload.phases).toHaveLength(2);
  });

  it('refuses phases that ask for more events than a pattern run sends, with both numbers', () => {
    const problems = problemsOf(
      ['name: huge', 'workload:', '  phases:', '    - { duration: 6h, arrivalRate: 100000 }', '    - { duration: 6h, arrivalRate: 100000 }', '  eventsPerArrival: 250', 'patterns:', '  - source: sqs', ''].join('\n'),
    );
    expect(located(problems)).toEqual([
      '4:5 workload.phases: the phases ask for 1.08e12 events per pattern (4.32e9 arrivals × 250 events), more than the 5,000,000 one pattern run sends at most; shorten the phases or lower arrivalRate, rampTo or eventsPerArrival',
    ]);
  });

  it('takes phases that ask for exactly the cap', () => {
    const arrivalRate = maxEventsPerPattern / 1000 / 10;
    const scenario = parseScenario(['name: at-cap', 'workload:', `  phases: [{ duration: 1000, arrivalRate: ${arrivalRate} }]`, '  eventsPerArrival: 10', 'patterns:', '  - source: sqs', ''].join('\n'), 'scenario.yaml');
    expect(scenario.workload.phases[0]).toMatchObject({ arrivalRate });
    expect(problemsOf(['name: over-cap', 'workload:', `  phases: [{ duration: 1001, arrivalRate: ${arrivalRate} }]`, '  eventsPerArrival: 10', 'patterns:', '  - source: sqs', ''].join('\n'))).toHaveLength(1);
  });
});
