import { startEmbeddedTarget } from '../embedded/embedded-target.ts';
import type { Target } from '../target.ts';

/**
 * `--target localstack`: LocalStack started through Testcontainers, or the endpoint the user
 * gives (LocalStack, or another sluice's `sluice serve`; never stopped by sluice). LocalStack
 * enforces no AWS quota, so sluice's quota edge runs in front of it (a `sluice serve
 * --upstream` child) and every SDK call of the run goes through that edge.
 */
export async function startLocalstackTarget(
  /** LocalStack's services for the run's patterns (each source module's `localstackServices`). */
  localstackServices: readonly string[],
  services: string[],
  region: string,
  options: { endpoint?: string; image?: string } = {},
): Promise<Target> {
  const { startLocalstack, connectToEndpoint } = await import('../../localstack/localstack-container.ts');
  const upstream = options.endpoint
    ? await connectToEndpoint(options.endpoint, { services: [] })
    : await startLocalstack({ services: [...localstackServices], ...(options.image ? { image: options.image } : {}) });
  let edge: Target;
  try {
    edge = await startEmbeddedTarget(services, region, { upstream: upstream.endpoint });
  } catch (error) {
    await upstream.stop();
    throw error;
  }
  return {
    info: { kind: 'localstack', endpoint: upstream.endpoint, region, consumer: 'sluice', quotaEdge: edge.info.endpoint },
    clientSettings: edge.clientSettings,
    died: edge.died,
    async stop() {
      await edge.stop();
      await upstream.stop();
    },
  };
}

