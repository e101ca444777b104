import { bringYourOwnOutputs, buildStackTemplate, stackNameFor, stackOutputKeys, templateCreatesResources, type StackTemplate } from '../targets/aws/template.ts';
import { deployStack, deleteStack, type StackTeardown } from '../targets/aws/stack.ts';
import { drainCompletionRecords } from '../targets/aws/completions.ts';
import { fetchRunMetrics, type RunMetrics } from '../targets/aws/cloudwatch.ts';
import type { AwsClients } from '../targets/aws/clients.ts';
import { bringYourOwnSourceField, type AwsSourceName } from '../targets/aws/pattern-settings.ts';
import type { PatternResult } from '../analysis/run-result.ts';
import { runPattern, type PatternRunOptions, type RemoteConsumer } from './run-pattern.ts';

export interface ManagedStackRunOptions extends PatternRunOptions {
  clients: Pick<AwsClients, 'cloudFormation' | 'sqs' | 'cloudWatch' | 's3'>;
  teardown: StackTeardown;
  onStackStatus?: (stackName: string, status: string) => void;
}

/**
 * Sources whose resource tells how much of the load it still holds, so a run without
 * completion records can still wait for the source to drain: a queue's depth
 * (ApproximateNumberOfMessages…). A stream keeps every record for its retention whether
 * read or not, a bus and a bucket hold nothing, an API answers each request: for them only
 * completion records could say an event is done.
 */
const sourceHoldsWhatIsUnread = { sqs: true, kinesis: false, eventbridge: false, s3: false, apigateway: false } as const satisfies Record<AwsSourceName, boolean>;

/**
 * Warnings runPattern (run/run-pattern.ts) words for a run whose completions it could
 * observe. Without completion records they say the wrong thing — every event "has no fate",
 * a drain that was never meant to wait "timed out" — so they give way to one that says what
 * was and was not measured. A queue's drain did wait, and its timeout warning stays.
 */
const noFateWarning = /^\d+ accepted events have no fate/;
const drainTimeoutWarning = /^events were still in flight when the drain timeout/;

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
  const template = buildStackTemplate(scenario, pattern, options.runId);
  let stackName: string | undefined;
  let outputs: Record<string, string> = {};
  if (templateCreatesResources(template)) {
    stackName = stackNameFor(scenario.name, options.patternName, options.runId);
    options.teardown.track(stackName);
    const deployed = await deployStack(clients.cloudFormation, { stackName, template, signal: options.signal, onStatus: options.onStackStatus, s3Client: clients.s3 });
    outputs = deployed.outputs;
  }
  // The pattern's own resources over the stack's outputs: a stack echoes them, and without one they are all there is.
  const existing = { ...outputs, ...bringYourOwnOutputs(pattern) };
  const completionsObservable = template.Metadata.sluice.consumer === 'synthetic';
  const sinkQueueUrl = outputs[stackOutputKeys.sinkQueueUrl];
  if (completionsObservable && !sinkQueueUrl) {
    throw new Error(`stack ${stackName} has no ${stackOutputKeys.sinkQueueUrl} output: the synthetic consumer's completion records cannot be read`);
  }

  const remote: RemoteConsumer = {
    existing,
    async readCompletions(onRecords, signal) {
      // Nothing writes completion records without sluice's synthetic consumer.
      if (!sinkQueueUrl) return;
      // Short drains in a loop, so stopping waits at most one of them.
      while (!signal.aborted) {
        await drainCompletionRecords(clients.sqs, sinkQueueUrl, { timeoutMs: 2_000, waitTimeSeconds: 1, onRecords });
      }
      // What the consumer wrote while the run stopped.
      await drainCompletionRecords(clients.sqs, sinkQueueUrl, { timeoutMs: 3_000, waitTimeSeconds: 1, onRecords });
    },
  };

  const source = pattern.source as AwsSourceName;
  // Without completion records only a queue can say the load has been consumed; for any
  // other source the drain would wait its whole timeout for records that cannot come.
  const drainAsWritten = completionsObservable || sourceHoldsWhatIsUnread[source];
  // On failure the stack is not deleted here: the run's teardown deletes every tracked stack.
  const result = await runPattern({ ...options, scenario: drainAsWritten ? scenario : { ...scenario, drainTimeout: 0 }, remote });
  if (!completionsObservable) accountWithoutCompletions(result, template, source, { drained: drainAsWritten, interrupted: options.signal.aborted });
  result.extras = {
    ...result.extras,
    stackName: stackName ?? null,
    ...(template.Metadata.sluice.bringYourOwn.length > 0 ? { bringYourOwn: template.Metadata.sluice.bringYourOwn } : {}),
  };
  result.warnings.push(...(await addCloudWatchMetrics(result, options, existing)));
  if (stackName) await deleteStack(clients.cloudFormation, stackName, { s3Client: clients.s3, onStatus: options.onStackStatus });
  return result;
}

/**
 * The accounting of a run whose consumer writes no completion records: `completed` stays 0,
 * every accepted event sluice could not follow to its end is counted in `pendingAtEnd`
 * (fate unknown) instead of `lost`, and one warning says what was measured instead.
 */
function accountWithoutCompletions(result: PatternResult, template: StackTemplate, source: AwsSourceName, options: { drained: boolean; interrupted: boolean }): void {
  const accounting = result.accounting;
  // runPattern split the unfinished events into what the source still held and the rest
  // ("lost"); an interrupted run counts them all as pending without asking the source.
  const heldBySource = accounting.pendingAtEnd;
  const unobserved = accounting.pendingAtEnd + accounting.lost;
  result.accounting = { ...accounting, pendingAtEnd: unobserved, lost: 0, completionsObserved: false };
  result.warnings = result.warnings.filter((warning) => !noFateWarning.test(warning) && (options.drained || !drainTimeoutWarning.test(warning)));
  const meta = template.Metadata.sluice;
  const ownSourceField = bringYourOwnSourceField[source];
  const whose =
    meta.consumer === 'yours'
      ? 'your own function'
      : `your own ${ownSourceField} (its integration is yours: sluice wires no consumer to it)`;
  const details = [
    `completed stays 0 and the ${unobserved} accepted events whose fate sluice cannot see are counted as pendingAtEnd, not lost`,
    ...(sourceHoldsWhatIsUnread[source] && !options.interrupted ? [`the queue still held ${heldBySource} of them when the run ended`] : []),
    ...(source === 'apigateway' ? ['the API’s status codes (extras.statusCodes) and client latency (latency.clientMs) are the end-to-end view of a synchronous call'] : []),
  ];
  result.warnings.unshift(`end-to-end latency and completions are not observable with ${whose}; sluice measured the send side and CloudWatch's view: ${details.join('; ')}`);
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
        ...(options.pattern.source === 'apigateway' ? { apiType: options.pattern.type } : {}),
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
