import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { TargetError, type Target } from '../target.ts';
import { removeS3ScratchOf } from '../../localstack/embedded/s3/s3-service.ts';

const sluiceBin = fileURLToPath(new URL('../../bin/sluice.js', import.meta.url));

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
  // A child killed with SIGKILL leaves its S3 scratch folder: removed here, awaited by stop().
  let scratchRemoved: Promise<void> = Promise.resolve();
  child.once('exit', () => {
    if (child.pid !== undefined) scratchRemoved = removeS3ScratchOf(child.pid);
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
      if (child.exitCode !== null || child.signalCode !== null) {
        await scratchRemoved;
        return;
      }
      stopping = true;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.stdin?.end();
      child.kill('SIGTERM');
      const forced = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(forced);
      await scratchRemoved;
    },
  };
}

