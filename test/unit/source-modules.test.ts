import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sourceModules, type SourceRegistry } from '../../drivers/registry.ts';
import type { AnySourceModule } from '../../drivers/source-module.ts';
import { awsDefaults } from '../../core/aws-defaults.ts';
import { embeddedServiceStarters } from '../../localstack/embedded/embedded-services.ts';
import { parseScenario } from '../../scenario/load.ts';
import { ScenarioError } from '../../scenario/errors.ts';
import { buildStackTemplate, tagStylesWith } from '../../targets/aws/template.ts';
import { resolvePrices } from '../../analysis/pricing.ts';
import type { SourceUsage } from '../../analysis/cost.ts';
import { functionUrlSource } from '../fixtures/sources/function-url/function-url-source.ts';

/** sluice's sources, and the test-only sixth one registered the way a new source is: one line. */
const withTestSource = { ...sourceModules, 'function-url': functionUrlSource } as const satisfies SourceRegistry;

function scenarioWith(source: string, sources: SourceRegistry) {
  return parseScenario(['name: contract', 'workload:', '  phases: [{ duration: 2, arrivalRate: 5 }]', 'patterns:', `  - source: ${source}`].join('\n'), 'contract.yaml', sources);
}

const usage: SourceUsage = { eventsSent: 1000, eventsAccepted: 1000, deliveries: 1000, invocations: 100, eventsCompleted: 1000, resourceHours: 1, eventSizeBytes: 256 };

describe.each(Object.entries(withTestSource) as Array<[string, AnySourceModule]>)('source module %s', (name, module) => {
  it('is registered under its own source name, and its schema reads a pattern of that source with every default filled in', () => {
    expect(module.source).toBe(name);
    const pattern = module.patternSchema.parse({ source: name });
    expect(pattern.source).toBe(name);
    expect(() => module.patternSchema.parse({ source: name, notASetting: 1 })).toThrow();
  });

  it('names rows of the one AWS defaults table, each with its source', () => {
    expect(module.defaults.length).toBeGreaterThan(0);
    for (const row of module.defaults) {
      expect(awsDefaults).toHaveProperty(row);
      expect(awsDefaults[row].source).toMatch(/\S/);
    }
  });

  it('needs only emulators the embedded target can start', () => {
    for (const service of module.embeddedServices) expect(Object.keys(embeddedServiceStarters)).toContain(service);
  });

  it('loads a driver for its own source, with its quotas and provisioning', async () => {
    const driver = await module.loadDriver();
    expect(driver.source).toBe(name);
    expect(typeof driver.provision).toBe('function');
    expect(typeof driver.quotas).toBe('function');
  });

  it('builds its part of a managed stack, tags every resource type it creates, and names a reader that exists', async () => {
    const scenario = scenarioWith(name, withTestSource);
    const pattern = scenario.patterns[0]!;
    expect(module.aws.source).toBe(name);
    const template = buildStackTemplate(scenario, pattern, module.aws, 'contract-run');
    expect(template.Metadata.sluice.source).toBe(name);
    const tagStyles = tagStylesWith(module.aws);
    for (const resource of Object.values(template.Resources)) expect(tagStyles).toHaveProperty(resource.Type);
    expect(existsSync(module.aws.consumerReader.entryFile)).toBe(true);
    const reader = (await import(module.aws.consumerReader.entryFile)) as Record<string, unknown>;
    expect(typeof reader[module.aws.consumerReader.readerExport]).toBe('function');
    // Without bring-your-own fields a pattern names no existing resource.
    expect(module.existingResources(module.aws.bringYourOwnOutputs(pattern))).toBeUndefined();
  });

  it('prices its requests, and says how many events an invocation carries, how often and in how many copies', () => {
    const pattern = module.patternSchema.parse({ source: name });
    const notes: string[] = [];
    const lines = module.cost.lines(pattern, usage, resolvePrices(), notes);
    for (const line of lines) {
      expect(line.quantity).toBeGreaterThanOrEqual(0);
      expect(line.usd).toBeCloseTo(line.quantity * line.unitPriceUsd, 12);
    }
    expect(lines.length + notes.length).toBeGreaterThan(0);
    expect(module.cost.eventsPerInvocationMax(pattern)).toBeGreaterThanOrEqual(1);
    expect(module.cost.maxAttemptsPerEvent(pattern)).toBeGreaterThanOrEqual(1);
    expect(module.cost.copiesPerEvent(pattern)).toBeGreaterThanOrEqual(1);
  });

  it('asks CloudWatch only about resources the stack outputs name', () => {
    const pattern = module.patternSchema.parse({ source: name });
    expect(module.cloudWatchMetrics({}, pattern)).toEqual([]);
    for (const spec of module.cloudWatchMetrics({ FunctionName: 'f', QueueName: 'q', StreamName: 's', EventBusName: 'b', BucketName: 'k', ApiId: 'a', ApiName: 'n', StageName: 'st' }, pattern)) {
      expect(spec.namespace).toMatch(/^AWS\//);
      expect(Object.keys(spec.dimensions).length).toBeGreaterThan(0);
    }
  });
});

describe('source registry', () => {
  it('is the one list of source names: the scenario schema accepts exactly its sources', () => {
    for (const name of Object.keys(sourceModules)) expect(scenarioWith(name, sourceModules).patterns[0]!.source).toBe(name);
    expect(() => scenarioWith('function-url', sourceModules)).toThrow(ScenarioError);
    expect(scenarioWith('function-url', withTestSource).patterns[0]!.source).toBe('function-url');
  });

  it('reports a bad key of a registered test source with its file, line and key path', () => {
    const text = ['name: contract', 'workload:', '  phases: [{ duration: 2, arrivalRate: 5 }]', 'patterns:', '  - source: function-url', '    authType: SIGV5'].join('\n');
    try {
      parseScenario(text, 'contract.yaml', withTestSource);
      expect.unreachable('the bad authType must be refused');
    } catch (error) {
      expect(error).toBeInstanceOf(ScenarioError);
      const problem = (error as ScenarioError).problems[0]!;
      expect(problem).toMatchObject({ file: 'contract.yaml', line: 6, keyPath: 'patterns[0].authType' });
    }
  });
});

describe('bring-your-own fields', () => {
  it('come from each source module, so a registered source’s own field is refused where it would be ignored', async () => {
    const { bringYourOwnTargetProblems } = await import('../../drivers/bring-your-own.ts');
    const { bringYourOwnFieldsOf } = await import('../../drivers/registry.ts');
    expect(bringYourOwnFieldsOf('sqs')).toEqual(['functionName', 'queueUrl']);
    expect(bringYourOwnFieldsOf('function-url', withTestSource)).toEqual(['functionName']);
    const problems = bringYourOwnTargetProblems([{ source: 'function-url', functionName: 'mine' }], {
      target: 'embedded',
      fieldsOf: (source) => bringYourOwnFieldsOf(source, withTestSource),
    });
    expect(problems.map((problem) => problem.keyPath)).toEqual(['patterns[0].functionName']);
  });
});
