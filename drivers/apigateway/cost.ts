import { costLine, type SourceCostModel } from '../../analysis/cost.ts';
import type { ApiGatewayPattern } from './schema.ts';

/**
 * API Gateway bills each request an API receives, at the HTTP API or the REST API rate.
 * https://aws.amazon.com/api-gateway/pricing/
 *
 * @example
 * apiGatewayCost.lines({ type: 'rest' }, usage, resolvePrices(), notes)[0].item // 'API Gateway REST API requests'
 */
export const apiGatewayCost = {
  lines(settings, usage, prices) {
    const rows = prices.rows;
    const rest = settings.type === 'rest';
    const price = rest ? rows.apiGatewayRestRequestsPerMillionUsd.value : rows.apiGatewayHttpRequestsPerMillionUsd.value;
    return [costLine(`API Gateway ${rest ? 'REST' : 'HTTP'} API requests`, usage.eventsAccepted, 'request', price / 1_000_000)];
  },
  // A synchronous invoke per request.
  eventsPerInvocationMax: () => 1,
  // The gateway does not retry: a client's retry is a new request.
  maxAttemptsPerEvent: () => 1,
  copiesPerEvent: () => 1,
} as const satisfies SourceCostModel<ApiGatewayPattern>;
