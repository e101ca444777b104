import { identifyEnvelope, objectOf, type EventIdentity } from '../../targets/aws/synthetic-consumer/envelope.ts';

/**
 * The synthetic consumer's reader for EventBridge events: a rule invokes its target with one
 * event, whose `detail` is what the load generator put; else the event's id and `time`.
 * https://docs.aws.amazon.com/eventbridge/latest/ref/overiew-event-structure.html
 *
 * @example
 * readEventBridgeEvent({ id: 'e-1', time: '2026-01-01T00:00:00Z', detail: { sluiceId: 7, sentAtMs: 1767225600000 } })
 * // [{ eventId: 7, sentAtMs: 1767225600000 }]
 */
export function readEventBridgeEvent(event: unknown): EventIdentity[] {
  const envelope = objectOf(event);
  const time = typeof envelope.time === 'string' ? Date.parse(envelope.time) : NaN;
  return [identifyEnvelope(objectOf(envelope.detail), envelope.id, time || null)];
}
