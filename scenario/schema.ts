import { z } from 'zod';
import { durationMs } from '../core/duration.ts';
import { sourceModules, type SourceRegistry } from '../drivers/registry.ts';
import { thresholdPatternNames, thresholdsSchema } from '../analysis/thresholds.ts';
import { priceOverridesSchema } from '../analysis/pricing.ts';
import { sweepSchema } from './sweep.ts';
import { accountSchema, functionSchema, targetNames, workloadSchema } from './parts.ts';

/**
 * One pattern of any registered source: the sources' schemas, told apart by `source`.
 *
 * @example
 * patternSchemaOf(sourceModules).parse({ source: 'sqs' }) // { source: 'sqs', batchSize: 10, … }
 */
export function patternSchemaOf<Registry extends SourceRegistry>(registry: Registry) {
  type ModuleSchema = Registry[keyof Registry]['patternSchema'];
  const schemas = Object.values(registry).map((module) => module.patternSchema) as [ModuleSchema, ...ModuleSchema[]];
  return z.discriminatedUnion('source', schemas);
}

/**
 * The scenario file's schema for the sources of a registry. {@link scenarioSchema} is the
 * one for sluice's own sources; a test passes a registry with a source of its own.
 */
export function scenarioSchemaFor<Registry extends SourceRegistry>(registry: Registry) {
  return z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'use lowercase letters, digits and dashes'),
    description: z.string().optional(),
    target: z.enum(targetNames).default('embedded'),
    region: z.string().default('us-east-1'),
    workload: workloadSchema,
    function: functionSchema.default(functionSchema.parse({})),
    account: accountSchema.default(accountSchema.parse({})),
    patterns: z.array(patternSchemaOf(registry)).min(1).max(20),
    /** How long to wait after the last phase for in-flight events to finish. */
    drainTimeout: durationMs({ minMs: 0, maxMs: 3_600_000 }).prefault(60),
    /** Pass/fail checks for CI: a list for every pattern, or `{ all: [...], <pattern>: [...] }`. */
    thresholds: thresholdsSchema.optional(),
    /** Overrides of the list prices the cost estimate uses (see analysis/pricing.ts). */
    prices: priceOverridesSchema.optional(),
    /** What `sluice sweep` varies and how it picks a setting (scenario/sweep.ts); `sluice run` runs the file as written. */
    sweep: sweepSchema.optional(),
  })
  .strict()
  // Each cross-field rule runs whenever the fields it reads are valid, not only when the
  // whole file is: a problem elsewhere must not hide it (every problem is reported at once).
  .superRefine((scenario, ctx) => {
    const patterns: unknown[] = Array.isArray(scenario.patterns) ? scenario.patterns : [];
    const seen = new Map<string, number>();
    patterns.forEach((pattern, index) => {
      const name = patternNameIn(pattern);
      if (name === undefined) return;
      if (seen.has(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['patterns', index, 'name'],
          message: `pattern name "${name}" is already used by patterns[${seen.get(name)}]; give each pattern a distinct name`,
        });
      }
      seen.set(name, index);
    });
    // Only names of patterns that are themselves readable: an unreadable pattern has its own problem.
    if (seen.size === patterns.length && patterns.length > 0) {
      for (const name of thresholdPatternNames(scenario.thresholds).filter((known) => !seen.has(known))) {
        ctx.addIssue({ code: 'custom', path: ['thresholds', name], message: `no pattern is named "${name}" (patterns: ${[...seen.keys()].join(', ')})` });
      }
    }
  }, { when: () => true })
  .superRefine((scenario, ctx) => {
    const fn = scenario.function;
    if (fn.reservedConcurrency !== undefined && fn.reservedConcurrency > scenario.account.concurrencyLimit) {
      ctx.addIssue({ code: 'custom', path: ['function', 'reservedConcurrency'], message: 'cannot exceed account.concurrencyLimit' });
    }
    if (fn.provisionedConcurrency > (fn.reservedConcurrency ?? scenario.account.concurrencyLimit)) {
      ctx.addIssue({ code: 'custom', path: ['function', 'provisionedConcurrency'], message: 'cannot exceed the function’s concurrency limit' });
    }
  }, { when: (payload) => payload.issues.every((issue) => issue.path?.[0] !== 'function' && issue.path?.[0] !== 'account') })
  // Each source's message or payload limit (SQS 1 MiB, an EventBridge entry and async invoke 1 MiB).
  .superRefine((scenario, ctx) => {
    scenario.patterns.forEach((pattern, index) => {
      const module = (registry as SourceRegistry)[pattern.source];
      const problem = module?.eventSizeProblem?.(pattern as never, scenario.workload.eventSizeBytes);
      if (problem) ctx.addIssue({ code: 'custom', path: ['workload', 'eventSizeBytes'], message: `pattern "${patternNameOf(pattern)}" (patterns[${index}]): ${problem}` });
    });
  }, { when: (payload) => payload.issues.every((issue) => issue.path?.[0] !== 'workload' && issue.path?.[0] !== 'patterns') });
}

/** A pattern's name as the file gives it (its source by default), if it is readable. */
function patternNameIn(pattern: unknown): string | undefined {
  if (pattern === null || typeof pattern !== 'object') return undefined;
  const { name, source } = pattern as { name?: unknown; source?: unknown };
  if (typeof name === 'string') return name;
  return name === undefined && typeof source === 'string' ? source : undefined;
}

export const scenarioSchema = scenarioSchemaFor(sourceModules);

/** A pattern's name: its `name`, else its source. */
export function patternNameOf(pattern: { name?: string; source: string }): string {
  return pattern.name ?? pattern.source;
}

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type Scenario = z.infer<typeof scenarioSchema>;
export type PatternSpec = Scenario['patterns'][number];
