import { startEmbeddedServices, embeddedServiceStarters, type EmbeddedServiceName } from '../localstack/embedded/embedded-services.ts';
import { startUpstreamEdge } from '../localstack/embedded/upstream-services.ts';

export interface ServeOptions {
  port: number;
  services: string[];
  readyJson: boolean;
  /** Put sluice's quota layers in front of this endpoint (LocalStack) instead of running emulators. */
  upstream?: string;
}

/**
 * `sluice serve`: the embedded target on its own — one edge endpoint on 127.0.0.1 for the
 * listed services. `sluice run` starts it as a child; users start it to point other tools
 * (or `sluice run --target localstack --endpoint …`) at it. Runs until stopped or until
 * stdin closes (its parent went away).
 */
export async function serve(options: ServeOptions, print: (line: string) => void): Promise<number> {
  const known = Object.keys(embeddedServiceStarters);
  const unknown = options.upstream ? [] : options.services.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    print(options.readyJson ? JSON.stringify({ error: `unknown services ${unknown.join(', ')}`, code: 'SLUICE_BAD_INPUT' }) : `unknown services: ${unknown.join(', ')} (known: ${known.join(', ')})`);
    return 2;
  }
  let endpoint;
  try {
    endpoint = options.upstream
      ? await startUpstreamEdge(new URL(options.upstream), options.services, options.port)
      : await startEmbeddedServices(options.services as EmbeddedServiceName[], options.port);
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'SLUICE_TARGET_START';
    print(options.readyJson ? JSON.stringify({ error: (error as Error).message, code }) : `cannot start: ${(error as Error).message}`);
    return 3;
  }
  print(options.readyJson ? JSON.stringify({ endpoint: endpoint.url, services: options.services }) : `sluice ${options.upstream ? `quota edge in front of ${options.upstream}` : 'embedded target'}: ${endpoint.url} (${options.services.join(', ')}). Ctrl-C stops it.`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
    if (options.readyJson) {
      process.stdin.on('end', resolve);
      process.stdin.on('close', resolve);
      process.stdin.resume();
    }
  });
  await endpoint.close();
  return 0;
}
