import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { loadScenarioFile, locateKey } from '../scenario/load.ts';
import { CommandLineError, ScenarioError, type FlagProblem } from '../scenario/errors.ts';
import { patternNameOf } from '../scenario/schema.ts';
import { evaluateThresholds } from '../analysis/thresholds.ts';
import { checkOutputPaths } from './output-paths.ts';
import { baselinePath, printThresholds, readRunResult, runOutputPaths, sourceCostModels, type Io } from './run-command.ts';
import { exitCodes } from './exit-codes.ts';
import type { Fidelity } from '../predict/predict-scenario.ts';

export interface PredictFlags {
  out: string;
  only?: string[];
  fidelity: Fidelity;
  junit?: string;
  baseline?: string;
  tolerance?: string;
  saveBaseline?: string;
}

/**
 * `sluice predict`: the scenario on simulated time (predict/), written as a run folder marked
 * `mode: predicted`; thresholds and the baseline are checked as `sluice run` checks them.
 * Exit 0 when all passed, 1 when a threshold failed or a metric regressed.
 */
export async function predictCommand(file: string, flags: PredictFlags, io: Io): Promise<number> {
  // A prediction counts events rather than keeping each, so the run's event cap does not apply.
  const scenario = await loadScenarioFile(file, { enforceEventCap: false });
  const flagProblems: FlagProblem[] = [];
  if (flags.only) {
    const known = scenario.patterns.map(patternNameOf);
    const unknown = flags.only.filter((name) => !known.includes(name));
    if (unknown.length > 0) flagProblems.push({ flag: '--only', message: `names unknown patterns ${unknown.join(', ')} (${file} has ${known.join(', ')})` });
  }
  if (flags.tolerance !== undefined && !(Number(flags.tolerance) >= 0)) {
    flagProblems.push({ flag: '--tolerance', message: `${JSON.stringify(flags.tolerance)} is not a fraction: give it as e.g. 0.1 for 10 %` });
  }
  if (flagProblems.length > 0) throw new CommandLineError(flagProblems);
  if (scenario.function.handler.type === 'module') {
    throw new ScenarioError([
      {
        file,
        ...(await locateKey(file, 'function.handler')),
        keyPath: 'function.handler',
        message: `a prediction runs the synthetic handler, and this one is a module (${scenario.function.handler.module}): give function.handler a duration (p50/p99, what \`sluice run\` measured as latency.invokeDurationMs) and an errorRate to predict it`,
      },
    ]);
  }
  const baseline = flags.baseline ? await readRunResult(baselinePath(flags.baseline), 'a baseline') : undefined;
  await checkOutputPaths(runOutputPaths(flags));
  const { predictScenario } = await import('../predict/predict-scenario.ts');
  const { writeFileAtomically, writeRun } = await import('../run/write-run.ts');
  const { summaryTable } = await import('../analysis/report-markdown.ts');
  const { compareWithBaseline } = await import('../analysis/baseline.ts');
  const { renderJunitXml } = await import('../analysis/junit.ts');
  const result = await predictScenario({
    scenario,
    scenarioFile: file,
    fidelity: flags.fidelity,
    only: flags.only,
    onFidelityChosen: (fidelity, why) => io.printError(`fidelity auto: ${fidelity} (${why})`),
    onPatternStart: (name, index, count, fidelity) => io.printError(`pattern ${index + 1}/${count}: ${name} (predicted, ${fidelity})`),
  });
  const costModels = sourceCostModels();
  const thresholds = scenario.thresholds && result.patterns.length > 0 ? evaluateThresholds(result, scenario.thresholds, { unknownPatterns: flags.only ? 'ignore' : 'fail', costModels }) : undefined;
  const baselineComparison = baseline ? compareWithBaseline(result, baseline, { ...(flags.tolerance !== undefined ? { tolerance: Number(flags.tolerance) } : {}), costModels }) : undefined;
  io.print(`\npredicted (${result.prediction?.fidelity}): a model of ${scenario.name} on simulated time, ${result.prediction?.rulesVersion}; ${result.prediction?.simulatedEventsPerWallSecond.toLocaleString('en-US')} simulated events/s, ${((result.prediction?.wallMs ?? 0) / 1000).toFixed(2)} s wall`);
  if (result.patterns.length > 0) io.print('\n' + summaryTable(result) + '\n');
  for (const pattern of result.patterns) for (const warning of pattern.warnings) io.printError(`warning [${pattern.name}]: ${warning}`);
  const written = await writeRun(result, flags.out, { thresholds, baseline: baselineComparison });
  for (const name of written.files) io.print(`${name.padEnd(15)} ${join(written.folder, name)}`);
  let exitCode: number = exitCodes.ok;
  if (thresholds && !printThresholds(io, thresholds)) exitCode = exitCodes.thresholdsFailed;
  if (flags.junit) {
    await mkdir(dirname(flags.junit), { recursive: true });
    await writeFileAtomically(flags.junit, renderJunitXml(thresholds ?? { runId: result.runId, scenarioName: result.scenario.name, outcomes: [], passed: 0, failed: 0, notApplicable: 0, ok: true }, { name: `sluice predict ${result.scenario.name}` }));
    io.print(`junit:          ${flags.junit}`);
  }
  if (baselineComparison) {
    io.print(`\nbaseline ${flags.baseline}: ${baselineComparison.regressions} regression(s), ${baselineComparison.improvements} improvement(s)`);
    for (const pattern of baselineComparison.patterns) for (const delta of pattern.deltas.filter((d) => d.status === 'regressed')) io.print(`  REGRESSED [${pattern.pattern}] ${delta.metric}: ${delta.message}`);
    if (baselineComparison.regressed) exitCode = exitCodes.thresholdsFailed;
  }
  if (flags.saveBaseline) {
    const path = baselinePath(flags.saveBaseline);
    await mkdir(dirname(path), { recursive: true });
    await writeFileAtomically(path, await readFile(join(written.folder, 'result.json'), 'utf8'));
    io.print(`baseline saved: ${path}`);
  }
  return exitCode;
}
