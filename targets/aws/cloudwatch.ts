import { GetMetricDataCommand, type CloudWatchClient, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { AwsCallError } from './errors.ts';
import type { AwsSourceName } from './pattern-settings.ts';

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

/** Names of the resources whose metrics to read; anything absent is skipped. */
export interface RunResourceNames {
  queueName?: string;
  deadLetterQueueName?: string;
  streamName?: string;
  eventBusName?: string;
  ruleNames?: string[];
  /** HTTP API id (dimension ApiId) — with apiType `http`. */
  apiId?: string;
  /** REST API name (dimension ApiName) — with apiType `rest`. */
  apiName?: string;
  apiType?: 'http' | 'rest';
  stageName?: string;
}

/** Options of {@link fetchRunMetrics}. */
export interface FetchRunMetricsOptions {
  client: CloudWatchClient;
  startMs: number;
  endMs: number;
  functionName?: string;
  source: AwsSourceName;
  resourceNames: RunResourceNames;
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

/** https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html */
function sqsSpecs(queueName: string, prefix: 'sqs' | 'dlq'): MetricSpec[] {
  const d = { QueueName: queueName };
  const m = (key: string, metricName: string, stat: string, scale?: number): MetricSpec => ({
    key: `${prefix}.${key}`,
    namespace: 'AWS/SQS',
    metricName,
    stat,
    dimensions: d,
    ...(scale ? { scale } : {}),
  });
  if (prefix === 'dlq') return [m('messages_visible_max', 'ApproximateNumberOfMessagesVisible', 'Maximum')];
  return [
    m('queue_age_ms_max', 'ApproximateAgeOfOldestMessage', 'Maximum', 1000),
    m('messages_visible_max', 'ApproximateNumberOfMessagesVisible', 'Maximum'),
    m('messages_sent', 'NumberOfMessagesSent', 'Sum'),
    m('messages_deleted', 'NumberOfMessagesDeleted', 'Sum'),
  ];
}

/** https://docs.aws.amazon.com/streams/latest/dev/monitoring-with-cloudwatch.html (stream-level metrics) */
function kinesisSpecs(streamName: string): MetricSpec[] {
  const d = { StreamName: streamName };
  const m = (key: string, metricName: string, stat: string): MetricSpec => ({ key, namespace: 'AWS/Kinesis', metricName, stat, dimensions: d });
  return [
    m('kinesis.incoming_records', 'IncomingRecords', 'Sum'),
    m('kinesis.write_throttled_records', 'WriteProvisionedThroughputExceeded', 'Sum'),
    m('kinesis.read_throttled', 'ReadProvisionedThroughputExceeded', 'Sum'),
    m('kinesis.iterator_age_ms_max', 'GetRecords.IteratorAgeMilliseconds', 'Maximum'),
  ];
}

/**
 * Rules on a custom bus are measured with both EventBusName and RuleName dimensions.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html
 */
function eventBridgeSpecs(ruleNames: string[], eventBusName: string | undefined): MetricSpec[] {
  const custom = eventBusName && eventBusName !== 'default';
  return ruleNames.flatMap((ruleName) => {
    const d: Record<string, string> = custom ? { EventBusName: eventBusName, RuleName: ruleName } : { RuleName: ruleName };
    const m = (key: string, metricName: string): MetricSpec => ({ key, namespace: 'AWS/Events', metricName, stat: 'Sum', dimensions: d, combine: 'sum' });
    return [
      m('eventbridge.matched_events', 'MatchedEvents'),
      m('eventbridge.invocations', 'Invocations'),
      m('eventbridge.failed_invocations', 'FailedInvocations'),
      m('eventbridge.throttled_rules', 'ThrottledRules'),
      m('eventbridge.sent_to_dlq', 'InvocationsSentToDlq'),
    ];
  });
}

/**
 * HTTP APIs: dimensions ApiId and Stage, metrics 4xx/5xx.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-metrics.html
 * REST APIs: dimensions ApiName and Stage, metrics 4XXError/5XXError.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-metrics-and-dimensions.html
 */
function apiGatewaySpecs(names: RunResourceNames): MetricSpec[] {
  const http = names.apiType !== 'rest';
  const stage = names.stageName ?? (http ? '$default' : 'sluice');
  const identity = http ? names.apiId : names.apiName;
  if (!identity) return [];
  const d: Record<string, string> = http ? { ApiId: identity, Stage: stage } : { ApiName: identity, Stage: stage };
  const m = (key: string, metricName: string, stat: string): MetricSpec => ({ key, namespace: 'AWS/ApiGateway', metricName, stat, dimensions: d });
  return [
    m('apigateway.requests', 'Count', 'Sum'),
    m('apigateway.errors_4xx', http ? '4xx' : '4XXError', 'Sum'),
    m('apigateway.errors_5xx', http ? '5xx' : '5XXError', 'Sum'),
    m('apigateway.latency_ms_p99', 'Latency', 'p99'),
    m('apigateway.integration_latency_ms_p99', 'IntegrationLatency', 'p99'),
  ];
}

/**
 * The metric queries for one run, without calling AWS (exported for tests and for the
 * report's "where each series came from").
 *
 * @example
 * runMetricSpecs({ functionName: 'f', source: 'sqs', resourceNames: { queueName: 'q' } }).map((s) => s.key)
 * // ['lambda.concurrent_executions_max', …, 'sqs.queue_age_ms_max', …]
 */
export function runMetricSpecs(options: Pick<FetchRunMetricsOptions, 'functionName' | 'source' | 'resourceNames'>): MetricSpec[] {
  const names = options.resourceNames;
  const specs: MetricSpec[] = options.functionName ? lambdaSpecs(options.functionName) : [];
  if (names.queueName) specs.push(...sqsSpecs(names.queueName, 'sqs'));
  if (names.deadLetterQueueName) specs.push(...sqsSpecs(names.deadLetterQueueName, 'dlq'));
  if (names.streamName) specs.push(...kinesisSpecs(names.streamName));
  if (names.ruleNames?.length) specs.push(...eventBridgeSpecs(names.ruleNames, names.eventBusName));
  if (options.source === 'apigateway' || names.apiId || names.apiName) specs.push(...apiGatewaySpecs(names));
  return specs;
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
 * const metrics = await fetchRunMetrics({ client: cloudWatch, startMs, endMs, functionName, source: 'sqs', resourceNames: { queueName } });
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
