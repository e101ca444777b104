import { coldStartDistributionOf, type FunctionSpec } from '../../scenario/parts.ts';

/**
 * The contract between a stack and its synthetic consumer (targets/aws/synthetic-consumer/):
 * the environment the template gives the function, and the records it writes to the sink
 * queue, which the run reads back (targets/aws/completions.ts).
 */

/**
 * One line the synthetic consumer writes to the sink queue per event. A sink message body
 * is a JSON array of these. `failed: true` marks an attempt that threw (the event will be
 * retried or dead-lettered by its source); completions have no `failed` field.
 */
export interface CompletionRecord {
  /** The envelope's `sluiceId` (a number), else the event's own id as a string. */
  eventId: number | string;
  /** When the load generator sent the event; null when neither the event nor its source says. */
  sentAtMs: number | null;
  completedAtMs: number;
  coldStart: boolean;
  /** Handler time of the invocation that carried the event (the whole batch). */
  durationMs: number;
  failed?: true;
}

/**
 * The environment variables that configure the synthetic consumer for one pattern; a
 * source's piece may add its reader's own (SLUICE_S3_SUFFIX). The sink queue URL is a
 * CloudFormation value (a `Ref`), so it is passed in.
 *
 * @example
 * consumerEnvironment(scenario.function, 'sqs', { Ref: 'SinkQueue' }, { runId })
 */
export function consumerEnvironment(fn: FunctionSpec, source: string, sinkQueueUrl: unknown, options: { runId: string }): Record<string, unknown> {
  const handler = fn.handler;
  const duration = handler.type === 'synthetic' ? handler.duration : { kind: 'fixed' as const, fixedMs: 0 };
  return {
    SLUICE_SOURCE: source,
    SLUICE_SINK_QUEUE_URL: sinkQueueUrl,
    SLUICE_DURATION: JSON.stringify(duration),
    SLUICE_ERROR_RATE: String(handler.type === 'synthetic' ? handler.errorRate : 0),
    SLUICE_INIT_MS: String(Math.round(coldStartDistributionOf(fn).p50Ms)),
    SLUICE_RUN_ID: options.runId,
  };
}
