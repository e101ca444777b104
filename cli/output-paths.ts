import { open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SluiceError } from '../core/sluice-error.ts';

/**
 * An output path sluice cannot write (`--out`, `--junit`, `--save-baseline`, `compare --out`),
 * found before anything starts: bad input, exit 2.
 */
export class OutputPathError extends SluiceError<'SLUICE_BAD_OUTPUT'> {}

/** What one output flag names: a folder sluice creates files in, or one file it writes. */
export interface OutputPath {
  /** The flag as the user typed it, for the message: `--out`, `--junit`. */
  flag: string;
  path: string;
  kind: 'folder' | 'file';
}

/**
 * Checks every output path before a run or a comparison starts, so a run is never measured
 * only to be lost at the end: each path must be (or be creatable as) a folder or a file of
 * the kind asked for, and the nearest folder that exists must take a new file. The check
 * writes and removes one empty probe file there (as root, permissions alone say nothing; a
 * read-only filesystem answers only to a write). Every problem is reported, not the first.
 */
export async function checkOutputPaths(outputs: OutputPath[]): Promise<void> {
  const problems: Array<{ message: string; hint: string }> = [];
  for (const output of outputs) {
    const problem = await outputPathProblem(output);
    if (problem) problems.push(problem);
  }
  if (problems.length === 0) return;
  throw new OutputPathError(
    'SLUICE_BAD_OUTPUT',
    problems.length === 1 ? problems[0].message : `${problems.length} output paths cannot be written:\n${problems.map((p) => `  ${p.message}`).join('\n')}`,
    [...new Set(problems.map((p) => p.hint))].join('; '),
  );
}

async function outputPathProblem(output: OutputPath): Promise<{ message: string; hint: string } | undefined> {
  const named = `${output.flag} ${output.path}`;
  const existing = await stat(output.path).catch(() => undefined);
  if (existing) {
    if (output.kind === 'folder' && !existing.isDirectory()) {
      return { message: `${named}: names an existing file, not a folder (sluice writes a folder of files there)`, hint: `give ${output.flag} a folder (it is created when missing), e.g. ${output.flag} ${join(dirname(output.path), 'runs')}` };
    }
    if (output.kind === 'file' && existing.isDirectory()) {
      return { message: `${named}: names a folder, not a file`, hint: `give ${output.flag} a file name, e.g. ${output.flag} ${join(output.path, 'junit.xml')}` };
    }
  }
  // The folder the files go into, or the nearest ancestor that exists: that one must take a file.
  const start = output.kind === 'folder' ? output.path : dirname(output.path);
  const ancestor = await nearestExisting(start);
  if (!ancestor.isDirectory) {
    return { message: `${named}: ${ancestor.path} is a file, so no folder can be made under it`, hint: `give ${output.flag} a path whose parents are folders` };
  }
  const probe = join(ancestor.path, `.sluice-write-check-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await (await open(probe, 'wx')).close();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'EROFS' ? 'is on a read-only filesystem' : code === 'EACCES' || code === 'EPERM' ? 'is not writable by this user' : code === 'ENOSPC' ? 'is on a full disk' : `cannot take a new file (${code ?? (error as Error).message})`;
    return { message: `${named}: ${ancestor.path === resolve(start) ? 'the folder' : `its nearest existing folder ${ancestor.path}`} ${why}`, hint: `give ${output.flag} a writable location, e.g. ${output.flag} ${join(tmpdir(), output.kind === 'folder' ? 'sluice-runs' : 'junit.xml')}` };
  } finally {
    await rm(probe, { force: true }).catch(() => undefined);
  }
  return undefined;
}

async function nearestExisting(path: string): Promise<{ path: string; isDirectory: boolean }> {
  let current = resolve(path);
  for (;;) {
    // ENOENT (missing) and ENOTDIR (a parent is a file) both mean: look one level up.
    const found = await stat(current).catch(() => undefined);
    if (found) return { path: current, isDirectory: found.isDirectory() };
    const parent = dirname(current);
    if (parent === current) return { path: current, isDirectory: true };
    current = parent;
  }
}

/**
 * Where results go when the asked-for place failed at the end (a disk that filled during the
 * run): the system's temporary folder, which is writable on every machine sluice runs on.
 */
export function fallbackOutputRoot(): string {
  return join(tmpdir(), 'sluice-runs');
}
