import { stackOutputKeys } from '../../targets/aws/template-builder.ts';

/** An existing queue the sqs driver sends to instead of creating one (a managed stack's, or the user's `queueUrl`). */
export interface SqsResources {
  readonly queueUrl: string;
  /** Known from a stack's outputs; the driver asks the queue otherwise. */
  readonly queueArn?: string;
  readonly deadLetterQueueUrl?: string;
}

/** The queue a managed stack's outputs (or the user's own resources, as outputs) name; undefined without one. */
export function sqsResourcesFrom(outputs: Readonly<Record<string, string>>): SqsResources | undefined {
  const queueUrl = outputs[stackOutputKeys.queueUrl];
  if (!queueUrl) return undefined;
  const queueArn = outputs[stackOutputKeys.queueArn];
  const deadLetterQueueUrl = outputs[stackOutputKeys.deadLetterQueueUrl];
  return { queueUrl, ...(queueArn ? { queueArn } : {}), ...(deadLetterQueueUrl ? { deadLetterQueueUrl } : {}) };
}
