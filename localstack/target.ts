import { SluiceError } from './sluice-error.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { ClientSettings } from './client-config.ts';
import type { TargetInfo } from '../analysis/run-result.ts';

/** Where a run's resources live and how to reach them. */
export interface Target {
  readonly info: TargetInfo;
  readonly clientSettings: ClientSettings;
  /** Rejects when the target dies during the run (emulator crashed), so the run stops with a reason. */
  readonly died: Promise<never>;
  stop(): Promise<void>;
}

/** A failure of the target itself, with what the user can do about it. */
export class TargetError extends SluiceError<'SLUICE_TARGET_START' | 'SLUICE_TARGET_DIED' | 'SLUICE_TARGET_UNREACHABLE' | 'SLUICE_PORT_TAKEN'> {}

const sluiceBin = fileURLToPath(new URL('../bin/sluice.js', import.meta.url));

/**
 * Starts the embedded target in a child process (`sluice serve`): the emulators get a core
 * of their own, and a run that is killed cannot leave them behind — the child exits when
 * its stdin (held by this process) closes.
 */
export async function startEmbeddedTarget(services: string[], region: string, options: { startTimeoutMs?: number; upstream?: string } = {}): Promise<Target> {
  const upstreamArgs = options.upstream ? ['--upstream', options.upstream] : [];
  const child: ChildProcess = spawn(process.execPath, [sluiceBin, 'serve', '--port', '0', '--services', services.join(','), '--ready-json', ...upstreamArgs], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, FAUXQS_LOGGER: 'false' },
    // Its own process group: Ctrl-C in a terminal signals the whole foreground group, and the
    // emulators must outlive the run's own teardown (reading what the queues still hold).
    // It still cannot outlive the run: it exits when its stdin closes.
    detached: true,
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const lines = createInterface({ input: child.stdout! });
  let stopping = false;

  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new TargetError('SLUICE_TARGET_START', `the embedded target did not start within ${(options.startTimeoutMs ?? 30_000) / 1000} s`, 'check that `npm install` completed; run `npx sluice serve` to see its output'));
    }, options.startTimeoutMs ?? 30_000);
    lines.on('line', (line) => {
      try {
        const ready = JSON.parse(line) as { endpoint?: string; error?: string; code?: string; hint?: string };
        clearTimeout(timer);
        if (ready.endpoint) resolve(ready.endpoint);
        else reject(new TargetError(ready.code === 'SLUICE_PORT_TAKEN' ? 'SLUICE_PORT_TAKEN' : 'SLUICE_TARGET_START', `the embedded target failed to start: ${ready.error}`, ready.hint ?? 'run `npx sluice serve` to see its output'));
      } catch {
        // Not the ready line; emulators may print their own output.
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new TargetError('SLUICE_TARGET_START', `the embedded target exited while starting (${signal ?? `code ${code}`}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`, 'run `npx sluice serve` to see its output'));
    });
  });

  const lastWords = () => {
    const tail = stderr.trim().split('\n').slice(-3).join(' | ');
    return tail ? `: ${tail}` : '';
  };
  const died = new Promise<never>((_, reject) => {
    child.once('exit', (code, signal) => {
      if (!stopping) {
        reject(new TargetError('SLUICE_TARGET_DIED', `the embedded target (pid ${child.pid}) exited during the run (${signal ?? `code ${code}`})${lastWords()}`, 'the run stopped; what was measured until then is in result.json. Re-run; if it repeats, run `npx sluice serve` alone to see the emulator error'));
      }
    });
  });
  died.catch(() => undefined);

  return {
    info: { kind: 'embedded', endpoint, region, consumer: 'sluice' },
    clientSettings: { region, endpoint, useLocalCredentials: true },
    died,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      stopping = true;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.stdin?.end();
      child.kill('SIGTERM');
      const forced = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(forced);
    },
  };
}

/**
 * `--target localstack`: LocalStack started through Testcontainers, or the endpoint the user
 * gives (LocalStack, or another sluice's `sluice serve`; never stopped by sluice). LocalStack
 * enforces no AWS quota, so sluice's quota edge runs in front of it (a `sluice serve
 * --upstream` child) and every SDK call of the run goes through that edge.
 */
export async function startLocalstackTarget(
  patterns: ReadonlyArray<{ source: string }>,
  services: string[],
  region: string,
  options: { endpoint?: string; image?: string } = {},
): Promise<Target> {
  const { startLocalstack, connectToEndpoint, localstackServicesFor } = await import('./localstack-container.ts');
  const upstream = options.endpoint
    ? await connectToEndpoint(options.endpoint, { services: [] })
    : await startLocalstack({ services: localstackServicesFor(patterns as never), ...(options.image ? { image: options.image } : {}) });
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

/**
 * `--target aws`: the real account the SDK's default credential chain resolves to. Nothing
 * is started; the run creates one CloudFormation stack per pattern and deletes it.
 */
export async function startAwsTarget(region: string): Promise<Target> {
  const { describeAccount } = await import('./aws/credentials.ts');
  await describeAccount(region);
  return {
    info: { kind: 'aws', region, consumer: 'aws' },
    clientSettings: { region, useLocalCredentials: false },
    died: new Promise<never>(() => undefined),
    async stop() {},
  };
}
