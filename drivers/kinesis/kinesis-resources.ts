import { stackOutputKeys } from '../../targets/aws/template-builder.ts';

/** An existing stream the kinesis driver writes to instead of creating one (a managed stack's, or the user's `streamName`). */
export interface KinesisResources {
  readonly streamName: string;
  /** Known from a stack's outputs; the driver asks the stream otherwise. */
  readonly streamArn?: string;
}

/** The stream a managed stack's outputs (or the user's own resources, as outputs) name; undefined without one. */
export function kinesisResourcesFrom(outputs: Readonly<Record<string, string>>): KinesisResources | undefined {
  const streamName = outputs[stackOutputKeys.streamName];
  if (!streamName) return undefined;
  const streamArn = outputs[stackOutputKeys.streamArn];
  return { streamName, ...(streamArn ? { streamArn } : {}) };
}
