import type { MetricSpec, SourceMetricSpecs } from '../../targets/aws/cloudwatch.ts';
import { stackOutputKeys } from '../../targets/aws/template.ts';
import type { ApiGatewayPattern } from './schema.ts';

/**
 * The API's requests, 4xx and 5xx answers and latencies.
 * HTTP APIs: dimensions ApiId and Stage, metrics 4xx/5xx.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-metrics.html
 * REST APIs: dimensions ApiName and Stage, metrics 4XXError/5XXError.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-metrics-and-dimensions.html
 * An API known only by its URL has no name to ask about: a REST API's metrics are then not read.
 *
 * @example apiGatewayCloudWatchMetrics({ ApiId: 'abc123' }, { type: 'http', … })[1] // { key: 'apigateway.errors_4xx', metricName: '4xx', dimensions: { ApiId: 'abc123', Stage: '$default' }, … }
 */
export const apiGatewayCloudWatchMetrics: SourceMetricSpecs<ApiGatewayPattern> = (outputs, pattern) => {
  const http = pattern.type !== 'rest';
  const identity = http ? outputs[stackOutputKeys.apiId] : outputs[stackOutputKeys.apiName];
  if (!identity) return [];
  // The same default stage as the template's (targets/aws/template.ts) when no output names it.
  const stage = outputs[stackOutputKeys.stageName] ?? pattern.stage ?? (http ? '$default' : 'prod');
  const dimensions: Record<string, string> = http ? { ApiId: identity, Stage: stage } : { ApiName: identity, Stage: stage };
  const m = (key: string, metricName: string, stat: string): MetricSpec => ({ key, namespace: 'AWS/ApiGateway', metricName, stat, dimensions });
  return [
    m('apigateway.requests', 'Count', 'Sum'),
    m('apigateway.errors_4xx', http ? '4xx' : '4XXError', 'Sum'),
    m('apigateway.errors_5xx', http ? '5xx' : '5XXError', 'Sum'),
    m('apigateway.latency_ms_p99', 'Latency', 'p99'),
    m('apigateway.integration_latency_ms_p99', 'IntegrationLatency', 'p99'),
  ];
};
