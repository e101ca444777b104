/**
 * The parts of a scenario every layer reads: the workload and its phases, the consumer
 * function, the account. They import no source: the whole scenario (scenario/schema.ts)
 * composes them with every source's pattern schema, and only run/ and cli/ know it.
 */
import { z } from 'zod';
import { durationMs } from '../core/duration.ts';
import { awsDefaults } from '../core/aws-defaults.ts';
import { burstPhaseSchema, dailyPhaseSchema, replayPhaseSchema } from './workload-shapes.ts';

/**
 * One load phase, in Artillery's vocabulary: a constant or ramped arrival rate, or a pause;
 * or a shape (scenario/workload-shapes.ts): bursts, a daily curve, a replayed trace.
 */
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

export const phaseSchema = z.union([arrivalPhaseSchema, pausePhaseSchema, burstPhaseSchema, dailyPhaseSchema, replayPhaseSchema]);

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
    /** Up to 1 MiB, the largest SQS message, EventBridge event and asynchronous payload (each source checks its own limit). */
    eventSizeBytes: z.number().int().min(64).max(1_048_576).default(256),
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

const memoryMbSchema = z
  .number()
  .int('memory is set in 1-MB increments')
  .min(awsDefaults.lambdaMemoryMbRange.value[0])
  .max(awsDefaults.lambdaMemoryMbRange.value[1]);

const syntheticHandlerSchema = z
  .object({
    type: z.literal('synthetic').default('synthetic'),
    /** What the handler takes at `durationAtMemoryMb` on `durationAtArchitecture` (default: the function's own). */
    duration: handlerDurationSchema.prefault('50ms'),
    errorRate: z.number().min(0).max(1).default(0),
    /** The CPU-bound share of `duration`: it scales with the vCPU share of the memory size; the rest (waiting) does not. */
    cpuShare: z.number().min(0).max(1).default(awsDefaults.syntheticHandlerCpuShare.value),
    /** The memory size `duration` was measured at (default: the function's memoryMb). */
    durationAtMemoryMb: memoryMbSchema.optional(),
    /** The architecture `duration` was measured on (default: the function's architecture). */
    durationAtArchitecture: z.enum(['x86_64', 'arm64']).optional(),
    /** The handler's peak memory: above the function's memoryMb each invoke fails with Runtime.OutOfMemory. */
    peakMemoryMb: z.number().positive().max(100_000).optional(),
  })
  .strict();

const moduleHandlerSchema = z
  .object({
    type: z.literal('module'),
    /** `./handlers/orders.ts#handler`, relative to the scenario file. */
    module: z.string().regex(/^[^#]+#[A-Za-z_$][\w$]*$/, 'write it as path#exportName, e.g. ./handlers/orders.ts#handler'),
    /**
     * `measured`: each invoke takes what it took on this machine. `vcpu-share`: the measured CPU
     * time is scaled to the function's vCPU share of its memory size (and architecture), the
     * waiting kept, so one handler can be tuned across memory sizes locally.
     */
    cpuModel: z.enum(['measured', 'vcpu-share']).default('measured'),
  })
  .strict();

/** The runtimes whose cold starts sluice knows (core/aws-defaults.ts). */
export const lambdaRuntimes = Object.keys(awsDefaults.lambdaColdStartMsByRuntime.value).filter((name) => !name.endsWith('-snapstart')) as [LambdaRuntime, ...LambdaRuntime[]];
export type LambdaRuntime = Exclude<keyof typeof awsDefaults.lambdaColdStartMsByRuntime.value, 'java21-snapstart'>;

/**
 * Target tracking on ProvisionedConcurrencyUtilization: the policy moves the provisioned
 * count so utilization stays near the target, after the alarm's delay.
 * https://docs.aws.amazon.com/lambda/latest/dg/provisioned-concurrency.html
 */
const provisionedAutoScalingSchema = z
  .object({
    targetUtilization: z.number().min(0.1).max(0.9).default(awsDefaults.provisionedTargetUtilization.value),
    minCapacity: z.number().int().min(0).max(100_000).default(1),
    maxCapacity: z.number().int().min(1).max(100_000),
    scaleOutAfter: durationMs({ minMs: 1000, maxMs: 3_600_000 }).prefault(awsDefaults.provisionedScaleOutAfterMs.value / 1000),
    scaleInAfter: durationMs({ minMs: 1000, maxMs: 3_600_000 }).prefault(awsDefaults.provisionedScaleInAfterMs.value / 1000),
    evaluationPeriod: durationMs({ minMs: 1000, maxMs: 600_000 }).prefault(awsDefaults.provisionedUtilizationPeriodMs.value / 1000),
  })
  .strict();

export const functionSchema = z
  .object({
    handler: z.union([syntheticHandlerSchema, moduleHandlerSchema]).prefault({ type: 'synthetic' }),
    /** The runtime: picks the cold-start distribution (core/aws-defaults.ts, lambdaColdStartMsByRuntime). */
    runtime: z.enum(lambdaRuntimes).optional(),
    /** Java 21 only: cold starts restore a snapshot (SnapStart). */
    snapStart: z.boolean().default(false),
    /** A fixed cold start; wins over the runtime's distribution. Without both: 250 ms. */
    initDuration: durationMs({ maxMs: 10_000 }).optional(),
    /** Added to every cold start drawn from the runtime's distribution: your package, initialisation code, VPC, extensions. */
    initAdded: durationMs({ maxMs: 10_000 }).prefault('0ms'),
    memoryMb: memoryMbSchema.default(awsDefaults.lambdaMemoryMb.value),
    architecture: z.enum(['x86_64', 'arm64']).default('arm64'),
    /** The CPU-bound part's time on arm64 relative to x86_64. */
    arm64CpuTimeFactor: z.number().min(0.1).max(10).default(awsDefaults.arm64CpuTimeFactor.value),
    /** The handler uses more than one thread, so it gains from vCPUs beyond the first (above 1,769 MB). */
    parallel: z.boolean().default(false),
    timeout: durationMs({ minMs: 1000, maxMs: 900_000 }).prefault(awsDefaults.lambdaTimeoutMs.value / 1000),
    reservedConcurrency: z.number().int().min(0).max(100_000).optional(),
    provisionedConcurrency: z.number().int().min(0).max(100_000).default(0),
    /** Target-tracking auto scaling of provisioned concurrency (Application Auto Scaling). */
    provisionedConcurrencyAutoScaling: provisionedAutoScalingSchema.optional(),
    /** Scheduled scaling: at each time after the function starts, the provisioned concurrency becomes `count`. */
    provisionedConcurrencySchedule: z.array(z.object({ at: durationMs({ maxMs: 24 * 3_600_000 }), count: z.number().int().min(0).max(100_000) }).strict()).max(100).optional(),
    /** A keep-warm schedule: every `every`, `environments` concurrent pings (each a short invoke, billed). */
    keepWarm: z.object({ every: durationMs({ minMs: 1000, maxMs: 3_600_000 }), environments: z.number().int().min(1).max(1000), pingDuration: durationMs({ maxMs: 10_000 }).prefault('1ms') }).strict().optional(),
    idleReclaim: durationMs({ minMs: 1000 }).prefault(awsDefaults.environmentIdleReclaimMs.value / 1000),
  })
  .strict()
  // Each rule runs whenever the fields it reads are valid (a problem elsewhere must not hide it).
  .superRefine((fn, ctx) => {
    if (fn.snapStart && fn.runtime !== 'java21') ctx.addIssue({ code: 'custom', path: ['snapStart'], message: 'SnapStart here is for runtime java21' });
  }, { when: (payload) => payload.issues.every((issue) => !['snapStart', 'runtime'].includes(String(issue.path?.[0]))) })
  .superRefine((fn, ctx) => {
    const scaling = fn.provisionedConcurrencyAutoScaling;
    if (scaling && scaling.minCapacity > scaling.maxCapacity) ctx.addIssue({ code: 'custom', path: ['provisionedConcurrencyAutoScaling', 'minCapacity'], message: 'cannot exceed maxCapacity' });
  }, { when: (payload) => payload.issues.every((issue) => issue.path?.[0] !== 'provisionedConcurrencyAutoScaling') });

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

/** A cold start when neither `initDuration` nor `runtime` is given. */
export const defaultInitDurationMs = 250;

/**
 * The cold-start distribution a function's spec gives: a fixed `initDuration`, else its
 * runtime's measured distribution (SnapStart's for java21 with snapStart) plus `initAdded`,
 * else {@link defaultInitDurationMs}.
 *
 * @example coldStartDistributionOf({ runtime: 'python3.13', initAdded: 0 }) // { p50Ms: 73, p99Ms: 91 }
 */
export function coldStartDistributionOf(fn: Pick<FunctionSpec, 'initDuration' | 'runtime' | 'snapStart' | 'initAdded'>): { p50Ms: number; p99Ms: number } {
  if (fn.initDuration !== undefined) return { p50Ms: fn.initDuration, p99Ms: fn.initDuration };
  if (fn.runtime === undefined) return { p50Ms: defaultInitDurationMs, p99Ms: defaultInitDurationMs };
  const row = awsDefaults.lambdaColdStartMsByRuntime.value[fn.runtime === 'java21' && fn.snapStart ? 'java21-snapstart' : fn.runtime];
  return { p50Ms: row.p50 + fn.initAdded, p99Ms: row.p99 + fn.initAdded };
}
