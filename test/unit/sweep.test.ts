import { describe, expect, it } from 'vitest';
import { chooseSetting, failuresOf, renderSweepHtml, summarizeSweep, sweepRowOf, type SweepRow, type SweepSetting } from '../../analysis/sweep.ts';
import { planSweep, withModelledDuration } from '../../run/sweep.ts';
import { sweepSchema } from '../../scenario/sweep.ts';
import type { RunResult } from '../../analysis/run-result.ts';
import { loadRunFixture, percentiles } from '../fixtures/run-results/helpers.ts';

function row(setting: number, costPerMillionUsd: number, p99EndToEndMs: number, status: 'ok' | 'failed' = 'ok'): SweepRow {
  return { setting, label: `s${setting}`, status, failures: status === 'ok' ? [] : ['out of memory (3 invokes)'], costPerMillionUsd, p99EndToEndMs, p50EndToEndMs: p99EndToEndMs / 2 };
}

describe('sweep strategy', () => {
  // s1 cheap and slow, s2 balanced, s3 fast and dear, s4 cheapest and fastest but failed.
  const rows = [row(1, 1.0, 1000), row(2, 1.2, 300), row(3, 3.0, 200), row(4, 0.5, 100, 'failed')];

  it('cost picks the cheapest clean setting, speed the lowest p99, and neither picks a failed one', () => {
    expect(chooseSetting(rows, 'cost').setting).toBe(1);
    expect(chooseSetting(rows, 'speed').setting).toBe(3);
    expect(chooseSetting(rows, 'cost').reason).toContain('1 failed setting was not considered');
  });

  it('balanced weighs cost and p99 relative to the highest of each: weight 0 is speed, 1 is cost', () => {
    // Scores at 0.5: s1 0.5×1/3 + 0.5×1 = 0.667, s2 0.2 + 0.15 = 0.35, s3 0.5 + 0.1 = 0.6.
    expect(chooseSetting(rows, 'balanced', 0.5).setting).toBe(2);
    expect(chooseSetting(rows, 'balanced', 0).setting).toBe(3);
    expect(chooseSetting(rows, 'balanced', 1).setting).toBe(1);
    expect(chooseSetting(rows, 'balanced', 0.5).reason).toMatch(/best weighted score .* = 0\.350\)/);
  });

  it('chooses nothing when no setting ran clean, and says so', () => {
    const choice = chooseSetting([row(1, 1, 1, 'failed')], 'cost');
    expect(choice.setting).toBeUndefined();
    expect(choice.reason).toContain('no setting ran clean');
  });
});

describe('sweep table', () => {
  function settingWith(result: RunResult | undefined, index: number, failure?: string): SweepSetting {
    return { index, label: `memoryMb=${index * 128}`, assignments: [{ key: 'function.memoryMb', value: index * 128 }], folder: `settings/0${index}`, ...(result ? { result } : {}), ...(failure ? { failure } : {}) };
  }

  it('shows out-of-memory, throttled and unrun settings as failed rows, never drops them', () => {
    const clean = loadRunFixture('sqs-standard');
    const pattern = clean.patterns[0]!;
    const cost = { totalUsd: 0.001, perMillionEventsUsd: 1.2, lines: [], pricesAsOf: '2025' };
    pattern.cost = cost;
    const outOfMemory = loadRunFixture('sqs-standard');
    outOfMemory.patterns[0]!.functionUsage = { onDemandDurationMs: 1, provisionedDurationMs: 0, onDemandInitMs: 0, onDemandColdStarts: 0, provisionedConcurrencyMs: 0, provisionedConcurrencyMax: 0, scalingActions: [], outOfMemory: 12, timeouts: 0 };
    outOfMemory.patterns[0]!.summary.functionThrottles = 4;
    outOfMemory.patterns[0]!.cost = { ...cost, perMillionEventsUsd: 0.9 };
    const settings = [settingWith(clean, 1), settingWith(outOfMemory, 2), settingWith(undefined, 3, 'the embedded target did not start')];
    const summary = summarizeSweep({ scenario: 's', strategy: 'cost', balancedWeight: 0.5, keys: ['function.memoryMb'], settings });
    const rows = summary.patterns[0]!.rows;
    expect(rows.map((r) => r.status)).toEqual([failuresOf(pattern).length > 0 ? 'failed' : 'ok', 'failed', 'failed']);
    expect(rows[1]!.failures).toEqual(expect.arrayContaining(['out of memory (12 invokes)', 'throttled (4 invokes refused)']));
    expect(rows[2]!.failures).toEqual(['the embedded target did not start']);
    expect(summary.settings.map((s) => s.status)).toEqual(['completed', 'completed', 'not run']);
    const html = renderSweepHtml(summary);
    expect(html).toContain('FAILED: out of memory (12 invokes)');
    expect(html).toContain(`id="chart-${pattern.name}-cost-p99"`);
    // The cheaper setting ran out of memory: a cross on the chart, and not the choice.
    expect(html).toContain('class="failed-setting"');
    expect(summary.patterns[0]!.chosen.setting).not.toBe(2);
  });

  it('reads each row from its setting’s pattern: cost per million, p50/p99, throughput, concurrency, cold starts, throttles', () => {
    const result = loadRunFixture('sqs-standard');
    const pattern = result.patterns[0]!;
    pattern.latency.endToEndMs = percentiles({ p50: 40, p99: 900 });
    const sweepRow = sweepRowOf({ index: 1, label: 'x', assignments: [], folder: 'settings/01', result }, pattern.name);
    expect(sweepRow).toMatchObject({ p50EndToEndMs: 40, p99EndToEndMs: 900, peakConcurrency: pattern.summary.peakConcurrency, coldStarts: pattern.summary.coldStarts, throughputOutPerSecond: pattern.summary.throughputOutPerSecond });
    expect(sweepRow.costPerMillionUsd).toBe(pattern.cost?.perMillionEventsUsd);
  });
});

describe('sweep plan', () => {
  const raw = () => ({
    name: 'plan',
    workload: { phases: [{ duration: 2, arrivalRate: 5 }] },
    function: { memoryMb: 512, handler: { duration: '100ms' } },
    patterns: [{ source: 'sqs' }, { source: 'apigateway', name: 'api' }],
  });

  it('runs every combination, pinning the handler’s duration to the file’s memory size and architecture', () => {
    const sweep = sweepSchema.parse({ vary: [{ key: 'function.memoryMb', values: [256, 1024] }, { key: 'function.architecture', values: ['arm64', 'x86_64'] }] });
    const { settings, problems } = planSweep(raw(), sweep);
    expect(problems).toEqual([]);
    expect(settings.map((s) => s.label)).toEqual(['memoryMb=256, architecture=arm64', 'memoryMb=256, architecture=x86_64', 'memoryMb=1024, architecture=arm64', 'memoryMb=1024, architecture=x86_64']);
    const handler = settings[3]!.scenario.function.handler;
    expect(settings[3]!.scenario.function).toMatchObject({ memoryMb: 1024, architecture: 'x86_64' });
    expect(handler).toMatchObject({ durationAtMemoryMb: 512, durationAtArchitecture: 'arm64' });
  });

  it('sets a pattern key by name, or on every pattern that has it with *', () => {
    const byName = planSweep(raw(), sweepSchema.parse({ vary: [{ key: 'patterns.sqs.batchSize', values: [1, 10] }] }));
    expect(byName.settings.map((s) => (s.scenario.patterns[0] as { batchSize: number }).batchSize)).toEqual([1, 10]);
    const everywhere = planSweep(raw(), sweepSchema.parse({ vary: [{ key: 'patterns.*.batchSize', values: [5] }] }));
    expect(everywhere.problems).toEqual([]);
    expect((everywhere.settings[0]!.scenario.patterns[0] as { batchSize: number }).batchSize).toBe(5);
  });

  it('refuses a value AWS does not allow, or a key no pattern has, at the value’s place', () => {
    const { problems } = planSweep(raw(), sweepSchema.parse({ vary: [{ key: 'function.memoryMb', values: [64, 512] }, { key: 'patterns.nope.batchSize', values: [2] }] }));
    expect(problems).toEqual(
      expect.arrayContaining([
        { keyPath: 'sweep.vary[0].values[0]', message: expect.stringContaining('function.memoryMb = 64: function.memoryMb:') },
        { keyPath: 'sweep.vary[1].values[0]', message: 'no pattern is named "nope" (patterns: sqs, api)' },
      ]),
    );
  });

  it('caps a sweep at 64 settings', () => {
    const result = sweepSchema.safeParse({ vary: [{ key: 'function.memoryMb', values: Array.from({ length: 9 }, (_, i) => 128 * (i + 1)) }, { key: 'patterns.sqs.batchSize', values: [1, 2, 3, 4, 5, 6, 7, 8] }] });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toContain('72 settings');
  });
});

describe('a sweep deployed to AWS', () => {
  it('gives the synthetic consumer the duration the memory model gives at each setting', () => {
    const raw = { name: 'aws', workload: { phases: [{ duration: 2, arrivalRate: 5 }] }, function: { memoryMb: 512, architecture: 'x86_64', handler: { duration: '400ms', cpuShare: 1 } }, patterns: [{ source: 'sqs' }] };
    const { settings } = planSweep(raw, sweepSchema.parse({ vary: [{ key: 'function.memoryMb', values: [256, 1024] }] }));
    const durations = settings.map((setting) => withModelledDuration(setting.scenario).function.handler);
    expect(durations.map((handler) => (handler.type === 'synthetic' && handler.duration.kind === 'fixed' ? handler.duration.fixedMs : undefined))).toEqual([800, 200]);
    expect(durations[1]).toMatchObject({ durationAtMemoryMb: 1024 });
  });
});
