import { costLine, eventSizeBytesOf, type SourceCostModel } from '../../analysis/cost.ts';
import type { KinesisPattern } from './schema.ts';

const bytesPerGb = 1024 ** 3;
/**
 * Attempts a plan assumes for a record when maximumRetryAttempts is -1: the mapping then
 * retries until the record expires (24 h by default), which no estimate can count.
 */
const attemptsAssumedWithoutLimit = 3;

/**
 * Kinesis Data Streams pricing. https://aws.amazon.com/kinesis/data-streams/pricing/
 * Provisioned: shard-hours, and PUT payload units of 25 KB per record. On-demand:
 * stream-hours, and GB written and read with each record rounded up to 1 KB (every
 * delivery, retries included, is a read). GetRecords calls are not billed.
 *
 * @example
 * kinesisCost.lines({ shards: 4, streamMode: 'provisioned' }, usage, resolvePrices(), notes)[0].item // 'Kinesis shard-hours (4 shards)'
 */
export const kinesisCost = {
  lines(settings, usage, prices, notes) {
    const rows = prices.rows;
    const eventSizeBytes = eventSizeBytesOf(usage, notes);
    if (settings.streamMode === 'on-demand') {
      const roundedBytes = roundUp(eventSizeBytes, rows.kinesisOnDemandRecordRoundingBytes.value);
      return [
        costLine('Kinesis on-demand stream-hours', usage.resourceHours, 'stream-hour', rows.kinesisOnDemandStreamHourUsd.value),
        costLine('Kinesis on-demand data in', (usage.eventsAccepted * roundedBytes) / bytesPerGb, 'GB', rows.kinesisOnDemandIngestPerGbUsd.value),
        costLine('Kinesis on-demand data out', (usage.deliveries * roundedBytes) / bytesPerGb, 'GB', rows.kinesisOnDemandRetrievalPerGbUsd.value),
      ];
    }
    const shards = settings.shards;
    if (shards === undefined) notes.push('shard count not recorded; assumed 1 shard');
    const unitsPerRecord = Math.ceil(eventSizeBytes / rows.kinesisPutPayloadUnitBytes.value);
    return [
      costLine(`Kinesis shard-hours (${shards ?? 1} shards)`, (shards ?? 1) * usage.resourceHours, 'shard-hour', rows.kinesisShardHourUsd.value),
      costLine('Kinesis PUT payload units', usage.eventsAccepted * unitsPerRecord, 'payload unit', rows.kinesisPutPayloadUnitsPerMillionUsd.value / 1_000_000),
    ];
  },
  eventsPerInvocationMax: (pattern) => pattern.batchSize,
  maxAttemptsPerEvent: (pattern) => (pattern.maximumRetryAttempts >= 0 ? pattern.maximumRetryAttempts + 1 : attemptsAssumedWithoutLimit),
  copiesPerEvent: () => 1,
} as const satisfies SourceCostModel<KinesisPattern>;

function roundUp(value: number, step: number): number {
  return Math.ceil(value / step) * step;
}
