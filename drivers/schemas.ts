import { z } from 'zod';
import { sqsPatternSchema } from './sqs/schema.ts';
import { kinesisPatternSchema } from './kinesis/schema.ts';
import { eventBridgePatternSchema } from './eventbridge/schema.ts';
import { s3PatternSchema } from './s3/schema.ts';
import { apiGatewayPatternSchema } from './apigateway/schema.ts';

/**
 * The scenario schema of every event source, keyed by its `source` value. Kept apart from
 * the drivers themselves so validating a file loads no SDK or emulator.
 */
export const patternSchemaBySource = {
  sqs: sqsPatternSchema,
  kinesis: kinesisPatternSchema,
  eventbridge: eventBridgePatternSchema,
  s3: s3PatternSchema,
  apigateway: apiGatewayPatternSchema,
} as const;

export type SourceName = keyof typeof patternSchemaBySource;

export const patternSchemas = z.discriminatedUnion('source', [sqsPatternSchema, kinesisPatternSchema, eventBridgePatternSchema, s3PatternSchema, apiGatewayPatternSchema]);
