import { fileURLToPath } from 'node:url';
import { formatDurationMs } from '../../core/duration.ts';
import { AwsTemplateError } from '../../targets/aws/errors.ts';
import type { AwsStackPiece } from '../../targets/aws/stack-piece.ts';
import { getAtt, ref, stackOutputKeys, sub, type TemplateBuilder } from '../../targets/aws/template-builder.ts';
import { functionNameOutput } from '../bring-your-own.ts';
import type { ApiGatewayPattern } from './schema.ts';

/** API Gateway's integration timeout limits. https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html */
const httpApiIntegrationTimeoutMsMax = 30_000;
const restApiIntegrationTimeoutMsDefaultMax = 29_000;

/**
 * The stage an API is deployed to: the pattern's, else `prod` (REST) or `$default` (HTTP),
 * the same default as sluice's own gateway (drivers/apigateway/gateway-server.ts).
 *
 * @example apiGatewayStageOf({ type: 'rest' }) // 'prod'
 */
export function apiGatewayStageOf(pattern: Pick<ApiGatewayPattern, 'type' | 'stage'>): string {
  return pattern.stage ?? (pattern.type === 'rest' ? 'prod' : '$default');
}

/**
 * A route path's segments, one REST API resource each: `[]` for `/`, `['v1', 'orders']` for `/v1/orders`.
 *
 * @example pathSegmentsOf('/v1/orders') // ['v1', 'orders']
 */
export function pathSegmentsOf(path: string): string[] {
  return path === '/' ? [] : path.slice(1).split('/');
}

function addApiGatewaySource(b: TemplateBuilder, s: ApiGatewayPattern): void {
  if (s.apiUrl) {
    b.bringYourOwn.push({ field: 'apiUrl', value: s.apiUrl });
    b.output(stackOutputKeys.apiUrl, s.apiUrl, 'Your API (not created by sluice)');
    b.notes.push(`apiUrl: requests go to your URL as written, with method ${s.method}; the pattern’s path, stage, throttle and integrationTimeout describe an API sluice creates and are not applied.`);
    return;
  }
  const stage = apiGatewayStageOf(s);
  const pathSegments = pathSegmentsOf(s.path);
  const problems: string[] = [];
  if (pathSegments.some((segment) => segment === '')) {
    problems.push(`path: "${s.path}" has an empty segment (// or a trailing /), which an API Gateway route or resource cannot have`);
  }
  // https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-stages.html and set-up-stages.html
  if (s.type === 'http' ? stage !== '$default' && !/^[A-Za-z0-9_-]+$/.test(stage) : !/^[A-Za-z0-9_-]+$/.test(stage)) {
    problems.push(`stage: "${stage}" is not a ${s.type === 'http' ? 'HTTP API stage name ($default, or letters, digits, - and _)' : 'REST API stage name (letters, digits, - and _)'}`);
  }
  if (s.type === 'http' && s.integrationTimeout > httpApiIntegrationTimeoutMsMax) {
    // https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html (integration timeout 30 s, not adjustable)
    problems.push(`integrationTimeout: ${formatDurationMs(s.integrationTimeout)} is above the 30s an HTTP API integration allows`);
  }
  if (problems.length) throw new AwsTemplateError(problems.map((p) => `pattern "${b.patternName}" ${p}`), 'Adjust the apigateway pattern; API Gateway would refuse these settings.');
  const consumer = b.consumer;
  if (!consumer) return;

  const integrationTimeoutMs = Math.round(s.integrationTimeout);
  // The stage's throttle: the pattern's steady rate and burst. The account's quota still applies above it.
  // https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html
  const throttle = { ThrottlingRateLimit: s.throttleRatePerSecond, ThrottlingBurstLimit: s.throttleBurst };
  const apiName = b.name('', 128);
  if (b.scenario.function.timeout > s.integrationTimeout) {
    b.notes.push(`the function timeout (${formatDurationMs(b.scenario.function.timeout)}) is longer than integrationTimeout (${formatDurationMs(s.integrationTimeout)}): slower invocations answer 504 while the function runs on.`);
  }
  b.notes.push(`throttleRatePerSecond ${s.throttleRatePerSecond} and throttleBurst ${s.throttleBurst} are the stage's throttle; the account-level quota of the region still applies above them.`);

  if (s.type === 'http') {
    // https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
    b.add('HttpApi', 'AWS::ApiGatewayV2::Api', { Name: apiName, ProtocolType: 'HTTP', Description: `sluice run ${b.runId}` });
    b.add('HttpApiIntegration', 'AWS::ApiGatewayV2::Integration', {
      ApiId: ref('HttpApi'),
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: consumer.arn,
      PayloadFormatVersion: '2.0',
      TimeoutInMillis: integrationTimeoutMs,
    });
    // https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html
    b.add('HttpApiRoute', 'AWS::ApiGatewayV2::Route', {
      ApiId: ref('HttpApi'),
      RouteKey: `${s.method} ${s.path}`,
      Target: sub('integrations/${HttpApiIntegration}'),
    });
    // https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-throttling.html
    b.add('HttpApiStage', 'AWS::ApiGatewayV2::Stage', { ApiId: ref('HttpApi'), StageName: stage, AutoDeploy: true, DefaultRouteSettings: throttle }, ['HttpApiRoute']);
    b.add('ApiPermission', 'AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: consumer.functionName,
      Principal: 'apigateway.amazonaws.com',
      SourceArn: sub(`arn:\${AWS::Partition}:execute-api:\${AWS::Region}:\${AWS::AccountId}:\${HttpApi}/*/*`),
    });
    // The $default stage is served at the API's root; any other stage under its name.
    const stagePath = stage === '$default' ? '' : `/${stage}`;
    b.output(stackOutputKeys.apiUrl, sub(`\${HttpApi.ApiEndpoint}${stagePath}${s.path}`), `URL the load generator sends ${s.method} requests to`);
    b.output(stackOutputKeys.apiId, ref('HttpApi'), 'HTTP API id');
    b.output(stackOutputKeys.stageName, stage, 'Stage name');
    return;
  }

  // REST API with a Lambda proxy integration, one resource per path segment.
  // https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
  if (integrationTimeoutMs > restApiIntegrationTimeoutMsDefaultMax) {
    b.notes.push(`integrationTimeout ${formatDurationMs(integrationTimeoutMs)}: above 29s a regional REST API needs the account's integration timeout quota raised first.`);
  }
  b.add('RestApi', 'AWS::ApiGateway::RestApi', { Name: apiName, Description: `sluice run ${b.runId}`, EndpointConfiguration: { Types: ['REGIONAL'] } });
  let resourceId: unknown = getAtt('RestApi', 'RootResourceId');
  pathSegments.forEach((segment, index) => {
    const logicalId = `RestApiResource${index + 1}`;
    b.add(logicalId, 'AWS::ApiGateway::Resource', { RestApiId: ref('RestApi'), ParentId: resourceId, PathPart: segment });
    resourceId = ref(logicalId);
  });
  b.add('RestApiMethod', 'AWS::ApiGateway::Method', {
    RestApiId: ref('RestApi'),
    ResourceId: resourceId,
    HttpMethod: s.method,
    AuthorizationType: 'NONE',
    Integration: {
      Type: 'AWS_PROXY',
      // Lambda's Invoke API is a POST whatever the client's method.
      IntegrationHttpMethod: 'POST',
      Uri: sub('arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${TargetArn}/invocations', { TargetArn: consumer.arn }),
      TimeoutInMillis: integrationTimeoutMs,
    },
  });
  b.add('RestApiDeployment', 'AWS::ApiGateway::Deployment', { RestApiId: ref('RestApi'), Description: `run ${b.runId}` }, ['RestApiMethod']);
  // https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html
  b.add('RestApiStage', 'AWS::ApiGateway::Stage', {
    RestApiId: ref('RestApi'),
    DeploymentId: ref('RestApiDeployment'),
    StageName: stage,
    MethodSettings: [{ ResourcePath: '/*', HttpMethod: '*', ...throttle }],
  });
  b.add('ApiPermission', 'AWS::Lambda::Permission', {
    Action: 'lambda:InvokeFunction',
    FunctionName: consumer.functionName,
    Principal: 'apigateway.amazonaws.com',
    SourceArn: sub(`arn:\${AWS::Partition}:execute-api:\${AWS::Region}:\${AWS::AccountId}:\${RestApi}/*/${s.method}${s.path}`),
  });
  b.output(stackOutputKeys.apiUrl, sub(`https://\${RestApi}.execute-api.\${AWS::Region}.\${AWS::URLSuffix}/${stage}${s.path}`), `URL the load generator sends ${s.method} requests to`);
  b.output(stackOutputKeys.apiId, ref('RestApi'), 'REST API id');
  b.output(stackOutputKeys.apiName, apiName, 'REST API name (the CloudWatch dimension ApiName)');
  b.output(stackOutputKeys.stageName, stage, 'Stage name');
}

/**
 * The outputs of an API of yours: its URL, and for an HTTP API on API Gateway's own domain
 * its `ApiId` and `StageName` (the pattern's `stage`, else `$default`), CloudWatch's
 * dimensions. A REST API is measured by its name, which a URL does not carry, so its API
 * Gateway metrics are not read.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-call.html ({api-id}.execute-api.{region}.amazonaws.com)
 */
function ownApiOutputs(pattern: ApiGatewayPattern): Record<string, string> {
  if (!pattern.apiUrl) return {};
  const apiId = /^([a-z0-9]{10})\.execute-api\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/.exec(new URL(pattern.apiUrl).hostname)?.[1];
  return {
    [stackOutputKeys.apiUrl]: pattern.apiUrl,
    ...(apiId && pattern.type === 'http' ? { [stackOutputKeys.apiId]: apiId, [stackOutputKeys.stageName]: apiGatewayStageOf(pattern) } : {}),
  };
}

/**
 * The apigateway pattern on a managed stack: an HTTP or REST API with one Lambda proxy
 * route. An API of yours keeps its own integration, which sluice cannot change: the stack
 * then creates nothing.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-vs-rest.html
 */
export const apiGatewayAwsStack: AwsStackPiece<ApiGatewayPattern> = {
  source: 'apigateway',
  resourceNoun: 'API',
  bringYourOwnField: 'apiUrl',
  pollsForConsumer: false,
  bringYourOwnOutputs: (pattern) => ({ ...functionNameOutput(pattern), ...ownApiOutputs(pattern) }),
  consumerCanBeWired: (pattern) => pattern.apiUrl === undefined,
  addSource: addApiGatewaySource,
  consumerReader: { entryFile: fileURLToPath(new URL('./consumer-reader.ts', import.meta.url)), readerExport: 'readApiGatewayEvent', responderExport: 'apiGatewayResponse' },
  tagStyles: {
    'AWS::ApiGateway::RestApi': 'list',
    'AWS::ApiGateway::Stage': 'list',
    'AWS::ApiGatewayV2::Api': 'map',
    'AWS::ApiGatewayV2::Stage': 'map',
    'AWS::ApiGatewayV2::Integration': 'none',
    'AWS::ApiGatewayV2::Route': 'none',
    'AWS::ApiGateway::Resource': 'none',
    'AWS::ApiGateway::Method': 'none',
    'AWS::ApiGateway::Deployment': 'none',
    'AWS::Lambda::Permission': 'none',
  },
};
