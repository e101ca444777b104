import type { AnySourceModule } from './source-module.ts';
import { sqsSource } from './sqs/sqs-source.ts';
import { kinesisSource } from './kinesis/kinesis-source.ts';
import { eventBridgeSource } from './eventbridge/eventbridge-source.ts';
import { s3Source } from './s3/s3-source.ts';
import { apiGatewaySource } from './apigateway/apigateway-source.ts';

/**
 * Every event source sluice drives, by the `source` value a scenario names: the one list.
 * Adding a source is adding its folder and one line here. The contract test
 * (test/unit/source-modules.test.ts) loops over this map, so a new source is checked the
 * moment it is registered.
 */
export const sourceModules = {
  sqs: sqsSource,
  kinesis: kinesisSource,
  eventbridge: eventBridgeSource,
  s3: s3Source,
  apigateway: apiGatewaySource,
} as const satisfies Record<string, AnySourceModule>;

/** A source sluice knows: `'sqs' | 'kinesis' | 'eventbridge' | 's3' | 'apigateway'`. */
export type SourceName = keyof typeof sourceModules;

/**
 * The sources a run may use, by name. Everything that reads patterns takes one (defaulting
 * to {@link sourceModules}), so a test can add a source of its own without editing this file.
 */
export type SourceRegistry = Readonly<Record<string, AnySourceModule>>;

/**
 * The fields naming existing resources a pattern of `source` may set: `functionName`, the
 * consumer's, first, then its stack piece's own (`queueUrl`, `streamName`, …).
 *
 * @example
 * bringYourOwnFieldsOf('sqs') // ['functionName', 'queueUrl']
 */
export function bringYourOwnFieldsOf(source: string, registry: SourceRegistry = sourceModules): readonly string[] {
  return [...new Set(['functionName', sourceModuleFor(source, registry).aws.bringYourOwnField as string])];
}

/** The module of a source; throws for a name the registry does not hold (a scenario the schema has not parsed). */
export function sourceModuleFor(source: string, registry: SourceRegistry = sourceModules): AnySourceModule {
  const module = registry[source];
  if (!module) throw new Error(`no source module for "${source}" (registered: ${Object.keys(registry).join(', ')})`);
  return module;
}
