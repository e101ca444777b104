import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import { loadScenarioFile, locateKey } from '../scenario/load.ts';
import { CommandLineError, ScenarioError } from '../scenario/errors.ts';
import { patternNameOf } from '../scenario/schema.ts';
import { artilleryScriptFor, phasesWithoutArtilleryEquivalent } from '../run/artillery-script.ts';
import { exitCodes } from './exit-codes.ts';
import type { Io } from './run-command.ts';

export interface ExportArtilleryFlags {
  output?: string;
  pattern?: string;
  endpoint?: string;
  resource?: string;
}

/**
 * `sluice export-artillery <scenario>`: one pattern of the scenario as a plain Artillery
 * script run by the engine shipped in load/artillery-engine-sluice (installed with the
 * project, so `npx artillery run` — and Artillery's cloud runners, which ship the project's
 * dependencies — find it). Printed, or written to `-o`.
 */
export async function exportArtilleryCommand(file: string, flags: ExportArtilleryFlags, io: Pick<Io, 'print' | 'printError'>): Promise<number> {
  const scenario = await loadScenarioFile(file);
  const names = scenario.patterns.map(patternNameOf);
  if (flags.pattern !== undefined && !names.includes(flags.pattern)) throw new CommandLineError([{ flag: '--pattern', message: `names no pattern of ${file} (it has ${names.join(', ')})` }]);
  if (flags.pattern === undefined && names.length > 1) throw new CommandLineError([{ flag: '--pattern', message: `${file} has ${names.length} patterns (${names.join(', ')}): an Artillery script drives one, so name it` }]);
  const patternIndex = flags.pattern === undefined ? 0 : names.indexOf(flags.pattern);
  const unexportable = phasesWithoutArtilleryEquivalent(scenario.workload.phases);
  if (unexportable.length > 0) {
    throw new ScenarioError(await Promise.all(unexportable.map(async ({ index, message }) => ({ file, ...(await locateKey(file, `workload.phases[${index}]`)), keyPath: `workload.phases[${index}]`, message }))));
  }
  const script = artilleryScriptFor(scenario, { patternIndex, patternName: names[patternIndex]!, ...(flags.endpoint ? { endpoint: flags.endpoint } : {}), ...(flags.resource ? { resource: flags.resource } : {}) });
  const text = `# Written by sluice export-artillery from ${file}: run it with \`npx artillery run <this file>\`; the engine is load/artillery-engine-sluice.\n${stringify(script)}`;
  if (flags.output) {
    await writeFile(flags.output, text);
    io.print(`wrote ${flags.output}: ${script.config.phases.length} phase(s), source ${String(script.config.engines.sluice.source)}`);
  } else {
    io.print(text.trimEnd());
  }
  return exitCodes.ok;
}
