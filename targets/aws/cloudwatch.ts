import { GetMetricDataCommand, type CloudWatchClient, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { AwsCallError } from './errors.ts';
import { stackOutputKeys } from './template.ts';

/**
 * The source's and the function's own metrics from CloudWatch, for a run on real AWS.
 *
 * Resolution: every metric read here is a standard-resolution AWS service metric, published
 * once a minute (Lambda, SQS, Kinesis basic stream metrics, EventBridge, API Gateway).
 * GetMetricData answers periods of 1 s only for high-resolution custom metrics, so these
 * series have one point per 60 s; sluice's own collectors (completion records, the load
 * generator) give the per-second view, and these series check it.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Resolution_definition
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html
 */
export const cloudWatchPeriodSec = 60;

/** One point of a series: seconds since the run's start, and the value in the series' unit. */
export interface MetricPoint {
  tSec: number;
  value: number;
}

/** Options of {@link fetchRunMetrics}. */
export interface FetchRunMetricsOptions {
  client: CloudWatchClient;
  startMs: number;
  endMs: number;
  /**
   * The run's resources by CloudFormation output key (template.ts `stackOutputKeys`): the
   * stack's outputs, and the pattern's own resources. `FunctionName` selects Lambda's
   * metrics, `DeadLetterQueueName` the failure queue's.
   */
  outputs: Readonly<Record<string, string>>;
  /** The source's own queries for these outputs (drivers/<source>/cloudwatch-metrics.ts). */
  sourceSpecs: MetricSpec[];
}

/** The series of a run, keyed by dotted metric name (`lambda.throttles`, `sqs.queue_age_ms_max`, …). */
export interface RunMetrics {
  periodSec: number;
  /** Always `standard` today: see {@link cloudWatchPeriodSec}. */
  resolution: 'standard';
  startMs: number;
  endMs: number;
  series: Record<string, MetricPoint[]>;
  /** What was asked, so a report can say where each series came from. */
  queried: Array<{ key: string; namespace: string; metricName: string; stat: string; dimensions: Record<string, string> }>;
}

/** One GetMetricData query: which metric, which statistic, and the series key it feeds. */
export interface MetricSpec {
  key: string;
  namespace: string;
  metricName: string;
  stat: string;
  dimensions: Record<string, string>;
  /** Factor to the key's unit (SQS reports age in seconds; sluice's series are in ms). */
  scale?: number;
  /** How to merge several queries with the same key (one per rule): sum counts, max ages. */
  combine?: 'sum' | 'max';
}

/**
 * A source's own CloudWatch metrics for a run: the queries for its resources, found in the
 * stack's outputs (template.ts `stackOutputKeys`), as `drivers/<source>/cloudwatch-metrics.ts`
 * defines them. A resource missing from the outputs is not asked about.
 *
 * @example
 * const specs = sqsCloudWatchMetrics({ QueueName: 'sluice-r1-sqs' }, pattern);
 * specs.map((s) => s.key) // ['sqs.queue_age_ms_max', 'sqs.messages_visible_max', …]
 */
export type SourceMetricSpecs<Pattern> = (outputs: Readonly<Record<string, string>>, pattern: Pattern) => MetricSpec[];

/**
 * Lambda's function metrics. https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
 * (IteratorAge for stream mappings, AsyncEventAge for asynchronous invocations.)
 */
function lambdaSpecs(functionName: string): MetricSpec[] {
  const d = { FunctionName: functionName };
  const m = (key: string, metricName: string, stat: string): MetricSpec => ({ key, namespace: 'AWS/Lambda', metricName, stat, dimensions: d });
  return [
    m('lambda.concurrent_executions_max', 'ConcurrentExecutions', 'Maximum'),
    m('lambda.invocations', 'Invocations', 'Sum'),
    m('lambda.throttles', 'Throttles', 'Sum'),
    m('lambda.errors', 'Errors', 'Sum'),
    m('lambda.duration_ms_avg', 'Duration', 'Average'),
    m('lambda.duration_ms_p99', 'Duration', 'p99'),
    m('lambda.duration_ms_max', 'Duration', 'Maximum'),
    m('lambda.iterator_age_ms_max', 'IteratorAge', 'Maximum'),
    m('lambda.async_event_age_ms_max', 'AsyncEventAge', 'Maximum'),
    m('lambda.async_events_dropped', 'AsyncEventsDropped', 'Sum'),
  ];
}

/**
 * The failure queue a stack creates for events the source or Lambda gave up on (the SQS
 * source's DLQ, the asynchronous invokes' on-failure destination), whatever the source.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html
 */
function failureQueueSpecs(queueName: string): MetricSpec[] {
  return [{ key: 'dlq.messages_visible_max', namespace: 'AWS/SQS', metricName: 'ApproximateNumberOfMessagesVisible', stat: 'Maximum', dimensions: { QueueName: queueName } }];
}

/**
 * The metric queries for one run, without calling AWS (exported for tests and for the
 * report's "where each series came from"): the function's, the failure queue's and the
 * source's own.
 *
 * @example
 * runMetricSpecs({ outputs: { FunctionName: 'f', QueueName: 'q' }, sourceSpecs: sqsCloudWatchMetrics({ QueueName: 'q' }, pattern) }).map((s) => s.key)
 * // ['lambda.concurrent_executions_max', …, 'sqs.queue_age_ms_max', …]
 */
export function runMetricSpecs(options: Pick<FetchRunMetricsOptions, 'outputs' | 'sourceSpecs'>): MetricSpec[] {
  const functionName = options.outputs[stackOutputKeys.functionName];
  const failureQueueName = options.outputs[stackOutputKeys.deadLetterQueueName];
  return [...(functionName ? lambdaSpecs(functionName) : []), ...options.sourceSpecs, ...(failureQueueName ? failureQueueSpecs(failureQueueName) : [])];
}

/** GetMetricData takes at most 500 queries per call. */
const queriesPerCall = 500;

/**
 * Reads the run's metrics with GetMetricData (one point per 60 s, see
 * {@link cloudWatchPeriodSec}) and returns them as `{ tSec, value }` arrays keyed by metric,
 * `tSec` counted from `startMs`. Metrics with no data come back as empty arrays. CloudWatch
 * publishes a minute's point a minute or two after it ends: call this a few minutes after
 * the run, or expect the last points to be missing.
 *
 * @example
 * const metrics = await fetchRunMetrics({ client: cloudWatch, startMs, endMs, outputs, sourceSpecs: sqsCloudWatchMetrics(outputs, pattern) });
 * metrics.series['lambda.throttles'] // [{ tSec: 0, value: 0 }, { tSec: 60, value: 12 }, …]
 */
export async function fetchRunMetrics(options: FetchRunMetricsOptions): Promise<RunMetrics> {
  const specs = runMetricSpecs(options);
  const periodMs = cloudWatchPeriodSec * 1000;
  // Align to whole periods, as CloudWatch does, so the first and last minutes are whole.
  const startTime = new Date(Math.floor(options.startMs / periodMs) * periodMs);
  const endTime = new Date(Math.ceil(Math.max(options.endMs, options.startMs + 1) / periodMs) * periodMs);
  const byId = new Map(specs.map((spec, index) => [`m${index}`, spec]));
  const collected = new Map<string, Map<number, number>>(specs.map((spec) => [spec.key, new Map()]));

  const queries: MetricDataQuery[] = specs.map((spec, index) => ({
    Id: `m${index}`,
    ReturnData: true,
    MetricStat: {
      Metric: {
        Namespace: spec.namespace,
        MetricName: spec.metricName,
        Dimensions: Object.entries(spec.dimensions).map(([Name, Value]) => ({ Name, Value })),
      },
      Period: cloudWatchPeriodSec,
      Stat: spec.stat,
    },
  }));

  for (let offset = 0; offset < queries.length; offset += queriesPerCall) {
    let nextToken: string | undefined;
    // Bounded paging: one run's window never needs more than a few pages.
    for (let page = 0; page < 50; page++) {
      let answer;
      try {
        answer = await options.client.send(
          new GetMetricDataCommand({
            MetricDataQueries: queries.slice(offset, offset + queriesPerCall),
            StartTime: startTime,
            EndTime: endTime,
            ScanBy: 'TimestampAscending',
            NextToken: nextToken,
          }),
        );
      } catch (error) {
        throw new AwsCallError('cloudwatch:GetMetricData', error);
      }
      for (const result of answer.MetricDataResults ?? []) {
        const spec = result.Id ? byId.get(result.Id) : undefined;
        if (!spec) continue;
        const points = collected.get(spec.key)!;
        (result.Timestamps ?? []).forEach((timestamp, i) => {
          const value = (result.Values?.[i] ?? 0) * (spec.scale ?? 1);
          const at = timestamp.getTime();
          const previous = points.get(at);
          points.set(at, previous === undefined ? value : spec.combine === 'max' ? Math.max(previous, value) : previous + value);
        });
      }
      nextToken = answer.NextToken;
      if (!nextToken) break;
    }
  }

  const series: Record<string, MetricPoint[]> = {};
  for (const [key, points] of collected) {
    series[key] = [...points.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([at, value]) => ({ tSec: Math.round((at - options.startMs) / 1000), value }));
  }
  return {
    periodSec: cloudWatchPeriodSec,
    resolution: 'standard',
    startMs: options.startMs,
    endMs: options.endMs,
    series,
    queried: specs.map(({ key, namespace, metricName, stat, dimensions }) => ({ key, namespace, metricName, stat, dimensions })),
  };
}
