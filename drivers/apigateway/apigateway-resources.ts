import { stackOutputKeys } from '../../targets/aws/template-builder.ts';

/** An existing API the apigateway driver sends its requests to instead of serving one (a managed stack's, or the user's `apiUrl`). */
export interface ApiGatewayResources {
  /** The route's full URL, stage and path included. */
  readonly apiUrl: string;
}

/** The API a managed stack's outputs (or the user's own resources, as outputs) name; undefined without one. */
export function apiGatewayResourcesFrom(outputs: Readonly<Record<string, string>>): ApiGatewayResources | undefined {
  const apiUrl = outputs[stackOutputKeys.apiUrl];
  return apiUrl ? { apiUrl } : undefined;
}
