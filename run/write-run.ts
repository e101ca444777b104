import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunResult } from '../analysis/run-result.ts';
import { renderRunMarkdown } from '../analysis/report-markdown.ts';

function timestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/** Writes `runs/<scenario>-<timestamp>/result.json` and `report.md`; returns the folder. */
export async function writeRun(result: RunResult, outRoot: string): Promise<string> {
  const folder = join(outRoot, `${result.scenario.name}-${timestamp(result.startedAtMs)}`);
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, 'result.json'), JSON.stringify(result, null, 2) + '\n');
  await writeFile(join(folder, 'report.md'), renderRunMarkdown(result));
  return folder;
}
