import { patternNameOf, type Scenario } from '../scenario/schema.ts';
import type { FunctionSpec } from '../scenario/parts.ts';
import { machineArchitecture } from '../runtime/function-model.ts';
import { awsDefaults } from '../core/aws-defaults.ts';
import { runScenario } from './run-scenario.ts';

/** How long and how fast the calibration run drives each pattern: enough invokes for a p99 of this machine, little enough to keep the cores uncontended. */
/** Memory with exactly one vCPU (1,769 MB): what one core of this machine is taken as. */
const oneVcpuMemoryMb = awsDefaults.lambdaMemoryMbPerVcpu.value;

export const calibrationLoad = { durationS: 4, arrivalRate: 5 } as const;

/** What one pattern's calibration measured of the module handler, on one core of this machine. */
export interface HandlerCalibration {
  patternName: string;
  invokes: number;
  wallMs: { p50: number; p99: number; mean: number };
  cpuMsMean: number;
  peakMemoryMbP99?: number;
  /** The synthetic handler that stands in for the module on simulated time. */
  standIn: FunctionSpec['handler'];
}

/**
 * A prediction runs a duration distribution, not code. To predict a module handler (a
 * `sweep --predict`), sluice first runs it for real, briefly, behind each pattern on the
 * embedded target, with its measured time kept as it was (`cpuModel: measured`), and takes
 * from each pattern's invokes the wall time (p50, p99), the CPU share of it and the peak
 * memory. The stand-in is a synthetic handler with those figures, taken as measured at one
 * vCPU (1,769 MB) on this machine's architecture, so each setting's memory model scales its
 * CPU part as the embedded sweep's `cpuModel: vcpu-share` does.
 */
export async function calibrateModuleHandler(options: { scenario: Scenario; scenarioFile: string; signal: AbortSignal }): Promise<Map<string, HandlerCalibration>> {
  const { scenario } = options;
  const handler = scenario.function.handler;
  if (handler.type !== 'module') return new Map();
  const calibrationScenario: Scenario = {
    ...scenario,
    workload: { ...scenario.workload, phases: [{ name: 'calibration', duration: calibrationLoad.durationS * 1000, arrivalRate: calibrationLoad.arrivalRate }] },
    function: { ...scenario.function, memoryMb: oneVcpuMemoryMb, handler: { ...handler, cpuModel: 'measured' }, provisionedConcurrency: 0, provisionedConcurrencyAutoScaling: undefined, provisionedConcurrencySchedule: undefined },
    sweep: undefined,
    thresholds: undefined,
  };
  const result = await runScenario({ scenario: calibrationScenario, scenarioFile: options.scenarioFile, target: 'embedded', signal: options.signal });
  const calibrations = new Map<string, HandlerCalibration>();
  for (const pattern of scenario.patterns) {
    const patternName = patternNameOf(pattern);
    const measured = result.patterns.find((entry) => entry.name === patternName);
    const wall = measured?.latency.invokeDurationMs;
    if (!measured || !wall || wall.count === 0) {
      throw new Error(`pattern ${patternName}: the calibration run of the module handler invoked it no time (${result.failure?.message ?? "no invokes"}), so it cannot be predicted; run the sweep on the embedded target (without --predict)`);
    }
    const cpuMsMean = measured.latency.handlerCpuMs?.mean ?? wall.mean;
    const peak = measured.latency.handlerPeakMemoryMb?.p99;
    const cpuShare = Math.min(1, Math.max(0, cpuMsMean / Math.max(wall.mean, 1e-3)));
    // A lognormal needs p99 above p50: a handler this steady gets a sliver of spread.
    const p50Ms = Math.max(wall.p50, 0.01);
    const p99Ms = Math.max(wall.p99, p50Ms * 1.01);
    calibrations.set(patternName, {
      patternName,
      invokes: wall.count,
      wallMs: { p50: wall.p50, p99: wall.p99, mean: wall.mean },
      cpuMsMean,
      ...(peak !== undefined ? { peakMemoryMbP99: peak } : {}),
      standIn: {
        type: 'synthetic',
        duration: { kind: 'lognormal', p50Ms, p99Ms },
        cpuShare,
        durationAtMemoryMb: oneVcpuMemoryMb,
        durationAtArchitecture: machineArchitecture,
        errorRate: 0,
        ...(peak !== undefined && peak > 0 ? { peakMemoryMb: peak } : {}),
      },
    });
  }
  return calibrations;
}

/** One line per pattern for the terminal: what the calibration measured. */
export function describeCalibration(calibration: HandlerCalibration): string {
  const peak = calibration.peakMemoryMbP99 !== undefined ? `, peak memory p99 ${calibration.peakMemoryMbP99.toFixed(1)} MB` : '';
  return `${calibration.patternName}: ${calibration.invokes} invokes, wall p50 ${calibration.wallMs.p50.toFixed(1)} ms p99 ${calibration.wallMs.p99.toFixed(1)} ms, CPU ${Math.round((calibration.cpuMsMean / Math.max(calibration.wallMs.mean, 1e-3)) * 100)} % of wall${peak}`;
}
