import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { EndpointUnreachableError, LocalstackStartError } from '../../localstack/localstack-errors.ts';
import {
  connectToEndpoint,
  defaultLocalstackImage,
  dockerAvailability,
  localstackServicesFor,
  startLocalstack,
  waitForHealthyServices,
  type HealthFetch,
} from '../../localstack/localstack-container.ts';
import type { SleepClock } from '../../core/clock.ts';
import { sourceModules } from '../../drivers/registry.ts';

/** LocalStack's services of a source, as its module names them. */
const servicesOf = (source: string) => (sourceModules as Record<string, { localstackServices: readonly string[] }>)[source]?.localstackServices;

function virtualClock(): SleepClock {
  let nowMs = 0;
  return { nowMs: () => nowMs, sleep: async (ms) => void (nowMs += ms) };
}

/** A health URL that answers each poll with the next body in turn (the last one repeats). */
function scriptedHealth(bodies: Array<Record<string, string> | Error>): HealthFetch & { calls: string[] } {
  const calls: string[] = [];
  let i = 0;
  const fetchHealth = async (url: string) => {
    calls.push(url);
    const next = bodies[Math.min(i++, bodies.length - 1)];
    if (next instanceof Error) throw next;
    return { status: 200, body: JSON.stringify({ services: next, version: '4.0.0' }) };
  };
  return Object.assign(fetchHealth, { calls });
}

const servers: Array<Server | NetServer> = [];
const tempDirs: string[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((server) => {
      if ('closeAllConnections' in server) server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    }),
  );
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function healthServer(routes: Record<string, unknown>): Promise<string> {
  const server = createServer((request, response) => {
    const body = routes[request.url ?? ''];
    if (body === undefined) {
      response.writeHead(404).end('not found');
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('localstack services', () => {
  // An s3 pattern's notifications may go to a queue or to EventBridge (its `notify`), so S3 brings sqs and events.
  it('lists exactly the services the patterns need', () => {
    expect(localstackServicesFor([{ source: 'sqs' }, { source: 'eventbridge' }, { source: 'sqs' }], { servicesOf })).toEqual(['events', 'sqs']);
    expect(localstackServicesFor([{ source: 'kinesis' }], { servicesOf, consumer: 'localstack' })).toEqual(['iam', 'kinesis', 'lambda', 'logs', 'sts']);
    expect(localstackServicesFor([{ source: 's3' }, { source: 'apigateway' }], { servicesOf, cloudformation: true })).toEqual(['apigateway', 'cloudformation', 'events', 'iam', 's3', 'sqs', 'sts']);
  });

  it('refuses a source LocalStack cannot serve', () => {
    expect(() => localstackServicesFor([{ source: 'sns' }], { servicesOf })).toThrow(LocalstackStartError);
  });
});

describe('waiting for LocalStack to be ready', () => {
  it('polls the health URL until every listed service is running or available', async () => {
    const fetchHealth = scriptedHealth([new Error('ECONNREFUSED'), { sqs: 'starting' }, { sqs: 'running', lambda: 'initialized' }, { sqs: 'running', lambda: 'available' }]);
    const report = await waitForHealthyServices('http://127.0.0.1:4566/', ['sqs', 'lambda'], { fetch: fetchHealth, clock: virtualClock(), pollIntervalMs: 500 });
    expect(report).toEqual({ services: { sqs: 'running', lambda: 'available' }, version: '4.0.0' });
    expect(fetchHealth.calls).toHaveLength(4);
    expect(fetchHealth.calls[0]).toBe('http://127.0.0.1:4566/_localstack/health');
  });

  it('gives up at its bound and names the services that were not ready', async () => {
    const fetchHealth = scriptedHealth([{ sqs: 'running', kinesis: 'error' }]);
    const error = await waitForHealthyServices('http://127.0.0.1:4566', ['sqs', 'kinesis', 'events'], { fetch: fetchHealth, clock: virtualClock(), timeoutMs: 5_000 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LocalstackStartError);
    expect((error as LocalstackStartError).message).toMatch(/kinesis=error, events=missing/);
    expect((error as LocalstackStartError).code).toBe('SLUICE_LOCALSTACK_START');
    // 5 s at 500 ms per poll: bounded, about eleven polls.
    expect(fetchHealth.calls.length).toBeLessThanOrEqual(12);
  });
});

describe('connecting to a given endpoint', () => {
  it('recognises LocalStack by /_localstack/health and never stops it', async () => {
    const url = await healthServer({ '/_localstack/health': { services: { sqs: 'running', s3: 'available' }, version: '4.1.0' } });
    const target = await connectToEndpoint(url, { services: ['sqs'] });
    expect(target).toMatchObject({ endpoint: url, kind: 'localstack', startedBySluice: false, version: '4.1.0' });
    await target.stop();
    await expect(connectToEndpoint(url)).resolves.toMatchObject({ kind: 'localstack' });
  });

  it('recognises sluice’s embedded edge by /_sluice/health', async () => {
    const url = await healthServer({ '/_sluice/health': { services: { sqs: 'running', kinesis: 'running' } } });
    const target = await connectToEndpoint(`${url}/`, { services: ['kinesis'] });
    expect(target).toMatchObject({ endpoint: url, kind: 'sluice', startedBySluice: false });
  });

  it('says which service the endpoint lacks', async () => {
    const url = await healthServer({ '/_localstack/health': { services: { sqs: 'running' } } });
    const error = await connectToEndpoint(url, { services: ['kinesis'], timeoutMs: 300, pollIntervalMs: 50 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EndpointUnreachableError);
    expect((error as Error).message).toMatch(/kinesis=missing/);
  });

  it('fails fast on an endpoint that does not answer', async () => {
    const server = createNetServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise((resolve) => server.close(resolve));
    const error = await connectToEndpoint(`http://127.0.0.1:${port}`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EndpointUnreachableError);
    expect((error as EndpointUnreachableError).code).toBe('SLUICE_ENDPOINT_UNREACHABLE');
    await expect(connectToEndpoint('localhost:4566')).rejects.toBeInstanceOf(EndpointUnreachableError);
  });
});

describe('the LocalStack image', () => {
  it('is the newest 4.x with an auth token, and 4.14.0, the last release that starts without one, otherwise', () => {
    expect(defaultLocalstackImage({ LOCALSTACK_AUTH_TOKEN: 'ls-token' })).toBe('localstack/localstack:4');
    expect(defaultLocalstackImage({})).toBe('localstack/localstack:4.14.0');
    expect(defaultLocalstackImage({ LOCALSTACK_AUTH_TOKEN: '' })).toBe('localstack/localstack:4.14.0');
  });
});

describe('starting LocalStack', () => {

  it('refuses an empty service list', async () => {
    await expect(startLocalstack({ services: [] })).rejects.toBeInstanceOf(LocalstackStartError);
  });
});

describe('docker availability', () => {
  it('says no Docker engine answered when DOCKER_HOST points nowhere', async () => {
    const result = await dockerAvailability({ env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' }, timeoutMs: 200 });
    expect(result.available).toBe(false);
    expect(result.reason).toMatch(/no Docker engine answered \(DOCKER_HOST=unix:\/\/\/nonexistent\/docker.sock\)/);
  });

  it('gives up quickly on a socket that never answers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-docker-'));
    tempDirs.push(dir);
    const socketPath = join(dir, 'docker.sock');
    // Accepts and reads, but never answers.
    const silent = createNetServer((socket) => socket.resume());
    servers.push(silent);
    await new Promise<void>((resolve) => silent.listen(socketPath, resolve));
    const started = Date.now();
    const result = await dockerAvailability({ env: { DOCKER_HOST: `unix://${socketPath}` }, timeoutMs: 200 });
    expect(result.available).toBe(false);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('names the engine that answered even when testcontainers cannot use it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-docker-'));
    tempDirs.push(dir);
    const socketPath = join(dir, 'docker.sock');
    const engine = createServer((request, response) => {
      if (request.url === '/_ping') response.writeHead(200).end('OK');
      else response.writeHead(500).end();
    });
    servers.push(engine);
    await new Promise<void>((resolve) => engine.listen(socketPath, resolve));
    const result = await dockerAvailability({ env: { DOCKER_HOST: `unix://${socketPath}` }, timeoutMs: 300 });
    expect(result.dockerHost).toBe(`unix://${socketPath}`);
    if (!result.available) expect(result.reason).toMatch(/testcontainers/);
  });
});
