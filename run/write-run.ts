import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { RunResult } from '../analysis/run-result.ts';
import { modeLines, renderRunMarkdown } from '../analysis/report-markdown.ts';
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

/** Folders tried per run before giving up: far more runs than start in one second anywhere. */
const runFolderAttemptsMax = 1_000;

/**
 * Creates a folder of its own under `outRoot`: `<base>`, else `<base>-2`, `<base>-3`, …
 * `mkdir` without `recursive` fails with EEXIST when the name is taken, and the kernel makes
 * that check and the creation one step, so two runs started in the same second (same
 * scenario, same `--out`) never share a folder.
 */
export async function createUniqueFolder(outRoot: string, base: string): Promise<string> {
  await mkdir(outRoot, { recursive: true });
  for (let attempt = 1; attempt <= runFolderAttemptsMax; attempt += 1) {
    const folder = join(outRoot, attempt === 1 ? base : `${base}-${attempt}`);
    try {
      await mkdir(folder);
      return folder;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  throw new Error(`${runFolderAttemptsMax} folders named ${base}-… already exist in ${outRoot}`);
}

/**
 * Writes `content` to `file` all or nothing: into a temporary name in the same folder,
 * flushed to disk, then renamed over `file` (a rename within one filesystem is atomic).
 * A crash, a kill or a full disk leaves the old file or none, never a truncated one; the
 * temporary file is removed when the write fails.
 */
export async function writeFileAtomically(file: string, content: string): Promise<void> {
  const temporary = join(dirname(file), `.${basename(file)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await open(temporary, 'wx');
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw error;
  }
}

/**
 * Writes a run's folder, `runs/<scenario>-<timestamp>/` (with `-2`, `-3`, … when another
 * run took the name in the same second): result.json (canonical), report.md (the run),
 * comparison.md (patterns side by side, thresholds, baseline deltas) and report.html (the
 * same with charts, self-contained). Each file appears whole or not at all; when one cannot
 * be written (a full disk) the folder is removed and the error thrown, so the caller can
 * write the run somewhere else.
 */
export async function writeRun(result: RunResult, outRoot: string, verdicts: RunVerdicts = {}): Promise<WrittenRun> {
  const folder = await createUniqueFolder(outRoot, `${result.scenario.name}-${timestamp(result.startedAtMs)}`);
  const files: string[] = [];
  const write = async (name: string, content: string) => {
    await writeFileAtomically(join(folder, name), content);
    files.push(name);
  };
  try {
    await write('result.json', JSON.stringify(result, null, 2) + '\n');
    await write('report.md', renderRunMarkdown(result));
    if (result.patterns.length > 0) {
      const comparison = comparePatterns(result);
      // A prediction says so in every file it writes.
      const title = result.mode === 'predicted' ? `sluice: ${result.scenario.name} — predicted (a model: ${result.prediction?.fidelity ?? 'exact'} fidelity, ${result.prediction?.rulesVersion ?? 'sluice rules'})` : `sluice: ${result.scenario.name}`;
      await write('comparison.md', renderComparisonMarkdown(comparison, { title, ...verdicts }));
      // The HTML says what report.md says of a prediction: a model, its rules, what it models beyond AWS's documentation (‡).
      const notes = result.mode === 'predicted' ? modeLines(result).map((line) => line.replace(/^\s*- /, '').replace(/\*\*/g, '')) : undefined;
      await write('report.html', renderHtmlReport(comparison, await loadUplotAssets(), { title, ...(notes ? { notes } : {}), ...verdicts }));
    }
  } catch (error) {
    // A folder with only some of its files would pass for a whole run: the caller writes the
    // run elsewhere, so this one goes.
    await rm(folder, { recursive: true, force: true }).catch(() => undefined);
    throw error;
  }
  return { folder, files };
}
