import { cpus, homedir, totalmem } from 'node:os';
import { join } from 'node:path';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Phase } from '../scenario/parts.ts';
import { ArrivalSchedule } from './arrival-schedule.ts';

/** What the ceilings were measured on: figures from another kind of machine do not apply here. */
export interface MachineFingerprint {
  cpuCount: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
}

/** The highest rate a full embedded run of one source held on this machine, and what the emulator alone did. */
export interface SourceCeiling {
  /** Events per second a full `sluice run` held within 1 % on count and time, with its consumer. */
  heldEventsPerSecond: number;
  /** The same emulator doing the same work through plain SDK calls, without sluice. */
  rawEventsPerSecond?: number;
  measuredAt: string;
}

export interface MachineCeilings {
  machine: MachineFingerprint;
  sources: Record<string, SourceCeiling>;
}

export function thisMachine(): MachineFingerprint {
  const processors = cpus();
  return {
    cpuCount: processors.length,
    cpuModel: processors[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.versions.node.split('.')[0] ?? '',
  };
}

/**
 * Where this machine's ceilings live: `$SLUICE_CACHE_DIR`, else `$XDG_CACHE_HOME/sluice`,
 * else `~/.cache/sluice`. Outside the project, since they describe the machine, not a scenario.
 */
export function ceilingsFile(environment: NodeJS.ProcessEnv = process.env): string {
  const directory = environment.SLUICE_CACHE_DIR ?? join(environment.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'sluice');
  return join(directory, 'ceilings.json');
}

function sameMachine(a: MachineFingerprint, b: MachineFingerprint): boolean {
  return a.cpuCount === b.cpuCount && a.cpuModel === b.cpuModel && a.node === b.node;
}

/** The ceilings measured on this machine (`npm run bench` records them), or undefined when none were. */
export function readMachineCeilings(file = ceilingsFile()): MachineCeilings | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  const ceilings = parsed as Partial<MachineCeilings>;
  if (!ceilings || typeof ceilings !== 'object' || !ceilings.machine || typeof ceilings.sources !== 'object' || ceilings.sources === null) return undefined;
  if (!sameMachine(ceilings.machine, thisMachine())) return undefined;
  const sources: Record<string, SourceCeiling> = {};
  for (const [source, ceiling] of Object.entries(ceilings.sources)) {
    if (ceiling && typeof ceiling.heldEventsPerSecond === 'number' && ceiling.heldEventsPerSecond > 0) sources[source] = ceiling;
  }
  return { machine: ceilings.machine, sources };
}

/** Records one source's ceiling for this machine (written to a temporary name, then renamed). */
export function recordMachineCeiling(source: string, ceiling: SourceCeiling, file = ceilingsFile()): void {
  const current = readMachineCeilings(file) ?? { machine: thisMachine(), sources: {} };
  current.sources[source] = ceiling;
  mkdirSync(join(file, '..'), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(current, null, 2)}\n`);
  renameSync(temporary, file);
}

/**
 * The up-front word on a pattern whose requested peak exceeds what this machine held for its
 * source, or undefined when it does not (or nothing was measured).
 */
export function beyondCeilingNotice(patternName: string, source: string, requestedPeakEventsPerSecond: number, ceiling: SourceCeiling | undefined): string | undefined {
  if (!ceiling || requestedPeakEventsPerSecond <= ceiling.heldEventsPerSecond) return undefined;
  return (
    `${patternName} asks for up to ${Math.round(requestedPeakEventsPerSecond)} events/s, above the ${Math.round(ceiling.heldEventsPerSecond)}/s this machine held for ${source} ` +
    `(measured ${ceiling.measuredAt.slice(0, 10)}): figures beyond it are the harness's limit here, not the system's`
  );
}

/** The highest events per second the phases ask for in any one second. */
export function requestedPeakEventsPerSecond(phases: Phase[], eventsPerArrival: number): number {
  return new ArrivalSchedule(phases).peakArrivalsPerSecond() * eventsPerArrival;
}
