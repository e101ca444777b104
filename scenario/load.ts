import { readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { LineCounter, parseDocument, isMap, isPair, isScalar, isSeq, visit, type Document, type Node } from 'yaml';
import type { ZodError } from 'zod';
import { scenarioSchema, scenarioSchemaFor, type Scenario } from './schema.ts';
import { sourceModules, type SourceRegistry } from '../drivers/registry.ts';
import { ScenarioError, type ScenarioProblem } from './errors.ts';
import { maxEventsPerPattern, workloadSchema, type Workload } from './parts.ts';
import { parseArrivalTrace } from '../load/arrival-trace.ts';
import { requestedArrivals } from '../load/phases.ts';

/** How a scenario file is read. */
export interface ScenarioLoadOptions {
  /**
   * Refuse phases that ask a pattern for more than {@link maxEventsPerPattern} events (default
   * true). A run keeps every event's fate in memory, so `sluice run`, `validate` and the dry
   * run keep it; a prediction counts events in aggregate and turns it off.
   */
  enforceEventCap?: boolean;
}

/**
 * Reads, parses and validates a scenario file. Throws a {@link ScenarioError} listing every
 * problem with its line and key path; nothing is started before this succeeds.
 *
 * @example
 * const scenario = await loadScenarioFile('scenarios/sqs-basic.yaml');
 */
export async function loadScenarioFile(file: string, options: ScenarioLoadOptions = {}): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ScenarioError([{ file, line: 1, column: 1, keyPath: '', message: `cannot read the file (${(error as Error).message})` }]);
  }
  return parseScenario(text, file, undefined, options);
}

/**
 * Parses and validates scenario YAML; `file` names it in error messages, and replayed traces
 * are read relative to it.
 */
export function parseScenario(text: string, file: string, sources?: SourceRegistry, options: ScenarioLoadOptions = {}): Scenario {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new ScenarioError(
      document.errors.map((error) => {
        const position = lineCounter.linePos(error.pos[0]);
        return { file, line: position.line, column: position.col, keyPath: '', message: `YAML: ${error.message.split('\n')[0]}` };
      }),
    );
  }
  let raw: unknown;
  try {
    raw = document.toJS({ maxAliasCount: maxYamlAliasExpansions });
  } catch (error) {
    // yaml refuses a document whose aliases expand beyond maxAliasCount ("billion laughs"):
    // bad input at the first alias, not a crash.
    const alias = firstAlias(document);
    const position = lineCounter.linePos(alias?.offset ?? 0);
    throw new ScenarioError([
      {
        file,
        line: position.line,
        column: position.col,
        keyPath: alias?.keyPath ?? '',
        message:
          error instanceof ReferenceError && /alias/i.test(error.message)
            ? `YAML: the aliases (*name) expand to more than ${maxYamlAliasExpansions} copies of their anchors, which sluice refuses as a resource-exhaustion guard; write the values out, or refer to each anchor fewer times`
            : `YAML: ${(error as Error).message}`,
      },
    ]);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ScenarioError([{ file, line: 1, column: 1, keyPath: '', message: 'a scenario file is a YAML mapping with name, workload, function and patterns' }]);
  }
  // A registry of one's own (a test's extra source) gets its own schema; sluice's sources share one.
  const schema = sources ? scenarioSchemaFor(sources) : scenarioSchema;
  const parsed = schema.safeParse(raw);
  // The workload's own checks (its traces, the event cap) run whenever the workload is
  // valid, whatever else is wrong: no problem hides another.
  const workload = parsed.success ? (parsed.data.workload as Workload) : workloadSchema.safeParse((raw as { workload?: unknown }).workload).data;
  const located = [...(parsed.success ? [] : locatedZodProblems(parsed.error, document, lineCounter, file)), ...(workload ? workloadProblems(workload, document, lineCounter, file, options) : [])];
  if (located.length > 0) throw new ScenarioError(located.sort((a, b) => a.offset - b.offset).map(({ problem }) => problem));
  const scenario = parsed.data as Scenario;
  applyRegionalDefaults(scenario, raw as { patterns?: unknown }, sources ?? sourceModules);
  return scenario;
}

/**
 * Sets each region-dependent default (API Gateway's lower account throttle in newer regions)
 * that a pattern leaves out; what the file says stays.
 */
function applyRegionalDefaults(scenario: Scenario, raw: { patterns?: unknown }, registry: SourceRegistry): void {
  const rawPatterns = Array.isArray(raw.patterns) ? raw.patterns : [];
  scenario.patterns.forEach((pattern, index) => {
    const defaults = registry[pattern.source]?.regionalDefaults?.(scenario.region);
    if (!defaults) return;
    const written = (rawPatterns[index] ?? {}) as Record<string, unknown>;
    for (const [field, value] of Object.entries(defaults)) {
      if (!(field in written)) (pattern as Record<string, unknown>)[field] = value;
    }
  });
}

type LocatedProblem = { offset: number; problem: ScenarioProblem };

/** The largest trace file sluice reads (10,000,000 rows of a few dozen bytes fit well below). */
const traceFileBytesMax = 512 * 1024 * 1024;

/**
 * Reads each replay phase's trace (relative to the scenario file) into the phase, then
 * checks the event cap. A trace's problems name the CSV file, its line and column, and the
 * scenario key that points at it.
 */
function workloadProblems(workload: Workload, document: Document, lineCounter: LineCounter, file: string, options: ScenarioLoadOptions): LocatedProblem[] {
  const problems: LocatedProblem[] = [];
  const at = (keyPath: Array<string | number>, message: string): LocatedProblem => {
    const offset = nearestNode(document, keyPath, false)?.range?.[0] ?? 0;
    return { offset, problem: { file, ...positionOf(lineCounter, offset), keyPath: formatKeyPath(keyPath), message } };
  };
  workload.phases.forEach((phase, index) => {
    if (!('replay' in phase)) return;
    const keyPath = ['workload', 'phases', index, 'replay', 'file'];
    const traceFile = isAbsolute(phase.replay.file) ? phase.replay.file : join(dirname(file), phase.replay.file);
    let text: string;
    try {
      const bytes = statSync(traceFile).size;
      if (bytes > traceFileBytesMax) {
        problems.push(at(keyPath, `${traceFile} is ${Math.round(bytes / 1024 / 1024)} MB, above the ${traceFileBytesMax / 1024 / 1024} MB a trace may be; aggregate it into longer buckets`));
        return;
      }
      text = readFileSync(traceFile, 'utf8');
    } catch (error) {
      problems.push(at(keyPath, `cannot read the trace ${traceFile} (${(error as Error).message}); the path is relative to the scenario file`));
      return;
    }
    const read = parseArrivalTrace(text, traceFile, phase.replay.bucket);
    const anchor = at(keyPath, '');
    read.problems.forEach((traceProblem, order) => {
      problems.push({ offset: anchor.offset + order / 1000, problem: { file: traceFile, line: traceProblem.line, column: traceProblem.column, keyPath: anchor.problem.keyPath, message: traceProblem.message } });
    });
    if (read.trace) phase.replay.trace = read.trace;
  });
  if (problems.length > 0 || options.enforceEventCap === false) return problems;
  const arrivals = requestedArrivals(workload.phases);
  const events = arrivals * workload.eventsPerArrival;
  if (events > maxEventsPerPattern) {
    const perArrival = workload.eventsPerArrival;
    problems.push(
      at(
        ['workload', 'phases'],
        `the phases ask for ${formatCount(events)} events per pattern (${formatCount(arrivals)} arrivals × ${perArrival} event${perArrival === 1 ? '' : 's'}), ` +
          `more than the ${formatCount(maxEventsPerPattern)} one pattern run sends at most; shorten the phases or lower arrivalRate, rampTo or eventsPerArrival`,
      ),
    );
  }
  return problems;
}

function formatCount(count: number): string {
  return count >= 1e9 ? count.toExponential(2).replace('e+', 'e') : Math.round(count).toLocaleString('en-US');
}

function locatedZodProblems(error: ZodError, document: Document, lineCounter: LineCounter, file: string): LocatedProblem[] {
  const seen = new Set<string>();
  const located = flattenUnions(error.issues).flatMap((issue) => {
    const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p)) as Array<string | number>;
    const at = (keyPath: Array<string | number>, wantKey: boolean, message: string) => {
      const node = nearestNode(document, keyPath, wantKey);
      const offset = node?.range?.[0] ?? 0;
      return { offset, problem: { file, ...positionOf(lineCounter, offset), keyPath: formatKeyPath(keyPath), message } };
    };
    // Each unknown key is its own problem, at the key itself: a typo is fixed where it stands.
    if (issue.code === 'unrecognized_keys') return (issue as { keys: string[] }).keys.map((key) => at([...path, key], true, `unknown key "${key}"`));
    return [at(path, false, issue.message)];
  });
  return located
    .filter(({ problem }) => {
      const key = `${problem.line}:${problem.keyPath}:${problem.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

function positionOf(lineCounter: LineCounter, offset: number): { line: number; column: number } {
  const position = lineCounter.linePos(offset);
  return { line: position.line, column: position.col };
}

type Issue = ZodError['issues'][number];

/**
 * A union that failed in every branch reports each branch. Show only the branch the user
 * most likely meant: the one whose value had the right shape and the fewest problems.
 */
function flattenUnions(issues: Issue[]): Issue[] {
  return issues.flatMap((issue) => {
    if (issue.code !== 'invalid_union' || !('errors' in issue) || !Array.isArray(issue.errors) || issue.errors.length === 0) {
      return [issue];
    }
    const branches = (issue.errors as Issue[][]).map((branch) => flattenUnions(branch));
    const wrongShape = (branch: Issue[]) => branch.some((i) => i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_value'));
    // A key the branch does not know at its top level says the user meant another branch
    // (a phase with `bursts` is a burst phase, not a constant one with a typo).
    const foreignKeys = (branch: Issue[]) => branch.filter((i) => i.path.length === 0 && i.code === 'unrecognized_keys').length;
    const score = (branch: Issue[]) => (wrongShape(branch) ? 1000 : 0) + foreignKeys(branch) * 100 + branch.length;
    // A value that fits no branch's shape is described by the union's own message, when it has one.
    if (branches.every(wrongShape) && issue.message !== 'Invalid input') return [issue];
    const best = [...branches].sort((a, b) => score(a) - score(b))[0];
    return best.map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] }) as Issue);
  });
}

/**
 * Alias expansions a scenario may use (yaml's maxAliasCount; its default is 100 too). A
 * scenario that shares a rule or a phase by anchor stays far below it.
 */
const maxYamlAliasExpansions = 100;

/** The first alias of a document: where it is, and the key path that holds it. */
function firstAlias(document: Document): { offset: number; keyPath: string } | undefined {
  let found: { offset: number; keyPath: string } | undefined;
  visit(document, {
    Alias(_key, node, ancestors) {
      const chain = [...ancestors, node];
      const path: Array<string | number> = [];
      chain.forEach((ancestor, index) => {
        if (isPair(ancestor) && isScalar(ancestor.key)) path.push(String(ancestor.key.value));
        if (isSeq(ancestor)) path.push(ancestor.items.indexOf(chain[index + 1] as never));
      });
      found = { offset: node.range?.[0] ?? 0, keyPath: formatKeyPath(path) };
      return visit.BREAK;
    },
  });
  return found;
}

function formatKeyPath(path: Array<string | number>): string {
  return path.reduce<string>((text, part) => (typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${part}` : part), '');
}

/** The YAML node at `path`, or its nearest existing ancestor (for missing keys). */
function nearestNode(document: Document, path: Array<string | number>, wantKey: boolean): Node | undefined {
  let node: unknown = document.contents;
  let found = node as Node | undefined;
  for (const part of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => (item.key as { value?: unknown } | null)?.value === part);
      if (!pair) break;
      found = (wantKey && part === path[path.length - 1] ? pair.key : (pair.value ?? pair.key)) as Node;
      node = pair.value;
    } else if (isSeq(node) && typeof part === 'number') {
      node = node.items[part];
      if (!node) break;
      found = node as Node;
    } else {
      break;
    }
  }
  return found;
}

/**
 * Where a key of a scenario file is, for problems found after validation (a check that
 * depends on the command line's target). `keyPath` is written as problems name keys:
 * `patterns[0].queueUrl`.
 */
export async function locateKey(file: string, keyPath: string): Promise<{ line: number; column: number }> {
  const lineCounter = new LineCounter();
  const document = parseDocument(await readFile(file, 'utf8'), { lineCounter });
  const path = [...keyPath.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((match) => (match[2] !== undefined ? Number(match[2]) : match[1]));
  const node = nearestNode(document, path, true);
  const position = lineCounter.linePos(node?.range?.[0] ?? 0);
  return { line: position.line, column: position.col };
}
