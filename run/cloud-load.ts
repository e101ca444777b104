import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { WorkerLoadReport } from '../analysis/run-result.ts';
import type { PriceTable } from '../analysis/pricing.ts';
import type { FlagProblem } from '../scenario/errors.ts';
import type { TargetName } from '../scenario/parts.ts';
import type { LoadOutcome } from '../load/load-generator.ts';
import type { ArtilleryScript } from './artillery-script.ts';
import type { EventLedger } from './event-ledger.ts';

/** Where `--load-from` runs the load: Artillery's own cloud runners. */
export const cloudLoadRunners = {
  /** `artillery run-fargate`: one ECS task per worker. https://www.artillery.io/docs/load-testing-at-scale/aws-fargate */
  fargate: { command: 'run-fargate', maxCount: 1_000 },
  /** `artillery run-lambda`: one Lambda invocation per worker, stopped by Lambda at 15 minutes. https://www.artillery.io/docs/load-testing-at-scale/aws-lambda */
  lambda: { command: 'run-lambda', maxCount: 1_000 },
} as const;

export type CloudLoadRunner = keyof typeof cloudLoadRunners;

/**
 * Ids per cloud worker. A worker cannot know its index (Fargate's WORKER_ID is a random
 * string), so each one draws a random 32-bit block number and stamps
 * `block × cloudIdBlockSize + n`: under 2^52, a safe JavaScript integer. The run maps each
 * block it meets to a dense ledger block of its own, so the ledger stays `count` blocks long.
 */
export const cloudIdBlockSize = 2 ** 20;

/** Artillery's default worker sizes, which the cost estimate prices unless `--artillery-arg` sets others. */
export const cloudWorkerDefaults = {
  /** https://www.artillery.io/docs/reference/cli/run-fargate (`--cpu` 4 vCPU, `--memory` 8 GB). */
  fargate: { vcpu: 4, memoryGb: 8 },
  /** https://www.artillery.io/docs/reference/cli/run-lambda (`--memory-size` 4096 MB). */
  lambda: { memoryGb: 4 },
} as const;

/** Lambda stops an invocation at 15 minutes: https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html */
export const lambdaWorkerMaxMs = 15 * 60_000;

export interface CloudLoadFlags {
  loadFrom?: string;
  count?: string;
  region?: string;
  artilleryArgs?: string[];
}

export interface CloudLoadPlan {
  runner: CloudLoadRunner;
  count: number;
  region: string;
  artilleryArgs: string[];
}

/**
 * The `--load-from` flags checked together: every problem, not the first. Returns the plan
 * (undefined without `--load-from`) and the problems.
 */
export function parseCloudLoadFlags(flags: CloudLoadFlags, context: { target: TargetName; scenarioRegion: string; phasesMs: number }): { plan?: CloudLoadPlan; problems: FlagProblem[] } {
  const problems: FlagProblem[] = [];
  if (flags.loadFrom === undefined) {
    for (const [flag, value] of [['--count', flags.count], ['--region', flags.region]] as const) {
      if (value !== undefined) problems.push({ flag, message: `sets how Artillery's cloud workers run, and there are none without --load-from fargate|lambda` });
    }
    if (flags.artilleryArgs?.length) problems.push({ flag: '--artillery-arg', message: `passes options to Artillery's cloud runner, and there is none without --load-from fargate|lambda` });
    return { problems };
  }
  if (!(flags.loadFrom in cloudLoadRunners)) problems.push({ flag: '--load-from', message: `${JSON.stringify(flags.loadFrom)} is not a cloud runner: use fargate or lambda` });
  if (context.target !== 'aws') problems.push({ flag: '--load-from', message: `Artillery's cloud workers send to a stack in your account, so --load-from needs --target aws, not ${context.target}` });
  const count = Number(flags.count ?? '1');
  if (!Number.isInteger(count) || count < 1 || count > 1_000) problems.push({ flag: '--count', message: `${JSON.stringify(flags.count)} is not a worker count: give a whole number from 1 to 1000` });
  if (flags.loadFrom === 'lambda' && context.phasesMs > lambdaWorkerMaxMs) {
    problems.push({ flag: '--load-from', message: `the phases last ${Math.ceil(context.phasesMs / 60_000)} min and Lambda stops a worker at 15 min: use --load-from fargate` });
  }
  const region = flags.region ?? context.scenarioRegion;
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) problems.push({ flag: '--region', message: `${JSON.stringify(region)} is not an AWS region name (e.g. eu-west-1)` });
  if (problems.length > 0) return { problems };
  return { plan: { runner: flags.loadFrom as CloudLoadRunner, count, region, artilleryArgs: flags.artilleryArgs ?? [] }, problems };
}

/** The arguments after `artillery`: the runner, its count, region and report file, what the user passed, the script. */
export function artilleryCloudArgs(plan: CloudLoadPlan, files: { scriptPath: string; reportPath: string }): string[] {
  return [cloudLoadRunners[plan.runner].command, '--count', String(plan.count), '--region', plan.region, '--output', files.reportPath, ...plan.artilleryArgs, files.scriptPath];
}

/** The exported script, switched to random per-worker id blocks: cloud workers have no index to derive one from. */
export function cloudScriptOf(script: ArtilleryScript): ArtilleryScript {
  const { idBase: _base, idStride: _stride, ...settings } = script.config.engines.sluice;
  return { ...script, config: { ...script.config, engines: { sluice: { ...settings, idBlocks: 'random', idBlockSize: cloudIdBlockSize } } } };
}

export interface CloudWorkerCost {
  usd: number;
  /** How the figure was made, with its prices. */
  basis: string;
}

/**
 * What the workers cost for the phases (plus Artillery's start-up allowance): Fargate per
 * vCPU-hour and GB-hour (billed per second, one minute at least), Lambda per GB-second and
 * request. Worker sizes are Artillery's defaults ({@link cloudWorkerDefaults}).
 * https://aws.amazon.com/fargate/pricing/ · https://aws.amazon.com/lambda/pricing/
 */
export function estimateCloudWorkerCost(plan: Pick<CloudLoadPlan, 'runner' | 'count'> & { artilleryArgs?: string[] }, phasesMs: number, prices: PriceTable, startupMs = 60_000): CloudWorkerCost {
  const rows = prices.rows;
  const passed = (flag: string) => passedOption(plan.artilleryArgs ?? [], flag);
  if (plan.runner === 'fargate') {
    // Artillery takes vCPUs (1–16) or CPU units (1024 a vCPU), GB (1–120) or MiB.
    const cpu = passed('--cpu');
    const memory = passed('--memory');
    const vcpu = cpu === undefined ? cloudWorkerDefaults.fargate.vcpu : cpu > 16 ? cpu / 1024 : cpu;
    const memoryGb = memory === undefined ? cloudWorkerDefaults.fargate.memoryGb : memory > 120 ? memory / 1024 : memory;
    const hours = Math.max(60_000, phasesMs + startupMs) / 3_600_000;
    const usd = plan.count * hours * (vcpu * rows.fargateVcpuHourUsd.value + memoryGb * rows.fargateGbHourUsd.value);
    return { usd, basis: `${plan.count} Fargate task(s) × ${vcpu} vCPU, ${memoryGb} GB × ${(hours * 60).toFixed(1)} min at $${rows.fargateVcpuHourUsd.value}/vCPU-h, $${rows.fargateGbHourUsd.value}/GB-h` };
  }
  const memorySizeMb = passed('--memory-size');
  const memoryGb = memorySizeMb !== undefined ? memorySizeMb / 1024 : cloudWorkerDefaults.lambda.memoryGb;
  const seconds = Math.min(lambdaWorkerMaxMs, phasesMs + startupMs) / 1000;
  const usd = plan.count * (memoryGb * seconds * rows.lambdaGbSecondX86Usd.value + rows.lambdaRequestsPerMillionUsd.value / 1e6);
  return { usd, basis: `${plan.count} Lambda worker(s) × ${memoryGb} GB × ${seconds.toFixed(0)} s at $${rows.lambdaGbSecondX86Usd.value}/GB-s + $${rows.lambdaRequestsPerMillionUsd.value}/1M requests` };
}

/** A number the user passed to Artillery (`--cpu 2` or `--cpu=2`), which the estimate prices instead of the default. */
function passedOption(args: readonly string[], flag: string): number | undefined {
  for (let i = 0; i < args.length; i += 1) {
    const raw = args[i] === flag ? args[i + 1] : args[i]!.startsWith(`${flag}=`) ? args[i]!.slice(flag.length + 1) : undefined;
    const value = Number(raw);
    if (raw !== undefined && Number.isFinite(value) && value > 0) return value;
  }
  return undefined;
}

/** One worker's counts, as its engine counted them (`sluice.worker.<block>.<count>`). */
export interface CloudWorkerCounts {
  block: number;
  sent: number;
  accepted: number;
  throttled: number;
  failed: number;
}

/**
 * Each worker's counts from Artillery's report JSON (`--output`): the engine counts under
 * `sluice.worker.<block>.*`, so the merged `aggregate.counters` keep every worker apart.
 * https://www.artillery.io/docs/reference/cli/run#--output
 */
export function workerCountsFromReport(report: unknown): CloudWorkerCounts[] {
  const counters = ((report as { aggregate?: { counters?: Record<string, unknown> } } | null)?.aggregate?.counters ?? {}) as Record<string, unknown>;
  const byBlock = new Map<number, CloudWorkerCounts>();
  for (const [name, value] of Object.entries(counters)) {
    const match = /^sluice\.worker\.(\d+)\.(sent|accepted|throttled|failed)$/.exec(name);
    if (!match || typeof value !== 'number') continue;
    const block = Number(match[1]);
    const counts = byBlock.get(block) ?? { block, sent: 0, accepted: 0, throttled: 0, failed: 0 };
    counts[match[2] as 'sent'] += value;
    byBlock.set(block, counts);
  }
  return [...byBlock.values()].sort((a, b) => a.block - b.block);
}

/**
 * Cloud workers' sparse ids onto the ledger's dense blocks: each worker's random block
 * number gets the next of `count` ledger blocks the first time it is seen, in a completion
 * record or in the report. Ids past a ledger block, or from more blocks than workers, map to
 * -1, which the ledger counts as a foreign delivery.
 */
export class CloudIdMap {
  private readonly denseBlockOf = new Map<number, number>();
  constructor(
    readonly count: number,
    readonly ledgerBlockSize: number,
  ) {}

  blockIndexOf(block: number): number {
    const known = this.denseBlockOf.get(block);
    if (known !== undefined) return known;
    if (this.denseBlockOf.size >= this.count) return -1;
    this.denseBlockOf.set(block, this.denseBlockOf.size);
    return this.denseBlockOf.size - 1;
  }

  denseIdOf(id: number): number {
    if (!Number.isSafeInteger(id) || id < 0) return -1;
    const sequence = id % cloudIdBlockSize;
    const index = this.blockIndexOf(Math.floor(id / cloudIdBlockSize));
    return index < 0 || sequence >= this.ledgerBlockSize ? -1 : index * this.ledgerBlockSize + sequence;
  }
}

/**
 * Settles every worker's sends in the ledger once the workers have reported: ids 0 … sent − 1
 * of its block were stamped (a completion already recorded those it saw, with their send
 * times). A worker reports counts, not which id met which answer, so the ids the consumer saw
 * are the accepted ones first, then the others in order: accepted, throttled, failed — the
 * counts are exact, the split among unseen ids is by position.
 */
export function settleWorkerCounts(ledger: EventLedger, ids: CloudIdMap, workers: CloudWorkerCounts[], sentAtMs: number): void {
  for (const worker of workers) {
    const index = ids.blockIndexOf(worker.block);
    if (index < 0) continue;
    const first = index * ids.ledgerBlockSize;
    const sent = Math.min(worker.sent, ids.ledgerBlockSize);
    let accepted = worker.accepted;
    const unseen: number[] = [];
    for (let id = first; id < first + sent; id += 1) {
      if (!ledger.hasSent(id)) ledger.recordSent(id, sentAtMs);
      if (ledger.hasReports(id) && accepted > 0) {
        ledger.recordAccepted(id);
        accepted -= 1;
      } else unseen.push(id);
    }
    let throttled = worker.throttled;
    for (const id of unseen) {
      if (accepted > 0) {
        ledger.recordAccepted(id);
        accepted -= 1;
      } else if (throttled > 0) {
        ledger.recordThrottled(id);
        throttled -= 1;
      } else ledger.recordSourceFailed(id);
    }
  }
}

/** The workers as result.json keeps them (the same shape as local load workers'; a cloud worker has no pid here: 0). */
export function cloudWorkerReports(ids: CloudIdMap, workers: CloudWorkerCounts[], plan: CloudLoadPlan, requestedArrivals: number, phasesWallMs: number): WorkerLoadReport[] {
  return workers.map((worker, order) => {
    const index = Math.max(0, ids.blockIndexOf(worker.block));
    const share = requestedArrivals / plan.count;
    return {
      worker: order + 1,
      pid: 0,
      firstId: index * ids.ledgerBlockSize,
      lastId: (index + 1) * ids.ledgerBlockSize - 1,
      eventsSent: worker.sent,
      requestedArrivals: Math.round(share),
      achievedArrivals: worker.sent,
      shortfall: share > 0 ? Math.max(0, (share - worker.sent) / share) : 0,
      phasesWallMs,
      arrivalLagMs: { p50: 0, p99: 0, max: 0 },
      lateArrivals: 0,
      eventLoopDelayMs: { p50: 0, p99: 0, max: 0 },
      perSecond: [],
      sender: { runner: plan.runner, region: plan.region, idBlock: worker.block, accepted: worker.accepted, throttled: worker.throttled, failed: worker.failed },
    };
  });
}

/** What a run's external load returns to runPattern. */
export interface ExternalLoadOutcome {
  outcome: LoadOutcome;
  workers: WorkerLoadReport[];
}

export class CloudLoadError extends Error {
  readonly code = 'cloud-load-failed';
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'CloudLoadError';
  }
}

const artilleryInstallHint = 'install the pinned CLI (npm ci --prefix tools/artillery-cli --ignore-scripts), install Artillery on PATH, or point ARTILLERY_BIN at it';

/** The pinned Artillery CLI's entry point, present once `npm ci --prefix tools/artillery-cli --ignore-scripts` has run. */
export const pinnedArtilleryBin = fileURLToPath(new URL('../tools/artillery-cli/node_modules/artillery/bin/run', import.meta.url));

/**
 * The Artillery CLI to run: `ARTILLERY_BIN` when set, else the pinned one in
 * tools/artillery-cli, else `artillery` on PATH. Each lives outside the project's
 * node_modules, so NODE_PATH adds the project's for Artillery to find `artillery-engine-sluice`.
 */
export function artilleryCommand(): { bin: string; env: NodeJS.ProcessEnv } {
  const bin = process.env.ARTILLERY_BIN || (existsSync(pinnedArtilleryBin) ? pinnedArtilleryBin : 'artillery');
  const projectModules = fileURLToPath(new URL('../node_modules', import.meta.url));
  return { bin, env: { NODE_PATH: [projectModules, process.env.NODE_PATH].filter(Boolean).join(delimiter) } };
}

/**
 * One pattern's load from Artillery's cloud runners: writes the exported script, runs
 * `artillery run-fargate|run-lambda` in a process group of its own (killed whole on abort,
 * so Ctrl-C stops the launches), reads its report and settles the workers' counts.
 * The CLI is the one `artilleryCommand` finds, with its telemetry off.
 */
export class CloudLoad {
  ledger: EventLedger | undefined;
  /** Set when the run starts, from the ledger's blocks (one per worker). */
  ids: CloudIdMap | undefined;

  constructor(
    readonly plan: CloudLoadPlan,
    private readonly options: { artilleryBin?: string; env?: NodeJS.ProcessEnv; onOutput?: (line: string) => void } = {},
  ) {}

  /** Completion records' ids onto the ledger's blocks, their sends recorded with the worker's own send time. */
  onCompletionRecords(records: Array<{ eventId: number | string; sentAtMs: number | null }>): void {
    for (const record of records) {
      const dense = this.ids ? this.ids.denseIdOf(Number(record.eventId)) : -1;
      record.eventId = dense;
      if (dense >= 0 && this.ledger && record.sentAtMs !== null && !this.ledger.hasSent(dense)) this.ledger.recordSent(dense, record.sentAtMs);
    }
  }

  async run(context: { ledger: EventLedger; script: ArtilleryScript; signal: AbortSignal; requestedArrivals: number; requestedDurationMs: number; nowMs: () => number; onStart?: () => void }): Promise<ExternalLoadOutcome> {
    this.ledger = context.ledger;
    const ids = (this.ids = new CloudIdMap(this.plan.count, Math.min(cloudIdBlockSize, context.ledger.blocks.size)));
    const dir = await mkdtemp(join(tmpdir(), 'sluice-cloud-load-'));
    try {
      const scriptPath = join(dir, 'script.yaml');
      const reportPath = join(dir, 'report.json');
      await writeFile(scriptPath, stringify(cloudScriptOf(context.script)));
      const startedAtMs = context.nowMs();
      context.onStart?.();
      const exit = await this.spawnArtillery(artilleryCloudArgs(this.plan, { scriptPath, reportPath }), context.signal);
      const wallMs = context.nowMs() - startedAtMs;
      let report: unknown;
      try {
        report = JSON.parse(await readFile(reportPath, 'utf8'));
      } catch (error) {
        if (context.signal.aborted) report = {};
        else throw new CloudLoadError(`artillery ${this.plan.runner} ended (${exit}) without a readable report (${(error as Error).message})`, 'check its output above; `artillery run-fargate --help` lists its options and the IAM it needs');
      }
      const workers = workerCountsFromReport(report);
      settleWorkerCounts(context.ledger, ids, workers, startedAtMs);
      const achievedArrivals = workers.reduce((total, worker) => total + worker.sent, 0);
      const reports = cloudWorkerReports(ids, workers, this.plan, context.requestedArrivals, wallMs);
      const requested = context.requestedArrivals;
      const measurement = { phasesWallMs: wallMs, plannedMs: context.requestedDurationMs, arrivalLagMs: { p50: 0, p99: 0, max: 0 }, lateArrivals: 0, lateAfterMs: 0, eventLoopDelayMs: { p50: 0, p99: 0, max: 0 }, perSecond: [], overrunLimitMs: 0, ...(context.signal.aborted ? { stoppedBecause: 'interrupted' as const } : {}) };
      return {
        outcome: {
          requestedArrivals: requested,
          achievedArrivals,
          requestedDurationMs: context.requestedDurationMs,
          achievedDurationMs: wallMs,
          arrivalRateDeviation: requested > 0 ? (achievedArrivals - requested) / requested : 0,
          arrivalErrors: workers.reduce((total, worker) => total + worker.failed, 0),
          stopped: context.signal.aborted,
          measurement: measurement as unknown as LoadOutcome['measurement'],
          shortfall: requested > 0 ? Math.max(0, (requested - achievedArrivals) / requested) : 0,
        },
        workers: reports,
      };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private spawnArtillery(args: string[], signal: AbortSignal): Promise<string> {
    const command = this.options.artilleryBin ? { bin: this.options.artilleryBin, env: {} } : artilleryCommand();
    const bin = command.bin;
    return new Promise((resolve, reject) => {
      let child: ChildProcess;
      try {
        // Its own process group (detached), so stopping it stops the workers it launches from here too.
        child = spawn(bin, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...command.env, ...this.options.env, ARTILLERY_DISABLE_TELEMETRY: 'true' } });
      } catch (error) {
        reject(new CloudLoadError(`could not start ${bin} (${(error as Error).message})`, artilleryInstallHint));
        return;
      }
      const forward = (chunk: Buffer) => String(chunk).split('\n').filter(Boolean).forEach((line) => this.options.onOutput?.(line));
      child.stdout?.on('data', forward);
      child.stderr?.on('data', forward);
      const stop = () => {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGINT');
        } catch {
          // Already gone.
        }
      };
      signal.addEventListener('abort', stop, { once: true });
      // Its group does not get the terminal's Ctrl-C: should sluice exit first (a second Ctrl-C), the group goes with it.
      process.once('exit', stop);
      child.on('error', (error) => {
        signal.removeEventListener('abort', stop);
        process.off('exit', stop);
        reject(new CloudLoadError(`could not run ${bin} (${error.message})`, artilleryInstallHint));
      });
      child.on('close', (code, signalName) => {
        signal.removeEventListener('abort', stop);
        process.off('exit', stop);
        if (code === 0 || signal.aborted) resolve(signalName ?? `exit ${code}`);
        else reject(new CloudLoadError(`artillery ${args[0]} exited with ${signalName ?? `code ${code}`}`, 'read its output above: credentials, region and IAM permissions are the usual causes (https://www.artillery.io/docs/load-testing-at-scale/aws-fargate)'));
      });
    });
  }
}
