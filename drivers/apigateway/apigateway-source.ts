import type { SourceModule } from '../source-module.ts';
import { apiGatewayPatternSchema } from './schema.ts';

/**
 * API Gateway (HTTP or REST API): each request a synchronous invoke.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway.html
 */
export const apiGatewaySource = {
  source: 'apigateway',
  patternSchema: apiGatewayPatternSchema,
  defaults: ['apiGatewayAccountRatePerSecond', 'apiGatewayAccountBurst', 'apiGatewayIntegrationTimeoutMs', 'lambdaPayloadBytesMax'],
  // sluice's gateway runs in the run's own process: no emulator needed.
  embeddedServices: [],
  loadDriver: async () => (await import('./apigateway-driver.ts')).apiGatewayDriver,
  // An API holds nothing: each request is answered.
  holdsWhatIsUnread: false,
} as const satisfies SourceModule<'apigateway', typeof apiGatewayPatternSchema>;
