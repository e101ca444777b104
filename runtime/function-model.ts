import { awsDefaults } from '../core/aws-defaults.ts';
import type { FunctionSpec } from '../scenario/parts.ts';

/**
 * What memory buys: Lambda allocates CPU in proportion to memory, one vCPU at 1,769 MB and
 * six at 10,240 MB. A single-threaded handler runs on one of them, so above 1,769 MB it
 * gains nothing; a parallel one uses them all.
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html
 */
export function vcpusAt(memoryMb: number): number {
  return Math.min(awsDefaults.lambdaVcpusMax.value, memoryMb / awsDefaults.lambdaMemoryMbPerVcpu.value);
}

/** The vCPUs a handler can use at a memory size: all of them when it is parallel, at most one when not. */
export function usableVcpusAt(memoryMb: number, parallel: boolean): number {
  const vcpus = vcpusAt(memoryMb);
  return parallel ? vcpus : Math.min(1, vcpus);
}

/** What the function's physics depend on. */
export type CpuSettings = Pick<FunctionSpec, 'memoryMb' | 'architecture' | 'parallel' | 'arm64CpuTimeFactor'>;

/** The CPU-bound part's time on an architecture, relative to x86_64. */
export function cpuTimeFactorOf(architecture: FunctionSpec['architecture'], arm64CpuTimeFactor: number): number {
  return architecture === 'arm64' ? arm64CpuTimeFactor : 1;
}

/**
 * A duration measured at one memory size and architecture, moved to another: its CPU-bound
 * part scales with the usable vCPUs (and the architecture's speed), its waiting part stays.
 *
 * @example
 * // a CPU-bound 400 ms at 512 MB takes 200 ms at 1,024 MB, and no less than 1,769 MB's time above it
 * scaledDurationMs({ durationMs: 400, cpuShare: 1, from: { memoryMb: 512, architecture: 'x86_64' }, to: spec })
 */
export function scaledDurationMs(options: {
  durationMs: number;
  cpuShare: number;
  from: { memoryMb: number; architecture: FunctionSpec['architecture'] };
  to: CpuSettings;
}): number {
  const { durationMs, cpuShare, from, to } = options;
  const cpuMs = durationMs * cpuShare;
  const waitMs = durationMs - cpuMs;
  const vcpuRatio = usableVcpusAt(from.memoryMb, to.parallel) / usableVcpusAt(to.memoryMb, to.parallel);
  const architectureRatio = cpuTimeFactorOf(to.architecture, to.arm64CpuTimeFactor) / cpuTimeFactorOf(from.architecture, to.arm64CpuTimeFactor);
  return waitMs + cpuMs * vcpuRatio * architectureRatio;
}

/**
 * A module handler's invoke measured on this machine, modelled at the function's memory
 * size: its CPU time as measured on one core of this machine (taken as one full vCPU of this
 * machine's architecture) scaled to the function's usable vCPUs and architecture; the rest of
 * its wall time (waiting on I/O, timers) kept as it was.
 *
 * @example modelledModuleDurationMs({ wallMs: 30, cpuMs: 20, spec: { memoryMb: 128, architecture: 'x86_64', parallel: false, arm64CpuTimeFactor: 0.84 }, machineArchitecture: 'x86_64' }) // 10 + 20 × 13.8
 */
export function modelledModuleDurationMs(options: { wallMs: number; cpuMs: number; spec: CpuSettings; machineArchitecture: FunctionSpec['architecture'] }): number {
  const { wallMs, spec } = options;
  const cpuMs = Math.min(options.cpuMs, wallMs);
  const waitMs = wallMs - cpuMs;
  const architectureRatio = cpuTimeFactorOf(spec.architecture, spec.arm64CpuTimeFactor) / cpuTimeFactorOf(options.machineArchitecture, spec.arm64CpuTimeFactor);
  return waitMs + (cpuMs / usableVcpusAt(spec.memoryMb, spec.parallel)) * architectureRatio;
}

/** This machine's architecture in Lambda's words (anything not arm is taken as x86_64). */
export const machineArchitecture: FunctionSpec['architecture'] = process.arch === 'arm64' ? 'arm64' : 'x86_64';
