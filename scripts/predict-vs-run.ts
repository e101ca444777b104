/**
 * Predict vs run for every shipped scenario one machine can run: each is run on the embedded
 * target and predicted (exact), and the figures are printed side by side with their gaps, a
 * gap above 10 % naming the rule it depends on. Takes as long as the runs (a few minutes).
 *
 *   node --import ./bin/register.mjs scripts/predict-vs-run.ts [scenarios/<name>.yaml …]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseScenario } from '../scenario/load.ts';
import { patternNameOf } from '../scenario/schema.ts';
import { runScenario } from '../run/run-scenario.ts';
import { predictScenario, chosenFidelity } from '../predict/predict-scenario.ts';
import { agreementOf, formatAgreement } from '../predict/agreement.ts';

const files = process.argv.slice(2).length > 0 ? process.argv.slice(2) : readdirSync('scenarios').filter((name) => name.endsWith('.yaml')).map((name) => join('scenarios', name));
for (const file of files) {
  const scenario = parseScenario(readFileSync(file, 'utf8'), file, undefined, { enforceEventCap: false });
  if (chosenFidelity(scenario) === 'aggregate' || scenario.function.handler.type !== 'synthetic') {
    console.log(`${file}: skipped (${scenario.function.handler.type !== 'synthetic' ? 'a module handler' : 'beyond what one machine runs'})`);
    continue;
  }
  const measured = await runScenario({ scenario, scenarioFile: file, signal: new AbortController().signal });
  const predicted = await predictScenario({ scenario, scenarioFile: file, fidelity: 'exact' });
  for (const pattern of measured.patterns) {
    const twin = predicted.patterns.find((p) => p.name === pattern.name);
    // A run that could not apply its load on this machine measured the harness, not the rules: say so beside its figures.
    for (const warning of pattern.warnings.filter((w) => w.includes('not applied') || w.includes('load generator'))) console.log(`${file} ${pattern.name} (measured run) warning: ${warning}`);
    if (twin) console.log(formatAgreement(`${file} ${patternNameOf({ name: pattern.name, source: pattern.source })}`, agreementOf(twin, pattern)));
  }
}
process.exit(0);
