import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseScenario } from '../../scenario/load.ts';
import { runScenario } from '../../run/run-scenario.ts';
import { fidelityBySize, predictScenario } from '../../predict/predict-scenario.ts';
import { agreementOf, formatAgreement, type AgreementFigure } from '../../predict/agreement.ts';

/**
 * Every shipped scenario at full length, run on the embedded target and predicted (exact):
 * each pattern's throughput out, p99 end-to-end, peak concurrency, max age and cost within
 * 10 % (peak concurrency: within one environment where 10 % is less), or inside a gap named
 * below with the behaviour of this machine's emulators behind it. About 8 minutes, so not part
 * of `npm test`: `npm run test:agreement`, and nightly in .github/workflows/load-tests.yml.
 */
const tolerance = 0.1;

interface NamedGap {
  figure: AgreementFigure;
  /** The measured figure is above (slower, older, more) or below the predicted one, or either way. */
  measured: 'above' | 'below' | 'either';
  /** The largest gap allowed. */
  gapMax: number;
  why: string;
}

const wakesEveryPoll = 'fauxqs wakes every waiting long poll on each send where SQS answers one, so the run’s pollers answer early and empty, back off, and gather smaller, later batches';
const batchOfOneOverHttp = 'batch size 1 costs three HTTP calls a message on this machine (receive, invoke, delete): a measured message waits on them';
const httpPerEvent = 'each event of the run goes through the emulator over HTTP (a notification, an async invoke) and waits on it, which the rules do not count';
const httpPerBatch = 'each receive, invoke and delete is an HTTP call on this machine: a few per cent less throughput out over 25 s of backlog adds up in the oldest message’s wait';
const sharedCores = 'five patterns share two cores: the run’s asynchronous deliveries fall behind and bunch up, so more environments are busy at once';
const oneTailSample = 'a max queue age is one tail sample of a run (the largest once-a-second reading): one slow receive sets it';
const oneIteratorTailSample = 'a max iterator age is one tail sample of a run: one slow batch ahead of a read\'s batch in its lane sets it (on kinesis-basic the exact mode\'s own seeds give 67–243 ms, and runs on a 2-core machine 261–327 ms, whose reads and invokes over HTTP add to it)';

/** `<scenario file> <pattern name>` → the gaps this machine's run is known to have. */
const namedGaps: Record<string, NamedGap[]> = {
  'scenarios/s3-to-sqs.yaml s3-sqs': [
    { figure: 'throughputOut', measured: 'below', gapMax: 0.35, why: wakesEveryPoll },
    { figure: 'p99EndToEndMs', measured: 'above', gapMax: 0.5, why: wakesEveryPoll },
    { figure: 'peakConcurrency', measured: 'below', gapMax: 0.6, why: wakesEveryPoll },
    { figure: 'maxAgeMs', measured: 'above', gapMax: 0.6, why: wakesEveryPoll },
  ],
  'scenarios/s3-to-sqs.yaml s3-eventbridge': [
    {
      figure: 'p99EndToEndMs',
      measured: 'either',
      gapMax: 0.45,
      why: 'the p99 of the 90 notifications of a 3 s run is nearly their slowest: the exact mode’s own seeds give 228–314 ms, and the embedded bus adds its own delivery time to each (runs measured up to 45 % above the prediction, and once, on 2026-12-04, 234 ms against 314)',
    },
  ],
  'scenarios/s3-basic.yaml s3': [{ figure: 'p99EndToEndMs', measured: 'above', gapMax: 0.25, why: httpPerEvent }],
  'scenarios/compare-all.yaml eventbridge': [{ figure: 'peakConcurrency', measured: 'above', gapMax: 0.35, why: sharedCores }],
  'scenarios/compare-all.yaml s3': [{ figure: 'peakConcurrency', measured: 'above', gapMax: 0.35, why: sharedCores }],
  'scenarios/compare-all.yaml apigateway': [{ figure: 'peakConcurrency', measured: 'above', gapMax: 0.35, why: sharedCores }],
  'scenarios/sqs-overload-ramp.yaml sqs': [
    { figure: 'p99EndToEndMs', measured: 'above', gapMax: 0.2, why: httpPerBatch },
    { figure: 'maxAgeMs', measured: 'above', gapMax: 0.2, why: httpPerBatch },
  ],
  'scenarios/sqs-bursts.yaml sqs': [
    { figure: 'p99EndToEndMs', measured: 'above', gapMax: 0.95, why: batchOfOneOverHttp },
    { figure: 'peakConcurrency', measured: 'above', gapMax: 0.4, why: batchOfOneOverHttp },
    // Either about 20 ms or about 200 ms in runs of one tree: whether a once-a-second reading falls in a burst's HTTP queue.
    { figure: 'maxAgeMs', measured: 'above', gapMax: 0.95, why: batchOfOneOverHttp },
  ],
  'scenarios/sqs-replay.yaml sqs': [
    { figure: 'p99EndToEndMs', measured: 'above', gapMax: 0.8, why: batchOfOneOverHttp },
    { figure: 'maxAgeMs', measured: 'above', gapMax: 0.5, why: batchOfOneOverHttp },
  ],
};

/**
 * Max queue age on an SQS-fed pattern, and max iterator age on a Kinesis one, either way; max
 * async event age on an asynchronous one, where the run's events wait a few milliseconds on
 * their HTTP hop (predicted 0, measured 0–2 ms: at most 10 ms over the 20 ms the gap is taken of).
 */
function tailSampleGap(patternSource: string, figure: AgreementFigure): NamedGap | undefined {
  if (figure !== 'maxAgeMs') return undefined;
  if (patternSource === 'sqs') return { figure, measured: 'either', gapMax: 0.5, why: oneTailSample };
  if (patternSource === 'kinesis') return { figure, measured: 'either', gapMax: 0.5, why: oneIteratorTailSample };
  if (patternSource === 'eventbridge' || patternSource === 's3') return { figure, measured: 'above', gapMax: 0.5, why: httpPerEvent };
  return undefined;
}

const files = readdirSync('scenarios')
  .filter((name) => name.endsWith('.yaml'))
  .map((name) => join('scenarios', name));

describe('sluice predict against a real embedded run, every shipped scenario at full length', () => {
  for (const file of files) {
    const scenario = parseScenario(readFileSync(file, 'utf8'), file, undefined, { enforceEventCap: false });
    const skipped =
      scenario.function.handler.type !== 'synthetic' ? 'its handler is a module, which a prediction does not run' : fidelityBySize(scenario) === 'aggregate' ? 'beyond what one machine runs (aggregate only)' : undefined;
    it.skipIf(skipped !== undefined)(`${file}${skipped ? ` (skipped: ${skipped})` : ''}`, async () => {
      const measured = await runScenario({ scenario, scenarioFile: file, signal: new AbortController().signal });
      const predicted = await predictScenario({ scenario, scenarioFile: file, fidelity: 'exact' });
      expect(measured.status, `${file}: the embedded run`).toBe('completed');
      for (const pattern of measured.patterns) {
        const twin = predicted.patterns.find((candidate) => candidate.name === pattern.name);
        expect(twin, `${file}: a predicted ${pattern.name}`).toBeDefined();
        const rows = agreementOf(twin!, pattern);
        console.log(formatAgreement(`${file} ${pattern.name}`, rows, tolerance));
        // Nothing lost either way; how many completed is throughput out's figure (a gateway's throttles follow the arrivals' exact timing).
        expect(twin!.accounting.lost + pattern.accounting.lost, `${file} ${pattern.name}: events lost`).toBe(0);
        for (const row of rows) {
          const where = `${file} ${pattern.name} ${row.figure}: predicted ${row.predicted} vs measured ${row.measured}`;
          const withinOne = row.figure === 'peakConcurrency' && Math.abs(row.predicted - row.measured) <= 1;
          if (row.gap < tolerance || withinOne) continue;
          const named = namedGaps[`${file} ${pattern.name}`]?.find((gap) => gap.figure === row.figure) ?? tailSampleGap(pattern.source, row.figure);
          expect(named, `${where} (${(row.gap * 100).toFixed(1)} %) — differs: ${row.rule}`).toBeDefined();
          console.log(`${where}: a named gap (${(row.gap * 100).toFixed(1)} %, at most ${named!.gapMax * 100} %): ${named!.why}`);
          expect(row.gap, where).toBeLessThanOrEqual(named!.gapMax);
          if (named!.measured === 'above') expect(row.measured, `${where}: the measured figure is the larger one`).toBeGreaterThan(row.predicted);
          else if (named!.measured === 'below') expect(row.measured, `${where}: the measured figure is the smaller one`).toBeLessThan(row.predicted);
        }
      }
    }, 240_000);
  }
});
