import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { cruise } from 'dependency-cruiser';

const require = createRequire(import.meta.url);
/** The rules themselves, each with the reason it exists: .dependency-cruiser.cjs at the root. */
const rules = require('../../.dependency-cruiser.cjs') as { forbidden: unknown[]; options: Record<string, unknown> };

const productionFolders = ['cli', 'run', 'drivers', 'runtime', 'targets', 'localstack', 'scenario', 'load', 'analysis', 'core'];

describe('dependency rules', () => {
  it('finds no import circle and no import against the layers (cli → run → drivers → runtime, targets, localstack, load → core; analysis reads results only)', async () => {
    const result = await cruise(productionFolders, { ...rules.options, ruleSet: { forbidden: rules.forbidden }, validate: true } as never);
    const output = result.output as { summary: { violations: Array<{ from: string; to: string; rule: { name: string }; cycle?: Array<{ name: string }> }>; totalCruised: number; totalDependenciesCruised: number; error: number } };
    const { summary } = output;
    const violations = summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}${v.cycle ? ` (circle: ${v.cycle.map((c) => c.name).join(' → ')})` : ''}`);
    console.log(`dependency-cruiser: ${summary.totalCruised} modules, ${summary.totalDependenciesCruised} dependencies cruised, ${summary.violations.length} violations`);
    expect(violations).toEqual([]);
    // The check looked at the whole product, not an empty set.
    expect(summary.totalCruised).toBeGreaterThan(100);
  }, 60_000);
});
