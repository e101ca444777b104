import { z } from 'zod';
import { LineCounter, isMap, isSeq, parseDocument, type Node } from 'yaml';
import { SluiceError } from '../core/sluice-error.ts';
import { runResultSchemaVersion, type RunResult } from './run-result.ts';

/**
 * The schema a result.json must meet before `compare`, `--baseline` or any report reads it:
 * every field a report or a comparison reads, with its type. Objects are loose (unknown
 * fields pass): a field added without a schema-version bump (see run-result.ts) must not make
 * an older sluice refuse a newer result. Fields that older results lack are optional, as in
 * the {@link RunResult} interface.
 */
const count = z.number().nonnegative();
const finite = z.number();
const epochMs = z.number().nonnegative();
const percentiles = z.looseObject({ count, p50: finite, p90: finite, p95: finite, p99: finite, max: finite, mean: finite });
const threePercentiles = z.looseObject({ p50: finite, p99: finite, max: finite });

const accounting = z.looseObject({
  sent: count,
  accepted: count,
  filtered: count.optional(),
  sourceThrottled: count,
  sourceFailed: count,
  delivered: count,
  duplicateDeliveries: count,
  completed: count,
  failed: count,
  deadLettered: count,
  pendingAtEnd: count,
  lost: count,
  completionsObserved: z.literal(false).optional(),
});

const seriesPoint = z.looseObject({
  tSec: finite,
  sent: count,
  accepted: count,
  completed: count,
  failedInvocations: count,
  sourceThrottles: count,
  sourceRetries: count.optional(),
  functionThrottles: count,
  coldStarts: count,
  concurrency: count,
  deadLettered: count,
  endToEndMsP50: finite.optional(),
  endToEndMsP99: finite.optional(),
  queueDepth: count.optional(),
  queueAgeMsMax: finite.optional(),
  iteratorAgeMsMax: finite.optional(),
  iteratorAgeMsByShard: z.record(z.string(), finite).optional(),
  asyncEventAgeMsMax: finite.optional(),
  pollers: count.optional(),
});

const load = z.looseObject({
  requestedArrivals: count,
  achievedArrivals: count,
  requestedDurationMs: count,
  achievedDurationMs: count,
  arrivalRateDeviation: finite,
  eventSizeBytes: count.optional(),
  shortfall: finite.optional(),
  phasesWallMs: count.optional(),
  arrivalLagMs: threePercentiles.optional(),
  lateArrivals: count.optional(),
  lateAfterMs: count.optional(),
  eventLoopDelayMs: threePercentiles.optional(),
  perSecond: z.array(z.looseObject({ tSec: finite, requested: count, achieved: count, lagMaxMs: finite, loopDelayMaxMs: finite })).optional(),
  stoppedBecause: z.enum(['overrun', 'interrupted']).optional(),
  harnessCeilingEventsPerSecond: count.optional(),
  workers: z.array(z.looseObject({ worker: count, firstId: count, lastId: count, eventsSent: count, requestedArrivals: count, achievedArrivals: count })).optional(),
});

const summary = z.looseObject({
  throughputInPerSecond: count,
  throughputOutPerSecond: count,
  throughputOutPerSecondSteady: count,
  peakConcurrency: count,
  coldStarts: count,
  coldStartShare: count,
  functionThrottles: count,
  sourceThrottles: count,
  sourceAttempts: count.optional(),
  throttleRate: count,
  invokeAttempts: count.optional(),
  functionThrottleRate: count.optional(),
  invocationErrors: count,
  invocations: count,
  queueAgeMsMax: finite.optional(),
  queueDepthMax: count.optional(),
  iteratorAgeMsMax: finite.optional(),
  iteratorAgeMsP99: finite.optional(),
  asyncEventAgeMsMax: finite.optional(),
  asyncEventAgeMsP99: finite.optional(),
});

const cost = z.looseObject({
  totalUsd: count,
  perMillionEventsUsd: count,
  lines: z.array(z.looseObject({ item: z.string(), quantity: count, unit: z.string(), unitPriceUsd: count, usd: count })),
  pricesAsOf: z.string(),
  notes: z.array(z.string()).optional(),
});

const account = z.looseObject({
  concurrencyLimit: count,
  scalingModel: z.enum(['current', 'legacy']),
  burstEnvironmentsPer10Seconds: count,
  legacyInitialBurst: count,
  legacyBurstIncrementPerMinute: count,
  appliedBy: z.enum(['sluice', 'target']),
});

const pattern = z.looseObject({
  name: z.string().min(1),
  source: z.string().min(1),
  settings: z.record(z.string(), z.unknown()),
  function: z.record(z.string(), z.unknown()),
  account: account.optional(),
  startedAtMs: epochMs,
  endedAtMs: epochMs,
  loadStartedAtMs: epochMs.optional(),
  load,
  accounting,
  latency: z.looseObject({
    endToEndMs: percentiles,
    invokeDurationMs: percentiles,
    initDurationMs: percentiles,
    clientMs: z.looseObject({ all: percentiles, warm: percentiles, cold: percentiles }).optional(),
  }),
  summary,
  functionUsage: z
    .looseObject({
      onDemandDurationMs: count,
      provisionedDurationMs: count,
      onDemandInitMs: count,
      onDemandColdStarts: count,
      provisionedConcurrencyMs: count,
      provisionedConcurrencyMax: count,
      scalingActions: z.array(z.looseObject({ atMs: epochMs, from: count, to: count, reason: z.enum(['target-tracking', 'schedule']) })),
      keepWarm: z.looseObject({ pings: count, durationMs: count, initMs: count, coldStarts: count }).optional(),
      outOfMemory: count,
      timeouts: count,
    })
    .optional(),
  series: z.array(seriesPoint),
  quotas: z.array(z.looseObject({ name: z.string(), limit: z.string(), enforcedBy: z.enum(['sluice', 'target', 'none']) })),
  cost: cost.optional(),
  extras: z.record(z.string(), z.unknown()).optional(),
  warnings: z.array(z.string()),
});

export const runResultSchema = z
  .looseObject({
    schemaVersion: z.literal(runResultSchemaVersion, { error: `sluice reads RunResults of schema version ${runResultSchemaVersion}` }),
    sluiceVersion: z.string(),
    runId: z.string().min(1),
    scenario: z.looseObject({ name: z.string().min(1), file: z.string(), description: z.string().optional() }),
    status: z.enum(['completed', 'interrupted', 'failed']),
    mode: z.enum(['measured', 'predicted']).optional(),
    prediction: z
      .looseObject({ fidelity: z.enum(['exact', 'aggregate']), rulesVersion: z.string(), simulatedEventsPerWallSecond: z.number().min(0), wallMs: z.number().min(0), modelled: z.array(z.string()) })
      .optional(),
    failure: z.looseObject({ code: z.string(), message: z.string() }).optional(),
    startedAtMs: epochMs,
    endedAtMs: epochMs,
    target: z.looseObject({
      kind: z.enum(['embedded', 'localstack', 'aws']),
      endpoint: z.string().optional(),
      region: z.string(),
      consumer: z.enum(['sluice', 'localstack', 'aws']),
      quotaEdge: z.string().optional(),
    }),
    environment: z.looseObject({ node: z.string(), platform: z.string(), cpuCount: count, hostname: z.string() }),
    patterns: z.array(pattern),
  })
  // Patterns are matched by name (baselines, compare): two of one name cannot be told apart.
  .superRefine((result, ctx) => {
    const first = new Map<string, number>();
    result.patterns.forEach((p, index) => {
      const earlier = first.get(p.name);
      if (earlier === undefined) first.set(p.name, index);
      else ctx.addIssue({ code: 'custom', path: ['patterns', index, 'name'], message: `"${p.name}" is also the name of patterns[${earlier}]; pattern names are unique in a run` });
    });
  });

/** One problem in a result.json, located by line, column and JSON path. */
export interface RunResultProblem {
  file: string;
  line: number;
  column: number;
  /** Where in the document, as `patterns[0].summary`; empty for the document itself. */
  jsonPath: string;
  message: string;
}

/**
 * A result.json that `compare` or `--baseline` cannot read. Lists every problem, one a line,
 * each with its file, line and JSON path.
 */
export class RunResultError extends SluiceError<'SLUICE_BAD_RUN_RESULT'> {
  constructor(readonly problems: RunResultProblem[]) {
    super(
      'SLUICE_BAD_RUN_RESULT',
      `${problems.length} problem${problems.length === 1 ? '' : 's'} in ${filesOf(problems) === 1 ? 'a RunResult file' : `${filesOf(problems)} RunResult files`}:\n${problems.map(formatRunResultProblem).join('\n')}`,
      'give a result.json that `sluice run` wrote (runs/<scenario>-<time>/result.json) and that was not edited by hand, or re-run the scenario to make a new one',
    );
  }
}

function filesOf(problems: RunResultProblem[]): number {
  return new Set(problems.map((p) => p.file)).size;
}

export function formatRunResultProblem(problem: RunResultProblem): string {
  const where = `${problem.file}:${problem.line}:${problem.column}`;
  return problem.jsonPath ? `${where} ${problem.jsonPath}: ${problem.message}` : `${where} ${problem.message}`;
}

export interface ParseRunResultOptions {
  /** Refuse a result without patterns (one whose run failed before any pattern ran): what it is read for needs at least one. */
  requirePatterns?: string;
}

/**
 * Parses and validates the text of a result.json; `file` names it in problems. Throws a
 * {@link RunResultError} listing every problem (JSON syntax, a missing or mistyped field)
 * with its line and JSON path.
 *
 * @example
 * const baseline = parseRunResult(await readFile(path, 'utf8'), path, { requirePatterns: 'a baseline' });
 */
export function parseRunResult(text: string, file: string, options: ParseRunResultOptions = {}): RunResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new RunResultError([{ file, ...syntaxErrorPosition(text, error as Error), jsonPath: '', message: `not JSON (${(error as Error).message})` }]);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new RunResultError([{ file, line: 1, column: 1, jsonPath: '', message: 'a RunResult is a JSON object with schemaVersion, scenario and patterns' }]);
  }
  const parsed = runResultSchema.safeParse(raw);
  const issues: Array<{ path: Array<string | number>; message: string }> = parsed.success
    ? []
    : parsed.error.issues.flatMap((issue) => {
        const path = issue.path.map((part) => (typeof part === 'symbol' ? String(part) : part)) as Array<string | number>;
        return [{ path, message: describeIssue(issue, raw) }];
      });
  if (parsed.success && options.requirePatterns && parsed.data.patterns.length === 0) {
    issues.push({ path: ['patterns'], message: `no patterns: the run stopped before any pattern ran (status ${parsed.data.status}), so it cannot serve as ${options.requirePatterns}` });
  }
  if (issues.length > 0) throw new RunResultError(locate(text, file, issues));
  return parsed.data as unknown as RunResult;
}

type Issue = z.ZodError['issues'][number];

/** zod's message, with the value it found: "expected number, received null" says what to fix. */
function describeIssue(issue: Issue, raw: unknown): string {
  const found = valueAt(raw, issue.path as Array<string | number>);
  if (issue.code === 'invalid_type') return found === undefined ? `missing (expected ${issue.expected})` : `expected ${issue.expected}, found ${describeValue(found)}`;
  if (issue.code === 'invalid_value' || issue.code === 'too_small' || issue.code === 'too_big') return `${issue.message}, found ${describeValue(found)}`;
  return issue.message;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40));
  if (typeof value === 'object') return 'an object';
  return String(value);
}

function valueAt(raw: unknown, path: Array<string | number>): unknown {
  let value = raw;
  for (const part of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[part];
  }
  return value;
}

/**
 * Finds each problem's line: JSON is YAML 1.2, so yaml's parser gives every node's offset.
 * Only run when there are problems, so a good result.json is read by JSON.parse alone.
 */
function locate(text: string, file: string, issues: Array<{ path: Array<string | number>; message: string }>): RunResultProblem[] {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false });
  const located = issues.map(({ path, message }) => {
    const offset = nodeAt(document.contents as Node | null, path)?.range?.[0] ?? 0;
    const position = lineCounter.linePos(offset);
    return { offset, problem: { file, line: position.line, column: position.col, jsonPath: formatJsonPath(path), message } };
  });
  return located.sort((a, b) => a.offset - b.offset).map(({ problem }) => problem);
}

/** The node at `path`, or its nearest existing ancestor (a missing field is reported at its parent). */
function nodeAt(root: Node | null, path: Array<string | number>): Node | undefined {
  let node: unknown = root;
  let found = root ?? undefined;
  for (const part of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => (item.key as { value?: unknown } | null)?.value === part);
      if (!pair) break;
      node = pair.value ?? pair.key;
    } else if (isSeq(node) && typeof part === 'number') {
      node = node.items[part];
      if (!node) break;
    } else {
      break;
    }
    found = node as Node;
  }
  return found;
}

function formatJsonPath(path: Array<string | number>): string {
  return path.reduce<string>((text, part) => (typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${part}` : part), '');
}

/** Line and column of a JSON syntax error: Node names the offset ("at position 12") or the line and column. */
function syntaxErrorPosition(text: string, error: Error): { line: number; column: number } {
  const lineColumn = /line (\d+) column (\d+)/.exec(error.message);
  if (lineColumn) return { line: Number(lineColumn[1]), column: Number(lineColumn[2]) };
  const position = /at position (\d+)/.exec(error.message);
  if (!position) return { line: 1, column: 1 };
  const before = text.slice(0, Number(position[1]));
  const lines = before.split('\n');
  return { line: lines.length, column: lines[lines.length - 1].length + 1 };
}
