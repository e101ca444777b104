import { accountSchema, functionSchema, type AccountSpec, type FunctionSpec } from '../../scenario/parts.ts';
import { sqsPatternSchema, type SqsPattern } from '../../drivers/sqs/schema.ts';

/** A validated function spec from partial input, as a scenario file would give it. */
export function functionSpec(input: Record<string, unknown> = {}): FunctionSpec {
  return functionSchema.parse(input);
}

export function account(input: Record<string, unknown> = {}): AccountSpec {
  return accountSchema.parse(input);
}

export function sqsPattern(input: Record<string, unknown> = {}): SqsPattern {
  return sqsPatternSchema.parse({ source: 'sqs', ...input });
}
