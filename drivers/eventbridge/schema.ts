import { z } from 'zod';
import { awsDefaults, eventBridgeInvocationsPerSecondIn } from '../../core/aws-defaults.ts';
import { functionNameSchema } from '../bring-your-own.ts';
import { busNameSchema } from './bring-your-own.ts';
import { asyncInvokeSchema } from '../async-invoke/async-invoke-schema.ts';
import type { QuotaRecord } from '../../analysis/run-result.ts';
import { compileEventPattern, InvalidEventPatternError } from '../../core/event-pattern.ts';

/** PutEvents takes 1–10 entries a call. https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html */
const putEventsEntriesMax = 10;
/** A bus holds at most 300 rules. https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html */
const rulesPerBusMax = 300;
const namePattern = /^[.\-_A-Za-z0-9]+$/;
/** The events' `source` when the pattern names none. */
export const eventBridgeDefaultEventSource = 'sluice.loadtest';

/** An EventBridge event pattern, as a mapping or as JSON text; checked as PutRule checks it. */
export const eventPatternSchema = z.union([z.record(z.string(), z.unknown()), z.string()]).superRefine((eventPattern, ctx) => {
  try {
    compileEventPattern(eventPattern);
  } catch (error) {
    if (!(error instanceof InvalidEventPatternError)) throw error;
    for (const problem of error.problems) ctx.addIssue({ code: 'custom', message: `invalid event pattern at ${problem.path}: ${problem.reason}` });
  }
});

const ruleSchema = z
  .object({
    name: z.string().min(1).max(40).regex(namePattern, 'use letters, digits, dots, dashes and underscores').optional(),
    eventPattern: eventPatternSchema,
  })
  .strict();

/**
 * An `eventbridge` pattern: a PutEvents producer into a custom bus, rules with event
 * patterns, and the function as every rule's target, invoked asynchronously.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rules.html
 */
export const eventBridgePatternSchema = z
  .object({
    source: z.literal('eventbridge'),
    name: z.string().min(1).max(64).optional(),
    /** The events' `source` field. */
    eventSource: z.string().min(1).max(256).default(eventBridgeDefaultEventSource),
    /** The events' `detail-type` field. */
    detailType: z.string().min(1).max(128).default('sluice.event'),
    /** Entries per PutEvents call (an arrival's events are sent in calls of up to this many, and at most 256 KB). */
    entriesPerCall: z.number().int().min(1).max(putEventsEntriesMax).default(putEventsEntriesMax),
    /**
     * Rules on the bus, each targeting the function. Events no rule matches are never
     * delivered. Default: one rule matching every event of `eventSource`.
     */
    rules: z.array(ruleSchema).min(1).max(rulesPerBusMax).optional(),
    /**
     * When an event matches several rules, EventBridge invokes the target once per rule.
     * `true`: those copies are intended (each counted as a fan-out copy; the event completes
     * when every copy has). `false`: the rules are meant as alternatives, so extra copies
     * are counted as duplicate deliveries.
     */
    fanOut: z.boolean().default(false),
    /** The PutEvents TPS quota (a token bucket refilled at this rate). */
    putEventsRequestsPerSecond: z.number().min(1).max(1_000_000).default(awsDefaults.eventBridgePutEventsRequestsPerSecond.value),
    /** Bucket size of the TPS quota; default one second's worth. */
    putEventsBurstRequests: z.number().int().min(1).max(1_000_000).optional(),
    /**
     * EventBridge's invocation quota: matched events handed to targets per second. Default:
     * the region's (18,750/s in us-east-1, us-west-2 and eu-west-1; less elsewhere). Past it,
     * invocations wait (delayed, not dropped). Raise it as a quota increase would.
     * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html
     */
    invocationsPerSecond: z.number().min(1).max(1_000_000).optional(),
    /** PutEvents attempts per entry (throttles and retryable entry errors are retried with backoff). */
    producerMaxAttempts: z.number().int().min(1).max(20).default(5),
    asyncInvoke: asyncInvokeSchema.prefault({}),
    /** An existing bus to put events on (`--target aws`): sluice creates none (drivers/bring-your-own.ts). */
    busName: busNameSchema.optional(),
    /** An existing function that consumes instead of sluice's synthetic consumer (`--target aws`). */
    functionName: functionNameSchema.optional(),
  })
  .strict()
  .superRefine((pattern, ctx) => {
    const names = new Set<string>();
    (pattern.rules ?? []).forEach((rule, index) => {
      const name = rule.name ?? `rule-${index + 1}`;
      if (names.has(name)) ctx.addIssue({ code: 'custom', path: ['rules', index, 'name'], message: `rule name "${name}" is used twice` });
      names.add(name);
    });
  });

export type EventBridgePattern = z.infer<typeof eventBridgePatternSchema>;

/** The pattern's invocation quota, else the region's. */
export function invocationsPerSecondOf(pattern: { invocationsPerSecond?: number | undefined }, region: string): number {
  return pattern.invocationsPerSecond ?? eventBridgeInvocationsPerSecondIn(region);
}

/** The invocation quota as a result's quota list states it, for a run and a prediction alike. */
export function invocationQuotaRecord(invocationsPerSecond: number, region: string, enforcedBy: QuotaRecord['enforcedBy']): QuotaRecord {
  return { name: 'eventbridge.invocations_per_second', limit: `${invocationsPerSecond.toLocaleString('en-US')} invocations/s in ${region} (throttled invocations are delayed)`, enforcedBy };
}
