import { buildStackTemplate, stackNameFor, stackOutputKeys } from '../localstack/aws/template.ts';
import { deployStack, deleteStack, type StackTeardown } from '../localstack/aws/stack.ts';
import { drainCompletionRecords } from '../localstack/aws/completions.ts';
import { fetchRunMetrics, type RunMetrics } from '../localstack/aws/cloudwatch.ts';
import type { AwsClients } from '../localstack/aws/clients.ts';
import type { AwsSourceName } from '../localstack/aws/pattern-settings.ts';
import type { PatternResult } from '../analysis/run-result.ts';
import { runPattern, type PatternRunOptions, type RemoteConsumer } from './run-pattern.ts';

export interface ManagedStackRunOptions extends PatternRunOptions {
  clients: Pick<AwsClients, 'cloudFormation' | 'sqs' | 'cloudWatch' | 's3'>;
  teardown: StackTeardown;
  onStackStatus?: (stackName: string, status: string) => void;
}

/**
 * One pattern on a managed CloudFormation stack (real AWS, or LocalStack with
 * `--consumer localstack`): deploy the source, the synthetic consumer Lambda and its
 * mapping; drive the load at the stack's resources; read end-to-end completions from the
 * consumer's sink queue; add the run window's CloudWatch metrics; delete the stack. The
 * stack is tracked for teardown before it is created, so Ctrl-C or a failure deletes it.
 */
export async function runPatternOnManagedStack(options: ManagedStackRunOptions): Promise<PatternResult> {
  const { scenario, pattern, clients } = options;
  const template = buildStackTemplate(scenario, pattern, options.runId);
  const stackName = stackNameFor(scenario.name, options.patternName, options.runId);
  options.teardown.track(stackName);
  const deployed = await deployStack(clients.cloudFormation, { stackName, template, signal: options.signal, onStatus: options.onStackStatus, s3Client: clients.s3 });
  const outputs = deployed.outputs;
  const sinkQueueUrl = outputs[stackOutputKeys.sinkQueueUrl];

  const remote: RemoteConsumer = {
    existing: outputs,
    async readCompletions(onRecords, signal) {
      // Short drains in a loop, so stopping waits at most one of them.
      while (!signal.aborted) {
        await drainCompletionRecords(clients.sqs, sinkQueueUrl, { timeoutMs: 2_000, waitTimeSeconds: 1, onRecords });
      }
      // What the consumer wrote while the run stopped.
      await drainCompletionRecords(clients.sqs, sinkQueueUrl, { timeoutMs: 3_000, waitTimeSeconds: 1, onRecords });
    },
  };

  // On failure the stack is not deleted here: the run's teardown deletes every tracked stack.
  const result = await runPattern({ ...options, remote });
  result.warnings.push(...(await addCloudWatchMetrics(result, options, outputs)));
  await deleteStack(clients.cloudFormation, stackName, { s3Client: clients.s3, onStatus: options.onStackStatus });
  return result;
}

/**
 * CloudWatch's view of the run window, merged into the result: Lambda's concurrency,
 * throttles, errors and ages, and the source's own metrics. Standard metrics have a
 * one-minute period and arrive minutes late, so they complement sluice's own per-second
 * measurements rather than replace them.
 */
async function addCloudWatchMetrics(result: PatternResult, options: ManagedStackRunOptions, outputs: Record<string, string>): Promise<string[]> {
  let metrics: RunMetrics;
  try {
    metrics = await fetchRunMetrics({
      client: options.clients.cloudWatch,
      startMs: result.startedAtMs - 60_000,
      endMs: result.endedAtMs + 60_000,
      functionName: outputs[stackOutputKeys.functionName],
      source: options.pattern.source as AwsSourceName,
      resourceNames: {
        queueName: outputs[stackOutputKeys.queueName],
        deadLetterQueueName: outputs[stackOutputKeys.deadLetterQueueName],
        streamName: outputs[stackOutputKeys.streamName],
        eventBusName: outputs[stackOutputKeys.eventBusName],
        ruleNames: outputs[stackOutputKeys.ruleNames]?.split(','),
        apiId: outputs[stackOutputKeys.apiId],
        apiName: outputs[stackOutputKeys.apiName],
        stageName: outputs[stackOutputKeys.stageName],
      },
    });
  } catch (error) {
    return [`CloudWatch metrics could not be read (${(error as Error).message}); the summary has sluice's own measurements only`];
  }
  const max = (key: string) => {
    const points = metrics.series[key] ?? [];
    return points.length > 0 ? Math.max(...points.map((p) => p.value)) : undefined;
  };
  const sum = (key: string) => (metrics.series[key] ?? []).reduce((total, point) => total + point.value, 0);
  const summary = result.summary;
  summary.peakConcurrency = Math.max(summary.peakConcurrency, max('lambda.concurrent_executions_max') ?? 0);
  summary.functionThrottles = Math.max(summary.functionThrottles, sum('lambda.throttles'));
  summary.invocations = Math.max(summary.invocations, sum('lambda.invocations'));
  summary.invocationErrors = Math.max(summary.invocationErrors, sum('lambda.errors'));
  summary.iteratorAgeMsMax = max('lambda.iterator_age_ms_max') ?? summary.iteratorAgeMsMax;
  summary.asyncEventAgeMsMax = max('lambda.async_event_age_ms_max') ?? summary.asyncEventAgeMsMax;
  summary.queueAgeMsMax = max('sqs.queue_age_ms_max') ?? summary.queueAgeMsMax;
  result.extras = { ...result.extras, cloudWatch: metrics };
  return [`CloudWatch metrics have a ${metrics.periodSec} s period and may still be arriving; re-read them later with the stack's names in extras.cloudWatch.queried`];
}
