import { identifyEnvelope, objectOf, parseJsonObject, recordsOf, type EventIdentity } from '../../targets/aws/synthetic-consumer/envelope.ts';

/**
 * The synthetic consumer's reader for Kinesis events: one identity per record, from the
 * base64 data the load generator wrote, else the sequence number and the record's
 * `approximateArrivalTimestamp` (epoch seconds, with a fraction).
 * https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html (example event)
 *
 * @example
 * readKinesisEvent({ Records: [{ kinesis: { data: 'eyJzbHVpY2VJZCI6N30=', sequenceNumber: '4959…', approximateArrivalTimestamp: 1767225600.5 } }] })
 * // [{ eventId: 7, sentAtMs: 1767225600500 }]
 */
export function readKinesisEvent(event: unknown): EventIdentity[] {
  return recordsOf(event).map((record) => {
    const kinesis = objectOf(record.kinesis);
    const data = typeof kinesis.data === 'string' ? Buffer.from(kinesis.data, 'base64').toString('utf8') : '';
    return identifyEnvelope(parseJsonObject(data), kinesis.sequenceNumber, Math.round(Number(kinesis.approximateArrivalTimestamp) * 1000) || null);
  });
}
