import { describe, expect, it } from 'vitest';
import { embeddedCeilingWarnings, kinesisDriver, requestedWriteRatePerSecond } from '../../drivers/kinesis/kinesis-driver.ts';
import { kinesisPatternSchema } from '../../drivers/kinesis/schema.ts';
import { sourceModules } from '../../drivers/registry.ts';
import { embeddedServiceStarters } from '../../localstack/embedded/embedded-services.ts';
import type { Target } from '../../targets/target.ts';
import { parseScenario } from '../../scenario/load.ts';
import { awsDefaults } from '../../core/aws-defaults.ts';

function target(kind: Target['info']['kind']): Target {
  return {
    info: { kind, region: 'us-east-1', consumer: 'sluice', ...(kind === 'aws' ? {} : { endpoint: 'http://127.0.0.1:4566' }) },
    clientSettings: { region: 'us-east-1', endpoint: 'http://127.0.0.1:4566', useLocalCredentials: true },
    died: new Promise<never>(() => undefined),
    async stop() {},
  };
}

function scenario(phases: string, eventsPerArrival = 10) {
  return parseScenario(
    ['name: k', 'workload:', `  phases: ${phases}`, `  eventsPerArrival: ${eventsPerArrival}`, 'patterns:', '  - source: kinesis', '    shards: 2'].join('\n'),
    'k.yaml',
  );
}

describe('kinesis driver', () => {
  it('is registered with its schema and its embedded service', async () => {
    expect(await sourceModules.kinesis.loadDriver()).toBe(kinesisDriver);
    expect(sourceModules.kinesis.patternSchema).toBe(kinesisPatternSchema);
    expect(sourceModules.kinesis.embeddedServices).toEqual(['kinesis']);
    for (const service of sourceModules.kinesis.embeddedServices) expect(Object.keys(embeddedServiceStarters)).toContain(service);
  });

  it('records the per-shard quotas and who enforces them on each target', () => {
    const pattern = kinesisPatternSchema.parse({ source: 'kinesis', shards: 2 });
    expect(kinesisDriver.quotas(pattern, target('embedded'))).toEqual([
      { name: 'kinesis.writeRecordsPerShard', limit: '1000 records/s and 1 MiB/s per shard', enforcedBy: 'sluice' },
      { name: 'kinesis.getRecordsPerShard', limit: '5 calls/s and 2 MiB/s per shard', enforcedBy: 'sluice' },
    ]);
    expect(kinesisDriver.quotas(pattern, target('localstack')).map((quota) => quota.enforcedBy)).toEqual(['none', 'none']);
    const behindEdge = target('localstack');
    const withEdge: Target = { ...behindEdge, info: { ...behindEdge.info, quotaEdge: 'http://127.0.0.1:4567' } };
    expect(kinesisDriver.quotas(pattern, withEdge).map((quota) => quota.enforcedBy)).toEqual(['sluice', 'sluice']);
    expect(kinesisDriver.quotas(pattern, target('aws')).map((quota) => quota.enforcedBy)).toEqual(['target', 'target']);
  });

  it('reads the highest write rate the phases ask for, ramps included', () => {
    expect(requestedWriteRatePerSecond(scenario('[{ duration: 5, arrivalRate: 10, rampTo: 80 }, { pause: 2 }, { duration: 5, arrivalRate: 40 }]'))).toBe(800);
  });

  it('warns when the phases ask the embedded Kinesis for more than it sustains', () => {
    const ceiling = awsDefaults.kinesisEmbeddedWriteCeilingRecordsPerSecond.value;
    const over = scenario(`[{ duration: 5, arrivalRate: ${ceiling / 10 + 50} }]`);
    const [warning] = embeddedCeilingWarnings(over, target('embedded'));
    expect(warning).toMatch(/the emulator, not Kinesis, limits the write rate/);
    expect(embeddedCeilingWarnings(over, target('localstack'))).toEqual([]);
    expect(embeddedCeilingWarnings(scenario(`[{ duration: 5, arrivalRate: ${ceiling / 10} }]`), target('embedded'))).toEqual([]);
  });
});
