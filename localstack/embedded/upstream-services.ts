import type { IncomingMessage, ServerResponse } from 'node:http';
import { startEdge, forwardToUrl, type EdgeEndpoint, type EdgeService } from './edge.ts';
import { createKinesisQuotaService } from './kinesis/kinesis-service.ts';

/**
 * Quota layers sluice can put in front of another endpoint (LocalStack, moto and the other
 * AWS-compatible endpoints enforce no AWS quota). A service without one is forwarded as it is.
 */
export const upstreamQuotaLayers = {
  kinesis: (upstream: URL): EdgeService => createKinesisQuotaService({ upstream: { url: upstream.origin } }),
} as const satisfies Record<string, (upstream: URL) => EdgeService>;

/** Signing names of each service sluice knows, for forwarding. */
const signingNamesByService: Record<string, readonly string[]> = {
  sqs: ['sqs'],
  kinesis: ['kinesis'],
  eventbridge: ['events'],
  events: ['events'],
  s3: ['s3'],
  apigateway: ['apigateway', 'execute-api'],
  lambda: ['lambda'],
  cloudformation: ['cloudformation'],
  sts: ['sts'],
  logs: ['logs'],
  iam: ['iam'],
  cloudwatch: ['monitoring'],
};

function plainForward(upstream: URL, service: string): EdgeService {
  return {
    signingNames: signingNamesByService[service] ?? [service],
    handle(request: IncomingMessage, response: ServerResponse) {
      forwardToUrl(upstream, request, response);
    },
    async close() {},
  };
}

/** Whether sluice enforces a source's quotas in front of an upstream endpoint. */
export function quotaLayerFor(service: string): boolean {
  return service in upstreamQuotaLayers;
}

/**
 * An edge on 127.0.0.1 in front of `upstream`: services with a quota layer go through it,
 * the rest are forwarded unchanged.
 */
export async function startUpstreamEdge(upstream: URL, services: string[], port = 0): Promise<EdgeEndpoint> {
  // EventBridge and S3 register the run's Lambda Invoke endpoint with the target (`lambda`
  // scope); those calls go through to the upstream like any other.
  const withControl = services.some((service) => ['eventbridge', 'events', 's3'].includes(service)) ? [...services, 'lambda'] : services;
  const edgeServices = [...new Set(withControl)].map((service) =>
    service in upstreamQuotaLayers ? upstreamQuotaLayers[service as keyof typeof upstreamQuotaLayers](upstream) : plainForward(upstream, service),
  );
  return startEdge(edgeServices, port);
}
