import type { Workload } from '../scenario/parts.ts';
import { seededRandom } from '../runtime/random.ts';
import { keyPicker } from './key-distribution.ts';

/**
 * The envelope every event carries, so each one is accounted for from send to completion:
 * `sluiceId` is the event's sequence number in its pattern run, `sentAtMs` the send time.
 */
export interface EventEnvelope {
  sluiceId: number;
  sentAtMs: number;
  key: string;
  [field: string]: unknown;
}

export interface OutgoingEvent {
  id: number;
  key: string;
  /** The serialized event, padded to the workload's event size. */
  body: string;
}

/** A load worker's part of the ids and keys: its own block of ids and its own random keys. */
export interface EventFactoryShare {
  /** The first id this generator stamps; the next ones follow it. */
  firstId: number;
  /** Added to the workload's seed, so generators pick different keys, each repeatable. */
  seedOffset: number;
}

/**
 * Makes the events of a pattern run: sequential ids, keys from the key distribution, the
 * payload template filled in, padded to `eventSizeBytes`.
 */
export class EventFactory {
  private nextId: number;
  private readonly firstId: number;
  private readonly pickKey: () => string;

  constructor(
    private readonly workload: Workload,
    share: EventFactoryShare = { firstId: 0, seedOffset: 0 },
  ) {
    this.firstId = share.firstId;
    this.nextId = share.firstId;
    this.pickKey = keyPicker(workload.keys, seededRandom(workload.seed + share.seedOffset));
  }

  get createdCount(): number {
    return this.nextId - this.firstId;
  }

  next(nowMs: number): OutgoingEvent {
    const id = this.nextId++;
    const key = this.pickKey();
    const envelope: EventEnvelope = { sluiceId: id, sentAtMs: nowMs, key, ...this.filledTemplate(id, key) };
    const unpadded = JSON.stringify({ ...envelope, pad: '' });
    const padLength = Math.max(0, this.workload.eventSizeBytes - Buffer.byteLength(unpadded));
    return { id, key, body: JSON.stringify({ ...envelope, pad: 'x'.repeat(padLength) }) };
  }

  private filledTemplate(id: number, key: string): Record<string, unknown> {
    if (!this.workload.payloadTemplate) return {};
    const text = JSON.stringify(this.workload.payloadTemplate)
      .replaceAll('{{ seq }}', String(id))
      .replaceAll('{{seq}}', String(id))
      .replaceAll('{{ key }}', key)
      .replaceAll('{{key}}', key);
    return JSON.parse(text) as Record<string, unknown>;
  }
}

/** Reads sluice's envelope back from a delivered body; undefined for foreign messages. */
export function parseEnvelope(body: string): EventEnvelope | undefined {
  try {
    const parsed = JSON.parse(body) as Partial<EventEnvelope>;
    if (typeof parsed.sluiceId === 'number' && typeof parsed.sentAtMs === 'number') return parsed as EventEnvelope;
  } catch {
    // A body sluice did not write; the caller counts it as foreign.
  }
  return undefined;
}
