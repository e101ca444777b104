import { CloudWatchClient, GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { cloudWatchPeriodSec, fetchRunMetrics, runMetricSpecs } from '../../targets/aws/cloudwatch.ts';
import { AwsCallError } from '../../targets/aws/errors.ts';
import { sqsPatternSchema } from '../../drivers/sqs/schema.ts';
import { kinesisPatternSchema } from '../../drivers/kinesis/schema.ts';
import { eventBridgePatternSchema } from '../../drivers/eventbridge/schema.ts';
import { apiGatewayPatternSchema } from '../../drivers/apigateway/schema.ts';
import { sqsCloudWatchMetrics } from '../../drivers/sqs/cloudwatch-metrics.ts';
import { kinesisCloudWatchMetrics } from '../../drivers/kinesis/cloudwatch-metrics.ts';
import { eventBridgeCloudWatchMetrics } from '../../drivers/eventbridge/cloudwatch-metrics.ts';
import { apiGatewayCloudWatchMetrics } from '../../drivers/apigateway/cloudwatch-metrics.ts';

const cloudWatch = mockClient(CloudWatchClient);
// The unit project shares modules between files (isolate: false): put the real send back.
afterAll(() => {
  cloudWatch.restore();
});
const startMs = Date.UTC(2026, 0, 1, 12, 0, 30); // half a minute past, to check alignment

beforeEach(() => cloudWatch.reset());

const sqsPattern = sqsPatternSchema.parse({ source: 'sqs' });
const kinesisPattern = kinesisPatternSchema.parse({ source: 'kinesis' });
const eventBridgePattern = eventBridgePatternSchema.parse({ source: 'eventbridge' });

function queryFor(queries: MetricDataQuery[], metricName: string, dimension?: [string, string]): MetricDataQuery {
  const found = queries.find(
    (q) => q.MetricStat?.Metric?.MetricName === metricName && (!dimension || q.MetricStat.Metric.Dimensions?.some((d) => d.Name === dimension[0] && d.Value === dimension[1])),
  );
  if (!found) throw new Error(`no query for ${metricName}`);
  return found;
}

describe('run metrics from CloudWatch', () => {
  it('asks for the function’s and the queue’s metrics, one point per minute', async () => {
    cloudWatch.on(GetMetricDataCommand).callsFake((input: { MetricDataQueries: MetricDataQuery[] }) => {
      const throttles = queryFor(input.MetricDataQueries, 'Throttles');
      const age = queryFor(input.MetricDataQueries, 'ApproximateAgeOfOldestMessage');
      return {
        MetricDataResults: [
          { Id: throttles.Id, Timestamps: [new Date(Date.UTC(2026, 0, 1, 12, 0)), new Date(Date.UTC(2026, 0, 1, 12, 1))], Values: [0, 12] },
          { Id: age.Id, Timestamps: [new Date(Date.UTC(2026, 0, 1, 12, 1))], Values: [4] },
        ],
      };
    });
    const outputs = { FunctionName: 'sluice-r1-sqs-consumer', QueueName: 'sluice-r1-sqs', DeadLetterQueueName: 'sluice-r1-sqs-dlq' };
    const metrics = await fetchRunMetrics({
      client: new CloudWatchClient({ region: 'us-east-1' }),
      startMs,
      endMs: startMs + 90_000,
      outputs,
      sourceSpecs: sqsCloudWatchMetrics(outputs, sqsPattern),
    });

    const input = cloudWatch.commandCalls(GetMetricDataCommand)[0].args[0].input;
    expect(input.StartTime).toEqual(new Date(Date.UTC(2026, 0, 1, 12, 0)));
    expect(input.EndTime).toEqual(new Date(Date.UTC(2026, 0, 1, 12, 2)));
    expect(input.ScanBy).toBe('TimestampAscending');
    for (const query of input.MetricDataQueries!) expect(query.MetricStat?.Period).toBe(60);
    expect(queryFor(input.MetricDataQueries!, 'ConcurrentExecutions').MetricStat).toMatchObject({
      Stat: 'Maximum',
      Metric: { Namespace: 'AWS/Lambda', Dimensions: [{ Name: 'FunctionName', Value: 'sluice-r1-sqs-consumer' }] },
    });
    expect(queryFor(input.MetricDataQueries!, 'Duration').MetricStat?.Stat).toBe('Average');

    expect(metrics.periodSec).toBe(cloudWatchPeriodSec);
    expect(metrics.resolution).toBe('standard');
    expect(metrics.series['lambda.throttles']).toEqual([
      { tSec: -30, value: 0 },
      { tSec: 30, value: 12 },
    ]);
    // SQS reports age in seconds; the series is in milliseconds.
    expect(metrics.series['sqs.queue_age_ms_max']).toEqual([{ tSec: 30, value: 4000 }]);
    expect(metrics.series['lambda.iterator_age_ms_max']).toEqual([]);
    expect(metrics.series['dlq.messages_visible_max']).toEqual([]);
  });

  it('adds up rules on a custom bus, measured with EventBusName and RuleName', async () => {
    cloudWatch.on(GetMetricDataCommand).callsFake((input: { MetricDataQueries: MetricDataQuery[] }) => ({
      MetricDataResults: ['r1', 'r2'].map((rule, i) => ({
        Id: queryFor(input.MetricDataQueries, 'Invocations', ['RuleName', rule]).Id,
        Timestamps: [new Date(Date.UTC(2026, 0, 1, 12, 0))],
        Values: [10 + i],
      })),
    }));
    const metrics = await fetchRunMetrics({
      client: new CloudWatchClient({ region: 'us-east-1' }),
      startMs: Date.UTC(2026, 0, 1, 12, 0),
      endMs: Date.UTC(2026, 0, 1, 12, 1),
      outputs: {},
      sourceSpecs: eventBridgeCloudWatchMetrics({ EventBusName: 'sluice-bus', RuleNames: 'r1,r2' }, eventBridgePattern),
    });
    expect(metrics.series['eventbridge.invocations']).toEqual([{ tSec: 0, value: 21 }]);
    const query = queryFor(cloudWatch.commandCalls(GetMetricDataCommand)[0].args[0].input.MetricDataQueries!, 'MatchedEvents');
    expect(query.MetricStat?.Metric?.Dimensions).toEqual([
      { Name: 'EventBusName', Value: 'sluice-bus' },
      { Name: 'RuleName', Value: 'r1' },
    ]);
  });

  it('follows NextToken pages', async () => {
    cloudWatch
      .on(GetMetricDataCommand)
      .resolvesOnce({ MetricDataResults: [{ Id: 'm0', Timestamps: [new Date(startMs - 30_000)], Values: [1] }], NextToken: 'next' })
      .resolvesOnce({ MetricDataResults: [{ Id: 'm0', Timestamps: [new Date(startMs + 30_000)], Values: [2] }] });
    const metrics = await fetchRunMetrics({
      client: new CloudWatchClient({ region: 'us-east-1' }),
      startMs,
      endMs: startMs + 60_000,
      outputs: { StreamName: 's' },
      sourceSpecs: kinesisCloudWatchMetrics({ StreamName: 's' }, kinesisPattern),
    });
    expect(metrics.series['kinesis.incoming_records']).toEqual([
      { tSec: -30, value: 1 },
      { tSec: 30, value: 2 },
    ]);
    expect(cloudWatch.commandCalls(GetMetricDataCommand)[1].args[0].input.NextToken).toBe('next');
  });

  it('uses each API type’s own dimensions and metric names', () => {
    const http = runMetricSpecs({ outputs: {}, sourceSpecs: apiGatewayCloudWatchMetrics({ ApiId: 'abc123' }, apiGatewayPatternSchema.parse({ source: 'apigateway', type: 'http' })) });
    expect(http.find((s) => s.key === 'apigateway.errors_4xx')).toMatchObject({ metricName: '4xx', dimensions: { ApiId: 'abc123', Stage: '$default' } });
    const rest = runMetricSpecs({
      outputs: {},
      sourceSpecs: apiGatewayCloudWatchMetrics({ ApiName: 'sluice-api', StageName: 'sluice' }, apiGatewayPatternSchema.parse({ source: 'apigateway', type: 'rest' })),
    });
    expect(rest.find((s) => s.key === 'apigateway.errors_4xx')).toMatchObject({ metricName: '4XXError', dimensions: { ApiName: 'sluice-api', Stage: 'sluice' } });
    const kinesis = runMetricSpecs({ outputs: { FunctionName: 'f' }, sourceSpecs: kinesisCloudWatchMetrics({ StreamName: 's' }, kinesisPattern) }).map((s) => s.metricName);
    expect(kinesis).toEqual(expect.arrayContaining(['WriteProvisionedThroughputExceeded', 'ReadProvisionedThroughputExceeded', 'IteratorAge', 'AsyncEventAge']));
  });

  it('names the failed call', async () => {
    cloudWatch.on(GetMetricDataCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    await expect(
      fetchRunMetrics({ client: new CloudWatchClient({ region: 'us-east-1' }), startMs, endMs: startMs + 1, outputs: { FunctionName: 'f' }, sourceSpecs: sqsCloudWatchMetrics({}, sqsPattern) }),
    ).rejects.toBeInstanceOf(AwsCallError);
  });
});
