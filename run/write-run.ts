import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunResult } from '../analysis/run-result.ts';
import { renderRunMarkdown } from '../analysis/report-markdown.ts';
import { comparePatterns } from '../analysis/compare.ts';
import { renderComparisonMarkdown } from '../analysis/compare-markdown.ts';
import { loadUplotAssets, renderHtmlReport } from '../analysis/report-html.ts';
import type { ThresholdEvaluation } from '../analysis/thresholds.ts';
import type { BaselineComparison } from '../analysis/baseline.ts';

function timestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

export interface RunVerdicts {
  thresholds?: ThresholdEvaluation;
  baseline?: BaselineComparison;
}

export interface WrittenRun {
  folder: string;
  files: string[];
}

/**
 * Writes a run's folder, `runs/<scenario>-<timestamp>/`: result.json (canonical),
 * report.md (the run), comparison.md (patterns side by side, thresholds, baseline deltas)
 * and report.html (the same with charts, self-contained).
 */
export async function writeRun(result: RunResult, outRoot: string, verdicts: RunVerdicts = {}): Promise<WrittenRun> {
  const folder = join(outRoot, `${result.scenario.name}-${timestamp(result.startedAtMs)}`);
  await mkdir(folder, { recursive: true });
  const files = ['result.json', 'report.md'];
  await writeFile(join(folder, 'result.json'), JSON.stringify(result, null, 2) + '\n');
  await writeFile(join(folder, 'report.md'), renderRunMarkdown(result));
  if (result.patterns.length > 0) {
    const comparison = comparePatterns(result);
    const title = `sluice: ${result.scenario.name}`;
    await writeFile(join(folder, 'comparison.md'), renderComparisonMarkdown(comparison, { title, ...verdicts }));
    await writeFile(join(folder, 'report.html'), renderHtmlReport(comparison, await loadUplotAssets(), { title, ...verdicts }));
    files.push('comparison.md', 'report.html');
  }
  return { folder, files };
}
