import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadScenarioFile, locateKey } from '../scenario/load.ts';
import { CommandLineError, ScenarioError } from '../scenario/errors.ts';
import { coldStartDistributionOf, type TargetName } from '../scenario/parts.ts';
import { checkOutputPaths } from './output-paths.ts';
import { checkHandlerModules } from '../runtime/handler-check.ts';
import { exitCodes } from './exit-codes.ts';
import type { Io } from './run-command.ts';
import type { PlannedSetting, SettingRunner } from '../run/sweep.ts';
import type { RunResult } from '../analysis/run-result.ts';
import type { Target } from '../targets/target.ts';
import type { Scenario } from '../scenario/schema.ts';
import type { HandlerCalibration } from '../run/handler-calibration.ts';

export interface SweepFlags {
  target?: TargetName;
  out: string;
  yes?: boolean;
  dryRun?: boolean;
  predict?: boolean;
  progress: boolean;
}

/**
 * `sluice sweep <scenario>`: runs the scenario once per setting of its `sweep:` (every
 * combination of the values it varies), writes one folder with each setting's RunResult, a
 * table per pattern and the setting each strategy chooses, then checks the scenario's
 * thresholds against the chosen settings. Exit 0 when they pass, 1 when one fails, 2 for bad
 * input, 3 when no setting could run.
 */
export async function sweepCommand(file: string, flags: SweepFlags, io: Io): Promise<number> {
  const scenario = await loadScenarioFile(file);
  if (!scenario.sweep) {
    throw new ScenarioError([{ file, line: 1, column: 1, keyPath: 'sweep', message: 'the scenario has no sweep: add `sweep: { vary: [{ key: function.memoryMb, values: [128, 512, 1024] }], strategy: balanced }` (README, "sluice sweep")' }]);
  }
  const targetKind = flags.target ?? scenario.target;
  let predict: ((setting: PlannedSetting, signal: AbortSignal) => Promise<RunResult>) | undefined;
  if (flags.predict) {
    const available = await import('../predict/predict-scenario.ts').catch(() => undefined);
    if (!available) throw new CommandLineError([{ flag: '--predict', message: 'sluice predict is not available in this build, so a sweep cannot run on simulated time; run the sweep on the embedded target (without --predict)' }]);
    if (flags.target !== undefined) throw new CommandLineError([{ flag: '--predict', message: `a predicted sweep runs on no target; drop --target ${flags.target}` }]);
    const { withModelledDuration } = await import('../run/sweep.ts');
    // A module handler is code, and a prediction runs durations: it is measured once behind
    // each pattern (a short real run), and its stand-in is swept on simulated time.
    const { describeCalibration } = await import('../run/handler-calibration.ts');
    let calibrations: Promise<Map<string, HandlerCalibration>> | undefined;
    const calibrate = (signal: AbortSignal) => {
      calibrations ??= (async () => {
        const { calibrateModuleHandler, calibrationLoad } = await import('../run/handler-calibration.ts');
        io.printError(`calibrating the module handler: ${calibrationLoad.durationS} s at ${calibrationLoad.arrivalRate}/s behind each pattern on the embedded target, measured on one core (taken as one vCPU, 1,769 MB)`);
        const measured = await calibrateModuleHandler({ scenario, scenarioFile: file, signal });
        for (const calibration of measured.values()) io.printError(`  ${describeCalibration(calibration)}`);
        return measured;
      })();
      return calibrations;
    };
    // The duration each setting's memory model gives, and the runtime's median cold start, as
    // fixed inputs: the prediction then runs the same function the embedded sweep does.
    const predictedFunction = (fn: Scenario['function']): Scenario['function'] => {
      const modelled = withModelledDuration({ ...scenario, function: fn }).function;
      return { ...modelled, initDuration: modelled.initDuration ?? coldStartDistributionOf(modelled).p50Ms };
    };
    predict = async (setting, signal) => {
      const fn = setting.scenario.function;
      if (fn.handler.type !== 'module') return available.predictScenario({ scenario: { ...setting.scenario, function: predictedFunction(fn) }, scenarioFile: file });
      const measured = await calibrate(signal);
      return available.predictScenario({
        scenario: setting.scenario,
        scenarioFile: file,
        functionOf: (patternName) => predictedFunction({ ...fn, handler: measured.get(patternName)!.standIn }),
        modelledAlso: [...measured.values()].map((calibration) => `module handler calibrated on this machine (one core as one vCPU), ${describeCalibration(calibration)}; its CPU share scaled to the setting's vCPUs`),
      });
    };
  }
  if (scenario.target === 'aws' && flags.target === undefined && !flags.predict) {
    throw new ScenarioError([
      { file, ...(await locateKey(file, 'target')), keyPath: 'target', message: 'the scenario names target aws, and sluice reaches AWS only when the command line says so: pass --target aws to sweep there, or --target embedded to sweep locally' },
    ]);
  }
  const raw = parseYaml(await readFile(file, 'utf8'), { maxAliasCount: 100 }) as Record<string, unknown>;
  const { planSweep, runSweep, writeSweep, withModelledDuration } = await import('../run/sweep.ts');
  const plan = planSweep(raw, scenario.sweep);
  if (plan.problems.length > 0) {
    throw new ScenarioError(await Promise.all(plan.problems.map(async (problem) => ({ file, ...(await locateKey(file, problem.keyPath)), ...problem }))));
  }
  const { settings } = plan;

  if (flags.dryRun) {
    const { planAwsRun } = await import('../run/aws-dry-run.ts');
    io.print(`sweep of ${scenario.name}: ${settings.length} settings (${scenario.sweep.vary.map((entry) => entry.key).join(' × ')}), strategy ${scenario.sweep.strategy}`);
    let low = 0;
    let high = 0;
    let minutes = 0;
    for (const setting of settings) {
      const awsPlan = planAwsRun(setting.scenario);
      low += awsPlan.costUsd.low;
      high += awsPlan.costUsd.high;
      minutes += (awsPlan.durationMs + awsPlan.drainTimeoutMs) / 60_000;
      io.print(`  ${String(setting.index).padStart(2)}. ${setting.label}: ${setting.scenario.patterns.length} pattern(s), about $${awsPlan.costUsd.low.toFixed(4)}–$${awsPlan.costUsd.high.toFixed(4)} on AWS${setting.notes.length > 0 ? ` (${setting.notes.join('; ')})` : ''}`);
    }
    io.print(`total on AWS: about $${low.toFixed(4)}–$${high.toFixed(4)}, ${Math.ceil(minutes)} min of runs${targetKind === 'aws' ? ', one deployment per setting and pattern' : `; on the ${flags.predict ? 'simulated' : targetKind} target it costs nothing`}`);
    return exitCodes.ok;
  }
  await checkOutputPaths([{ flag: '--out', path: flags.out, kind: 'folder' }]);
  const handlerProblems = await checkHandlerModules(scenario, file, (keyPath) => locateKey(file, keyPath));
  if (handlerProblems.length > 0) throw new ScenarioError(handlerProblems);
  if (targetKind === 'aws' && !predict) {
    const { describeAccount } = await import('../targets/aws/credentials.ts');
    const { planAwsRun } = await import('../run/aws-dry-run.ts');
    const account = await describeAccount(scenario.region);
    const total = settings.reduce((sum, setting) => sum + planAwsRun(setting.scenario).costUsd.high, 0);
    io.print(`AWS account ${account.accountId} (${account.arn}), region ${account.region}`);
    io.print(`this sweep deploys each of ${settings.length} settings in turn (CloudFormation stacks, deleted after each) and costs up to about $${total.toFixed(2)} (--dry-run shows every setting)`);
    if (!flags.yes) {
      io.printError('not confirmed: nothing was created. Pass --yes to deploy the sweep (its cost is above).');
      return exitCodes.badInput;
    }
  }

  const abort = new AbortController();
  const onInterrupt = () => {
    io.printError('\ninterrupted: finishing the running setting, then writing what was measured');
    abort.abort(new Error('interrupted'));
  };
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);
  const { runScenario } = await import('../run/run-scenario.ts');
  const { summarizeSweep, chosenRunOf, sweepTableMarkdown } = await import('../analysis/sweep.ts');
  const { evaluateThresholds, sortFailuresFirst } = await import('../analysis/thresholds.ts');
  const { sourceCostModels } = await import('./run-command.ts');
  const startedAtMs = Date.now();
  // On the embedded target every setting runs on one set of emulators, started once: each
  // setting's patterns still get fresh resources of their own.
  let sharedTarget: Target | undefined;
  if (!predict && targetKind === 'embedded') {
    const { startEmbeddedTarget } = await import('../targets/embedded/embedded-target.ts');
    const { sourceModules } = await import('../drivers/registry.ts');
    const services = [...new Set(scenario.patterns.flatMap((pattern) => sourceModules[pattern.source].embeddedServices))];
    sharedTarget = await startEmbeddedTarget(services, scenario.region);
  }
  const runSetting: SettingRunner = predict
    ? (setting, signal) => predict!(setting, signal)
    : (setting, signal) =>
        runScenario({ scenario: targetKind === 'aws' ? withModelledDuration(setting.scenario) : setting.scenario, scenarioFile: file, target: targetKind, signal, ...(sharedTarget ? { startedTarget: sharedTarget } : {}) });
  let done;
  try {
    done = await runSweep({
      settings,
      runSetting,
      signal: abort.signal,
      onSettingStart: (setting, count) => io.printError(`setting ${setting.index}/${count}: ${setting.label}`),
    });
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
    await sharedTarget?.stop().catch(() => undefined);
  }
  const summary = summarizeSweep({ scenario: scenario.name, strategy: scenario.sweep.strategy, balancedWeight: scenario.sweep.balancedWeight, keys: scenario.sweep.vary.map((entry) => entry.key), settings: done });
  for (const pattern of summary.patterns) {
    io.print(`\n${pattern.pattern}\n\n${sweepTableMarkdown(pattern)}\n`);
    for (const choice of pattern.choices) io.print(`  ${choice.strategy === summary.strategy ? '▶' : ' '} ${choice.strategy}: ${choice.label ?? 'none'} — ${choice.reason}`);
  }
  for (const setting of done.filter((s) => s.failure)) io.printError(`setting ${setting.label}: ${setting.failure}`);
  const written = await writeSweep(summary, done, flags.out, startedAtMs);
  io.print(`\nsweep.md        ${join(written.folder, 'sweep.md')}\nreport.html     ${join(written.folder, 'report.html')}\nsweep.json      ${join(written.folder, 'sweep.json')}`);

  if (done.every((setting) => !setting.result)) {
    io.printError('no setting ran: see the failures above');
    return exitCodes.runFailed;
  }
  if (abort.signal.aborted) return exitCodes.interrupted;
  const chosen = chosenRunOf(summary, done);
  if (scenario.thresholds && chosen) {
    if (chosen.patterns.length < summary.patterns.length) {
      io.print(`\nthresholds: ${summary.patterns.length - chosen.patterns.length} pattern(s) have no clean setting to check`);
      return exitCodes.thresholdsFailed;
    }
    const evaluation = evaluateThresholds(chosen, scenario.thresholds, { costModels: sourceCostModels() });
    io.print(`\nthresholds on the chosen settings (${summary.strategy}): ${evaluation.passed} passed, ${evaluation.failed} failed, ${evaluation.notApplicable} not applicable`);
    for (const outcome of sortFailuresFirst(evaluation.outcomes)) {
      io.print(`  ${outcome.status === 'passed' ? 'pass' : outcome.status === 'failed' ? 'FAIL' : 'n/a '}  [${outcome.pattern}] ${outcome.expression} — ${outcome.message}`);
    }
    if (!evaluation.ok) return exitCodes.thresholdsFailed;
  }
  return exitCodes.ok;
}
