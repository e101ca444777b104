import { readFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { loadScenarioFile, locateKey } from '../scenario/load.ts';
import { checkHandlerModules } from '../runtime/handler-check.ts';
import { bringYourOwnTargetProblems } from '../drivers/bring-your-own.ts';
import { CommandLineError, ScenarioError, type FlagProblem } from '../scenario/errors.ts';
import type { TargetName } from '../scenario/parts.ts';
import type { PatternSpec } from '../scenario/schema.ts';
import type { AnySourceModule } from '../drivers/source-module.ts';
import { patternNameOf } from '../scenario/schema.ts';
import type { WrittenRun } from '../run/write-run.ts';
import { checkOutputPaths, fallbackOutputRoot, type OutputPath } from './output-paths.ts';
import { parseRunResult, RunResultError } from '../analysis/run-result-schema.ts';
import { evaluateThresholds, sortFailuresFirst } from '../analysis/thresholds.ts';
import type { RunResult } from '../analysis/run-result.ts';
import type { AnySourceCostModel } from '../analysis/cost.ts';
import { bringYourOwnFieldsOf, sourceModules } from '../drivers/registry.ts';
import { exitCodes } from './exit-codes.ts';
import { progressPrinter } from './progress.ts';
import { parseLoadWorkers } from '../run/load-workers.ts';

export interface RunFlags {
  target?: TargetName;
  endpoint?: string;
  localstackImage?: string;
  out: string;
  only?: string[];
  progress: boolean;
  parallel?: boolean;
  junit?: string;
  baseline?: string;
  saveBaseline?: string;
  tolerance?: string;
  consumer?: 'sluice' | 'localstack';
  yes?: boolean;
  dryRun?: boolean;
  /** `--workers`: load generator processes per pattern, a number or `auto` (default 1). */
  workers?: string;
  /** `--load-from fargate|lambda`, `--count`, `--region`, `--artillery-arg`: the load from Artillery's cloud workers (run/cloud-load.ts). */
  loadFrom?: string;
  count?: string;
  region?: string;
  artilleryArg?: string[];
}

/** Prints the threshold verdicts, failures first; true when every threshold passed or did not apply. */
export function printThresholds(io: Io, thresholds: ReturnType<typeof evaluateThresholds>): boolean {
  io.print(`\nthresholds: ${thresholds.passed} passed, ${thresholds.failed} failed, ${thresholds.notApplicable} not applicable`);
  for (const outcome of sortFailuresFirst(thresholds.outcomes)) {
    io.print(`  ${outcome.status === 'passed' ? 'pass' : outcome.status === 'failed' ? 'FAIL' : 'n/a '}  [${outcome.pattern}] ${outcome.expression} — ${outcome.message}`);
  }
  return thresholds.ok;
}

export interface Io {
  print(text: string): void;
  printError(text: string): void;
  err: NodeJS.WriteStream;
}

/** A baseline is a result.json path, or the name of one saved with --save-baseline. */
export function baselinePath(reference: string): string {
  return reference.endsWith('.json') ? reference : join('baselines', `${reference}.json`);
}

/**
 * Reads and validates a result.json (analysis/run-result-schema.ts): a file that is missing,
 * not JSON or not a RunResult is a {@link RunResultError} naming each problem's line and JSON
 * path. `readFor` says what the result is read for (`a baseline`), which needs patterns.
 */
export async function readRunResult(file: string, readFor: string): Promise<RunResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new RunResultError([{ file, line: 1, column: 1, jsonPath: '', message: `cannot read the file (${(error as Error).message})` }]);
  }
  return parseRunResult(text, file, { requirePatterns: readFor });
}

/** The output paths of `sluice run`, checked before anything starts. */
export function runOutputPaths(flags: Pick<RunFlags, 'out' | 'junit' | 'saveBaseline'>): OutputPath[] {
  return [
    { flag: '--out', path: flags.out, kind: 'folder' },
    ...(flags.junit ? [{ flag: '--junit', path: flags.junit, kind: 'file' } as const] : []),
    ...(flags.saveBaseline ? [{ flag: '--save-baseline', path: baselinePath(flags.saveBaseline), kind: 'file' } as const] : []),
  ];
}

/**
 * `sluice run`: validate, run, write the run folder, check thresholds and the baseline.
 * Exit 0 when all passed, 1 when a threshold failed or a metric regressed, 3 when the
 * run itself failed, 130 when interrupted.
 */
export async function runCommand(file: string, flags: RunFlags, io: Io): Promise<number> {
  const scenario = await loadScenarioFile(file);
  // The command line's --target wins over the file's; an --endpoint alone names the localstack target (an endpoint you run).
  const targetKind = flags.target ?? (flags.endpoint !== undefined ? 'localstack' : scenario.target);
  const flagProblems: FlagProblem[] = [];
  if (flags.only) {
    const known = scenario.patterns.map(patternNameOf);
    const unknown = flags.only.filter((name) => !known.includes(name));
    if (unknown.length > 0) flagProblems.push({ flag: '--only', message: `names unknown patterns ${unknown.join(', ')} (${file} has ${known.join(', ')})` });
  }
  if (flags.tolerance !== undefined && !(Number(flags.tolerance) >= 0)) {
    flagProblems.push({ flag: '--tolerance', message: `${JSON.stringify(flags.tolerance)} is not a fraction: give it as e.g. 0.1 for 10 %` });
  }
  if (flags.consumer === 'localstack' && targetKind !== 'localstack') {
    flagProblems.push({ flag: '--consumer', message: `--consumer localstack needs the localstack target (--target localstack), not ${targetKind}` });
  }
  if (flags.endpoint !== undefined && targetKind !== 'localstack') {
    flagProblems.push({ flag: '--endpoint', message: `an endpoint you run (moto, LocalStack, \`sluice serve\`…) is the localstack target, and the ${targetKind} target would ignore it: leave out --target ${targetKind}` });
  }
  if (flags.localstackImage !== undefined && (targetKind !== 'localstack' || flags.endpoint !== undefined)) {
    flagProblems.push({ flag: '--localstack-image', message: `the image is what sluice starts for --target localstack without --endpoint, and this run ${flags.endpoint !== undefined ? 'uses the endpoint you gave' : `is on the ${targetKind} target`}: leave it out, or run with --target localstack alone` });
  }
  const loadWorkers = parseLoadWorkers(flags.workers ?? '1');
  if ('problem' in loadWorkers) flagProblems.push({ flag: '--workers', message: loadWorkers.problem });
  else if (loadWorkers.count > 1) {
    // A fan-out event's copies are told to sluice's consumer as it is sent; a worker sends from another process.
    const fanningOut = scenario.patterns.filter((pattern) => (!flags.only || flags.only.includes(patternNameOf(pattern))) && pattern.source === 'eventbridge' && pattern.fanOut && (pattern.rules?.length ?? 0) > 1).map(patternNameOf);
    if (fanningOut.length > 0) flagProblems.push({ flag: '--workers', message: `pattern ${fanningOut.join(', ')} fans events out to several rules, which needs the load generated in the run's own process: leave --workers at 1 for it (--only picks the others)` });
  }
  const { parseCloudLoadFlags } = await import('../run/cloud-load.ts');
  const { phasesDurationMs } = await import('../load/phases.ts');
  const cloudLoad = parseCloudLoadFlags(
    { loadFrom: flags.loadFrom, count: flags.count, region: flags.region, artilleryArgs: flags.artilleryArg },
    { target: targetKind, scenarioRegion: scenario.region, phasesMs: phasesDurationMs(scenario.workload.phases) },
  );
  flagProblems.push(...cloudLoad.problems);
  if (cloudLoad.plan && 'count' in loadWorkers && loadWorkers.count > 1) flagProblems.push({ flag: '--workers', message: 'the load comes from Artillery’s cloud workers with --load-from: set their number with --count, not --workers' });
  if (cloudLoad.plan) {
    // As with --workers: a fan-out event's copies are told to sluice's consumer by the process that sends it.
    const fanningOut = scenario.patterns.filter((pattern) => (!flags.only || flags.only.includes(patternNameOf(pattern))) && pattern.source === 'eventbridge' && pattern.fanOut && (pattern.rules?.length ?? 0) > 1).map(patternNameOf);
    if (fanningOut.length > 0) flagProblems.push({ flag: '--load-from', message: `pattern ${fanningOut.join(', ')} fans events out to several rules, which needs the load generated in the run's own process: run it without --load-from (--only picks the others)` });
  }
  if (flagProblems.length > 0) throw new CommandLineError(flagProblems);
  if (cloudLoad.plan) {
    // The cloud workers run the exported Artillery script: phases it cannot express are refused at their line.
    const { phasesWithoutArtilleryEquivalent } = await import('../run/artillery-script.ts');
    const unexportable = phasesWithoutArtilleryEquivalent(scenario.workload.phases);
    if (unexportable.length > 0) {
      throw new ScenarioError(await Promise.all(unexportable.map(async ({ index, message }) => ({ file, ...(await locateKey(file, `workload.phases[${index}]`)), keyPath: `workload.phases[${index}]`, message: `${message}; --load-from runs that script` }))));
    }
  }
  // Only reaching AWS must be said on the command line.
  if (scenario.target === 'aws' && flags.target === undefined && flags.endpoint === undefined) {
    throw new ScenarioError([
      {
        file,
        ...(await locateKey(file, 'target')),
        keyPath: 'target',
        message: 'the scenario names target aws, and sluice reaches AWS only when the command line says so: pass --target aws to run it there, or --target embedded (or localstack) to run it locally',
      },
    ]);
  }
  // Read the baseline before anything starts: a missing one is bad input, not a failed run.
  const baseline = flags.baseline ? await readRunResult(baselinePath(flags.baseline), 'a baseline') : undefined;
  if (flags.dryRun) {
    const { formatAwsPlan, planAwsRun } = await import('../run/aws-dry-run.ts');
    io.print(formatAwsPlan(planAwsRun(scenario), { runTarget: targetKind }));
    if (cloudLoad.plan) io.print(await formatCloudLoadPlan(cloudLoad.plan, scenario));
    return exitCodes.ok;
  }
  // Found now, not after a run whose measurements would then have nowhere to go.
  await checkOutputPaths(runOutputPaths(flags));
  // Existing resources only mean something where sluice does not create its own: refuse them
  // elsewhere rather than ignore them.
  const ownResources = bringYourOwnTargetProblems(scenario.patterns, { target: targetKind, consumer: flags.consumer, fieldsOf: (source) => bringYourOwnFieldsOf(source) });
  const targetProblems = [
    ...ownResources.map((problem) => ({ keyPath: problem.keyPath, message: `${problem.message}. ${problem.hint}` })),
    // What AWS allows but one machine cannot hold, said before the run rather than as a time-out in it.
    ...(targetKind === 'aws' ? [] : localTargetProblemsOf(scenario.patterns)),
  ];
  if (targetProblems.length > 0) {
    throw new ScenarioError(await Promise.all(targetProblems.map(async (problem) => ({ file, ...(await locateKey(file, problem.keyPath)), ...problem }))));
  }
  // The handler module loads (in a worker, within Lambda's init limit) before any target or emulator starts.
  const handlerProblems = await checkHandlerModules(scenario, file, (keyPath) => locateKey(file, keyPath));
  if (handlerProblems.length > 0) throw new ScenarioError(handlerProblems);
  if (targetKind === 'aws') {
    const { describeAccount } = await import('../targets/aws/credentials.ts');
    const { planAwsRun } = await import('../run/aws-dry-run.ts');
    const account = await describeAccount(scenario.region);
    io.print(`AWS account ${account.accountId} (${account.arn}), region ${account.region}`);
    const plan = planAwsRun(scenario);
    io.print(`this run creates ${plan.patterns.filter((p) => p.deploysStack).length} CloudFormation stack(s), runs about ${Math.ceil((plan.durationMs + plan.drainTimeoutMs) / 60_000)} min, and costs about $${plan.costUsd.low.toFixed(2)}–$${plan.costUsd.high.toFixed(2)} (--dry-run shows the plan)`);
    if (cloudLoad.plan) io.print(await formatCloudLoadPlan(cloudLoad.plan, scenario));
    if (!flags.yes && !(await confirm('type "yes" to create these resources: ', io))) {
      io.printError('not confirmed: nothing was created. Pass --yes to skip the question (CI).');
      return exitCodes.badInput;
    }
  }

  if (targetKind !== 'aws') {
    // Said before the run, so nobody waits for figures this machine cannot produce.
    const { beyondCeilingNotice, readMachineCeilings, requestedPeakEventsPerSecond } = await import('../load/machine-ceilings.ts');
    const ceilings = readMachineCeilings();
    for (const pattern of scenario.patterns) {
      const notice = beyondCeilingNotice(patternNameOf(pattern), pattern.source, requestedPeakEventsPerSecond(scenario.workload.phases, scenario.workload.eventsPerArrival), ceilings?.sources[pattern.source]);
      if (notice) io.printError(`note: ${notice}`);
    }
  }

  const abort = new AbortController();
  let interrupts = 0;
  const onInterrupt = () => {
    interrupts += 1;
    if (interrupts === 1) {
      io.printError('\ninterrupted: stopping load, tearing down, writing what was measured (Ctrl-C again to force)');
      abort.abort(new Error('interrupted'));
    } else {
      process.exit(exitCodes.interrupted);
    }
  };
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);
  // Loaded once the inputs are checked: a refused input answers without the run's modules.
  const { runScenario } = await import('../run/run-scenario.ts');
  const { writeFileAtomically, writeRun } = await import('../run/write-run.ts');
  const { summaryTable } = await import('../analysis/report-markdown.ts');
  const { compareWithBaseline } = await import('../analysis/baseline.ts');
  const { renderJunitXml } = await import('../analysis/junit.ts');
  const progress = progressPrinter(io.err);
  let result: RunResult;
  try {
    result = await runScenario({
      scenario,
      scenarioFile: file,
      target: targetKind,
      endpoint: flags.endpoint,
      ...(flags.localstackImage ? { localstackImage: flags.localstackImage } : {}),
      onPatternRefused: (name, error) => io.printError(`pattern ${name}: not run — ${error.message}\n  what to do: ${error.hint}`),
      only: flags.only,
      parallel: flags.parallel,
      consumer: flags.consumer,
      loadWorkers: 'count' in loadWorkers ? loadWorkers.count : 1,
      ...(cloudLoad.plan ? { cloudLoad: await cloudLoadFactory(cloudLoad.plan, io) } : {}),
      onStackStatus: (stackName, status) => io.printError(`stack ${stackName}: ${status}`),
      signal: abort.signal,
      onPatternStart: (name, index, count) => io.printError(`pattern ${index + 1}/${count}: ${name}${flags.parallel ? ' (parallel)' : ''}`),
      onProgress: flags.progress ? (p) => progress.update(p) : undefined,
    });
  } finally {
    progress.done();
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
  }

  // A baseline written before costs were recorded is priced as this run was.
  const costModels = sourceCostModels();
  const thresholds = scenario.thresholds && result.patterns.length > 0 ? evaluateThresholds(result, scenario.thresholds, { unknownPatterns: flags.only ? 'ignore' : 'fail', costModels }) : undefined;
  const baselineComparison = baseline ? compareWithBaseline(result, baseline, { ...(flags.tolerance !== undefined ? { tolerance: Number(flags.tolerance) } : {}), costModels }) : undefined;
  const verdicts = { thresholds, baseline: baselineComparison };
  // The summary comes first: whatever happens to the files, what was measured is on screen.
  if (result.patterns.length > 0) io.print('\n' + summaryTable(result) + '\n');
  for (const pattern of result.patterns) for (const warning of pattern.warnings) io.printError(`warning [${pattern.name}]: ${warning}`);
  let writeFailed = false;
  let written: WrittenRun;
  try {
    written = await writeRun(result, flags.out, verdicts);
  } catch (error) {
    // Checked before the run, so the place went bad during it (a disk that filled): keep the
    // measurements somewhere that works, say where, and exit as a failed run.
    writeFailed = true;
    written = await writeRun(result, fallbackOutputRoot(), verdicts);
    io.printError(`could not write the run into ${flags.out} (${(error as Error).message}); wrote it to ${written.folder} instead. Free space there or give --out another folder next time.`);
  }
  for (const name of written.files) io.print(`${name.padEnd(15)} ${join(written.folder, name)}`);

  let exitCode: number = exitCodes.ok;
  if (thresholds && !printThresholds(io, thresholds)) exitCode = exitCodes.thresholdsFailed;
  if (flags.junit) {
    const junitXml = renderJunitXml(thresholds ?? { runId: result.runId, scenarioName: result.scenario.name, outcomes: [], passed: 0, failed: 0, notApplicable: 0, ok: true }, { name: `sluice ${result.scenario.name}` });
    try {
      await mkdir(dirname(flags.junit), { recursive: true });
      await writeFileAtomically(flags.junit, junitXml);
      io.print(`junit:          ${flags.junit}`);
    } catch (error) {
      writeFailed = true;
      const fallback = join(written.folder, 'junit.xml');
      await writeFileAtomically(fallback, junitXml);
      io.printError(`could not write ${flags.junit} (${(error as Error).message}); wrote the JUnit XML to ${fallback} instead.`);
    }
  }
  if (baselineComparison) {
    io.print(`\nbaseline ${flags.baseline}: ${baselineComparison.regressions} regression(s), ${baselineComparison.improvements} improvement(s)`);
    for (const pattern of baselineComparison.patterns) {
      if (pattern.status !== 'compared') io.print(`  [${pattern.pattern}] ${pattern.status === 'missing' ? 'in the baseline but not in this run' : 'not in the baseline'}`);
      for (const delta of pattern.deltas.filter((d) => d.status === 'regressed')) io.print(`  REGRESSED [${pattern.pattern}] ${delta.metric}: ${delta.message}`);
    }
    if (baselineComparison.regressed) exitCode = exitCodes.thresholdsFailed;
  }
  if (flags.saveBaseline && result.status === 'completed') {
    const path = baselinePath(flags.saveBaseline);
    try {
      await mkdir(dirname(path), { recursive: true });
      await writeFileAtomically(path, await readFile(join(written.folder, 'result.json'), 'utf8'));
      io.print(`baseline saved: ${path}`);
    } catch (error) {
      writeFailed = true;
      io.printError(`could not save the baseline ${path} (${(error as Error).message}); the run's result.json is ${join(written.folder, 'result.json')}: copy it there when the disk has room.`);
    }
  }
  if (result.status === 'failed') {
    io.printError(`run failed: ${result.failure?.message}`);
    return exitCodes.runFailed;
  }
  if (result.status === 'interrupted') return exitCodes.interrupted;
  // The run went well but its files are not where they were asked for: a failure to see in CI.
  if (writeFailed) return exitCodes.runFailed;
  return exitCode;
}

/** Each pattern's fields beyond what a local target holds (the source module's localTargetProblems). */
function localTargetProblemsOf(patterns: ReadonlyArray<PatternSpec>): Array<{ keyPath: string; message: string }> {
  return patterns.flatMap((pattern, index) => {
    const module: AnySourceModule = sourceModules[pattern.source];
    return (module.localTargetProblems?.(pattern) ?? []).map((problem) => ({ keyPath: `patterns[${index}].${problem.field}`, message: problem.message }));
  });
}

/** `--load-from` in a plan: the Artillery command, the workers and what they cost, for each pattern. */
async function formatCloudLoadPlan(plan: import('../run/cloud-load.ts').CloudLoadPlan, scenario: import('../scenario/schema.ts').Scenario): Promise<string> {
  const { artilleryCloudArgs, estimateCloudWorkerCost } = await import('../run/cloud-load.ts');
  const { phasesDurationMs } = await import('../load/phases.ts');
  const { resolvePrices } = await import('../analysis/pricing.ts');
  const cost = estimateCloudWorkerCost(plan, phasesDurationMs(scenario.workload.phases), resolvePrices(scenario.prices ?? {}));
  const patterns = scenario.patterns.length;
  return [
    `load from Artillery's ${plan.runner} workers, per pattern:`,
    `  command: artillery ${artilleryCloudArgs(plan, { scriptPath: '<exported script>', reportPath: '<report.json>' }).join(' ')}`,
    `  workers: ${plan.count} in ${plan.region}`,
    `  workers' cost: about $${(cost.usd * patterns).toFixed(2)} for ${patterns} pattern(s) (${cost.basis}; prices ${scenario.prices ? 'with overrides' : 'as listed in analysis/pricing.ts'})`,
  ].join('\n');
}

/** One CloudLoad per pattern, its output on stderr. */
async function cloudLoadFactory(plan: import('../run/cloud-load.ts').CloudLoadPlan, io: Io) {
  const { CloudLoad } = await import('../run/cloud-load.ts');
  return (patternName: string) => new CloudLoad(plan, { onOutput: (line) => io.printError(`artillery [${patternName}]: ${line}`) });
}

/** Asks on the terminal; without one (CI, pipes) the answer is no. */
async function confirm(question: string, io: Io): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const { createInterface } = await import('node:readline/promises');
  const prompt = createInterface({ input: process.stdin, output: io.err });
  try {
    return (await prompt.question(question)).trim().toLowerCase() === 'yes';
  } finally {
    prompt.close();
  }
}

/** Each registered source's cost model by source name, for analysis of results that recorded no cost. */
export function sourceCostModels(): Record<string, AnySourceCostModel> {
  return Object.fromEntries(Object.entries(sourceModules).map(([source, module]) => [source, module.cost]));
}
