import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ClientSettings } from '../core/client-config.ts';
import { sluiceControl } from '../localstack/embedded/sluice-control.ts';

/**
 * A function's Lambda Invoke API reduced to what a raw ceiling needs: a plain local HTTP
 * server that answers every asynchronous invoke 202 and counts it, registered with the
 * embedded target exactly as sluice's runtime registers its own endpoint
 * (`PUT /_sluice/lambda/functions/<name>`), so the emulator delivers to it the same way.
 */
export interface RawInvokeSink {
  readonly functionArn: string;
  /** Invokes answered so far. */
  readonly invokes: number;
  close(): Promise<void>;
}

export async function startRawInvokeSink(settings: ClientSettings, functionName: string): Promise<RawInvokeSink> {
  let invokes = 0;
  const server: Server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      invokes += 1;
      response.writeHead(202, { 'content-length': '0' });
      response.end();
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await sluiceControl(settings, 'lambda', 'PUT', `/_sluice/lambda/functions/${encodeURIComponent(functionName)}`, { invokeEndpoint: `http://127.0.0.1:${port}` });
  return {
    functionArn: `arn:aws:lambda:${settings.region}:000000000000:function:${functionName}`,
    get invokes() {
      return invokes;
    },
    async close() {
      await sluiceControl(settings, 'lambda', 'DELETE', `/_sluice/lambda/functions/${encodeURIComponent(functionName)}`).catch(() => undefined);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Runs `loops` concurrent copies of `work` for a warm-up and then a measured window, and
 * returns what `count()` rose by per second in the window (the loops keep running through
 * it; they stop after, and the function waits for them).
 */
export async function measureWindow(options: { loops: number; work: (loop: number, running: () => boolean) => Promise<void>; count: () => number; warmupMs: number; windowMs: number; settleMs?: number }): Promise<WindowRate> {
  let running = true;
  const loops = Array.from({ length: options.loops }, (_, loop) => options.work(loop, () => running).catch(() => undefined));
  await new Promise((resolve) => setTimeout(resolve, options.warmupMs));
  const countAtStart = options.count();
  const startedMs = performance.now();
  const cpuAtStart = process.cpuUsage();
  const childCpuAtStartUs = childProcessesCpuUs();
  await new Promise((resolve) => setTimeout(resolve, options.windowMs));
  const cpu = process.cpuUsage(cpuAtStart);
  const childCpuUs = childProcessesCpuUs() - childCpuAtStartUs;
  const counted = options.count() - countAtStart;
  const perSecond = (counted * 1000) / (performance.now() - startedMs);
  const cpuUsPerEvent = (cpu.user + cpu.system) / Math.max(1, counted);
  const emulatorCpuUsPerEvent = childCpuUs / Math.max(1, counted);
  running = false;
  await Promise.all(loops);
  if (options.settleMs) await new Promise((resolve) => setTimeout(resolve, options.settleMs));
  return { perSecond, cpuUsPerEvent, emulatorCpuUsPerEvent };
}

/** A measured rate, and the CPU time this process spent per event meanwhile (user + system). */
export interface WindowRate {
  perSecond: number;
  cpuUsPerEvent: number;
  /** CPU time of this process's children (the embedded target's `sluice serve`) per event; NaN where /proc cannot say. */
  emulatorCpuUsPerEvent: number;
}

/** Linux's clock ticks per second for /proc/<pid>/stat times (USER_HZ, 100 on every common build). */
const clockTicksPerSecond = 100;

/**
 * CPU time (user + system) of this process's direct children, from /proc/<pid>/stat: the
 * embedded target runs as one, so its share of a measured window can be told apart from
 * the run's own. NaN where there is no /proc.
 */
export function childProcessesCpuUs(): number {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return Number.NaN;
  }
  let ticks = 0;
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the command name (which may hold spaces) in parentheses: state ppid … utime(14) stime(15).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[1]) !== process.pid) continue;
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return (ticks * 1_000_000) / clockTicksPerSecond;
}
