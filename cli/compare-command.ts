import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { comparePatterns } from '../analysis/compare.ts';
import { renderComparisonMarkdown } from '../analysis/compare-markdown.ts';
import { loadUplotAssets, renderHtmlReport } from '../analysis/report-html.ts';
import { readRunResult, sourceCostModels, type Io } from './run-command.ts';

export interface CompareFlags {
  out: string;
}

/**
 * `sluice compare a/result.json b/result.json …`: the patterns of several runs side by side,
 * after the fact. Prints the Markdown and writes comparison.md and report.html.
 */
export async function compareCommand(files: string[], flags: CompareFlags, io: Io): Promise<number> {
  const results = [];
  for (const file of files) results.push(await readRunResult(file));
  const comparison = comparePatterns(
    results.map((result, index) => ({ result, label: results.length > 1 && result.patterns.length > 1 ? `${result.scenario.name}#${index + 1}` : undefined })),
    // A result written before costs were recorded is priced as a run is.
    { costModels: sourceCostModels() },
  );
  const title = `sluice compare: ${results.map((r) => r.scenario.name).join(' vs ')}`;
  const markdown = renderComparisonMarkdown(comparison, { title });
  await mkdir(flags.out, { recursive: true });
  await writeFile(join(flags.out, 'comparison.md'), markdown);
  await writeFile(join(flags.out, 'report.html'), renderHtmlReport(comparison, await loadUplotAssets(), { title }));
  io.print(markdown);
  io.print(`comparison.md   ${join(flags.out, 'comparison.md')}`);
  io.print(`report.html     ${join(flags.out, 'report.html')}`);
  return 0;
}
