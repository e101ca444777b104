import { describe, expect, it } from 'vitest';
import { estimateCost } from '../../analysis/cost.ts';
import { awsPrices } from '../../analysis/pricing.ts';
import type { FunctionUsage } from '../../analysis/run-result.ts';
import { makePattern } from '../fixtures/run-results/helpers.ts';

function usage(overrides: Partial<FunctionUsage> = {}): FunctionUsage {
  return { onDemandDurationMs: 0, provisionedDurationMs: 0, onDemandInitMs: 0, onDemandColdStarts: 0, provisionedConcurrencyMs: 0, provisionedConcurrencyMax: 0, scalingActions: [], outOfMemory: 0, timeouts: 0, ...overrides };
}

/** A 2,048 MB (2 GB) function with the usage given, priced with no source. */
function linesOf(functionUsage: FunctionUsage, architecture: 'arm64' | 'x86_64', invocations = 1_000_000) {
  const cost = estimateCost(makePattern({ source: 'custom', function: { memoryMb: 2048, architecture }, summary: { invocations }, functionUsage }));
  return (startsWith: string) => {
    const line = cost.lines.find((l) => l.item.startsWith(startsWith));
    if (!line) throw new Error(`no line "${startsWith}" in ${cost.lines.map((l) => l.item).join(', ')}`);
    return line;
  };
}

describe('Lambda cost formulas (https://aws.amazon.com/lambda/pricing/)', () => {
  it('requests: invocations × $0.20 per million', () => {
    expect(linesOf(usage(), 'arm64', 2_500_000)('Lambda requests').usd).toBeCloseTo(2.5 * 0.2, 12);
  });

  it('on-demand duration: seconds × GB × the architecture’s GB-s price', () => {
    // 1,000 s × 2 GB = 2,000 GB-s.
    expect(linesOf(usage({ onDemandDurationMs: 1_000_000 }), 'x86_64')('Lambda duration (x86_64').usd).toBeCloseTo(2000 * 0.0000166667, 12);
    expect(linesOf(usage({ onDemandDurationMs: 1_000_000 }), 'arm64')('Lambda duration (arm64').usd).toBeCloseTo(2000 * 0.0000133334, 12);
  });

  it('billed INIT (since 1 August 2025): on-demand init seconds × GB × the duration price', () => {
    const line = linesOf(usage({ onDemandInitMs: 50_000, onDemandColdStarts: 200 }), 'arm64')('Lambda init duration');
    expect(line.item).toContain('200 on-demand cold starts');
    expect(line.usd).toBeCloseTo(50 * 2 * 0.0000133334, 12);
  });

  it('provisioned concurrency: configured environment-seconds × GB × the provisioned price', () => {
    // 10 environments for one hour at 2 GB = 72,000 GB-s.
    const lines = linesOf(usage({ provisionedConcurrencyMs: 10 * 3_600_000, provisionedConcurrencyMax: 10 }), 'x86_64');
    expect(lines('Lambda provisioned concurrency').usd).toBeCloseTo(72_000 * awsPrices.lambdaProvisionedGbSecondX86Usd.value, 10);
    expect(awsPrices.lambdaProvisionedGbSecondX86Usd.value).toBe(0.0000041667);
  });

  it('duration on provisioned environments: the lower provisioned duration price', () => {
    const lines = linesOf(usage({ provisionedConcurrencyMs: 1, provisionedDurationMs: 1_000_000 }), 'arm64');
    expect(lines('Lambda duration on provisioned environments').usd).toBeCloseTo(2000 * 0.0000077778, 12);
    expect(awsPrices.lambdaProvisionedDurationGbSecondArm64Usd.value).toBeLessThan(awsPrices.lambdaGbSecondArm64Usd.value);
  });

  it('keep-warm pings: their requests, and their duration and init at the on-demand price', () => {
    const lines = linesOf(usage({ keepWarm: { pings: 1000, durationMs: 1000, initMs: 400, coldStarts: 2 } }), 'x86_64');
    expect(lines('Lambda keep-warm pings').usd).toBeCloseTo((1000 * 0.2) / 1e6, 14);
    expect(lines('Lambda keep-warm duration').usd).toBeCloseTo(1.4 * 2 * 0.0000166667, 14);
  });

  it('names its source page and when the price was read', () => {
    for (const name of ['lambdaProvisionedDurationGbSecondX86Usd', 'lambdaProvisionedDurationGbSecondArm64Usd'] as const) {
      expect(awsPrices[name].source).toMatch(/^https:\/\/aws\.amazon\.com\/lambda\/pricing\/ .*2025/);
    }
  });
});

describe('report.md: what the function used', () => {
  it('says how much provisioned concurrency ran, how it scaled, the spill-over and the failures', async () => {
    const { renderRunMarkdown } = await import('../../analysis/report-markdown.ts');
    const { loadRunFixture } = await import('../fixtures/run-results/helpers.ts');
    const result = loadRunFixture('sqs-standard');
    result.patterns[0]!.functionUsage = usage({
      provisionedConcurrencyMs: 120_000,
      provisionedConcurrencyMax: 4,
      onDemandColdStarts: 3,
      scalingActions: [{ atMs: 1, from: 2, to: 4, reason: 'target-tracking' }],
      outOfMemory: 5,
    });
    expect(renderRunMarkdown(result)).toContain('Function: provisioned concurrency up to 4 (120 environment-seconds), 3 on-demand cold starts beyond it; target-tracking 2 → 4; 5 invokes out of memory.');
  });
});
