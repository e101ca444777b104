import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { comparePatterns } from '../analysis/compare.ts';
import { renderComparisonMarkdown } from '../analysis/compare-markdown.ts';
import { loadUplotAssets, renderHtmlReport } from '../analysis/report-html.ts';
import { RunResultError, type RunResultProblem } from '../analysis/run-result-schema.ts';
import type { RunResult } from '../analysis/run-result.ts';
import { writeFileAtomically } from '../run/write-run.ts';
import { checkOutputPaths } from './output-paths.ts';
import { readRunResult, sourceCostModels, type Io } from './run-command.ts';

export interface CompareFlags {
  out: string;
}

/**
 * `sluice compare a/result.json b/result.json …`: the patterns of several runs side by side,
 * after the fact. Prints the Markdown and writes comparison.md and report.html. Every input
 * is validated and the output folder checked before anything is written; the problems of all
 * the files are reported together.
 */
export async function compareCommand(files: string[], flags: CompareFlags, io: Io): Promise<number> {
  const results: RunResult[] = [];
  const problems: RunResultProblem[] = [];
  for (const file of files) {
    try {
      results.push(await readRunResult(file, 'a side of a comparison'));
    } catch (error) {
      if (!(error instanceof RunResultError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length > 0) throw new RunResultError(problems);
  await checkOutputPaths([{ flag: '--out', path: flags.out, kind: 'folder' }]);
  const mixedModes = new Set(results.map((result) => result.mode ?? 'measured')).size > 1;
  const comparison = comparePatterns(
    results.map((result, index) => ({
      result,
      // A predicted and a measured run side by side: each column says which it is.
      label: mixedModes ? `${result.mode ?? 'measured'}#${index + 1}` : results.length > 1 && result.patterns.length > 1 ? `${result.scenario.name}#${index + 1}` : undefined,
    })),
    // A result written before costs were recorded is priced as a run is.
    { costModels: sourceCostModels() },
  );
  const title = `sluice compare: ${results.map((r) => (mixedModes ? `${r.scenario.name} (${r.mode ?? 'measured'})` : r.scenario.name)).join(' vs ')}`;
  const markdown = renderComparisonMarkdown(comparison, { title });
  const html = renderHtmlReport(comparison, await loadUplotAssets(), { title });
  // Printed before the files are written: a write that fails still leaves the comparison on screen.
  io.print(markdown);
  await mkdir(flags.out, { recursive: true });
  await writeFileAtomically(join(flags.out, 'comparison.md'), markdown);
  await writeFileAtomically(join(flags.out, 'report.html'), html);
  io.print(`comparison.md   ${join(flags.out, 'comparison.md')}`);
  io.print(`report.html     ${join(flags.out, 'report.html')}`);
  return 0;
}
