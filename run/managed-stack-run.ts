import { buildStackTemplate, stackNameFor, stackOutputKeys, templateCreatesResources, type StackTemplate } from '../targets/aws/template.ts';
import { deployStack, deleteStack, type StackTeardown } from '../targets/aws/stack.ts';
import { drainCompletionRecords } from '../targets/aws/completions.ts';
import { fetchRunMetrics, type RunMetrics } from '../targets/aws/cloudwatch.ts';
import type { AwsClients } from '../targets/aws/clients.ts';
import type { AwsStackPiece, StackPattern } from '../targets/aws/stack-piece.ts';
import type { PatternResult } from '../analysis/run-result.ts';
import { sourceModuleFor } from '../drivers/registry.ts';
import type { AnySourceModule } from '../drivers/source-module.ts';
import { runPattern, type PatternRunOptions } from './run-pattern.ts';
import { remoteConsumer, type ConsumerObservations, type PatternConsumer } from './pattern-consumer.ts';
import type { CloudLoad } from './cloud-load.ts';
import type { EventLedger } from './event-ledger.ts';
import type { CompletionRecord } from '../targets/aws/consumer-code.ts';
import { artilleryScriptFor } from './artillery-script.ts';
import { patternNameOf } from '../scenario/schema.ts';
import { phasesDurationMs, requestedArrivals } from '../load/phases.ts';

/** The source's resource in a stack's (or the pattern's own) resources, as the exported script names it. */
function resourceOf(source: string, existing: Record<string, unknown> | undefined): string | undefined {
  const field = { sqs: 'queueUrl', kinesis: 'streamName', eventbridge: 'busName', s3: 'bucket', apigateway: 'apiUrl' }[source];
  const value = field ? existing?.[field] : undefined;
  return typeof value === 'string' ? value : undefined;
}

export interface ManagedStackRunOptions extends Omit<PatternRunOptions, 'consumer'> {
  clients: Pick<AwsClients, 'cloudFormation' | 'sqs' | 'cloudWatch' | 's3'>;
  teardown: StackTeardown;
  onStackStatus?: (stackName: string, status: string) => void;
  /** `--load-from`: the load comes from Artillery's cloud workers (run/cloud-load.ts) against the stack's resources. */
  cloudLoad?: CloudLoad;
}

/**
 * One pattern on a managed CloudFormation stack (real AWS, or LocalStack with
 * `--consumer localstack`): deploy the source, the synthetic consumer Lambda and its
 * mapping; drive the load at the stack's resources; read end-to-end completions from the
 * consumer's sink queue; add the run window's CloudWatch metrics; delete the stack. The
 * stack is tracked for teardown before it is created, so Ctrl-C or a failure deletes it.
 *
 * Resources the pattern brings (`queueUrl`, `streamName`, `busName`, `bucket`, `apiUrl`,
 * `functionName`) take the place of the stack's: the load goes to them, CloudWatch is asked
 * about them, and the stack holds only what is missing — or is not deployed at all when
 * nothing is (template.ts). Only sluice's synthetic consumer writes completion records, so
 * with your own function or backend the run measures the send side and CloudWatch's view,
 * says so in a warning and in `accounting.completionsObserved`, and does not wait out the
 * drain timeout for records that cannot come.
 */
export async function runPatternOnManagedStack(options: ManagedStackRunOptions): Promise<PatternResult> {
  const { scenario, pattern, clients } = options;
  const module = sourceModuleFor(pattern.source, options.sources);
  const piece = module.aws as AwsStackPiece<StackPattern>;
  const template = buildStackTemplate(scenario, pattern, piece, options.runId);
  let stackName: string | undefined;
  let outputs: Record<string, string> = {};
  if (templateCreatesResources(template)) {
    stackName = stackNameFor(scenario.name, options.patternName, options.runId);
    options.teardown.track(stackName);
    const deployed = await deployStack(clients.cloudFormation, { stackName, template, signal: options.signal, onStatus: options.onStackStatus, s3Client: clients.s3 });
    outputs = deployed.outputs;
  }
  const consumer = stackConsumer({ options, template, piece, outputs, stackName, module });
  const cloudLoad = options.cloudLoad;
  const externalLoad = cloudLoad
    ? {
        workers: cloudLoad.plan.count,
        run: (context: { ledger: EventLedger; signal: AbortSignal; onStart(): void }) => {
          // The exported script aimed at the stack's own resources (the consumer's view of its outputs).
          const script = artilleryScriptFor(scenario, { patternIndex: Math.max(0, scenario.patterns.findIndex((candidate) => patternNameOf(candidate) === options.patternName)), patternName: options.patternName, resource: resourceOf(pattern.source, consumer.existing as Record<string, unknown> | undefined) });
          return cloudLoad.run({ ...context, script, requestedArrivals: requestedArrivals(scenario.workload.phases), requestedDurationMs: phasesDurationMs(scenario.workload.phases), nowMs: () => options.clock.nowMs() });
        },
      }
    : undefined;
  // On failure the stack is not deleted here: the run's teardown deletes every tracked stack.
  const result = await runPattern({ ...options, consumer, ...(externalLoad ? { externalLoad } : {}) });
  if (stackName) await deleteStack(clients.cloudFormation, stackName, { s3Client: clients.s3, onStatus: options.onStackStatus });
  return result;
}

/**
 * The stack's consumer as the run sees it: the synthetic consumer's completion records from
 * the sink queue, or — with your own function, bucket or API — no completions at all, and
 * an honest account of what was measured instead.
 */
function stackConsumer(context: {
  options: ManagedStackRunOptions;
  template: StackTemplate;
  piece: AwsStackPiece<StackPattern>;
  outputs: Record<string, string>;
  stackName: string | undefined;
  module: AnySourceModule;
}): PatternConsumer {
  const { options, template, piece, outputs, stackName } = context;
  const meta = template.Metadata.sluice;
  // The pattern's own resources over the stack's outputs: a stack echoes them, and without one they are all there is.
  const existingOutputs = { ...outputs, ...piece.bringYourOwnOutputs(options.pattern) };
  const completionsObservable = meta.consumer === 'synthetic';
  const sinkQueueUrl = outputs[stackOutputKeys.sinkQueueUrl];
  if (completionsObservable && !sinkQueueUrl) {
    throw new Error(`stack ${stackName} has no ${stackOutputKeys.sinkQueueUrl} output: the synthetic consumer's completion records cannot be read`);
  }
  const whose = meta.consumer === 'yours' ? 'your own function' : `your own ${piece.bringYourOwnField} (its integration is yours: sluice wires no consumer to it)`;
  return remoteConsumer({
    existing: context.module.existingResources(existingOutputs),
    completionsObservable,
    // Without completion records only a queue can say the load has been consumed.
    drainWaits: completionsObservable || context.module.holdsWhatIsUnread,
    ...(sinkQueueUrl
      ? {
          async readCompletions(onRecords, signal) {
            // Short drains in a loop, so stopping waits at most one of them.
            // Cloud workers' ids are sparse: mapped onto the ledger's blocks before the run reads them.
            const read = options.cloudLoad ? (records: CompletionRecord[]) => (options.cloudLoad!.onCompletionRecords(records), onRecords(records)) : onRecords;
            while (!signal.aborted) {
              await drainCompletionRecords(options.clients.sqs, sinkQueueUrl, { timeoutMs: 2_000, waitTimeSeconds: 1, onRecords: read });
            }
            // What the consumer wrote while the run stopped.
            await drainCompletionRecords(options.clients.sqs, sinkQueueUrl, { timeoutMs: 3_000, waitTimeSeconds: 1, onRecords: read });
          },
        }
      : {}),
    unobservedNotice({ unobserved, heldBySource, interrupted }) {
      const details = [
        `completed stays 0 and the ${unobserved} accepted events whose fate sluice cannot see are counted as pendingAtEnd, not lost`,
        ...(context.module.holdsWhatIsUnread && !interrupted ? [`the queue still held ${heldBySource} of them when the run ended`] : []),
        ...(options.pattern.source === 'apigateway' ? ['the API’s status codes (extras.statusCodes) and client latency (latency.clientMs) are the end-to-end view of a synchronous call'] : []),
      ];
      return `end-to-end latency and completions are not observable with ${whose}; sluice measured the send side and CloudWatch's view: ${details.join('; ')}`;
    },
    async observe(window) {
      const cloudWatch = await readCloudWatch(options, context.module, existingOutputs, window);
      return {
        ...cloudWatch,
        extras: { stackName: stackName ?? null, ...(meta.bringYourOwn.length > 0 ? { bringYourOwn: meta.bringYourOwn } : {}), ...cloudWatch.extras },
      };
    },
  });
}

/**
 * CloudWatch's view of the run window: Lambda's concurrency, throttles, errors and ages, and
 * the source's own metrics. Standard metrics have a one-minute period and arrive minutes
 * late, so they complement sluice's own per-second measurements rather than replace them:
 * the summary takes CloudWatch's figure where it is higher.
 */
async function readCloudWatch(options: ManagedStackRunOptions, module: AnySourceModule, outputs: Record<string, string>, window: { startedAtMs: number; endedAtMs: number }): Promise<ConsumerObservations> {
  let metrics: RunMetrics;
  try {
    metrics = await fetchRunMetrics({
      client: options.clients.cloudWatch,
      startMs: window.startedAtMs - 60_000,
      endMs: window.endedAtMs + 60_000,
      outputs,
      sourceSpecs: module.cloudWatchMetrics(outputs, options.pattern),
    });
  } catch (error) {
    return { warnings: [`CloudWatch metrics could not be read (${(error as Error).message}); the summary has sluice's own measurements only`] };
  }
  const max = (key: string) => {
    const points = metrics.series[key] ?? [];
    return points.length > 0 ? Math.max(...points.map((p) => p.value)) : undefined;
  };
  const sum = (key: string) => (metrics.series[key] ?? []).reduce((total, point) => total + point.value, 0);
  return {
    summaryAtLeast: {
      peakConcurrency: max('lambda.concurrent_executions_max') ?? 0,
      functionThrottles: sum('lambda.throttles'),
      invocations: sum('lambda.invocations'),
      invocationErrors: sum('lambda.errors'),
    },
    summaryFrom: {
      iteratorAgeMsMax: max('lambda.iterator_age_ms_max'),
      asyncEventAgeMsMax: max('lambda.async_event_age_ms_max'),
      queueAgeMsMax: max('sqs.queue_age_ms_max'),
    },
    extras: { cloudWatch: metrics },
    warnings: [`CloudWatch metrics have a ${metrics.periodSec} s period and may still be arriving; re-read them later with the stack's names in extras.cloudWatch.queried`],
  };
}
