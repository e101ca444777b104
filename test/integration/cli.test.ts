import { describe, expect, it } from 'vitest';
import { spawn, spawnSync, execFileSync } from 'node:child_process';
// @ts-expect-error: plain JavaScript beside bin/sluice.js, without type declarations
import { freshCliBundle } from '../../bin/cli-bundle.mjs';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCliInProcess } from '../support/run-cli-in-process.ts';

const runCli = runCliInProcess;

async function pollUntil<T>(read: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The embedded target a run started: its `sluice serve` child (tsx's esbuild is a child too). */
function embeddedTargetOf(pid: number): number | undefined {
  try {
    const found = execFileSync('pgrep', ['-P', String(pid), '-f', 'sluice.js serve']).toString().trim().split('\n').filter(Boolean).map(Number);
    return found[0];
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

describe('sluice command line', () => {
  it('the bundled CLI (.build/cli) answers as its TypeScript sources do, and is used while it is fresh', async () => {
    if (!freshCliBundle()) execFileSync(process.execPath, ['scripts/build-cli.mjs']);
    expect(freshCliBundle(), 'scripts/build-cli.mjs leaves a fresh bundle').toMatch(/\.build\/cli\/main\.js$/);
    const dir = await mkdtemp(join(tmpdir(), 'sluice-cli-'));
    const file = join(dir, 'bad.yaml');
    await writeFile(file, ['name: bad', 'workload:', '  phases:', '    - duration: 10', '      arrivalRate: fast', 'patterns:', '  - source: kinesis', '    shards: 0', ''].join('\n'));
    const answer = (env: NodeJS.ProcessEnv) => spawnSync(process.execPath, ['bin/sluice.js', 'validate', file], { encoding: 'utf8', env: { ...process.env, ...env } });
    const fromBundle = answer({});
    const fromSources = answer({ SLUICE_FROM_SOURCES: '1' });
    expect(fromBundle.status).toBe(2);
    expect(fromBundle.stderr).toContain(`${file}:8:13 patterns[0].shards`);
    expect({ status: fromBundle.status, stdout: fromBundle.stdout, stderr: fromBundle.stderr }).toEqual({ status: fromSources.status, stdout: fromSources.stdout, stderr: fromSources.stderr });
  });

  it('validate: names the file, line and key of every problem and exits 2', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-cli-'));
    const file = join(dir, 'bad.yaml');
    await writeFile(
      file,
      ['name: bad', 'workload:', '  phases:', '    - duration: 10', '      arrivalRate: fast', 'patterns:', '  - source: sqs', '    batchSize: 0', '    visiblityTimeout: 30s', ''].join('\n'),
    );
    const { code, stderr } = await runCli(['validate', file]);
    expect(code).toBe(2);
    expect(stderr).toContain(`${file}:5:20 workload.phases[0].arrivalRate`);
    expect(stderr).toContain(`${file}:8:16 patterns[0].batchSize`);
    expect(stderr).toContain(`${file}:9:5 patterns[0].visiblityTimeout: unknown key`);
  });

  it('validate: accepts every shipped scenario', async () => {
    const files = (await readdir('scenarios')).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThan(0);
    // Scenarios for `sluice predict` (beyond the events one run sends): validate refuses them for a run, with the reason, and only for it.
    const forPredictOnly = new Set(['burst-100k.yaml', 'day-1b.yaml']);
    for (const file of files) {
      const { code, stderr } = await runCli(['validate', join('scenarios', file)]);
      if (forPredictOnly.has(file)) {
        expect(stderr, file).toContain('more than the 5,000,000 one pattern run sends at most');
        expect(stderr.trim().split('\n'), file).toHaveLength(2);
        expect(code, file).toBe(2);
        continue;
      }
      expect(stderr, file).toBe('');
      expect(code, file).toBe(0);
    }
  });

  it('validate: accepts the scenario reference in the README', async () => {
    const readme = await readFile('README.md', 'utf8');
    // The reference is the block that is a whole scenario (others show one key, e.g. sweep:).
    const reference = /```yaml\n(name: [\s\S]*?)```/.exec(readme)?.[1];
    expect(reference).toBeDefined();
    const dir = await mkdtemp(join(tmpdir(), 'sluice-cli-'));
    await writeFile(join(dir, 'reference.yaml'), reference!);
    const { code, stderr } = await runCli(['validate', join(dir, 'reference.yaml')]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('run: an existing resource named for a target that would ignore it exits 2 with its line and key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-cli-'));
    const file = join(dir, 'byo.yaml');
    await writeFile(file, ['name: byo', 'workload:', '  phases: [{ duration: 2, arrivalRate: 5 }]', 'patterns:', '  - source: sqs', '    queueUrl: https://sqs.us-east-1.amazonaws.com/123456789012/orders', ''].join('\n'));
    const { code, stderr } = await runCli(['run', file, '--out', dir]);
    expect(code).toBe(2);
    expect(stderr).toContain(`${file}:6:5 patterns[0].queueUrl: names an existing resource`);
    expect(await readdir(dir)).toEqual(['byo.yaml']);
  });

  it('run: the command line’s --target wins over a scenario’s target: aws, and its dry run says a local run costs nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-cli-'));
    const file = join(dir, 'remote.yaml');
    await writeFile(file, ['name: remote', 'target: aws', 'workload:', '  phases: [{ duration: 2, arrivalRate: 5 }]', 'patterns:', '  - source: sqs', ''].join('\n'));
    const refused = await runCli(['run', file, '--out', dir]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`${file}:2:1 target: the scenario names target aws`);
    const dryRun = await runCli(['run', file, '--target', 'embedded', '--dry-run']);
    expect(dryRun.code).toBe(0);
    expect(dryRun.stdout).toMatch(/^sluice dry run — remote runs on the embedded target, which creates nothing on AWS and costs nothing; with --target aws \(us-east-1\) it would create and cost:/);
    expect(dryRun.stdout).not.toContain('remote on aws');
    expect(await readdir(dir)).toEqual(['remote.yaml']);
  });

  it('run: a bad scenario exits 2 before anything starts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-cli-'));
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'name: x\nworkload: { phases: [] }\npatterns: []\n');
    const { code, stderr } = await runCli(['run', file, '--out', dir]);
    expect(code).toBe(2);
    expect(stderr).toContain('workload.phases');
    expect(await readdir(dir)).toEqual(['bad.yaml']);
  });

  it('run: Ctrl-C tears the emulator down and still writes result.json marked interrupted', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-cli-'));
    // Its own process group, so the test can press Ctrl-C as a terminal does: SIGINT to the whole foreground group.
    const child = spawn(process.execPath, ['bin/sluice.js', 'run', 'scenarios/sqs-basic.yaml', '--out', dir, '--no-progress'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    // Wait until the embedded target (a child of the run) is up and load is flowing.
    const targetPid = await pollUntil(() => embeddedTargetOf(child.pid!), 30_000);
    await pollUntil(() => (output.includes('pattern 1/1') ? true : undefined), 30_000);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    process.kill(-child.pid!, 'SIGINT');
    const interruptedAtMs = Date.now();
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    // Teardown is prompt: it does not wait for the phases to run out.
    expect(Date.now() - interruptedAtMs).toBeLessThan(12_000);
    expect(code).toBe(130);
    // The emulator process is gone (polled: the kernel may report it for a moment after exit).
    await pollUntil(() => (isAlive(targetPid) ? undefined : true), 5_000);
    const [runFolder] = await readdir(dir);
    const result = JSON.parse(await readFile(join(dir, runFolder, 'result.json'), 'utf8'));
    expect(result.status).toBe('interrupted');
    expect(result.failure).toBeUndefined();
    expect(result.patterns[0].warnings.join(' ')).not.toMatch(/could not read/);
    expect(result.patterns[0].accounting.sent).toBeGreaterThan(0);
    expect(result.patterns[0].accounting.sent).toBeLessThan(850);
    expect(await readFile(join(dir, runFolder, 'report.md'), 'utf8')).toContain('interrupted');
  });

  it('run: when the emulator dies, stops with exit 3, says what happened and what to do, and keeps what it measured', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-cli-'));
    const child = spawn(process.execPath, ['bin/sluice.js', 'run', 'scenarios/sqs-basic.yaml', '--out', dir, '--no-progress'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const targetPid = await pollUntil(() => embeddedTargetOf(child.pid!), 30_000);
    await pollUntil(() => (output.includes('pattern 1/1') ? true : undefined), 30_000);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    process.kill(targetPid, 'SIGKILL');
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).toBe(3);
    expect(output).toMatch(/run failed: the embedded target \(pid \d+\) exited during the run \(SIGKILL\) — .*Re-run/);
    const [runFolder] = await readdir(dir);
    const result = JSON.parse(await readFile(join(dir, runFolder, 'result.json'), 'utf8'));
    expect(result.status).toBe('failed');
    expect(result.failure.code).toBe('SLUICE_TARGET_DIED');
    expect(result.patterns[0].accounting.sent).toBeGreaterThan(0);
  });

  it('run: exits 1 when a threshold fails, 0 when all pass, writes JUnit, and compares runs after the fact', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-cli-'));
    const scenario = (thresholds: string[]) =>
      [
        'name: thresholds-check',
        'workload:',
        '  phases: [{ duration: 2, arrivalRate: 20 }]',
        'function:',
        '  handler: { duration: 30ms }',
        'patterns:',
        '  - source: sqs',
        'thresholds:',
        ...thresholds.map((t) => `  - "${t}"`),
        '',
      ].join('\n');
    await writeFile(join(dir, 'fails.yaml'), scenario(['p99EndToEnd < 1ms', 'lost == 0']));
    await writeFile(join(dir, 'passes.yaml'), scenario(['p99EndToEnd < 30s', 'lost == 0', 'maxIteratorAge < 1s']));

    const failing = await runCli(['run', join(dir, 'fails.yaml'), '--out', join(dir, 'a'), '--junit', join(dir, 'junit.xml'), '--no-progress']);
    expect(failing.code).toBe(1);
    expect(failing.stdout).toContain('FAIL  [sqs] p99EndToEnd < 1ms');
    const junit = await readFile(join(dir, 'junit.xml'), 'utf8');
    expect(junit).toContain('<failure');
    expect(junit).toContain('p99EndToEnd &lt; 1ms');

    const passing = await runCli(['run', join(dir, 'passes.yaml'), '--out', join(dir, 'b'), '--no-progress', '--baseline', join(dir, 'a', (await readdir(join(dir, 'a')))[0], 'result.json'), '--tolerance', '5']);
    // The baseline's latencies are another run's on the same machine: a 500 % tolerance keeps a busy machine's jitter from failing the passing run.
    expect(passing.code, passing.stdout + passing.stderr).toBe(0);
    expect(passing.stdout).toContain('n/a   [sqs] maxIteratorAge < 1s');
    expect(passing.stdout).toMatch(/baseline .*: \d+ regression/);

    const resultA = join(dir, 'a', (await readdir(join(dir, 'a')))[0], 'result.json');
    const resultB = join(dir, 'b', (await readdir(join(dir, 'b')))[0], 'result.json');
    const compared = await runCli(['compare', resultA, resultB, '--out', join(dir, 'cmp')]);
    expect(compared.code).toBe(0);
    expect(await readFile(join(dir, 'cmp', 'report.html'), 'utf8')).toContain('data-series-count');
    expect(await readFile(join(dir, 'cmp', 'comparison.md'), 'utf8')).toContain('thresholds-check');
  });
});
