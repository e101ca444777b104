import { hostname, cpus } from 'node:os';
import { randomBytes } from 'node:crypto';
import { realClock, type Clock } from '../core/clock.ts';
import { patternNameOf, type Scenario } from '../scenario/schema.ts';
import { sluiceVersion } from '../core/sluice-version.ts';
import type { TargetName } from '../scenario/parts.ts';
import { sourceModuleFor, type SourceRegistry } from '../drivers/registry.ts';
import { startEmbeddedTarget } from '../targets/embedded/embedded-target.ts';
import { startLocalstackTarget, type LocalstackTargetOptions } from '../targets/localstack/localstack-target.ts';
import { startAwsTarget } from '../targets/aws/aws-target.ts';
import type { Target } from '../targets/target.ts';
import { runResultSchemaVersion, type PatternResult, type RunResult } from '../analysis/run-result.ts';
import { runPattern, type PatternProgress } from './run-pattern.ts';
import { runPatternOnManagedStack } from './managed-stack-run.ts';
import { LoadWorkerProcesses } from './load-workers.ts';
import { createAwsClients, type AwsClients } from '../targets/aws/clients.ts';
import { createStackTeardown, type StackTeardown } from '../targets/aws/stack.ts';
import type { SluiceError } from '../core/sluice-error.ts';
import { localstackServicesFor } from '../localstack/localstack-container.ts';
import type { EndpointProbe } from '../localstack/endpoint-probe.ts';
import { checkEndpointPatterns } from './endpoint-needs.ts';

export { sluiceVersion } from '../core/sluice-version.ts';
export { patternNameOf } from '../scenario/schema.ts';

export interface RunScenarioOptions {
  scenario: Scenario;
  scenarioFile: string;
  target?: TargetName;
  /** For `--target localstack`: an AWS-compatible endpoint the user already runs (LocalStack, moto, `sluice serve`…). */
  endpoint?: string;
  /** For `--target localstack` without an endpoint: the LocalStack image to start. */
  localstackImage?: string;
  /** A pattern the endpoint cannot carry, said before the others run (the run then ends failed, with each reason). */
  onPatternRefused?: (patternName: string, error: SluiceError) => void;
  signal: AbortSignal;
  clock?: Clock;
  onProgress?: (progress: PatternProgress) => void;
  onPatternStart?: (patternName: string, index: number, count: number) => void;
  /** Run only these patterns (by name). */
  only?: string[];
  /** Run the patterns at the same time instead of one after the other. */
  parallel?: boolean;
  /**
   * Who consumes on `--target localstack`: sluice's runtime (default, so the scaling rules
   * apply) or LocalStack's own Lambda and event source mappings (a managed stack).
   */
  consumer?: 'sluice' | 'localstack';
  /** Progress of CloudFormation stacks on managed-stack runs. */
  onStackStatus?: (stackName: string, status: string) => void;
  /** The sources the scenario was parsed with (default: sluice's own, drivers/registry.ts). */
  sources?: SourceRegistry;
  /** A target already started (a sweep runs all its settings on one): used as it is, and left running. */
  startedTarget?: Target;
  /** Load generator processes per pattern (`--workers`; default 1: this process). */
  loadWorkers?: number;
  /** `--load-from`: each pattern's load from Artillery's cloud workers (with --target aws). */
  cloudLoad?: (patternName: string) => import('./cloud-load.ts').CloudLoad;
}

/** A short, sortable, unique id for resource names and run folders. */
export function newRunId(nowMs = Date.now()): string {
  return `${nowMs.toString(36)}${randomBytes(2).toString('hex')}`;
}

/**
 * Runs every pattern of a scenario one after the other, each on fresh resources, and
 * returns the RunResult. Ctrl-C (the signal) stops the current pattern, keeps what it
 * measured and marks the run interrupted; a failure of the target marks it failed. The
 * target is stopped in every case.
 */
export async function runScenario(options: RunScenarioOptions): Promise<RunResult> {
  const clock = options.clock ?? realClock;
  const { scenario } = options;
  const runId = newRunId(clock.nowMs());
  const startedAtMs = clock.nowMs();
  const targetKind = options.target ?? scenario.target;
  let selected = scenario.patterns.filter((pattern) => !options.only || options.only.includes(patternNameOf(pattern)));

  const runAbort = new AbortController();
  const onUserAbort = () => runAbort.abort(options.signal.reason);
  options.signal.addEventListener('abort', onUserAbort, { once: true });
  if (options.signal.aborted) runAbort.abort(options.signal.reason);

  let target: Target | undefined;
  let managed: { clients: AwsClients; teardown: StackTeardown } | undefined;
  // One set of load worker processes for every pattern of the run (each pattern takes its share of their time).
  const loadWorkerProcesses = (options.loadWorkers ?? 1) > 1 ? LoadWorkerProcesses.fork(options.loadWorkers!) : undefined;
  let failure: RunResult['failure'];
  const patterns: PatternResult[] = [];
  try {
    let endpointProbe: EndpointProbe | undefined;
    if (targetKind === 'localstack' && options.endpoint) {
      // Any AWS-compatible endpoint: probed by what the patterns need; it runs those it carries.
      const check = await checkEndpointPatterns({ endpoint: options.endpoint, scenario, patterns: selected, consumer: options.consumer ?? 'sluice', runId, sources: options.sources });
      endpointProbe = check.probe;
      for (const { patternName, error } of check.refused) options.onPatternRefused?.(patternName, error);
      if (check.refused.length > 0) {
        failure = {
          code: 'SLUICE_ENDPOINT_LACKS_SERVICE',
          message: check.refused.map(({ error }) => `${error.message} — ${error.hint}`).join('\n'),
        };
      }
      selected = selected.filter((pattern) => check.carried.includes(patternNameOf(pattern)));
      if (selected.length === 0 && check.refused.length > 0) throw check.refused[0].error;
    }
    const services = [...new Set(selected.flatMap((pattern) => sourceModuleFor(pattern.source, options.sources).embeddedServices))];
    // LocalStack's own services for these sources (and a managed stack's), only asked of LocalStack.
    const localstackServices = localstackServicesFor(selected, {
      servicesOf: (source) => sourceModuleFor(source, options.sources).localstackServices,
      ...(options.consumer === 'localstack' ? { consumer: 'localstack' as const, cloudformation: true } : {}),
    });
    target = options.startedTarget ?? await startTarget(targetKind, localstackServices, services, scenario.region, { endpoint: options.endpoint, probe: endpointProbe, image: options.localstackImage, consumer: options.consumer });
    // AWS, and LocalStack's own Lambda: a managed stack per pattern, consumed remotely.
    if (targetKind === 'aws' || options.consumer === 'localstack') {
      const clients = createAwsClients({ region: scenario.region, ...(targetKind === 'aws' ? {} : { endpoint: target.clientSettings.endpoint, credentials: { accessKeyId: 'sluice', secretAccessKey: 'sluice' } }) });
      managed = { clients, teardown: createStackTeardown(clients.cloudFormation, { s3Client: clients.s3 }) };
      if (options.consumer === 'localstack') target = { ...target, info: { ...target.info, consumer: 'localstack' } };
    }
    target.died.catch((error: Error & { code?: string; hint?: string }) => {
      failure = { code: error.code ?? 'SLUICE_TARGET_DIED', message: error.hint ? `${error.message} — ${error.hint}` : error.message };
      runAbort.abort(error);
    });
    const runOne = async (pattern: (typeof selected)[number], index: number) => {
      const patternName = patternNameOf(pattern);
      options.onPatternStart?.(patternName, index, selected.length);
      try {
        const patternOptions = { scenario, scenarioFile: options.scenarioFile, pattern, patternName, runId: `${runId}-${index}`, target: target!, clock, signal: runAbort.signal, onProgress: options.onProgress, sources: options.sources, loadWorkers: options.loadWorkers, loadWorkerProcesses };
        return managed
          ? await runPatternOnManagedStack({ ...patternOptions, clients: managed.clients, teardown: managed.teardown, onStackStatus: options.onStackStatus, ...(options.cloudLoad ? { cloudLoad: options.cloudLoad(patternName) } : {}) })
          : await runPattern(patternOptions);
      } catch (error) {
        const hint = (error as { hint?: string }).hint;
        failure ??= { code: (error as { code?: string }).code ?? 'SLUICE_RUN_FAILED', message: `pattern ${patternName}: ${(error as Error).message}${hint ? ` — ${hint}` : ''}` };
        return undefined;
      }
    };
    if (options.parallel) {
      // Each pattern has its own resources, ledger and consumer; they share the target and the machine.
      const results = await Promise.all(selected.map((pattern, index) => runOne(pattern, index)));
      patterns.push(...results.filter((r): r is PatternResult => r !== undefined));
    } else {
      for (const [index, pattern] of selected.entries()) {
        if (runAbort.signal.aborted) break;
        const result = await runOne(pattern, index);
        if (!result) break;
        patterns.push(result);
      }
    }
  } catch (error) {
    failure ??= { code: (error as { code?: string }).code ?? 'SLUICE_RUN_FAILED', message: (error as Error).message + ((error as { hint?: string }).hint ? ` — ${(error as { hint?: string }).hint}` : '') };
  } finally {
    options.signal.removeEventListener('abort', onUserAbort);
    if (managed) {
      // Every stack this run created goes, whether the run finished, failed or was interrupted.
      await managed.teardown.deleteAll().catch((error: Error) => {
        failure ??= { code: 'SLUICE_TEARDOWN', message: `${error.message} — run \`sluice cleanup --region ${scenario.region}\`` };
      });
      managed.clients.destroy();
    }
    await loadWorkerProcesses?.close();
    if (!options.startedTarget) await target?.stop().catch(() => undefined);
  }

  return {
    schemaVersion: runResultSchemaVersion,
    sluiceVersion,
    runId,
    scenario: { name: scenario.name, file: options.scenarioFile, ...(scenario.description ? { description: scenario.description } : {}) },
    status: failure ? 'failed' : options.signal.aborted ? 'interrupted' : 'completed',
    mode: 'measured',
    ...(failure ? { failure } : {}),
    startedAtMs,
    endedAtMs: clock.nowMs(),
    target: target?.info ?? { kind: targetKind, region: scenario.region, consumer: 'sluice' },
    environment: { node: process.version, platform: `${process.platform}-${process.arch}`, cpuCount: cpus().length, hostname: hostname() },
    patterns,
  };
}

async function startTarget(kind: TargetName, localstackServices: readonly string[], services: string[], region: string, localstack: LocalstackTargetOptions): Promise<Target> {
  if (kind === 'embedded') return startEmbeddedTarget(services, region);
  if (kind === 'localstack') return startLocalstackTarget(localstackServices, services, region, localstack);
  return startAwsTarget(region);
}
