import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, isMap, isPair, isScalar, isSeq, visit, type Document, type Node } from 'yaml';
import type { ZodError } from 'zod';
import { scenarioSchema, scenarioSchemaFor, type Scenario } from './schema.ts';
import type { SourceRegistry } from '../drivers/registry.ts';
import { ScenarioError, type ScenarioProblem } from './errors.ts';

/**
 * Reads, parses and validates a scenario file. Throws a {@link ScenarioError} listing every
 * problem with its line and key path; nothing is started before this succeeds.
 *
 * @example
 * const scenario = await loadScenarioFile('scenarios/sqs-basic.yaml');
 */
export async function loadScenarioFile(file: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ScenarioError([{ file, line: 1, column: 1, keyPath: '', message: `cannot read the file (${(error as Error).message})` }]);
  }
  return parseScenario(text, file);
}

/** Parses and validates scenario YAML; `file` names it in error messages. */
export function parseScenario(text: string, file: string, sources?: SourceRegistry): Scenario {
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
  if (!parsed.success) {
    throw new ScenarioError(problemsFromZod(parsed.error, document, lineCounter, file));
  }
  return parsed.data as Scenario;
}

function problemsFromZod(error: ZodError, document: Document, lineCounter: LineCounter, file: string): ScenarioProblem[] {
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
    })
    .sort((a, b) => a.offset - b.offset)
    .map(({ problem }) => problem);
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
    const score = (branch: Issue[]) => (wrongShape(branch) ? 1000 : 0) + branch.length;
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
