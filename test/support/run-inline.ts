import { parseScenario } from '../../scenario/load.ts';
import { runScenario } from '../../run/run-scenario.ts';
import type { PatternResult, RunResult } from '../../analysis/run-result.ts';

/** Runs a scenario written inline in a test on the embedded target. */
export async function runInline(yamlText: string, options: { signal?: AbortSignal } = {}): Promise<RunResult> {
  const scenario = parseScenario(yamlText, 'inline.yaml');
  return runScenario({ scenario, scenarioFile: 'inline.yaml', signal: options.signal ?? new AbortController().signal });
}

/** Median of the per-second values between two seconds (inclusive). */
export function medianBetween(values: Array<{ tSec: number; value: number | undefined }>, fromSec: number, toSec: number): number {
  const window = values
    .filter((v) => v.tSec >= fromSec && v.tSec <= toSec && v.value !== undefined)
    .map((v) => v.value as number)
    .sort((a, b) => a - b);
  return window.length === 0 ? 0 : window[Math.floor(window.length / 2)];
}

/** Runs an inline scenario with one pattern on the embedded target; the run must complete. */
export async function runSinglePattern(yamlText: string): Promise<PatternResult> {
  const result = await runInline(yamlText);
  if (result.status !== 'completed') throw new Error(`the run ${result.status}: ${result.failure?.message ?? ''}`);
  return result.patterns[0]!;
}

/** A pattern's source-specific extras, for assertions. */
// Extras differ by source; tests read them loosely.
export const extrasOf = (pattern: PatternResult) => pattern.extras as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
