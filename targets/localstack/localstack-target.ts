import { startEmbeddedTarget } from '../embedded/embedded-target.ts';
import type { Target } from '../target.ts';
import type { EndpointProbe } from '../../localstack/endpoint-probe.ts';

/** AWS services a managed stack on the endpoint uses beyond its source's: deploying it, its consumer, its logs and metrics. */
export const managedStackEdgeServices = ['cloudformation', 'lambda', 'iam', 'sts', 'logs', 'cloudwatch'] as const;

export interface LocalstackTargetOptions {
  /** An AWS-compatible endpoint the user runs (LocalStack, moto, MiniStack, floci, `sluice serve`); never stopped by sluice. */
  endpoint?: string;
  /** The endpoint's probe, when the run made one (run/endpoint-needs.ts); otherwise it is probed for nothing but an answer. */
  probe?: EndpointProbe;
  /** The LocalStack image to start when no endpoint is given. */
  image?: string;
  /** `localstack`: the endpoint's own Lambda consumes, so the edge forwards what a managed stack calls as well. */
  consumer?: 'sluice' | 'localstack';
}

/**
 * `--target localstack`: LocalStack started through Testcontainers, or any AWS-compatible
 * endpoint the user gives. No such endpoint enforces AWS's quotas, so sluice's quota edge
 * runs in front of it (a `sluice serve --upstream` child) and every SDK call of the run goes
 * through that edge.
 */
export async function startLocalstackTarget(
  /** LocalStack's services for the run's patterns (each source module's `localstackServices`, and a managed stack's). */
  localstackServices: readonly string[],
  services: string[],
  region: string,
  options: LocalstackTargetOptions = {},
): Promise<Target> {
  const { startLocalstack } = await import('../../localstack/localstack-container.ts');
  let upstream: { endpoint: string; kind: string; stop(): Promise<void> };
  if (options.endpoint) {
    const { probeEndpoint } = await import('../../localstack/endpoint-probe.ts');
    // Throws when nothing answers there: a wrong URL is said before any emulator starts.
    const probe = options.probe ?? (await probeEndpoint(options.endpoint, [], { region }));
    upstream = { endpoint: probe.endpoint, kind: probe.kind, stop: async () => undefined };
  } else {
    upstream = await startLocalstack({ services: [...localstackServices], ...(options.image ? { image: options.image } : {}) });
  }
  const edgeServices = options.consumer === 'localstack' ? [...new Set([...services, ...managedStackEdgeServices])] : services;
  let edge: Target;
  try {
    edge = await startEmbeddedTarget(edgeServices, region, { upstream: upstream.endpoint });
  } catch (error) {
    await upstream.stop();
    throw error;
  }
  const endpointKind = upstream.kind as NonNullable<Target['info']['endpointKind']>;
  return {
    info: { kind: 'localstack', endpoint: upstream.endpoint, endpointKind, region, consumer: 'sluice', quotaEdge: edge.info.endpoint },
    clientSettings: edge.clientSettings,
    died: edge.died,
    async stop() {
      await edge.stop();
      await upstream.stop();
    },
  };
}
