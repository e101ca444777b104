import type { KinesisResources } from './kinesis-resources.ts';
import { SluiceError } from '../../core/sluice-error.ts';
import {
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamSummaryCommand,
  KinesisClient,
  ListShardsCommand,
  type Shard,
} from '@aws-sdk/client-kinesis';
import type { Driver, PatternRunContext, PatternSession } from '../driver.ts';
import type { QuotaRecord } from '../../analysis/run-result.ts';
import type { Target } from '../../targets/target.ts';
import type { ScenarioParts } from '../../scenario/parts.ts';
import { sdkClientConfig } from '../../core/client-config.ts';
import { hashKeyOfPartitionKey, openShardRanges, shardForHashKey, type ListedShard, type ShardHashRange } from '../../core/shard-routing.ts';
import { awsDefaults } from '../../core/aws-defaults.ts';
import { seededRandom } from '../../runtime/random.ts';
import { parseEnvelope } from '../../load/event-factory.ts';
import { arrivalScheduleOf } from '../../load/phases.ts';
import type { KinesisPattern } from './schema.ts';
import { KinesisEventSourceMapping, type KinesisBatch } from './kinesis-mapping.ts';
import { KinesisProducer } from './kinesis-producer.ts';
import { sdkShardReader, type StreamRecord } from './shard-reader.ts';

/** How long a new stream may take to become ACTIVE (seconds locally, about 30 s on AWS). */
const streamActiveTimeoutMs = 180_000;

/** Stable codes of {@link KinesisDriverError}. */
export const kinesisDriverErrorCodes = {
  streamNotActive: 'SLUICE_KINESIS_STREAM_NOT_ACTIVE',
  noShards: 'SLUICE_KINESIS_NO_SHARDS',
} as const;

/** The stream could not be made ready for the run. */
export class KinesisDriverError extends SluiceError<(typeof kinesisDriverErrorCodes)[keyof typeof kinesisDriverErrorCodes]> {}

/**
 * Who enforces Kinesis's quotas on a target: sluice's edge on the embedded target and in
 * front of LocalStack (`quotaEdge`: LocalStack itself does not throttle), Kinesis itself on
 * AWS; nothing on an endpoint reached without the edge.
 */
function quotaEnforcer(target: Target): QuotaRecord['enforcedBy'] {
  if (target.info.kind === 'embedded' || target.info.quotaEdge !== undefined) return 'sluice';
  if (target.info.kind === 'aws') return 'target';
  return 'none';
}

/** The highest write rate the phases ask for, in records/s. */
export function requestedWriteRatePerSecond(scenario: ScenarioParts): number {
  const arrivalsPerSecond = arrivalScheduleOf(scenario.workload.phases).peakArrivalsPerSecond();
  return arrivalsPerSecond * scenario.workload.eventsPerArrival;
}

/**
 * What a run must tell its reader about the embedded Kinesis: above its measured write
 * ceiling, the emulator — not Kinesis — limits the rate.
 */
export function embeddedCeilingWarnings(scenario: ScenarioParts, target: Target): string[] {
  const ceiling = awsDefaults.kinesisEmbeddedWriteCeilingRecordsPerSecond.value;
  const requested = requestedWriteRatePerSecond(scenario);
  if (target.info.kind !== 'embedded' || requested <= ceiling) return [];
  return [
    `the phases ask for up to ${requested.toLocaleString('en-US')} records/s, above what the embedded Kinesis emulator sustains (about ${ceiling.toLocaleString('en-US')} records/s measured): there the emulator, not Kinesis, limits the write rate — use fewer events per second, or --target localstack / aws`,
  ];
}

/**
 * The `kinesis` pattern: a stream (provisioned with `shards`, or on-demand) written with
 * PutRecords by sluice's producer and read by sluice's own Kinesis event source mapping.
 *
 * With `existing.StreamName` (a managed stack's stream, or the user's own) the producer
 * writes to that stream, which the driver neither creates nor deletes. With a `remote`
 * consumer the stack's own event source mapping reads it: sluice starts no mapping, and
 * the records carry sluice's envelope as their data, which the stack's consumer reads
 * back (`sluiceId`, `sentAtMs`; targets/aws/consumer-code.ts).
 */
export const kinesisDriver: Driver<KinesisPattern, KinesisResources> = {
  source: 'kinesis',
  quotas(pattern, target) {
    const enforcedBy = quotaEnforcer(target);
    const streamWide =
      pattern.streamMode === 'on-demand'
        ? ` (on-demand: starts at ${awsDefaults.kinesisOnDemandInitialShards.value} shards' worth; its scaling is not modelled)`
        : '';
    return [
      {
        name: 'kinesis.writeRecordsPerShard',
        limit: `${awsDefaults.kinesisWriteRecordsPerSecondPerShard.value} records/s and 1 MiB/s per shard${streamWide}`,
        enforcedBy,
      },
      {
        name: 'kinesis.getRecordsPerShard',
        limit: `${awsDefaults.kinesisGetRecordsCallsPerSecondPerShard.value} calls/s and 2 MiB/s per shard`,
        enforcedBy,
      },
    ];
  },
  provision: provisionKinesis,
};

/** Kinesis stream names allow letters, digits, `_`, `.` and `-`, up to 128 characters. */
function streamNameFor(runId: string, patternName: string): string {
  return `sluice-${runId}-${patternName}`.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 128);
}

/** Kinesis sequence numbers are decimal strings of up to 128 bits: longer is later, then by digits. */
function sequenceAfter(a: string, b: string): boolean {
  return a.length !== b.length ? a.length > b.length : a > b;
}

async function provisionKinesis(context: PatternRunContext<KinesisPattern, KinesisResources>): Promise<PatternSession> {
  const { pattern, target, ledger, recorder, clock, fn, scenario } = context;
  const client = new KinesisClient(sdkClientConfig(target.clientSettings));
  // One attempt: a read throttle reaches the mapping, which backs off as Lambda does.
  const readClient = new KinesisClient(sdkClientConfig(target.clientSettings, { maxAttempts: 1 }));
  const existingStreamName = context.existing?.streamName;
  const streamName = existingStreamName ?? streamNameFor(context.runId, context.patternName);
  const remote = context.consumer === 'remote';
  const onDemand = pattern.streamMode === 'on-demand';
  let created = false;
  let tornDown = false;

  const destroyClients = () => {
    client.destroy();
    readClient.destroy();
  };

  let streamArn: string;
  let shardRanges: ShardHashRange[];
  try {
    if (existingStreamName) {
      // A managed stack's stream or the user's own: used as it is, never deleted.
      streamArn = context.existing?.streamArn ?? (await waitUntilActive(client, streamName, clock));
    } else {
      // kinesalite predates on-demand streams: there an on-demand stream is its starting shards.
      const embedded = target.info.kind === 'embedded';
      await client.send(
        new CreateStreamCommand(
          onDemand && !embedded ? { StreamName: streamName, StreamModeDetails: { StreamMode: 'ON_DEMAND' } } : { StreamName: streamName, ShardCount: pattern.shards },
        ),
      );
      created = true;
      streamArn = await waitUntilActive(client, streamName, clock);
    }
    shardRanges = openShardRanges(await listShards(client, streamName));
    if (shardRanges.length === 0) throw new KinesisDriverError(kinesisDriverErrorCodes.noShards, `stream ${streamName} has no open shard`);
  } catch (error) {
    if (created) await client.send(new DeleteStreamCommand({ StreamName: streamName, EnforceConsumerDeletion: true })).catch(() => undefined);
    destroyClients();
    throw error;
  }
  const shardIds = shardRanges.map((range) => range.shardId);

  const shardByKey = new Map<string, string | undefined>();
  const shardOfKey = (partitionKey: string) => {
    if (!shardByKey.has(partitionKey)) {
      if (shardByKey.size >= 100_000) shardByKey.clear();
      shardByKey.set(partitionKey, shardForHashKey(shardRanges, hashKeyOfPartitionKey(partitionKey))?.shardId);
    }
    return shardByKey.get(partitionKey);
  };

  const producer = new KinesisProducer({
    client,
    streamName,
    clock,
    ledger,
    recorder,
    putRecordsBatchSize: pattern.putRecordsBatchSize,
    producerRetries: pattern.producerRetries,
    random: seededRandom(scenario.workload.seed + 2),
    shardOfKey,
  });

  const warnings = embeddedCeilingWarnings(scenario, target);
  let mapping: KinesisEventSourceMapping | undefined;
  let consumerStartedAtMs: number | undefined;
  let acceptedBeforeConsumer = 0;
  const consumer = { batchesThrottled: 0, recordsDiscardedByRetries: 0, recordsDiscardedByAge: 0, outOfOrderCompletions: 0, keysChecked: 0 };
  const lastCompletedSequenceByKey = new Map<string, string>();

  const idOf = (record: StreamRecord) => record.eventId ?? -1;

  const completed = (batch: KinesisBatch) => {
    const nowMs = clock.nowMs();
    let count = 0;
    for (const record of batch.records) {
      const latencyMs = ledger.recordCompleted(idOf(record), nowMs);
      if (latencyMs !== undefined) {
        recorder.endToEndLatency(nowMs, latencyMs);
        count += 1;
      }
      // Order per partition key, checked from completion order: sequence numbers only rise.
      const previous = lastCompletedSequenceByKey.get(record.partitionKey);
      if (previous !== undefined && !sequenceAfter(record.sequenceNumber, previous)) consumer.outOfOrderCompletions += 1;
      if (previous === undefined || sequenceAfter(record.sequenceNumber, previous)) lastCompletedSequenceByKey.set(record.partitionKey, record.sequenceNumber);
    }
    consumer.keysChecked = lastCompletedSequenceByKey.size;
    recorder.count('completed', nowMs, count);
  };

  return {
    loadWorkerResources: () => ({ streamName, streamArn }),

    async sendArrival(events) {
      const nowMs = clock.nowMs();
      for (const event of events) ledger.recordSent(event.id, nowMs);
      recorder.count('sent', nowMs, events.length);
      await producer.send(events);
    },

    async startConsumer() {
      // A remote consumer (the stack's event source mapping) has been polling since the stack was created.
      if (remote) return;
      acceptedBeforeConsumer = ledger.acceptedCount;
      mapping = new KinesisEventSourceMapping({
        reader: sdkShardReader(readClient, streamName, { eventIdOf: (data) => parseEnvelope(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'))?.sluiceId }),
        shardIds,
        streamArn,
        region: target.clientSettings.region,
        fn,
        settings: pattern,
        clock,
        observer: {
          onDelivered(batch) {
            for (const record of batch.records) ledger.recordDelivered(idOf(record));
          },
          onCompleted: completed,
          onThrottled() {
            consumer.batchesThrottled += 1;
          },
          onDiscarded(batch, reason) {
            for (const record of batch.records) ledger.recordFailed(idOf(record));
            if (reason === 'maximumRetryAttempts') consumer.recordsDiscardedByRetries += batch.records.length;
            else consumer.recordsDiscardedByAge += batch.records.length;
          },
        },
      });
      await mapping.start();
      consumerStartedAtMs = clock.nowMs();
    },

    async sample(nowMs) {
      if (!mapping) return;
      for (const shardId of shardIds) recorder.shardIteratorAge(shardId, nowMs, mapping.takeIteratorAgeMs(shardId, nowMs));
      recorder.gauge('pollers', nowMs, mapping.busyLanes);
    },

    async isDrained() {
      // The stream cannot say what a consumer has read; the completion records in the ledger can.
      return ledger.unfinished === 0 && (remote || fn.concurrency === 0);
    },

    async stopConsumer() {
      await mapping?.stop();
    },

    async pendingAtEnd() {
      // Kinesis keeps every record for its retention period, so whatever was accepted and
      // has not finished is still in the stream — except records written before a LATEST
      // iterator was taken, which the consumer skipped (none when it starts before the load,
      // as a remote consumer's mapping does: it exists from the stack's creation on).
      const skipped = pattern.startingPosition === 'LATEST' && !remote ? acceptedBeforeConsumer : 0;
      return Math.max(0, ledger.unfinished - skipped);
    },

    extras() {
      const producerStats = producer.stats();
      const mappingStats = mapping?.stats();
      const throttlesByShard = Object.fromEntries(
        shardIds.map((shardId) => [
          shardId,
          {
            writeRecordsThrottled: producerStats.recordsThrottledByShard[shardId] ?? 0,
            getRecordsThrottled: mappingStats?.shards[shardId]?.getRecordsThrottled ?? 0,
          },
        ]),
      );
      return {
        streamName,
        streamArn,
        // Who made the stream (sluice deletes only its own) and who consumed it.
        streamCreatedBy: created ? 'sluice' : 'existing',
        consumedBy: remote ? 'remote' : 'sluice',
        shardIds,
        recordsByShard: Object.fromEntries(shardIds.map((shardId) => [shardId, producerStats.recordsAcceptedByShard[shardId] ?? 0])),
        throttlesByShard,
        // The embedded service's own counters live in the `sluice serve` child process; these
        // are counted from the PutRecords answers and the consumer's GetRecords refusals.
        throttleCountsFrom: 'answers',
        producer: {
          putRecordsCalls: producerStats.putRecordsCalls,
          putRecordsCallErrors: producerStats.putRecordsCallErrors,
          recordsRetried: producerStats.recordsRetried,
          errorsByCode: producerStats.errorsByCode,
        },
        consumer: {
          ...consumer,
          consumerStartedAtMs,
          ...(mappingStats
            ? {
                batchesInvoked: mappingStats.batchesInvoked,
                functionErrors: mappingStats.functionErrors,
                functionThrottles: mappingStats.functionThrottles,
                bisections: mappingStats.bisections,
                getRecordsByShard: mappingStats.shards,
              }
            : {}),
        },
        foreignDeliveries: ledger.foreignDeliveries,
        warnings,
      };
    },

    async teardown() {
      if (tornDown) return;
      tornDown = true;
      if (created) await client.send(new DeleteStreamCommand({ StreamName: streamName, EnforceConsumerDeletion: true })).catch(() => undefined);
      destroyClients();
    },
  };
}

/** Polls DescribeStreamSummary until the stream is ACTIVE; returns its ARN. */
async function waitUntilActive(client: KinesisClient, streamName: string, clock: PatternRunContext<KinesisPattern>['clock']): Promise<string> {
  const deadlineMs = clock.nowMs() + streamActiveTimeoutMs;
  let delayMs = 50;
  for (;;) {
    const summary = await client.send(new DescribeStreamSummaryCommand({ StreamName: streamName })).catch((error: Error) => {
      // Right after CreateStream, some Kinesis implementations do not know the stream yet.
      if (error.name === 'ResourceNotFoundException') return undefined;
      throw error;
    });
    const description = summary?.StreamDescriptionSummary;
    if (description?.StreamStatus === 'ACTIVE') return description.StreamARN ?? `arn:aws:kinesis:us-east-1:000000000000:stream/${streamName}`;
    if (clock.nowMs() > deadlineMs) {
      throw new KinesisDriverError(
        kinesisDriverErrorCodes.streamNotActive,
        `stream ${streamName} was not ACTIVE after ${streamActiveTimeoutMs / 1000} s (status ${description?.StreamStatus ?? 'unknown'})`,
        'check the target’s Kinesis service; on AWS, the account’s shard quota',
      );
    }
    await clock.sleep(delayMs);
    delayMs = Math.min(1000, delayMs * 2);
  }
}

/** Every shard of the stream, following ListShards' pages. */
async function listShards(client: KinesisClient, streamName: string): Promise<ListedShard[]> {
  const shards: Shard[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < 1000; page += 1) {
    const answer = await client.send(new ListShardsCommand(nextToken ? { NextToken: nextToken } : { StreamName: streamName }));
    shards.push(...(answer.Shards ?? []));
    nextToken = answer.NextToken;
    if (!nextToken) break;
  }
  return shards.flatMap((shard) =>
    shard.ShardId && shard.HashKeyRange?.StartingHashKey && shard.HashKeyRange.EndingHashKey
      ? [{ ShardId: shard.ShardId, HashKeyRange: { StartingHashKey: shard.HashKeyRange.StartingHashKey, EndingHashKey: shard.HashKeyRange.EndingHashKey }, SequenceNumberRange: shard.SequenceNumberRange }]
      : [],
  );
}
