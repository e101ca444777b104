import { readFile, writeFile, mkdir, copyFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { loadScenarioFile, locateKey } from '../scenario/load.ts';
import { bringYourOwnTargetProblems } from '../drivers/bring-your-own.ts';
import { ScenarioError } from '../scenario/errors.ts';
import type { TargetName } from '../scenario/parts.ts';
import { runScenario, patternNameOf } from '../run/run-scenario.ts';
import { writeRun } from '../run/write-run.ts';
import { summaryTable } from '../analysis/report-markdown.ts';
import { evaluateThresholds, sortFailuresFirst } from '../analysis/thresholds.ts';
import { compareWithBaseline } from '../analysis/baseline.ts';
import { renderJunitXml } from '../analysis/junit.ts';
import type { RunResult } from '../analysis/run-result.ts';
import type { AnySourceCostModel } from '../analysis/cost.ts';
import { describeAccount } from '../targets/aws/credentials.ts';
import { formatAwsPlan, planAwsRun } from '../run/aws-dry-run.ts';
import { bringYourOwnFieldsOf, sourceModules } from '../drivers/registry.ts';
import { exitCodes } from './exit-codes.ts';
import { progressPrinter } from './progress.ts';
import { beyondCeilingNotice, readMachineCeilings, requestedPeakEventsPerSecond } from '../load/machine-ceilings.ts';

export interface RunFlags {
  target?: TargetName;
  endpoint?: string;
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

export async function readRunResult(file: string): Promise<RunResult> {
  let parsed: RunResult;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8')) as RunResult;
  } catch (error) {
    throw new ScenarioError([{ file, line: 1, column: 1, keyPath: '', message: `not a readable result.json (${(error as Error).message})` }]);
  }
  if (parsed.schemaVersion !== 1 || !Array.isArray(parsed.patterns)) {
    throw new ScenarioError([{ file, line: 1, column: 1, keyPath: 'schemaVersion', message: `not a sluice RunResult of schema version 1` }]);
  }
  return parsed;
}

/**
 * `sluice run`: validate, run, write the run folder, check thresholds and the baseline.
 * Exit 0 when all passed, 1 when a threshold failed or a metric regressed, 3 when the
 * run itself failed, 130 when interrupted.
 */
export async function runCommand(file: string, flags: RunFlags, io: Io): Promise<number> {
  const scenario = await loadScenarioFile(file);
  if (flags.only) {
    const known = scenario.patterns.map(patternNameOf);
    const unknown = flags.only.filter((name) => !known.includes(name));
    if (unknown.length > 0) throw new ScenarioError([{ file, line: 1, column: 1, keyPath: 'patterns', message: `--only names unknown patterns ${unknown.join(', ')} (the file has ${known.join(', ')})` }]);
  }
  if (flags.tolerance !== undefined && !(Number(flags.tolerance) >= 0)) {
    throw new ScenarioError([{ file, line: 1, column: 1, keyPath: '--tolerance', message: 'give the tolerance as a fraction, e.g. 0.1 for 10 %' }]);
  }
  // Read the baseline before anything starts: a missing one is bad input, not a failed run.
  const baseline = flags.baseline ? await readRunResult(baselinePath(flags.baseline)) : undefined;
  if (scenario.target === 'aws' && flags.target !== 'aws') {
    throw new ScenarioError([{ file, line: 1, column: 1, keyPath: 'target', message: 'the scenario names target aws: sluice only reaches AWS when the command line says so — pass --target aws (or --target embedded to run it locally)' }]);
  }
  if (flags.consumer === 'localstack' && flags.target !== 'localstack') {
    throw new ScenarioError([{ file, line: 1, column: 1, keyPath: '--consumer', message: '--consumer localstack needs --target localstack' }]);
  }
  const targetKind = flags.target ?? scenario.target;
  if (flags.dryRun) {
    io.print(formatAwsPlan(planAwsRun(scenario)));
    return exitCodes.ok;
  }
  // Existing resources only mean something where sluice does not create its own: refuse them
  // elsewhere rather than ignore them.
  const ownResources = bringYourOwnTargetProblems(scenario.patterns, { target: targetKind, consumer: flags.consumer, fieldsOf: (source) => bringYourOwnFieldsOf(source) });
  if (ownResources.length > 0) {
    throw new ScenarioError(await Promise.all(ownResources.map(async (problem) => ({ file, ...(await locateKey(file, problem.keyPath)), keyPath: problem.keyPath, message: `${problem.message}. ${problem.hint}` }))));
  }
  if (targetKind === 'aws') {
    const account = await describeAccount(scenario.region);
    io.print(`AWS account ${account.accountId} (${account.arn}), region ${account.region}`);
    const plan = planAwsRun(scenario);
    io.print(`this run creates ${plan.patterns.filter((p) => p.deploysStack).length} CloudFormation stack(s), runs about ${Math.ceil((plan.durationMs + plan.drainTimeoutMs) / 60_000)} min, and costs about $${plan.costUsd.low.toFixed(2)}–$${plan.costUsd.high.toFixed(2)} (--dry-run shows the plan)`);
    if (!flags.yes && !(await confirm('type "yes" to create these resources: ', io))) {
      io.printError('not confirmed: nothing was created. Pass --yes to skip the question (CI).');
      return exitCodes.badInput;
    }
  }

  if (targetKind !== 'aws') {
    // Said before the run, so nobody waits for figures this machine cannot produce.
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
  const progress = progressPrinter(io.err);
  let result: RunResult;
  try {
    result = await runScenario({
      scenario,
      scenarioFile: file,
      target: flags.target,
      endpoint: flags.endpoint,
      only: flags.only,
      parallel: flags.parallel,
      consumer: flags.consumer,
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
  const written = await writeRun(result, flags.out, { thresholds, baseline: baselineComparison });

  if (result.patterns.length > 0) io.print('\n' + summaryTable(result) + '\n');
  for (const pattern of result.patterns) for (const warning of pattern.warnings) io.printError(`warning [${pattern.name}]: ${warning}`);
  for (const name of written.files) io.print(`${name.padEnd(15)} ${join(written.folder, name)}`);

  let exitCode: number = exitCodes.ok;
  if (thresholds) {
    io.print(`\nthresholds: ${thresholds.passed} passed, ${thresholds.failed} failed, ${thresholds.notApplicable} not applicable`);
    for (const outcome of sortFailuresFirst(thresholds.outcomes)) {
      io.print(`  ${outcome.status === 'passed' ? 'pass' : outcome.status === 'failed' ? 'FAIL' : 'n/a '}  [${outcome.pattern}] ${outcome.expression} — ${outcome.message}`);
    }
    if (!thresholds.ok) exitCode = exitCodes.thresholdsFailed;
  }
  if (flags.junit) {
    await mkdir(dirname(flags.junit), { recursive: true });
    await writeFile(flags.junit, renderJunitXml(thresholds ?? { runId: result.runId, scenarioName: result.scenario.name, outcomes: [], passed: 0, failed: 0, notApplicable: 0, ok: true }, { name: `sluice ${result.scenario.name}` }));
    io.print(`junit:          ${flags.junit}`);
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
    await mkdir(dirname(path), { recursive: true });
    await copyFile(join(written.folder, 'result.json'), path);
    io.print(`baseline saved: ${path}`);
  }
  if (result.status === 'failed') {
    io.printError(`run failed: ${result.failure?.message}`);
    return exitCodes.runFailed;
  }
  if (result.status === 'interrupted') return exitCodes.interrupted;
  return exitCode;
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
