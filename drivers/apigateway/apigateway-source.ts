import type { SourceModule } from '../source-module.ts';
import { apiGatewayAwsStack } from './aws-stack.ts';
import { apiGatewayCost } from './cost.ts';
import { apiGatewayCloudWatchMetrics } from './cloudwatch-metrics.ts';
import { apiGatewayResourcesFrom, type ApiGatewayResources } from './apigateway-resources.ts';
import { apiGatewayPatternSchema } from './schema.ts';
import { apiGatewayAccountThrottleIn } from '../../core/aws-defaults.ts';

/**
 * API Gateway (HTTP or REST API): each request a synchronous invoke.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway.html
 */
export const apiGatewaySource = {
  source: 'apigateway',
  patternSchema: apiGatewayPatternSchema,
  defaults: ['apiGatewayAccountRatePerSecond', 'apiGatewayAccountBurst', 'apiGatewayLowerQuotaRegions', 'apiGatewayIntegrationTimeoutMs', 'lambdaPayloadBytesMax'],
  // sluice's gateway runs in the run's own process: no emulator needed.
  embeddedServices: [],
  localstackServices: ['apigateway'],
  loadDriver: async () => (await import('./apigateway-driver.ts')).apiGatewayDriver,
  // An API holds nothing: each request is answered.
  existingResources: apiGatewayResourcesFrom,
  holdsWhatIsUnread: false,
  aws: apiGatewayAwsStack,
  cost: apiGatewayCost,
  cloudWatchMetrics: apiGatewayCloudWatchMetrics,
  // The account throttle is 2,500 rps (burst 1,250) in the newer regions, 10,000 (5,000) elsewhere.
  regionalDefaults: (region) => {
    const throttle = apiGatewayAccountThrottleIn(region);
    return { throttleRatePerSecond: throttle.ratePerSecond, throttleBurst: throttle.burst };
  },
} as const satisfies SourceModule<'apigateway', typeof apiGatewayPatternSchema, ApiGatewayResources>;
