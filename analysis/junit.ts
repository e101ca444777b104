import type { ThresholdEvaluation, ThresholdOutcome } from './thresholds.ts';
import { patternMetrics } from './metrics.ts';
import { formatValue } from './value-format.ts';

export interface JunitOptions {
  /** `name` of the root `<testsuites>`; default "sluice thresholds". */
  name?: string;
}

/**
 * Renders threshold results as JUnit XML, the format CI systems (GitHub Actions reporters,
 * GitLab, Jenkins) show as test results: one `<testsuite>` per run and pattern, one
 * `<testcase>` per threshold. A failed threshold is a `<failure>` with its message; one that
 * does not apply to the pattern is `<skipped>`, so it is visible but not green.
 *
 * @example
 * const xml = renderJunitXml(evaluateThresholds(result, scenario.thresholds));
 * await writeFile('junit.xml', xml);
 */
export function renderJunitXml(evaluations: ThresholdEvaluation | ThresholdEvaluation[], options: JunitOptions = {}): string {
  const list = Array.isArray(evaluations) ? evaluations : [evaluations];
  const suites = list.flatMap((evaluation) => groupByPattern(evaluation.outcomes).map((outcomes) => ({ evaluation, outcomes })));
  const all = suites.flatMap((suite) => suite.outcomes);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites ${attributes({ name: options.name ?? 'sluice thresholds', ...counts(all) })}>`,
  ];
  for (const { evaluation, outcomes } of suites) {
    const pattern = outcomes[0].pattern;
    lines.push(`  <testsuite ${attributes({ name: `${evaluation.scenarioName} / ${pattern}`, ...counts(outcomes) })}>`);
    lines.push('    <properties>');
    lines.push(`      <property ${attributes({ name: 'runId', value: evaluation.runId })}/>`);
    lines.push(`      <property ${attributes({ name: 'source', value: outcomes[0].source })}/>`);
    lines.push('    </properties>');
    for (const outcome of outcomes) lines.push(...testcase(evaluation, outcome));
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return `${lines.join('\n')}\n`;
}

function testcase(evaluation: ThresholdEvaluation, outcome: ThresholdOutcome): string[] {
  const open = `    <testcase ${attributes({ classname: `sluice.${evaluation.scenarioName}.${outcome.pattern}`, name: outcome.expression, time: 0 })}`;
  if (outcome.status === 'passed') return [`${open}/>`];
  if (outcome.status === 'notApplicable') return [`${open}>`, `      <skipped ${attributes({ message: outcome.message })}/>`, '    </testcase>'];
  const actual = outcome.actual === undefined ? 'not measured' : formatValue(patternMetrics[outcome.metric].kind, outcome.actual);
  const body = `${outcome.message}\nthreshold: ${outcome.expression}\nactual: ${actual}\nrun: ${evaluation.runId}`;
  return [`${open}>`, `      <failure ${attributes({ message: outcome.message, type: 'threshold' })}>${escapeXml(body)}</failure>`, '    </testcase>'];
}

function groupByPattern(outcomes: ThresholdOutcome[]): ThresholdOutcome[][] {
  const groups = new Map<string, ThresholdOutcome[]>();
  for (const outcome of outcomes) {
    const group = groups.get(outcome.pattern) ?? [];
    group.push(outcome);
    groups.set(outcome.pattern, group);
  }
  return [...groups.values()];
}

function counts(outcomes: ThresholdOutcome[]) {
  return {
    tests: outcomes.length,
    failures: outcomes.filter((o) => o.status === 'failed').length,
    errors: 0,
    skipped: outcomes.filter((o) => o.status === 'notApplicable').length,
  };
}

function attributes(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([key, value]) => `${key}="${escapeXml(String(value))}"`)
    .join(' ');
}

/** Escapes for text and attribute values, and drops characters XML 1.0 cannot carry at all. */
function escapeXml(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}
