import { describe, expect, it } from 'vitest';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, open, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { smallScenario } from '../fixtures/bad-inputs/output-paths.ts';
import type { RunResult } from '../../analysis/run-result.ts';

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  elapsedMs: number;
  /** Whether a `sluice serve` child (the embedded target) was ever seen while the command ran. */
  startedTarget: boolean;
}

/** Runs `bin/sluice.js` as its own process, watching for an embedded target it starts. */
function runSluice(args: string[], options: { env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
  const startedAtMs = Date.now();
  const child = spawn(process.execPath, ['bin/sluice.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  let startedTarget = false;
  // A `sluice serve` child takes far longer than this interval to start, so it cannot slip by.
  const watch = setInterval(() => {
    if (spawnSync('pgrep', ['-P', String(child.pid), '-f', 'sluice.js serve']).status === 0) startedTarget = true;
  }, 50);
  return new Promise((resolve) => {
    child.once('exit', (code) => {
      clearInterval(watch);
      resolve({ code, stdout, stderr, elapsedMs: Date.now() - startedAtMs, startedTarget });
    });
  });
}

async function filesUnder(folder: string): Promise<string[]> {
  return (await readdir(folder, { recursive: true })).map(String).sort();
}

/** Whether this machine lets the test mount a filesystem (root in a sandbox usually may). */
function tryMountTmpfs(at: string, sizeBytes: number): string | undefined {
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}`, 'tmpfs', at], { encoding: 'utf8' });
  return mounted.status === 0 ? undefined : `mount -t tmpfs is not permitted here (${(mounted.stderr || mounted.error?.message || `exit ${mounted.status}`).trim()})`;
}

const mountProbe = await mkdtemp(join(tmpdir(), 'sluice-mount-probe-'));
const cannotMount = tryMountTmpfs(mountProbe, 65_536);
if (!cannotMount) execFileSync('umount', [mountProbe]);
await rm(mountProbe, { recursive: true, force: true });
if (cannotMount) console.log(`skipping the full-disk and read-only tests: ${cannotMount}`);

function accountedFor(result: RunResult): void {
  for (const pattern of result.patterns) {
    const a = pattern.accounting;
    expect(a.sent, pattern.name).toBe(a.accepted + a.sourceFailed);
    expect(a.accepted, pattern.name).toBe(a.completed + a.failed + a.deadLettered + a.pendingAtEnd + a.lost + (a.filtered ?? 0));
    expect(a.lost, pattern.name).toBe(0);
  }
}

describe('run folders and output paths', () => {
  // Bad output paths and RunResults are rows of the bad-input table (test/integration/bad-inputs.test.ts runs them).
  it('two runs of one scenario into one --out at the same moment get a folder each, and both results are whole', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-two-runs-'));
    const scenario = join(dir, 'twice.yaml');
    await writeFile(scenario, ['name: twice', 'workload:', '  phases: [{ duration: 2, arrivalRate: 20 }]', 'function:', '  handler: { duration: 5ms }', 'patterns:', '  - source: sqs', ''].join('\n'));
    const out = join(dir, 'runs');
    const runs = await Promise.all([0, 1].map(() => runSluice(['run', scenario, '--out', out, '--no-progress'])));
    for (const run of runs) expect(run.code, run.stdout + run.stderr).toBe(0);
    const folders = await readdir(out);
    expect(folders).toHaveLength(2);
    const results = await Promise.all(folders.map(async (folder) => JSON.parse(await readFile(join(out, folder, 'result.json'), 'utf8')) as RunResult));
    expect(new Set(results.map((r) => r.runId)).size).toBe(2);
    for (const result of results) {
      expect(result.status).toBe('completed');
      expect(result.patterns[0].accounting.sent).toBe(40);
      expect(result.patterns[0].accounting.completed).toBe(40);
      accountedFor(result);
    }
    // Each run printed its own folder, and no temporary file was left in either.
    const printed = runs.map((run) => /result\.json\s+(\S+)/.exec(run.stdout)?.[1]);
    expect(new Set(printed).size).toBe(2);
    for (const folder of folders) expect((await readdir(join(out, folder))).sort()).toEqual(['comparison.md', 'report.html', 'report.md', 'result.json']);
  }, 120_000);

  it.skipIf(cannotMount !== undefined)('--out on a read-only filesystem exits 2 before the run, naming it', async () => {
    const mountPoint = await mkdtemp(join(tmpdir(), 'sluice-readonly-'));
    tryMountTmpfs(mountPoint, 65_536);
    try {
      execFileSync('mount', ['-o', 'remount,ro', mountPoint]);
      const dir = await mkdtemp(join(tmpdir(), 'sluice-readonly-scenario-'));
      await writeFile(join(dir, 'scenario.yaml'), smallScenario);
      const run = await runSluice(['run', join(dir, 'scenario.yaml'), '--out', join(mountPoint, 'runs'), '--junit', join(mountPoint, 'reports', 'junit.xml'), '--no-progress']);
      expect(run.code, run.stdout + run.stderr).toBe(2);
      expect(run.stderr).toContain(`--out ${join(mountPoint, 'runs')}: its nearest existing folder ${mountPoint} is on a read-only filesystem`);
      expect(run.stderr).toContain(`--junit ${join(mountPoint, 'reports', 'junit.xml')}: its nearest existing folder ${mountPoint} is on a read-only filesystem`);
      expect(run.stderr).toContain('what to do: give --out a writable location');
      expect(run.startedTarget).toBe(false);
      expect(run.elapsedMs).toBeLessThan(20_000);
    } finally {
      execFileSync('umount', [mountPoint]);
      await rm(mountPoint, { recursive: true, force: true });
    }
  }, 30_000);

  it.skipIf(cannotMount !== undefined)('a disk that is full at the end: the summary is printed, the run is written to the temporary folder, and that is said, exit 3', async () => {
    const mountPoint = await mkdtemp(join(tmpdir(), 'sluice-full-disk-'));
    tryMountTmpfs(mountPoint, 65_536);
    try {
      const dir = await mkdtemp(join(tmpdir(), 'sluice-full-disk-scenario-'));
      await writeFile(join(dir, 'scenario.yaml'), smallScenario);
      // Fill the filesystem to the last byte: the check before the run creates an empty file
      // (which needs no block), the result at the end needs space.
      const filler = await open(join(mountPoint, 'filler'), 'w');
      try {
        for (;;) await filler.write(Buffer.alloc(4096, 1));
      } catch (error) {
        expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
      } finally {
        await filler.close();
      }
      const run = await runSluice(['run', join(dir, 'scenario.yaml'), '--out', join(mountPoint, 'runs'), '--no-progress']);
      expect(run.code, run.stdout + run.stderr).toBe(3);
      expect(run.stdout).toContain('| events sent / accepted | 10 / 10 |');
      const fallback = new RegExp(`could not write the run into ${join(mountPoint, 'runs')} \\(ENOSPC[^)]*\\); wrote it to (\\S+) instead`).exec(run.stderr)?.[1];
      expect(fallback, run.stderr).toBeDefined();
      expect(fallback!.startsWith(join(tmpdir(), 'sluice-runs'))).toBe(true);
      expect(run.stdout).toContain(join(fallback!, 'result.json'));
      const result = JSON.parse(await readFile(join(fallback!, 'result.json'), 'utf8')) as RunResult;
      expect(result.patterns[0].accounting.completed).toBe(10);
      accountedFor(result);
      // Nothing half-written was left on the full disk: no run folder, no temporary file.
      expect((await filesUnder(mountPoint)).filter((name) => name !== 'runs')).toEqual(['filler']);
      await rm(fallback!, { recursive: true, force: true });
    } finally {
      execFileSync('umount', [mountPoint]);
      await rm(mountPoint, { recursive: true, force: true });
    }
  }, 60_000);

  it('compare writes into a folder it creates, and a second comparison into the same folder replaces the files whole', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-compare-out-'));
    const result = join(dir, 'result.json');
    await writeFile(result, await readFile('test/fixtures/run-results/sqs-standard.json', 'utf8'));
    await mkdir(join(dir, 'cmp'));
    for (let i = 0; i < 2; i += 1) {
      const run = await runSluice(['compare', result, '--out', join(dir, 'cmp')]);
      expect(run.code, run.stderr).toBe(0);
    }
    expect(await readdir(join(dir, 'cmp'))).toEqual(['comparison.md', 'report.html']);
  }, 30_000);
});
