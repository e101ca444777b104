import { describe, expect, it } from 'vitest';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, utimes } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunResult } from '../../analysis/run-result.ts';
import { startS3Service } from '../../localstack/embedded/s3/s3-service.ts';

async function pollUntil<T>(read: () => T | undefined | Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The embedded target a run started: its `sluice serve` child. */
function embeddedTargetOf(pid: number): number | undefined {
  try {
    return execFileSync('pgrep', ['-P', String(pid), '-f', 'sluice.js serve']).toString().trim().split('\n').filter(Boolean).map(Number)[0];
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The S3 scratch folders of one `sluice serve` process in the system temporary folder. */
async function s3ScratchOf(pid: number): Promise<string[]> {
  return (await readdir(tmpdir())).filter((name) => name.startsWith(`sluice-s3-${pid}-`));
}

function startRun(scenario: string, out: string) {
  const child = spawn(process.execPath, ['bin/sluice.js', 'run', scenario, '--out', out, '--no-progress'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** Every accepted event has one fate, and none is lost. */
function expectEveryEventAccounted(result: RunResult): void {
  for (const pattern of result.patterns) {
    const a = pattern.accounting;
    expect(a.sent, pattern.name).toBeGreaterThan(0);
    expect(a.sent, pattern.name).toBe(a.accepted + a.sourceFailed);
    expect(a.accepted, pattern.name).toBe(a.completed + a.failed + a.deadLettered + a.pendingAtEnd + a.lost + (a.filtered ?? 0));
    expect(a.lost, pattern.name).toBe(0);
  }
}

describe('faults during a run', () => {
  it('SIGTERM mid-run: exit 130, result.json marked interrupted with every event accounted, no emulator and no temporary file left', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-sigterm-'));
    const run = startRun('scenarios/sqs-basic.yaml', dir);
    const targetPid = await pollUntil(() => embeddedTargetOf(run.child.pid!), 60_000);
    await pollUntil(() => (run.output().includes('pattern 1/1') ? true : undefined), 60_000);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    // As a process manager stops a service (systemd, docker stop, CI cancel): SIGTERM to the run alone.
    run.child.kill('SIGTERM');
    const code = await run.exited;
    expect(code, run.output()).toBe(130);
    await pollUntil(() => (isAlive(targetPid) ? undefined : true), 5_000);
    const [runFolder, ...others] = await readdir(dir);
    expect(others).toEqual([]);
    // Only the run's own files: no temporary name left over from an atomic write.
    expect((await readdir(join(dir, runFolder))).sort()).toEqual(['comparison.md', 'report.html', 'report.md', 'result.json']);
    const result = JSON.parse(await readFile(join(dir, runFolder, 'result.json'), 'utf8')) as RunResult;
    expect(result.status).toBe('interrupted');
    expect(result.patterns[0].load.stoppedBecause).toBe('interrupted');
    expect(result.patterns[0].accounting.sent).toBeLessThan(850);
    expectEveryEventAccounted(result);
    expect(await s3ScratchOf(targetPid)).toEqual([]);
  }, 120_000);

  it('kill -9 of the emulator mid-run: exit 3 with what happened and what to do, result.json written, its S3 scratch folder removed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-kill9-'));
    const run = startRun('scenarios/s3-basic.yaml', dir);
    const targetPid = await pollUntil(() => embeddedTargetOf(run.child.pid!), 60_000);
    await pollUntil(() => (run.output().includes('pattern 1/1') ? true : undefined), 60_000);
    // The emulator's object store exists while it runs (the test looks at the right folder), and
    // the load is flowing once objects appear in it.
    const [scratch] = await pollUntil(async () => {
      const found = await s3ScratchOf(targetPid);
      return found.length > 0 ? found : undefined;
    }, 10_000);
    await pollUntil(async () => ((await readdir(join(tmpdir(), scratch), { recursive: true })).length > 20 ? true : undefined), 60_000);
    process.kill(targetPid, 'SIGKILL');
    const code = await run.exited;
    expect(code, run.output()).toBe(3);
    expect(run.output()).toMatch(/run failed: the embedded target \(pid \d+\) exited during the run \(SIGKILL\) — .*Re-run/);
    const [runFolder] = await readdir(dir);
    const result = JSON.parse(await readFile(join(dir, runFolder, 'result.json'), 'utf8')) as RunResult;
    expect(result.status).toBe('failed');
    expect(result.failure?.code).toBe('SLUICE_TARGET_DIED');
    expect(result.patterns[0].accounting.sent).toBeGreaterThan(0);
    expect(await s3ScratchOf(targetPid)).toEqual([]);
  }, 120_000);

  it('an S3 emulator that starts removes the scratch folders of processes that are gone', async () => {
    // A pid that surely ran and ended: a process of our own, waited for.
    const gone = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    const deadPid = Number(gone.stdout.trim());
    expect(isAlive(deadPid)).toBe(false);
    const stale = join(tmpdir(), `sluice-s3-${deadPid}-stale1`);
    await mkdir(join(stale, 'bucket'), { recursive: true });
    // Named as before the pid was in the name: removed when older than a day, kept when recent.
    const ownerlessOld = join(tmpdir(), `sluice-s3-${randomBytes(3).toString('hex')}`);
    const ownerlessRecent = join(tmpdir(), `sluice-s3-${randomBytes(3).toString('hex')}`);
    await mkdir(ownerlessOld);
    await mkdir(ownerlessRecent);
    const twoDaysAgo = new Date(Date.now() - 48 * 3_600_000);
    await utimes(ownerlessOld, twoDaysAgo, twoDaysAgo);
    const service = await startS3Service();
    try {
      expect(await s3ScratchOf(deadPid)).toEqual([]);
      expect(existsSync(ownerlessOld)).toBe(false);
      expect(existsSync(ownerlessRecent)).toBe(true);
      // Its own folder is kept while it runs.
      expect((await s3ScratchOf(process.pid)).length).toBeGreaterThan(0);
    } finally {
      await service.close();
      await rm(ownerlessRecent, { recursive: true, force: true });
    }
  }, 30_000);
});
