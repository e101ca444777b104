import { existsSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { EndpointUnreachableError, LocalstackStartError } from './localstack-errors.ts';
import { realClock, type SleepClock } from '../core/clock.ts';

/**
 * The `localstack` target: LocalStack started through Testcontainers, or an endpoint the
 * user already runs (LocalStack, sluice's own embedded edge, or any AWS-compatible endpoint,
 * which endpoint-probe.ts probes by the services the run needs). Either way the harness
 * gets `{ endpoint, stop() }` and talks to one URL, as it does with the embedded target.
 *
 * Testcontainers is loaded only when a container is asked for, so runs on other targets
 * never pay for it. sluice pins testcontainers 11: version 12 needs Node ≥ 22.22 (its
 * undici 8 fails to load on Node 20); the load error still names the Node version.
 */

export const localstackDefaults = {
  /** With LOCALSTACK_AUTH_TOKEN: the newest 4.x release (they refuse to start without a token). */
  image: 'localstack/localstack:4',
  /** Without a token: 4.14.0, the last release that starts without LOCALSTACK_AUTH_TOKEN. https://docs.localstack.cloud/getting-started/auth-token/ */
  imageWithoutToken: 'localstack/localstack:4.14.0',
  readyTimeoutMs: 120_000,
  pollIntervalMs: 500,
  healthRequestTimeoutMs: 2_000,
  connectTimeoutMs: 10_000,
  dockerCheckTimeoutMs: 2_000,
} as const;

/**
 * The services to start for a scenario's patterns (LocalStack's `SERVICES` names; each
 * source module says which its source needs, and `servicesOf` looks them up).
 * `consumer: 'localstack'` adds what LocalStack's Lambda needs (lambda, iam, logs, sts);
 * `cloudformation: true` adds what deploying sluice's stack template needs.
 * https://docs.localstack.cloud/references/configuration/#core
 *
 * @example
 * localstackServicesFor([{ source: 'sqs' }, { source: 'eventbridge' }], { servicesOf: (source) => sourceModules[source]?.localstackServices, consumer: 'localstack' })
 * // ['events', 'iam', 'lambda', 'logs', 'sqs', 'sts']
 */
export function localstackServicesFor(
  patterns: ReadonlyArray<{ readonly source: string }>,
  options: { servicesOf: (source: string) => readonly string[] | undefined; consumer?: 'sluice' | 'localstack'; cloudformation?: boolean },
): string[] {
  const services = new Set<string>();
  for (const pattern of patterns) {
    const names = options.servicesOf(pattern.source);
    if (!names) throw new LocalstackStartError(`LocalStack has no service for source "${pattern.source}"`, 'Use a source sluice registers (drivers/registry.ts).');
    for (const name of names) services.add(name);
  }
  if (options.consumer === 'localstack') for (const name of ['lambda', 'iam', 'logs', 'sts']) services.add(name);
  if (options.cloudformation) for (const name of ['cloudformation', 'iam', 'sts']) services.add(name);
  return [...services].sort();
}

/**
 * The image sluice starts when none is asked for: the newest 4.x release when
 * LOCALSTACK_AUTH_TOKEN is set, else 4.14.0, the last that starts without one.
 *
 * @example
 * defaultLocalstackImage({}) // 'localstack/localstack:4.14.0'
 */
export function defaultLocalstackImage(env: NodeJS.ProcessEnv = process.env): string {
  return env.LOCALSTACK_AUTH_TOKEN ? localstackDefaults.image : localstackDefaults.imageWithoutToken;
}

/** What to say when LocalStack did not start, by whether a token was given. */
function localstackStartHint(image: string, authToken: string | undefined): string {
  if (authToken) return `Check that Docker runs and can pull ${image}, and that LOCALSTACK_AUTH_TOKEN is valid (\`docker logs\` of the container shows LocalStack's own reason).`;
  return (
    `Check that Docker runs and can pull ${image}. LocalStack releases after 4.14.0 refuse to start without LOCALSTACK_AUTH_TOKEN: ` +
    `set it, or pin the last free release with --localstack-image ${localstackDefaults.imageWithoutToken}; or run moto (\`python3 -m moto.server -p 5000\`) and pass --endpoint http://127.0.0.1:5000.`
  );
}

/** A target endpoint the harness can use. */
export interface TargetEndpoint {
  /** Base URL for every AWS client (`http://127.0.0.1:49153`). */
  endpoint: string;
  kind: 'localstack' | 'sluice';
  /** True when sluice started it, and `stop()` therefore stops it. */
  startedBySluice: boolean;
  /** Status of each service as the health URL reported it when ready. */
  services: Record<string, string>;
  version?: string;
  /** Stops what sluice started; does nothing for an endpoint it did not start. Idempotent. */
  stop(): Promise<void>;
}

/** An HTTP GET the health checks use; tests pass a fake. */
export type HealthFetch = (url: string, timeoutMs: number) => Promise<{ status: number; body: string }>;

const defaultHealthFetch: HealthFetch = async (url, timeoutMs) => {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: response.status, body: await response.text() };
};

/** Where the health URL of each kind of target lives. */
export const healthPaths = {
  localstack: '/_localstack/health',
  sluice: '/_sluice/health',
} as const;

/** The answer of a health URL. */
export interface HealthReport {
  services: Record<string, string>;
  version?: string;
}

/** Statuses in which a LocalStack service answers requests (`available` ones start on first use). */
const readyStatuses = new Set(['running', 'available']);

async function readHealth(url: string, fetchHealth: HealthFetch, timeoutMs: number): Promise<HealthReport | undefined> {
  const answer = await fetchHealth(url, timeoutMs);
  if (answer.status !== 200) return undefined;
  try {
    const body = JSON.parse(answer.body) as { services?: Record<string, string>; version?: string };
    if (!body || typeof body.services !== 'object' || body.services === null) return undefined;
    return { services: body.services, ...(typeof body.version === 'string' ? { version: body.version } : {}) };
  } catch {
    return undefined;
  }
}

function notReady(services: readonly string[], report: HealthReport | undefined): string[] {
  return services.filter((name) => !readyStatuses.has(report?.services[name] ?? 'missing'));
}

/** Options of {@link waitForHealthyServices}. */
export interface HealthWaitOptions {
  timeoutMs?: number;
  pollIntervalMs?: number;
  healthPath?: string;
  fetch?: HealthFetch;
  clock?: SleepClock;
}

/**
 * Polls a health URL until every listed service is `running` or `available`, bounded by
 * `timeoutMs` — never a fixed sleep. Throws {@link LocalstackStartError} naming the
 * services still not ready and their last status.
 * https://docs.localstack.cloud/references/internal-endpoints/
 *
 * @example
 * await waitForHealthyServices('http://127.0.0.1:4566', ['sqs', 'lambda'], { timeoutMs: 60_000 });
 */
export async function waitForHealthyServices(endpoint: string, services: readonly string[], options: HealthWaitOptions = {}): Promise<HealthReport> {
  const clock = options.clock ?? realClock;
  const fetchHealth = options.fetch ?? defaultHealthFetch;
  const timeoutMs = options.timeoutMs ?? localstackDefaults.readyTimeoutMs;
  const url = `${endpoint.replace(/\/+$/, '')}${options.healthPath ?? healthPaths.localstack}`;
  const deadline = clock.nowMs() + timeoutMs;
  let last: HealthReport | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await readHealth(url, fetchHealth, localstackDefaults.healthRequestTimeoutMs);
      lastError = undefined;
      if (last && notReady(services, last).length === 0) return last;
    } catch (error) {
      lastError = error;
    }
    if (clock.nowMs() >= deadline) break;
    await clock.sleep(Math.min(options.pollIntervalMs ?? localstackDefaults.pollIntervalMs, Math.max(0, deadline - clock.nowMs())));
  }
  const pending = notReady(services, last).map((name) => `${name}=${last?.services[name] ?? 'missing'}`);
  throw new LocalstackStartError(
    `${url} did not report ${pending.join(', ') || services.join(', ')} ready within ${Math.round(timeoutMs / 1000)}s` +
      (lastError instanceof Error ? ` (last error: ${lastError.message})` : ''),
    'A service reported "missing" or "disabled" is not in SERVICES; "error" means it failed to start (see the container log). ' +
      'Raise readyTimeoutMs on a slow machine.',
    lastError,
  );
}

/** Options of {@link startLocalstack}. */
export interface StartLocalstackOptions {
  /** LocalStack service names (see {@link localstackServicesFor}). */
  services: string[];
  /** Image and tag; default {@link defaultLocalstackImage}. */
  image?: string;
  /** Extra container environment (e.g. `{ DEBUG: '1' }`). */
  environment?: Record<string, string>;
  /** LocalStack auth token, for images that need one; default LOCALSTACK_AUTH_TOKEN. */
  authToken?: string;
  /** Mount the Docker socket so LocalStack's Lambda can start function containers; default when `lambda` is listed. */
  mountDockerSocket?: boolean;
  readyTimeoutMs?: number;
  pollIntervalMs?: number;
  fetch?: HealthFetch;
}

function nodeEngineOfTestcontainers(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    return (require('testcontainers/package.json') as { engines?: { node?: string } }).engines?.node;
  } catch {
    return undefined;
  }
}

function testcontainersLoadHint(): string {
  const engine = nodeEngineOfTestcontainers();
  return (
    `testcontainers${engine ? ` requires Node ${engine}` : ''} and this is Node ${process.version}. ` +
    `Run with a newer Node, or start LocalStack yourself (\`docker run -p 4566:4566 ${localstackDefaults.imageWithoutToken}\`) and pass --endpoint http://localhost:4566.`
  );
}

/**
 * Starts LocalStack in a container with exactly the listed services, waits until its health
 * URL reports each of them ready (bounded), and returns the endpoint. `stop()` stops and
 * removes the container; Testcontainers' reaper removes it too if this process dies.
 * https://node.testcontainers.org/modules/localstack/
 *
 * @example
 * const target = await startLocalstack({ services: localstackServicesFor(scenario.patterns) });
 * try { const sqs = new SQSClient({ ...awsClientConfig({ region: 'us-east-1', endpoint: target.endpoint }) }); … }
 * finally { await target.stop(); }
 */
export async function startLocalstack(options: StartLocalstackOptions): Promise<TargetEndpoint> {
  if (options.services.length === 0) throw new LocalstackStartError('no LocalStack services were asked for', 'List at least one service, e.g. from localstackServicesFor(patterns).');
  let localstackModule: typeof import('@testcontainers/localstack');
  let testcontainersModule: typeof import('testcontainers');
  try {
    [localstackModule, testcontainersModule] = await Promise.all([import('@testcontainers/localstack'), import('testcontainers')]);
  } catch (error) {
    throw new LocalstackStartError(`testcontainers could not be loaded: ${(error as Error).message}`, testcontainersLoadHint(), error);
  }
  const authToken = options.authToken ?? process.env.LOCALSTACK_AUTH_TOKEN;
  const image = options.image ?? defaultLocalstackImage({ LOCALSTACK_AUTH_TOKEN: authToken });
  const container = new localstackModule.LocalstackContainer(image).withEnvironment({
    SERVICES: options.services.join(','),
    // Start the listed services at boot, so the first requests of a load phase do not pay for it.
    EAGER_SERVICE_LOADING: '1',
    ...(authToken ? { LOCALSTACK_AUTH_TOKEN: authToken } : {}),
    ...options.environment,
  });
  if (options.mountDockerSocket ?? options.services.includes('lambda')) {
    // LocalStack's Lambda runs each function in a container of its own, through the host's Docker.
    // https://docs.localstack.cloud/user-guide/aws/lambda/
    try {
      const runtime = await testcontainersModule.getContainerRuntimeClient();
      container.withBindMounts([{ source: runtime.info.containerRuntime.remoteSocketPath, target: '/var/run/docker.sock' }]);
    } catch (error) {
      throw new LocalstackStartError(`no container runtime for LocalStack: ${(error as Error).message}`, 'Start Docker (or set DOCKER_HOST) and try again.', error);
    }
  }
  let started: Awaited<ReturnType<typeof container.start>>;
  try {
    started = await container.start();
  } catch (error) {
    throw new LocalstackStartError(`LocalStack (${image}) did not start: ${(error as Error).message}`, localstackStartHint(image, authToken), error);
  }
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= started.stop().then(() => undefined));
  const endpoint = started.getConnectionUri();
  try {
    const health = await waitForHealthyServices(endpoint, options.services, {
      timeoutMs: options.readyTimeoutMs,
      pollIntervalMs: options.pollIntervalMs,
      fetch: options.fetch,
    });
    return { endpoint, kind: 'localstack', startedBySluice: true, services: health.services, ...(health.version ? { version: health.version } : {}), stop };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}

/** An endpoint URL without its trailing slashes; anything but http(s) is an {@link EndpointUnreachableError}. */
export function endpointBaseOf(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`unsupported protocol ${parsed.protocol}`);
    return url.replace(/\/+$/, '');
  } catch (error) {
    throw new EndpointUnreachableError(url, `not an http(s) URL (${(error as Error).message})`, error);
  }
}

/**
 * Checks that a LocalStack or a `sluice serve` answers its health URL — LocalStack's
 * `/_localstack/health`, else sluice's `/_sluice/health` — and, when `services` are listed,
 * that each is ready (polling, bounded). `stop()` does nothing: sluice never stops a target
 * it did not start.
 *
 * @example
 * const target = await connectToEndpoint('http://localhost:4566', { services: ['sqs'] });
 */
export async function connectToEndpoint(
  url: string,
  options: { services?: string[]; timeoutMs?: number; pollIntervalMs?: number; fetch?: HealthFetch; clock?: SleepClock } = {},
): Promise<TargetEndpoint> {
  const base = endpointBaseOf(url);
  const fetchHealth = options.fetch ?? defaultHealthFetch;
  let kind: TargetEndpoint['kind'] | undefined;
  const problems: string[] = [];
  for (const candidate of ['localstack', 'sluice'] as const) {
    try {
      if (await readHealth(`${base}${healthPaths[candidate]}`, fetchHealth, localstackDefaults.healthRequestTimeoutMs)) {
        kind = candidate;
        break;
      }
      problems.push(`${healthPaths[candidate]} gave no service list`);
    } catch (error) {
      problems.push(`${healthPaths[candidate]}: ${(error as Error).message}`);
    }
  }
  if (!kind) throw new EndpointUnreachableError(base, problems.join('; '));
  let health: HealthReport;
  try {
    health = await waitForHealthyServices(base, options.services ?? [], {
      healthPath: healthPaths[kind],
      timeoutMs: options.timeoutMs ?? localstackDefaults.connectTimeoutMs,
      pollIntervalMs: options.pollIntervalMs,
      fetch: fetchHealth,
      clock: options.clock,
    });
  } catch (error) {
    throw new EndpointUnreachableError(base, (error as Error).message, error);
  }
  return { endpoint: base, kind, startedBySluice: false, services: health.services, ...(health.version ? { version: health.version } : {}), stop: async () => undefined };
}

/** Whether containers can be started here, and why not. */
export interface DockerAvailability {
  available: boolean;
  /** A sentence for a skipped test or a CLI error. */
  reason: string;
  /** The socket or host that answered, if any. */
  dockerHost?: string;
}

type DockerAddress = { socketPath: string } | { host: string; port: number };

function dockerCandidates(env: NodeJS.ProcessEnv): Array<{ label: string; address: DockerAddress }> {
  const dockerHost = env.DOCKER_HOST;
  if (dockerHost) {
    if (dockerHost.startsWith('unix://')) return [{ label: dockerHost, address: { socketPath: dockerHost.slice('unix://'.length) } }];
    const tcp = /^tcp:\/\/([^:/]+):(\d+)/.exec(dockerHost);
    if (tcp) return [{ label: dockerHost, address: { host: tcp[1], port: Number(tcp[2]) } }];
    return [];
  }
  const home = homedir();
  const paths = [
    '/var/run/docker.sock',
    join(home, '.docker', 'run', 'docker.sock'),
    join(home, '.docker', 'desktop', 'docker.sock'),
    join(home, '.colima', 'default', 'docker.sock'),
    join(home, '.rd', 'docker.sock'),
    ...(env.XDG_RUNTIME_DIR ? [join(env.XDG_RUNTIME_DIR, 'docker.sock'), join(env.XDG_RUNTIME_DIR, 'podman', 'podman.sock')] : []),
  ];
  return paths.filter((path) => existsSync(path)).map((path) => ({ label: path, address: { socketPath: path } }));
}

/** GET /_ping on the Docker API with a hard timeout. */
function pingDocker(address: DockerAddress, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const request = httpRequest({ ...address, path: '/_ping', method: 'GET', timeout: timeoutMs }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', () => resolve(false));
    request.end();
  });
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${timeoutMs}ms`)), timeoutMs);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * A fast check (bounded by `timeoutMs` per step) that LocalStack can be started here: a
 * Docker engine answers `/_ping` (DOCKER_HOST or the usual socket paths), and
 * testcontainers loads and detects it. Never throws; says why not.
 *
 * @example
 * const docker = await dockerAvailability();
 * if (!docker.available) console.warn(`skipping LocalStack tests: ${docker.reason}`); // in a test
 */
export async function dockerAvailability(options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<DockerAvailability> {
  const timeoutMs = options.timeoutMs ?? localstackDefaults.dockerCheckTimeoutMs;
  const env = options.env ?? process.env;
  const candidates = dockerCandidates(env);
  let answered: string | undefined;
  for (const candidate of candidates) {
    if (await pingDocker(candidate.address, timeoutMs)) {
      answered = candidate.label;
      break;
    }
  }
  if (!answered) {
    const looked = env.DOCKER_HOST ? `DOCKER_HOST=${env.DOCKER_HOST}` : `DOCKER_HOST is unset; sockets found: ${candidates.map((c) => c.label).join(', ') || 'none'}`;
    return { available: false, reason: `no Docker engine answered (${looked})` };
  }
  let testcontainers: typeof import('testcontainers');
  try {
    testcontainers = await import('testcontainers');
  } catch (error) {
    return { available: false, reason: `Docker answers at ${answered}, but testcontainers cannot load: ${(error as Error).message}. ${testcontainersLoadHint()}`, dockerHost: answered };
  }
  try {
    await withTimeout(testcontainers.getContainerRuntimeClient(), timeoutMs * 3, 'testcontainers runtime detection');
  } catch (error) {
    return { available: false, reason: `Docker answers at ${answered}, but testcontainers could not use it: ${(error as Error).message}`, dockerHost: answered };
  }
  return { available: true, reason: `Docker at ${answered}`, dockerHost: answered };
}

/**
 * True when {@link dockerAvailability} finds a usable Docker engine.
 *
 * @example
 * const docker = await isDockerAvailable();
 * it.skipIf(!docker)('starts LocalStack', async () => { … });
 */
export async function isDockerAvailable(options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<boolean> {
  return (await dockerAvailability(options)).available;
}
