import { identifyEnvelope, objectOf, parseJsonObject, recordsOf, type EventIdentity } from '../../targets/aws/synthetic-consumer/envelope.ts';

/**
 * The synthetic consumer's reader for SQS events: one identity per record, from the body
 * the load generator sent, else the message id and SQS's `SentTimestamp` (epoch ms).
 * https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html (example event)
 *
 * @example
 * readSqsEvent({ Records: [{ messageId: 'm-1', body: '{"sluiceId":7,"sentAtMs":1767225600000}', attributes: { SentTimestamp: '1767225600000' } }] })
 * // [{ eventId: 7, sentAtMs: 1767225600000 }]
 */
export function readSqsEvent(event: unknown): EventIdentity[] {
  return recordsOf(event).map((record) => {
    const sentTimestampMs = Number(objectOf(record.attributes).SentTimestamp) || null;
    return identifyEnvelope(parseJsonObject(record.body), record.messageId, sentTimestampMs);
  });
}
