import { z } from 'zod';
import { sqsPatternSchema } from './sqs/schema.ts';

/**
 * The scenario schema of every event source, keyed by its `source` value. Kept apart from
 * the drivers themselves so validating a file loads no SDK or emulator.
 */
export const patternSchemaBySource = {
  sqs: sqsPatternSchema,
} as const;

export type SourceName = keyof typeof patternSchemaBySource;

export const patternSchemas = z.discriminatedUnion('source', [sqsPatternSchema]);
