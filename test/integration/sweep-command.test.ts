import { describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SweepSummary } from '../../analysis/sweep.ts';
import { parseRunResult } from '../../analysis/run-result-schema.ts';
import { runCliInProcess } from '../support/run-cli-in-process.ts';

const runCli = runCliInProcess;

// Two settings of a synthetic handler that peaks at 200 MB behind an HTTP API: at 128 MB every
// invoke runs out of memory, at 256 MB it runs clean. One-second phase, few events.
const scenario = `name: sweep-it
workload:
  phases: [{ duration: 1, arrivalRate: 10 }]
function:
  handler: { duration: 20ms, cpuShare: 1, peakMemoryMb: 200 }
  initDuration: 50ms
patterns:
  - source: apigateway
drainTimeout: 5
sweep:
  vary:
    - { key: function.memoryMb, values: [128, 256] }
  strategy: cost
thresholds: [lost == 0]
`;

describe('sluice sweep on the embedded target', () => {
  it('runs each setting, keeps the failed one in the table and chooses the clean one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-sweep-'));
    const file = join(dir, 'sweep.yaml');
    await writeFile(file, scenario);
    const out = join(dir, 'runs');
    const { code, stdout, stderr } = await runCli(['sweep', file, '--out', out, '--no-progress']);
    expect(stderr).toContain('setting 2/2: memoryMb=256');
    expect(code, stdout + stderr).toBe(0);
    expect(stdout).toMatch(/\| memoryMb=128 \|.*FAILED: out of memory/);
    expect(stdout).toContain('▶ cost: memoryMb=256');
    const [folder] = await readdir(out);
    const summary = JSON.parse(await readFile(join(out, folder!, 'sweep.json'), 'utf8')) as SweepSummary;
    expect(summary.patterns[0]!.rows.map((row) => row.status)).toEqual(['failed', 'ok']);
    expect(summary.patterns[0]!.chosen).toMatchObject({ strategy: 'cost', setting: 2, label: 'memoryMb=256' });
    // Each setting's RunResult is whole and valid, in its own folder.
    for (const setting of summary.settings) {
      const text = await readFile(join(out, folder!, setting.folder, 'result.json'), 'utf8');
      const result = parseRunResult(text, setting.folder);
      expect(result.patterns[0]!.function.memoryMb).toBe(setting.assignments[0]!.value);
    }
    const html = await readFile(join(out, folder!, 'report.html'), 'utf8');
    expect(html).toContain('class="sweet-spot"');
    // Every invoke of the 128 MB setting failed, so it has no latency to chart: it stays in the table.
    expect(html).toMatch(/<tr class="failed"><td>memoryMb=128<\/td>.*FAILED: out of memory/);
  });

  it('--predict measures a module handler once behind each pattern, then sweeps its stand-in on simulated time', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-sweep-'));
    const file = join(dir, 'sweep.yaml');
    const handlerModule = new URL('../fixtures/handlers/behaviours.ts', import.meta.url).pathname;
    // A CPU-bound handler: 20 ms of CPU on one core of this machine, taken as one vCPU (1,769 MB).
    await writeFile(
      file,
      `name: sweep-predict-module
workload:
  phases: [{ duration: 2, arrivalRate: 5 }]
function:
  handler: { type: module, module: ${handlerModule}#busyTwentyMs }
  timeout: 10s
patterns:
  - source: sqs
    batchSize: 1
sweep:
  vary:
    - { key: function.memoryMb, values: [442, 884] }
  strategy: speed
`,
    );
    const out = join(dir, 'runs');
    const { code, stdout, stderr } = await runCli(['sweep', file, '--predict', '--out', out, '--no-progress']);
    expect(code, stdout + stderr).toBe(0);
    expect(stderr).toMatch(/calibrating the module handler/);
    expect(stderr).toMatch(/sqs: \d+ invokes, wall p50 [\d.]+ ms p99 [\d.]+ ms, CPU \d+ % of wall/);
    expect(stdout).toContain('▶ speed: memoryMb=884');
    const [folder] = await readdir(out);
    const summary = JSON.parse(await readFile(join(out, folder!, 'sweep.json'), 'utf8')) as SweepSummary;
    const [low, high] = await Promise.all(summary.settings.map(async (setting) => parseRunResult(await readFile(join(out, folder!, setting.folder, 'result.json'), 'utf8'), setting.folder)));
    expect(low!.mode).toBe('predicted');
    expect(low!.prediction!.modelled.join('\n')).toMatch(/module handler calibrated on this machine/);
    // Below one vCPU, doubling memory halves the CPU-bound part: a busy loop is nearly all CPU
    // (a thread descheduled on a shared machine counts as waiting, which does not halve).
    const ratio = low!.patterns[0]!.latency.invokeDurationMs.p50 / high!.patterns[0]!.latency.invokeDurationMs.p50;
    expect(ratio).toBeGreaterThan(1.5);
    expect(ratio).toBeLessThan(2.05);
    expect(high!.patterns[0]!.latency.invokeDurationMs.p50).toBeGreaterThan(20);
  });

  it('--dry-run prints every setting and the total estimated AWS cost, and runs nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-sweep-'));
    const file = join(dir, 'sweep.yaml');
    await writeFile(file, scenario);
    const { code, stdout } = await runCli(['sweep', file, '--dry-run', '--out', join(dir, 'runs')]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/ 1\. memoryMb=128: 1 pattern\(s\), about \$[\d.]+–\$[\d.]+ on AWS/);
    expect(stdout).toMatch(/ 2\. memoryMb=256/);
    expect(stdout).toMatch(/total on AWS: about \$[\d.]+–\$[\d.]+/);
    await expect(readdir(join(dir, 'runs'))).rejects.toThrow();
  });

  it('--target aws names the account and the sweep’s cost, and deploys nothing without --yes', async () => {
    const sts = mockClient(STSClient);
    const cloudFormation = mockClient(CloudFormationClient);
    try {
      sts.on(GetCallerIdentityCommand).resolves({ Account: '123456789012', Arn: 'arn:aws:iam::123456789012:user/ci', UserId: 'ci' });
      const dir = await mkdtemp(join(tmpdir(), 'sluice-sweep-'));
      const file = join(dir, 'sweep.yaml');
      await writeFile(file, scenario);
      const { code, stdout, stderr } = await runCli(['sweep', file, '--target', 'aws', '--out', join(dir, 'runs')]);
      expect(code, stdout + stderr).toBe(2);
      expect(stdout).toContain('AWS account 123456789012');
      expect(stdout).toMatch(/deploys each of 2 settings in turn .* costs up to about \$[\d.]+/);
      expect(stderr).toContain('Pass --yes to deploy the sweep');
      expect(cloudFormation.commandCalls(CreateStackCommand)).toHaveLength(0);
    } finally {
      sts.restore();
      cloudFormation.restore();
    }
  });
});
