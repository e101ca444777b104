import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { scenarioSchema, type Scenario } from '../scenario/schema.ts';
import type { SweepSpec } from '../scenario/sweep.ts';
import { sourceModules } from '../drivers/registry.ts';
import type { RunResult } from '../analysis/run-result.ts';
import { renderRunMarkdown } from '../analysis/report-markdown.ts';
import { renderSweepHtml, renderSweepMarkdown, type SweepSetting, type SweepSummary } from '../analysis/sweep.ts';
import { createUniqueFolder, writeFileAtomically } from './write-run.ts';
import { scaledDurationMs } from '../runtime/function-model.ts';

type SweepValue = number | string | boolean;

/** One setting of a sweep before it runs: the values it gives, and the scenario they make. */
export interface PlannedSetting {
  index: number;
  label: string;
  assignments: Array<{ key: string; value: SweepValue }>;
  scenario: Scenario;
  /** What the sweep set besides the varied keys, and why (a duration pinned to the memory it was given at). */
  notes: string[];
}

/** A sweep value the scenario schema refuses, at the key path of the value in the file. */
export interface SweepProblem {
  keyPath: string;
  message: string;
}

/**
 * Every combination of the sweep's values, each applied to the scenario as the file wrote it
 * and validated by the scenario's own schema (so a value AWS does not allow — memoryMb 64, a
 * batchSize above the source's limit — is refused before anything runs, at its place in the file).
 *
 * A synthetic handler's `duration` is what it takes at the file's memory size and architecture:
 * while those vary, the duration stays given for the file's (`durationAtMemoryMb`,
 * `durationAtArchitecture`), so the CPU-bound part scales. A module handler varied in memory or
 * architecture is modelled (`cpuModel: vcpu-share`) unless the file says otherwise.
 *
 * @example
 * planSweep(raw, { vary: [{ key: 'function.memoryMb', values: [128, 1024] }], strategy: 'cost', balancedWeight: 0.5 })
 * // { settings: [{ index: 1, label: 'memoryMb=128', … }, { index: 2, label: 'memoryMb=1024', … }], problems: [] }
 */
export function planSweep(raw: Record<string, unknown>, sweep: SweepSpec): { settings: PlannedSetting[]; problems: SweepProblem[] } {
  const combinations: Array<Array<{ key: string; value: SweepValue; position: [number, number] }>> = [[]];
  sweep.vary.forEach((entry, varyIndex) => {
    const next: typeof combinations = [];
    for (const combination of combinations) {
      entry.values.forEach((value, valueIndex) => next.push([...combination, { key: entry.key, value, position: [varyIndex, valueIndex] }]));
    }
    combinations.splice(0, combinations.length, ...next);
  });
  const shortNames = sweep.vary.map((entry) => entry.key.split('.').at(-1)!);
  const ambiguous = new Set(shortNames.filter((name, index) => shortNames.indexOf(name) !== index));
  const settings: PlannedSetting[] = [];
  const problems: SweepProblem[] = [];
  const reported = new Set<string>();
  combinations.forEach((combination, offset) => {
    const input = structuredClone(raw);
    const notes: string[] = [];
    for (const assignment of combination) {
      const problem = assign(input, assignment.key, assignment.value);
      const keyPath = `sweep.vary[${assignment.position[0]}].values[${assignment.position[1]}]`;
      if (problem && !reported.has(keyPath)) {
        reported.add(keyPath);
        problems.push({ keyPath, message: problem });
      }
    }
    pinMeasuredAt(raw, input, sweep, notes);
    const label = combination.map((assignment) => `${ambiguous.has(assignment.key.split('.').at(-1)!) ? assignment.key : assignment.key.split('.').at(-1)}=${assignment.value}`).join(', ');
    const parsed = scenarioSchema.safeParse(input);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const issuePath = issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('').replace(/^\./, '');
        const culprit = combination.find((assignment) => keyMatchesIssue(assignment.key, issuePath, input)) ?? combination[0]!;
        const keyPath = `sweep.vary[${culprit.position[0]}].values[${culprit.position[1]}]`;
        const message = `${culprit.key} = ${JSON.stringify(culprit.value)}: ${issuePath}: ${issue.message}`;
        if (reported.has(`${keyPath} ${message}`)) continue;
        reported.add(`${keyPath} ${message}`);
        problems.push({ keyPath, message });
      }
      return;
    }
    settings.push({ index: offset + 1, label, assignments: combination.map(({ key, value }) => ({ key, value })), scenario: parsed.data, notes });
  });
  return { settings, problems };
}

/** Sets one key by its path in a scenario as the file wrote it; returns what is wrong with the path, if anything. */
function assign(input: Record<string, unknown>, key: string, value: SweepValue): string | undefined {
  const parts = key.split('.');
  const field = parts.at(-1)!;
  if (parts[0] === 'function' || parts[0] === 'account') {
    const section = objectAt(input, parts[0]);
    const target = parts[1] === 'handler' && parts.length === 3 ? objectAt(section, 'handler') : section;
    target[field] = value;
    return undefined;
  }
  const name = parts[1]!;
  const patterns = Array.isArray(input.patterns) ? (input.patterns as Array<Record<string, unknown>>) : [];
  let matched = 0;
  for (const pattern of patterns) {
    const patternName = typeof pattern.name === 'string' ? pattern.name : pattern.source;
    if (name !== '*' && patternName !== name) continue;
    // `patterns.*.batchSize` reaches the patterns whose source has a batchSize.
    if (name === '*' && !sourceHasField(pattern.source, field)) continue;
    pattern[field] = value;
    matched += 1;
  }
  if (matched > 0) return undefined;
  const names = patterns.map((pattern) => (typeof pattern.name === 'string' ? pattern.name : String(pattern.source)));
  return name === '*' ? `no pattern has a field "${field}" (patterns: ${names.join(', ')})` : `no pattern is named "${name}" (patterns: ${names.join(', ')})`;
}

function sourceHasField(source: unknown, field: string): boolean {
  const module = (sourceModules as Record<string, { patternSchema: unknown }>)[String(source)];
  const probe = module?.patternSchema as { safeParse?: (value: unknown) => { success: boolean; error?: { issues: Array<{ code: string; keys?: string[] }> } } } | undefined;
  if (!probe?.safeParse) return false;
  const result = probe.safeParse({ source, [field]: undefined });
  return !(result.error?.issues ?? []).some((issue) => issue.code === 'unrecognized_keys' && issue.keys?.includes(field));
}

function objectAt(parent: Record<string, unknown>, key: string): Record<string, unknown> {
  const existing = parent[key];
  if (existing !== null && typeof existing === 'object' && !Array.isArray(existing)) return existing as Record<string, unknown>;
  const created: Record<string, unknown> = {};
  parent[key] = created;
  return created;
}

/** Whether a schema issue at `issuePath` is about the key a sweep set. */
function keyMatchesIssue(key: string, issuePath: string, input: Record<string, unknown>): boolean {
  const parts = key.split('.');
  if (parts[0] !== 'patterns') return issuePath.startsWith(parts.join('.')) || issuePath.startsWith(parts.slice(0, -1).join('.'));
  const patterns = Array.isArray(input.patterns) ? (input.patterns as Array<Record<string, unknown>>) : [];
  return patterns.some((pattern, index) => ((typeof pattern.name === 'string' ? pattern.name : pattern.source) === parts[1] || parts[1] === '*') && issuePath.startsWith(`patterns[${index}]`));
}

/** Keeps a handler's given duration at the memory size and architecture the file gave it for, while a sweep varies them. */
function pinMeasuredAt(raw: Record<string, unknown>, input: Record<string, unknown>, sweep: SweepSpec, notes: string[]): void {
  const varies = (key: string) => sweep.vary.some((entry) => entry.key === key);
  if (!varies('function.memoryMb') && !varies('function.architecture')) return;
  const baseFunction = (raw.function ?? {}) as Record<string, unknown>;
  const handler = objectAt(objectAt(input, 'function'), 'handler');
  const type = handler.type ?? 'synthetic';
  if (type === 'synthetic') {
    if (varies('function.memoryMb') && handler.durationAtMemoryMb === undefined) {
      handler.durationAtMemoryMb = baseFunction.memoryMb ?? 128;
      notes.push(`the handler's duration is taken as measured at ${String(handler.durationAtMemoryMb)} MB (the file's memoryMb)`);
    }
    if (varies('function.architecture') && handler.durationAtArchitecture === undefined) {
      handler.durationAtArchitecture = baseFunction.architecture ?? 'arm64';
      notes.push(`the handler's duration is taken as measured on ${String(handler.durationAtArchitecture)} (the file's architecture)`);
    }
  } else if (type === 'module' && handler.cpuModel === undefined) {
    handler.cpuModel = 'vcpu-share';
    notes.push("the module handler's measured CPU time is scaled to each setting's vCPU share (cpuModel: vcpu-share)");
  }
}

/**
 * A setting's scenario as it is deployed: AWS's synthetic consumer waits the duration it is
 * given, so the duration is the one the memory model gives at the setting's memory size and
 * architecture (the CPU part scaled, the waiting kept). The deployed sweep then measures what
 * only AWS has — cold starts, the mapping's scaling, throttles, the bill — for the same
 * modelled handler; it does not measure the CPU model itself (README, "Sweeps").
 */
export function withModelledDuration(scenario: Scenario): Scenario {
  const fn = scenario.function;
  const handler = fn.handler;
  if (handler.type !== 'synthetic') return scenario;
  const from = { memoryMb: handler.durationAtMemoryMb ?? fn.memoryMb, architecture: handler.durationAtArchitecture ?? fn.architecture };
  const scale = (durationMs: number) => scaledDurationMs({ durationMs, cpuShare: handler.cpuShare, from, to: fn });
  const duration = handler.duration.kind === 'fixed' ? { kind: 'fixed' as const, fixedMs: scale(handler.duration.fixedMs) } : { kind: 'lognormal' as const, p50Ms: scale(handler.duration.p50Ms), p99Ms: scale(handler.duration.p99Ms) };
  return { ...scenario, function: { ...fn, handler: { ...handler, duration, durationAtMemoryMb: fn.memoryMb, durationAtArchitecture: fn.architecture } } };
}

/** Runs one setting's scenario (on a target, or predicted) and returns its RunResult. */
export type SettingRunner = (setting: PlannedSetting, signal: AbortSignal) => Promise<RunResult>;

/**
 * Runs every setting one after the other, each a whole run of its scenario. A setting whose
 * run throws is kept with its failure (a failed setting is shown, never dropped); Ctrl-C
 * stops the sweep after the setting that is running.
 */
export async function runSweep(options: { settings: PlannedSetting[]; runSetting: SettingRunner; signal: AbortSignal; onSettingStart?: (setting: PlannedSetting, count: number) => void }): Promise<SweepSetting[]> {
  const done: SweepSetting[] = [];
  for (const setting of options.settings) {
    const folder = join('settings', `${String(setting.index).padStart(2, '0')}-${slug(setting.label)}`);
    if (options.signal.aborted) {
      done.push({ index: setting.index, label: setting.label, assignments: setting.assignments, folder, failure: 'not run: the sweep was interrupted' });
      continue;
    }
    options.onSettingStart?.(setting, options.settings.length);
    try {
      const result = await options.runSetting(setting, options.signal);
      done.push({ index: setting.index, label: setting.label, assignments: setting.assignments, folder, result, ...(result.status === 'failed' ? { failure: `the run failed: ${result.failure?.message ?? 'unknown reason'}` } : {}) });
    } catch (error) {
      const hint = (error as { hint?: string }).hint;
      done.push({ index: setting.index, label: setting.label, assignments: setting.assignments, folder, failure: `${(error as Error).message}${hint ? ` — ${hint}` : ''}` });
    }
  }
  return done;
}

function slug(label: string): string {
  return label.replace(/[^A-Za-z0-9.]+/g, '-').replace(/^-|-$/g, '').slice(0, 80) || 'setting';
}

function timestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/**
 * Writes the sweep's folder, `<out>/<scenario>-sweep-<time>/`: sweep.json (the summary),
 * sweep.md (the tables and choices), report.html (the same with a cost-vs-p99 chart per
 * pattern), and per setting `settings/NN-<label>/` with its result.json and report.md.
 */
export async function writeSweep(summary: SweepSummary, settings: SweepSetting[], outRoot: string, startedAtMs: number): Promise<{ folder: string; files: string[] }> {
  const folder = await createUniqueFolder(outRoot, `${summary.scenario}-sweep-${timestamp(startedAtMs)}`);
  const files: string[] = [];
  const write = async (name: string, content: string) => {
    await writeFileAtomically(join(folder, name), content);
    files.push(name);
  };
  for (const setting of settings) {
    await mkdir(join(folder, setting.folder), { recursive: true });
    if (setting.result) {
      await write(join(setting.folder, 'result.json'), JSON.stringify(setting.result, null, 2) + '\n');
      await write(join(setting.folder, 'report.md'), renderRunMarkdown(setting.result));
    }
  }
  await write('sweep.json', JSON.stringify(summary, null, 2) + '\n');
  await write('sweep.md', renderSweepMarkdown(summary));
  await write('report.html', renderSweepHtml(summary));
  return { folder, files };
}
