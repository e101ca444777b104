import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BadInput } from '../support/bad-input.ts';

/**
 * The table of bad inputs: every case in every file of test/fixtures/bad-inputs/ runs the CLI
 * as a process (`node bin/sluice.js …`) and must be refused as README promises: the exit code,
 * the message naming file, line and key, nothing started (no run folder, no child process),
 * an answer within seconds. Add a case to a file there (or a file) to extend it.
 */
type BadInputCase = BadInput;

interface CaseOutcome {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  elapsedMs: number;
  dir: string;
  /** Files and folders in the case's folder afterwards that the case did not write. */
  created: string[];
  /** Processes other than the CLI itself that ran with the case's marker, during or after it. */
  startedProcesses: string[];
  /** Of those, the ones still alive after the CLI exited. */
  leftoverProcesses: string[];
}

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const sluiceBin = join(repoRoot, 'bin', 'sluice.js');
const tableDir = join(repoRoot, 'test', 'fixtures', 'bad-inputs');
/**
 * A refusal comes before anything starts: the process's own start and the checks, about
 * 1.2 s alone on 2 cores. Each case must answer within this bound, which leaves room for a
 * machine shared with other work and for a handler import that never finishes (refused at
 * Lambda's 10 s init limit); the median answer must be under {@link medianAnswerWithinMs}.
 */
const answerWithinMs = 20_000;
const medianAnswerWithinMs = 5_000;
/** Cases run side by side, one lane per core: fast, and each still answers as it would alone. */
const groupSize = Math.max(2, availableParallelism());
const markerVariable = 'SLUICE_BAD_INPUT_CASE';

async function loadTable(): Promise<Array<{ table: string; testCase: BadInputCase }>> {
  const tables = readdirSync(tableDir).filter((file) => file.endsWith('.ts')).sort();
  const loaded = await Promise.all(
    tables.map(async (table) => {
      const module = (await import(join(tableDir, table))) as Record<string, unknown>;
      // Each table file exports its cases (as default, or as named arrays of cases).
      const arrays = Array.isArray(module.default) ? [module.default] : Object.values(module).filter(Array.isArray);
      const cases = [...new Set(arrays.flat())].filter((entry): entry is BadInputCase => typeof entry === 'object' && entry !== null && 'args' in entry && 'exitCode' in entry);
      return cases.map((testCase) => ({ table, testCase }));
    }),
  );
  return loaded.flat();
}

/** Every process that carries `marker` in its environment (children inherit it), but `exceptPid`. */
function processesWithMarker(marker: string, exceptPid: number | undefined): Map<number, string> {
  const found = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === exceptPid) continue;
    try {
      if (!readFileSync(`/proc/${entry}/environ`, 'latin1').includes(`${markerVariable}=${marker}`)) continue;
      const command = readFileSync(`/proc/${entry}/cmdline`, 'latin1').replaceAll('\0', ' ').trim();
      // The TypeScript loader's compiler service (tsx starts esbuild's on a cold cache): part of the CLI reading its own sources, not something a run started.
      if (/\/esbuild --service=/.test(command)) continue;
      found.set(Number(entry), command);
    } catch {
      // The process ended while it was read, or is not ours to read.
    }
  }
  return found;
}

async function listRecursively(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

async function runCase(testCase: BadInputCase): Promise<CaseOutcome> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-bad-input-'));
  const written = new Set<string>();
  for (const [name, content] of Object.entries(testCase.files ?? {})) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), content);
    // The file and every folder above it inside dir.
    for (let part = name; part !== '.' && part !== ''; part = dirname(part)) written.add(part);
  }
  const marker = randomUUID();
  const args = testCase.args.map((arg) => arg.replaceAll('{dir}', dir));
  const startedAtMs = Date.now();
  // cwd is the case's folder, so a default `--out runs` or a baseline name would land there too.
  const child = spawn(process.execPath, [sluiceBin, ...args], { cwd: dir, env: { ...process.env, [markerVariable]: marker }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const started = new Map<number, string>();
  // Sampled while it runs: an emulator started and stopped again before the exit was still started.
  const sampler = setInterval(() => {
    for (const [pid, command] of processesWithMarker(marker, child.pid)) started.set(pid, command);
  }, 250);
  const killer = setTimeout(() => child.kill('SIGKILL'), 4 * answerWithinMs);
  const exitCode = await new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const elapsedMs = Date.now() - startedAtMs;
  clearInterval(sampler);
  clearTimeout(killer);
  const leftover = processesWithMarker(marker, child.pid);
  for (const [pid, command] of leftover) {
    started.set(pid, command);
    process.kill(pid, 'SIGKILL');
  }
  const created = (await listRecursively(dir)).filter((path) => !written.has(path));
  return {
    exitCode,
    stdout,
    stderr,
    elapsedMs,
    dir,
    created,
    startedProcesses: [...started].map(([pid, command]) => `${pid} ${command}`),
    leftoverProcesses: [...leftover].map(([pid, command]) => `${pid} ${command}`),
  };
}

const table = await loadTable();
const outcomes = new Map<BadInputCase, CaseOutcome>();

describe('bad inputs, each refused before anything starts (test/fixtures/bad-inputs/)', () => {
  beforeAll(async () => {
    // A pool, not groups: a slow case holds up one lane, not a whole group.
    let next = 0;
    const lane = async () => {
      while (next < table.length) {
        const { testCase } = table[next++]!;
        outcomes.set(testCase, await runCase(testCase));
      }
    };
    await Promise.all(Array.from({ length: groupSize }, lane));
    const slowest = [...outcomes].sort((a, b) => b[1].elapsedMs - a[1].elapsedMs).slice(0, 8);
    console.info(`bad inputs: ${outcomes.size} cases; slowest ${slowest.map(([testCase, outcome]) => `${testCase.name} ${outcome.elapsedMs} ms`).join(', ')}`);
  }, 300_000);

  afterAll(async () => {
    await Promise.all([...outcomes.values()].map((outcome) => rm(outcome.dir, { recursive: true, force: true })));
  });

  it('holds at least 40 cases, answered in seconds', () => {
    expect(table.length).toBeGreaterThanOrEqual(40);
    const elapsed = [...outcomes.values()].map((outcome) => outcome.elapsedMs).sort((a, b) => a - b);
    expect(elapsed[Math.floor(elapsed.length / 2)], `answers took ${elapsed.join(', ')} ms`).toBeLessThan(medianAnswerWithinMs);
    expect(new Set(table.map(({ table: file, testCase }) => `${file}: ${testCase.name}`)).size, 'case names are unique per file').toBe(table.length);
  });

  it.each(table.map(({ table: file, testCase }) => [`${file}: ${testCase.name}`, testCase] as const))('%s', (_name, testCase) => {
    const outcome = outcomes.get(testCase)!;
    const shown = `$ sluice ${testCase.args.join(' ')}\n--- stderr\n${outcome.stderr}--- stdout\n${outcome.stdout}`;
    expect(outcome.exitCode, shown).toBe(testCase.exitCode);
    for (const fragment of testCase.messageIncludes) expect(outcome.stderr, shown).toContain(fragment.replaceAll('{dir}', outcome.dir));
    expect(outcome.created, `${shown}\nnothing may be written (no run folder)`).toEqual([]);
    expect(outcome.startedProcesses, `${shown}\nno process may be started (no emulator)`).toEqual([]);
    expect(outcome.leftoverProcesses).toEqual([]);
    expect(outcome.elapsedMs, `${shown}\nanswered in ${outcome.elapsedMs} ms`).toBeLessThan(answerWithinMs);
  });
});
