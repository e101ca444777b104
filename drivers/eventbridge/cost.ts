import { costLine, eventSizeBytesOf, type SourceCostModel } from '../../analysis/cost.ts';
import type { EventBridgePattern } from './schema.ts';

/**
 * EventBridge bills each custom event put on a bus, one per 64 KB chunk of its payload;
 * delivering it to rule targets is not billed again. https://aws.amazon.com/eventbridge/pricing/
 *
 * @example
 * eventBridgeCost.lines({}, { …usage, eventsAccepted: 1e6, eventSizeBytes: 70 * 1024 }, resolvePrices(), notes)[0].usd // 2
 */
export const eventBridgeCost = {
  lines(_settings, usage, prices, notes) {
    const rows = prices.rows;
    const chunks = Math.ceil(eventSizeBytesOf(usage, notes) / rows.eventBridgeEventChunkBytes.value);
    return [costLine('EventBridge custom events', usage.eventsAccepted * chunks, 'event', rows.eventBridgeCustomEventsPerMillionUsd.value / 1_000_000)];
  },
  // The rule's Lambda target is invoked asynchronously, one event per invocation.
  eventsPerInvocationMax: () => 1,
  // https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-configuring.html
  maxAttemptsPerEvent: (pattern) => pattern.asyncInvoke.maximumRetryAttempts + 1,
  // EventBridge invokes the target once per rule an event matches: at most once per rule.
  copiesPerEvent: (pattern) => pattern.rules?.length ?? 1,
} as const satisfies SourceCostModel<EventBridgePattern>;
