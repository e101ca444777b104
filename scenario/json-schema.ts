import { z } from 'zod';
import { scenarioSchema } from './schema.ts';

/**
 * The JSON Schema of a scenario file, generated from the one zod schema, for editors
 * (`# yaml-language-server: $schema=../docs/scenario.schema.json` on a scenario's first
 * line gives completion and checks while typing). It describes what a user writes, so
 * durations accept both forms (`30`, `"250ms"`).
 */
export function scenarioJsonSchema(): Record<string, unknown> {
  return {
    title: 'sluice scenario',
    ...z.toJSONSchema(scenarioSchema, { io: 'input', unrepresentable: 'any' }),
  };
}
