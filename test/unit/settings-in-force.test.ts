import { describe, expect, it } from 'vitest';
import { renderRunMarkdown } from '../../analysis/report-markdown.ts';
import type { AccountSettings } from '../../analysis/run-result.ts';
import { accountSchema } from '../../scenario/parts.ts';
import { makePattern, makeRun } from '../fixtures/run-results/helpers.ts';

const defaults: AccountSettings = { ...accountSchema.parse({}), appliedBy: 'sluice' };

describe('report.md: the settings in force', () => {
  it('names the current burst-scaling model and its numbers, the function’s and the pattern’s settings', () => {
    const pattern = makePattern({
      name: 'orders',
      account: defaults,
      function: { memoryMb: 512, architecture: 'arm64', timeout: 3000, reservedConcurrency: 10, concurrencyLimit: 10 },
      settings: { batchSize: 10, visibilityTimeout: 30_000 },
    });
    const markdown = renderRunMarkdown(makeRun([pattern]));
    const section = markdown.slice(markdown.indexOf('### Settings in force'), markdown.indexOf('### Accounting'));
    expect(section).toContain(
      "- account: concurrency limit 1,000, **current** burst scaling: +1,000 environments per 10 s per function (legacy model's 3,000 then +500/min not in force); applied by sluice's runtime",
    );
    expect(section).toContain('- function: `memoryMb` 512, `architecture` arm64, `timeout` 3000, `reservedConcurrency` 10, `concurrencyLimit` 10');
    expect(section).toContain('- pattern: `batchSize` 10, `visibilityTimeout` 30000');
  });

  it('names the legacy model when it was in force, and says when the target’s own Lambda applied its real settings', () => {
    const pattern = makePattern({ account: { ...defaults, scalingModel: 'legacy', legacyInitialBurst: 500, appliedBy: 'target' } });
    const markdown = renderRunMarkdown(makeRun([pattern]));
    expect(markdown).toContain("**legacy** burst scaling: 500 environments at once, then +500 a minute (current model's 1,000 per 10 s not in force)");
    expect(markdown).toContain("the scenario's values; the target's own Lambda applied its account's real settings");
  });

  it('says an older result did not record them', () => {
    expect(renderRunMarkdown(makeRun([makePattern()]))).toContain('- account: not recorded (the result predates it)');
  });

  it('shows both throttle rates in the summary, each a share of attempts', () => {
    const pattern = makePattern({ summary: { sourceThrottles: 50, sourceAttempts: 1000, throttleRate: 0.05, functionThrottles: 1054, invocations: 3946 } });
    expect(renderRunMarkdown(makeRun([pattern]))).toContain('| throttle rate: source / function (of attempts) | 5.0 % / 21.1 % |');
  });
});
