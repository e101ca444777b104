import { CreateStreamCommand, DeleteStreamCommand, DescribeStreamSummaryCommand, GetRecordsCommand, GetShardIteratorCommand, KinesisClient, ListShardsCommand, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { startEmbeddedTarget } from '../targets/embedded/embedded-target.ts';
import { sdkClientConfig } from '../core/client-config.ts';
import { sourceModuleFor } from '../drivers/registry.ts';
import { measureWindow } from './raw-invoke-sink.ts';
import { runSourceCeilingBench, type SourceCeilingBench } from './source-ceiling.ts';

/**
 * Kinesis with its consumer: raw = PutRecord loops and one GetRecords loop per shard (at the
 * 5 calls/s a shard allows, up to 10,000 records a call) through the same edge (quotas on) a
 * run uses, plain SDK clients with sluice's client settings, all in this process; counted as
 * records read. Held = a full sluice run of a stream with the same shards, batchSize 1,000
 * so the mapping's batch is not what limits it (a shard's 5 reads/s × batchSize).
 */
const shardCount = 16;
const producerLoops = 16;
const warmupMs = 1_000;
const windowMs = 6_000;

async function rawPutGet(target: Awaited<ReturnType<typeof startEmbeddedTarget>>): Promise<{ perSecond: number; lines: string[] }> {
  const client = new KinesisClient(sdkClientConfig(target.clientSettings));
  const readClient = new KinesisClient(sdkClientConfig(target.clientSettings, { maxAttempts: 1 }));
  const streamName = `bench-raw-${Date.now().toString(36)}`;
  await client.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shardCount }));
  for (let attempt = 0; attempt < 500; attempt += 1) {
    const summary = await client.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    if (summary.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const shardIds = ((await client.send(new ListShardsCommand({ StreamName: streamName }))).Shards ?? []).map((shard) => shard.ShardId!);
  const data = Buffer.alloc(100, 0x61);
  let put = 0;
  let read = 0;
  let getCalls = 0;
  let putsRunning = true;
  let readsRunning = true;
  const producers = Array.from({ length: producerLoops }, async (_, loop) => {
    for (let index = 0; putsRunning; index += 1) {
      await client.send(new PutRecordCommand({ StreamName: streamName, PartitionKey: `key-${loop}-${index % 1000}`, Data: data })).catch(() => undefined);
      put += 1;
    }
  });
  const readers = shardIds.map(async (shardId) => {
    let iterator = (await readClient.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
    while (readsRunning && iterator) {
      const calledMs = performance.now();
      try {
        const answer = await readClient.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
        getCalls += 1;
        read += answer.Records?.length ?? 0;
        iterator = answer.NextShardIterator;
      } catch {
        // A read throttle: wait out the call interval below, as any poller must.
      }
      // A shard allows 5 GetRecords calls per second.
      const waitMs = 200 - (performance.now() - calledMs);
      if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  });
  const { perSecond, cpuUsPerEvent, emulatorCpuUsPerEvent } = await measureWindow({ loops: 0, work: async () => undefined, count: () => read, warmupMs, windowMs });
  const putAtEnd = put;
  putsRunning = false;
  await Promise.all(producers);
  readsRunning = false;
  await Promise.all(readers);
  await client.send(new DeleteStreamCommand({ StreamName: streamName })).catch(() => undefined);
  client.destroy();
  readClient.destroy();
  return { perSecond, lines: [`${producerLoops} PutRecord loops (100 B), one GetRecords(10,000) loop per shard at ≤ 5 calls/s, ${shardCount} shards, edge with quotas on; ${putAtEnd} put, ${read} read, ${getCalls} GetRecords calls in ${(warmupMs + windowMs) / 1000} s; CPU per event: ${Math.round(cpuUsPerEvent)} µs here + ${Math.round(emulatorCpuUsPerEvent)} µs emulators`] };
}

export const kinesisCeilingBench: SourceCeilingBench = {
  source: 'kinesis',
  work: 'PutRecord + GetRecords',
  patternYaml: `{ source: kinesis, shards: ${shardCount}, batchSize: 1000 }`,
  startTarget: () => startEmbeddedTarget([...sourceModuleFor('kinesis').embeddedServices], 'us-east-1'),
  measureRaw: rawPutGet,
};

export const benchKinesisConsume = () => runSourceCeilingBench(kinesisCeilingBench);
