import type { z } from 'zod';
import type { AwsDefaultName } from '../core/aws-defaults.ts';
import type { EmbeddedServiceName } from '../localstack/embedded/embedded-services.ts';
import type { Driver } from './driver.ts';
import type { AwsStackPiece } from '../targets/aws/stack-piece.ts';
import type { SourceMetricSpecs } from '../targets/aws/cloudwatch.ts';
import type { SourceCostModel } from '../analysis/cost.ts';

/**
 * The pattern schema of a source: a zod object whose `source` field is the source's name,
 * so the scenario schema can tell the patterns apart (a discriminated union).
 */
export type PatternSchema<Name extends string = string> = z.ZodType<{ source: Name; name?: string }> & z.core.$ZodTypeDiscriminable;

/**
 * Everything sluice knows about one event source, in its own folder `drivers/<source>/`,
 * behind this one contract. A source is registered by one line in drivers/registry.ts;
 * nothing else names it. The contract test (test/unit/source-modules.test.ts) checks every
 * registered module's parts, and a test-only source proves that a new one is validated,
 * planned, priced, templated and run without touching any other file.
 *
 * @example
 * export const sqsSource = {
 *   source: 'sqs',
 *   patternSchema: sqsPatternSchema,
 *   defaults: ['sqsInitialPollers', …],
 *   embeddedServices: ['sqs'],
 *   loadDriver: async () => (await import('./sqs-driver.ts')).sqsDriver,
 *   …
 * } as const satisfies SourceModule<'sqs', typeof sqsPatternSchema>;
 */
export interface SourceModule<Name extends string = string, Schema extends PatternSchema<Name> = PatternSchema<Name>, Resources = unknown> {
  /** The `source` value a scenario's pattern names. */
  readonly source: Name;
  /** The pattern's scenario schema: what users write, and the one parsed type every part reads (units in the names). */
  readonly patternSchema: Schema;
  /** The rows of the AWS defaults table (core/aws-defaults.ts) that shape this source's numbers. */
  readonly defaults: readonly AwsDefaultName[];
  /** The emulators the embedded target runs for this source (localstack/embedded/embedded-services.ts). */
  readonly embeddedServices: readonly EmbeddedServiceName[];
  /** LocalStack's services for this source (its `SERVICES` names). https://docs.localstack.cloud/references/configuration/#core */
  readonly localstackServices: readonly string[];
  /**
   * The local driver: provisioning, sending and the mapping rules. Loaded when a run starts,
   * not when a file is validated: it brings the AWS SDK and the emulator clients.
   */
  loadDriver(): Promise<Driver<z.infer<Schema>, Resources>>;
  /**
   * The source's resources that exist already, read from a managed stack's outputs (and the
   * user's own resources, which the stack piece gives as outputs): what the driver sends to
   * instead of creating its own. Undefined when they name none.
   */
  existingResources(outputs: Readonly<Record<string, string>>): Resources | undefined;
  /**
   * Whether the source's resource says how much of the load it still holds (a queue's
   * depth), so a managed-stack run whose consumer writes no completion records can still
   * wait for it to drain. A stream keeps every record for its retention, a bus and a bucket
   * hold nothing, an API answers each request: for them only completion records tell.
   */
  readonly holdsWhatIsUnread: boolean;
  /** Its part of a managed CloudFormation stack, its bring-your-own outputs and the synthetic consumer's reader (drivers/<source>/aws-stack.ts). */
  readonly aws: AwsStackPiece<z.infer<Schema>>;
  /** What its requests cost: the same model prices the dry run before a run and the measured run after it (drivers/<source>/cost.ts). */
  readonly cost: SourceCostModel<z.infer<Schema>>;
  /** Its CloudWatch metrics, read from a managed stack's run window (drivers/<source>/cloudwatch-metrics.ts). */
  readonly cloudWatchMetrics: SourceMetricSpecs<z.infer<Schema>>;
  /**
   * What a pattern asks beyond what a local target (embedded, LocalStack) holds on one
   * machine, though AWS allows it (AWS's own limits are in the schema): each problem names
   * the field, the local limit and why. Checked before a local run starts.
   */
  localTargetProblems?(pattern: z.infer<Schema>): ReadonlyArray<{ field: string; message: string }>;
  /**
   * Why events of `eventSizeBytes` cannot go through this pattern (over the source's message
   * or payload limit), or undefined when they can. Checked with the rest of the scenario.
   */
  eventSizeProblem?(pattern: z.infer<Schema>, eventSizeBytes: number): string | undefined;
  /**
   * Defaults that depend on the scenario's region (a quota lower in newer regions): the
   * scenario loader sets each field the file leaves out.
   */
  regionalDefaults?(region: string): Partial<z.infer<Schema>>;
}

/**
 * A source module of any source, as the registry and the run handle them. Its pattern and
 * resource types are erased (`any`): code that holds any module hands it only patterns its
 * own schema parsed, so each module still reads its own types.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnySourceModule = SourceModule<string, any, any>;

/** The parsed pattern a module's schema produces. */
export type PatternOf<Module extends AnySourceModule> = z.infer<Module['patternSchema']>;
