/**
 * What the synthetic consumer's readers (drivers/<source>/consumer-reader.ts) share: the
 * identity of one event, and how to find it in a body the load generator wrote. Bundled
 * into the consumer Lambda with its handler, so it imports nothing.
 */

/** One event an invocation carried, as the completion record names it. */
export interface EventIdentity {
  /** The envelope's `sluiceId` (a number), else the event's own id as a string. */
  eventId: number | string;
  /** When the load generator sent the event; null when neither the event nor its source says. */
  sentAtMs: number | null;
}

/** A source's reader: the event Lambda hands the handler in, one identity per event it carries out. */
export type ConsumerReader = (event: unknown) => EventIdentity[];

/** What the handler answers a synchronous source with, given how many events it completed. */
export type ConsumerResponder = (completed: number) => unknown;

/** `value` when it is a JSON object, else an empty one: AWS's event shapes are read field by field, never trusted. */
export function objectOf(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** The `Records` of a batch event (SQS, Kinesis, S3), each as an object; none when there are none. */
export function recordsOf(event: unknown): Array<Record<string, unknown>> {
  const records = objectOf(event).Records;
  return Array.isArray(records) ? records.map(objectOf) : [];
}

/** A body's JSON object; an empty one for text that is not JSON or not an object. */
export function parseJsonObject(text: unknown): Record<string, unknown> {
  if (typeof text !== 'string') return {};
  try {
    return objectOf(JSON.parse(text));
  } catch {
    return {};
  }
}

/**
 * The identity in a body the load generator wrote. sluice's envelope is
 * `{ sluiceId, sentAtMs, key, … }` (load/event-factory.ts); an `{ eventId, sentAtMs }` pair,
 * at the top or under `sluice`, is read too. Without them, the source's own id and time.
 *
 * @example
 * identifyEnvelope({ sluiceId: 41, sentAtMs: 1767225600001 }, 'm-1', null) // { eventId: 41, sentAtMs: 1767225600001 }
 */
export function identifyEnvelope(body: Record<string, unknown>, fallbackId: unknown, fallbackSentAtMs: number | null): EventIdentity {
  const meta = body.sluice !== null && typeof body.sluice === 'object' ? objectOf(body.sluice) : body;
  const eventId = typeof meta.sluiceId === 'number' ? meta.sluiceId : meta.eventId != null ? String(meta.eventId) : String(fallbackId);
  const sentAtMs = Number(meta.sentAtMs);
  return { eventId, sentAtMs: Number.isFinite(sentAtMs) && sentAtMs > 0 ? sentAtMs : fallbackSentAtMs };
}
