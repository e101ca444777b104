import { startEmbeddedServices, embeddedServiceStarters, type EmbeddedServiceName } from '../localstack/embedded/embedded-services.ts';
import { startUpstreamEdge } from '../localstack/embedded/upstream-services.ts';
import { exitCodes } from './exit-codes.ts';

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
export async function serve(options: ServeOptions, io: { print(line: string): void; printError(line: string): void }): Promise<number> {
  // Errors go to stderr; with --ready-json the parent also reads them as the one JSON line on stdout.
  const fail = (exitCode: number, message: string, code: string, hint: string, lead = '') => {
    if (options.readyJson) io.print(JSON.stringify({ error: message, code, hint }));
    io.printError(`sluice serve: ${lead}${message}\n  what to do: ${hint}`);
    return exitCode;
  };
  const known = Object.keys(embeddedServiceStarters);
  // A user who starts `sluice serve` to point their own tools at it gets every service unless they name some.
  if (options.services.length === 0) options = { ...options, services: known };
  const unknown = options.upstream ? [] : options.services.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    return fail(exitCodes.badInput, `unknown services: ${unknown.join(', ')}`, 'SLUICE_BAD_INPUT', `give --services as a comma-separated list of ${known.join(', ')}`);
  }
  let endpoint;
  try {
    endpoint = options.upstream
      ? await startUpstreamEdge(new URL(options.upstream), options.services, options.port)
      : await startEmbeddedServices(options.services as EmbeddedServiceName[], options.port);
  } catch (error) {
    const { code, hint } = error as { code?: string; hint?: string };
    const portTaken = code === 'EADDRINUSE' || code === 'SLUICE_PORT_TAKEN';
    return fail(
      exitCodes.runFailed,
      (error as Error).message,
      portTaken ? 'SLUICE_PORT_TAKEN' : (code ?? 'SLUICE_TARGET_START'),
      hint ?? (portTaken ? `another process listens on port ${options.port}: stop it, or pass --port 0 to pick a free port` : 'run `npx sluice serve` alone to see the emulators’ own output'),
      'cannot start: ',
    );
  }
  io.print(options.readyJson ? JSON.stringify({ endpoint: endpoint.url, services: options.services }) : `sluice ${options.upstream ? `quota edge in front of ${options.upstream}` : 'embedded target'}: ${endpoint.url} (${options.services.join(', ')}). Ctrl-C stops it.`);
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
  return exitCodes.ok;
}
