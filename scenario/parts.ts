/**
 * The parts of a scenario every layer reads: the workload and its phases, the consumer
 * function, the account. They import no source: the whole scenario (scenario/schema.ts)
 * composes them with every source's pattern schema, and only run/ and cli/ know it.
 */
import { z } from 'zod';
import { durationMs } from '../core/duration.ts';
import { awsDefaults } from '../core/aws-defaults.ts';

/** One load phase, in Artillery's vocabulary: a constant or ramped arrival rate, or a pause. */
const arrivalPhaseSchema = z
  .object({
    name: z.string().optional(),
    duration: durationMs({ minMs: 1000, maxMs: 6 * 3_600_000 }),
    arrivalRate: z.number().min(0).max(100_000),
    rampTo: z.number().min(0).max(100_000).optional(),
  })
  .strict();

const pausePhaseSchema = z
  .object({
    name: z.string().optional(),
    pause: durationMs({ minMs: 1000, maxMs: 3_600_000 }),
  })
  .strict();

export const phaseSchema = z.union([arrivalPhaseSchema, pausePhaseSchema]);

const keyDistributionSchema = z
  .object({
    count: z.number().int().min(1).max(1_000_000).default(100),
    distribution: z.enum(['uniform', 'zipf', 'hot-key']).default('uniform'),
    /** zipf exponent s (1 is classic Zipf). */
    zipfExponent: z.number().min(0.1).max(5).default(1.1),
    /** for `hot-key`: share of events that carry key 0. */
    hotKeyShare: z.number().min(0).max(1).default(0.5),
  })
  .strict();

export const workloadSchema = z
  .object({
    phases: z.array(phaseSchema).min(1).max(100),
    eventsPerArrival: z.number().int().min(1).max(500).default(1),
    eventSizeBytes: z.number().int().min(64).max(256 * 1024).default(256),
    /** JSON object merged into every event's payload; `{{ key }}` and `{{ seq }}` are filled in. */
    payloadTemplate: z.record(z.string(), z.unknown()).optional(),
    keys: keyDistributionSchema.default({ count: 100, distribution: 'uniform', zipfExponent: 1.1, hotKeyShare: 0.5 }),
    /** Seed of every random choice in the run (keys, synthetic durations, errors). */
    seed: z.number().int().default(1),
  })
  .strict();

const handlerDurationSchema = z.union([
  durationMs({ maxMs: 900_000 }).transform((fixedMs) => ({ kind: 'fixed' as const, fixedMs })),
  z
    .object({ p50: durationMs({ maxMs: 900_000 }), p99: durationMs({ maxMs: 900_000 }) })
    .strict()
    .refine((d) => d.p99 >= d.p50, { message: 'p99 must be at least p50', path: ['p99'] })
    .transform((d) => ({ kind: 'lognormal' as const, p50Ms: d.p50, p99Ms: d.p99 })),
]);

const syntheticHandlerSchema = z
  .object({
    type: z.literal('synthetic').default('synthetic'),
    duration: handlerDurationSchema.prefault('50ms'),
    errorRate: z.number().min(0).max(1).default(0),
  })
  .strict();

const moduleHandlerSchema = z
  .object({
    type: z.literal('module'),
    /** `./handlers/orders.ts#handler`, relative to the scenario file. */
    module: z.string().regex(/^[^#]+#[A-Za-z_$][\w$]*$/, 'write it as path#exportName, e.g. ./handlers/orders.ts#handler'),
  })
  .strict();

export const functionSchema = z
  .object({
    handler: z.union([syntheticHandlerSchema, moduleHandlerSchema]).default({ type: 'synthetic', duration: { kind: 'fixed', fixedMs: 50 }, errorRate: 0 }),
    initDuration: durationMs({ maxMs: 10_000 }).prefault('250ms'),
    memoryMb: z.number().int().min(128).max(10_240).default(awsDefaults.lambdaMemoryMb.value),
    architecture: z.enum(['x86_64', 'arm64']).default('arm64'),
    timeout: durationMs({ minMs: 1000, maxMs: 900_000 }).prefault(awsDefaults.lambdaTimeoutMs.value / 1000),
    reservedConcurrency: z.number().int().min(0).max(100_000).optional(),
    provisionedConcurrency: z.number().int().min(0).max(100_000).default(0),
    idleReclaim: durationMs({ minMs: 1000 }).prefault(awsDefaults.environmentIdleReclaimMs.value / 1000),
  })
  .strict();

export const accountSchema = z
  .object({
    concurrencyLimit: z.number().int().min(1).max(1_000_000).default(awsDefaults.accountConcurrencyLimit.value),
    scalingModel: z.enum(['current', 'legacy']).default('current'),
    burstEnvironmentsPer10Seconds: z.number().int().min(1).default(awsDefaults.burstEnvironmentsPer10Seconds.value),
    legacyInitialBurst: z.number().int().min(1).default(awsDefaults.legacyInitialBurst.value),
    legacyBurstIncrementPerMinute: z.number().int().min(1).default(awsDefaults.legacyBurstIncrementPerMinute.value),
  })
  .strict();

export const targetNames = ['embedded', 'localstack', 'aws'] as const;

/**
 * Events one pattern run sends at most, whatever the phases ask: the run's ledger keeps
 * every event's fate in memory, so load is bounded in count. The scenario schema refuses
 * phases that ask for more, so neither a run nor a dry run plans what cannot be sent.
 */
export const maxEventsPerPattern = 5_000_000;

export type Phase = z.infer<typeof phaseSchema>;
export type Workload = z.infer<typeof workloadSchema>;
export type FunctionSpec = z.infer<typeof functionSchema>;
export type AccountSpec = z.infer<typeof accountSchema>;
export type TargetName = (typeof targetNames)[number];

/**
 * What code below run/ reads of a scenario: everything but its patterns, thresholds and
 * prices. A parsed {@link Scenario} (scenario/schema.ts) is one.
 */
export interface ScenarioParts {
  readonly name: string;
  readonly region: string;
  readonly target: TargetName;
  readonly workload: Workload;
  readonly function: FunctionSpec;
  readonly account: AccountSpec;
  /** How long to wait after the last phase for in-flight events, in ms. */
  readonly drainTimeout: number;
}
