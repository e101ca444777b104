import { describe, expect, it } from 'vitest';
import { sourceModules, type SourceRegistry } from '../../drivers/registry.ts';
import { parseScenario } from '../../scenario/load.ts';
import { runScenario } from '../../run/run-scenario.ts';
import { functionUrlSource } from '../fixtures/sources/function-url/function-url-source.ts';
import { accountSchema, functionSchema } from '../../scenario/parts.ts';
import { renderRunMarkdown } from '../../analysis/report-markdown.ts';

/** Provisioning that takes as long as creating a queue or a stack can: the test source, 3 s late. */
const provisioningMs = 3000;
const slowToProvision = {
  ...functionUrlSource,
  loadDriver: async () => {
    const driver = await functionUrlSource.loadDriver();
    return {
      ...driver,
      async provision(context: Parameters<typeof driver.provision>[0]) {
        await context.clock.sleep(provisioningMs);
        return driver.provision(context);
      },
    };
  },
};
const sources = { ...sourceModules, 'function-url': slowToProvision } as const satisfies SourceRegistry;

describe('the per-second series starts at the load’s start, and the result records the settings in force (embedded target)', () => {
  it('has the first second’s sends in second 0 although provisioning took 3 s, and records every effective setting', async () => {
    const scenario = parseScenario(
      [
        'name: series-origin',
        'workload:',
        '  phases: [{ duration: 4, arrivalRate: 20 }]',
        'function:',
        '  handler: { duration: 10ms }',
        '  initDuration: 50ms',
        'account: { scalingModel: legacy, legacyInitialBurst: 500 }',
        'drainTimeout: 10',
        'patterns:',
        '  - source: function-url',
      ].join('\n'),
      'series-origin.yaml',
      sources,
    );
    const result = await runScenario({ scenario, scenarioFile: 'series-origin.yaml', signal: new AbortController().signal, sources });
    expect(result.status).toBe('completed');
    const pattern = result.patterns[0]!;
    const { series } = pattern;
    console.info(`series-origin: load started ${pattern.loadStartedAtMs! - pattern.startedAtMs} ms after the pattern; sent per second ${JSON.stringify(series.map((p) => [p.tSec, p.sent]))}; load.perSecond ${JSON.stringify(pattern.load.perSecond?.map((s) => s.achieved))}`);

    // Provisioning came first and left no seconds in the series.
    expect(pattern.loadStartedAtMs! - pattern.startedAtMs).toBeGreaterThanOrEqual(provisioningMs);
    expect(series[0]!.tSec).toBe(0);
    expect(series[0]!.sent).toBeGreaterThanOrEqual(15);
    // Four seconds of 20/s: the sends sit in seconds 0–3 (one may slip past a boundary), as the load's own clock has them.
    const sentInLoadSeconds = series.filter((p) => p.tSec >= 0 && p.tSec <= 3).reduce((sum, p) => sum + p.sent, 0);
    expect(sentInLoadSeconds).toBeGreaterThanOrEqual(pattern.accounting.sent - 2);
    for (const second of pattern.load.perSecond ?? []) {
      expect(Math.abs((series.find((p) => p.tSec === second.tSec)?.sent ?? 0) - second.achieved), `second ${second.tSec}`).toBeLessThanOrEqual(3);
    }

    // Every effective setting, defaults included: the account's scaling model and burst
    // numbers, the function's, the pattern's.
    expect(pattern.account).toEqual({ ...accountSchema.parse({}), scalingModel: 'legacy', legacyInitialBurst: 500, appliedBy: 'sluice' });
    expect(pattern.function).toEqual({ ...functionSchema.parse({ handler: { duration: '10ms' }, initDuration: '50ms' }), concurrencyLimit: accountSchema.parse({}).concurrencyLimit });
    expect(pattern.settings).toEqual({ authType: 'NONE' });
    const report = renderRunMarkdown(result);
    expect(report).toContain('### Settings in force');
    expect(report).toContain('**legacy** burst scaling: 500 environments at once, then +500 a minute');
  });
});
