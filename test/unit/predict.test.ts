import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseScenario } from '../../scenario/load.ts';
import { patternNameOf } from '../../scenario/schema.ts';
import { simulateExact } from '../../predict/exact-simulation.ts';
import { simulateAggregate } from '../../predict/aggregate-model.ts';
import { estimatedExactWallMs, fidelityBySize, predictScenario } from '../../predict/predict-scenario.ts';
import { ArrivalSchedule } from '../../load/arrival-schedule.ts';
import { parseRunResult } from '../../analysis/run-result-schema.ts';
import { modeLines, renderRunMarkdown } from '../../analysis/report-markdown.ts';
import { renderHtmlReport } from '../../analysis/report-html.ts';
import { comparePatterns } from '../../analysis/compare.ts';

const startMs = 1_767_225_600_000;

function scenarioOf(yaml: string) {
  return parseScenario(yaml, 'predict-test.yaml', undefined, { enforceEventCap: false });
}

describe('sluice predict', () => {
  it('writes a RunResult marked predicted that the result schema reads back, and its report says it is a model', async () => {
    const scenario = scenarioOf(readFileSync('scenarios/sqs-basic.yaml', 'utf8'));
    const result = await predictScenario({ scenario, scenarioFile: 'scenarios/sqs-basic.yaml', fidelity: 'exact' });
    expect(result.mode).toBe('predicted');
    const parsed = parseRunResult(JSON.stringify(result), 'result.json', { requirePatterns: 'a baseline' });
    expect(parsed.prediction?.fidelity).toBe('exact');
    const markdown = renderRunMarkdown(result);
    expect(markdown).toContain('mode: **predicted** — a model');
    expect(markdown).toContain(result.prediction!.rulesVersion);
    expect(markdown).toContain('‡');
    const html = renderHtmlReport(comparePatterns(result), { js: '', css: '' }, { notes: modeLines(result) });
    expect(html).toContain('a model, not a measurement');
    expect(result.patterns[0]!.accounting.lost).toBe(0);
    expect(result.patterns[0]!.accounting.completed).toBe(850);
  });

  // https://docs.aws.amazon.com/lambda/latest/dg/scaling-behavior.html — "each function can
  // scale by 1,000 execution environments every 10 seconds".
  it('auto: exact for a small scenario, and between the sizes exact only where the aggregate\'s invocations put the exact mode within 10 s', async () => {
    const choose = async (yaml: string) => {
      const chosen: string[] = [];
      const result = await predictScenario({ scenario: scenarioOf(yaml), scenarioFile: 'auto.yaml', onFidelityChosen: (fidelity, why) => chosen.push(`${fidelity}: ${why}`) });
      return { fidelity: result.prediction!.fidelity, chosen: chosen.join('') };
    };
    const small = await choose('name: small\nworkload:\n  phases: [{ duration: 10, arrivalRate: 100 }]\nfunction:\n  handler: { duration: { p50: 40ms, p99: 120ms } }\npatterns:\n  - source: sqs\n');
    expect(small).toEqual({ fidelity: 'exact', chosen: 'exact: 1,000 events a pattern, at most 250,000' });
    // 300,000 records in batches of up to 500: about 720 invokes, well inside the time.
    const stream = await choose('name: stream\nworkload:\n  phases: [{ duration: 60, arrivalRate: 5000 }]\n  keys: { count: 500 }\nfunction:\n  handler: { duration: { p50: 40ms, p99: 120ms } }\npatterns:\n  - source: kinesis\n    shards: 6\n    batchSize: 500\n');
    expect(stream.fidelity).toBe('exact');
    expect(stream.chosen).toMatch(/^exact: exact estimated at 0\.\d s on one core \(300,000 events a pattern, [67]\d\d invocations in the aggregate\), within 10 s$/);
    // 1,200,000 messages, each its own invoke: over the time (the exact mode took 10.3 s here).
    const queue = await choose('name: queue\nworkload:\n  phases: [{ duration: 120, arrivalRate: 10000 }]\nfunction:\n  handler: { duration: { p50: 10ms, p99: 30ms } }\npatterns:\n  - source: sqs\n    batchSize: 1\n');
    expect(queue).toEqual({ fidelity: 'aggregate', chosen: 'aggregate: exact estimated at 13.8 s on one core (1,200,000 events a pattern, 1,200,000 invocations in the aggregate), over 10 s' });
    expect(fidelityBySize(scenarioOf(readFileSync('scenarios/day-1b.yaml', 'utf8')))).toBe('aggregate');
    expect(estimatedExactWallMs('kinesis', 600_000, 6_251)).toBeCloseTo(362.51);
  });

  it('adds at most 1,000 environments per 10 s per function (burst-100k)', () => {
    const scenario = scenarioOf(readFileSync('scenarios/burst-100k.yaml', 'utf8'));
    const { result } = simulateAggregate({ scenario, pattern: scenario.patterns[0]!, patternName: 'apigateway', startMs });
    const concurrency = result.series.map((point) => point.concurrency);
    const burstStart = 60;
    // 2,000 warm environments before the step; then +1,000 per 10 s (the first 10 s may use the full bucket).
    const after100s = concurrency[burstStart + 100]!;
    console.log(`burst-100k: concurrency at the step ${concurrency[burstStart]}, +100 s ${after100s}, peak ${result.summary.peakConcurrency}`);
    for (let second = burstStart + 10; second + 10 < burstStart + 900; second += 10) {
      expect(concurrency[second + 10]! - concurrency[second]!).toBeLessThanOrEqual(1000 + 1);
    }
    expect(result.summary.peakConcurrency).toBe(100_000);
  });

  // https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html — standard queues:
  // "Lambda starts with five concurrent batches", adds "up to 300 more instances per minute"
  // while messages are available, to 1,250 concurrent invokes at most.
  it('SQS pollers start at 5 and grow by 300 a minute (exact mode, the run’s own mapping), to 1,250 at most (aggregate)', async () => {
    const yaml = (seconds: number, rate: number) => `name: sqs-scale
workload:
  phases: [{ duration: ${seconds}, arrivalRate: ${rate} }]
function:
  handler: { duration: 1s }
  initDuration: 100ms
account: { concurrencyLimit: 2000 }
drainTimeout: 0
patterns:
  - source: sqs
    batchSize: 1
`;
    const firstMinute = scenarioOf(yaml(62, 600));
    const { result } = await simulateExact({ scenario: firstMinute, pattern: firstMinute.patterns[0]!, patternName: 'sqs', startMs });
    const pollers = result.series.map((point) => point.pollers ?? 0);
    const long = scenarioOf(yaml(600, 3000));
    const aggregate = simulateAggregate({ scenario: long, pattern: long.patterns[0]!, patternName: 'sqs', startMs }).result;
    const aggregatePollers = aggregate.series.map((point) => point.pollers ?? 0);
    console.log(`sqs pollers (exact): t=1 s ${pollers[1]}, t=60 s ${pollers[60]}; (aggregate) t=60 s ${aggregatePollers[60]}, max ${Math.max(...aggregatePollers)}`);
    expect(pollers[1]).toBeLessThanOrEqual(10);
    expect(pollers[60]! - pollers[1]!).toBeGreaterThan(300 * 0.9);
    expect(pollers[60]! - pollers[1]!).toBeLessThanOrEqual(300 + 5);
    expect(Math.abs(aggregatePollers[60]! - pollers[60]!)).toBeLessThanOrEqual(10);
    expect(Math.max(...aggregatePollers)).toBe(1250);
  }, 60_000);

  // https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html — concurrent batches per
  // shard = parallelizationFactor.
  it('Kinesis concurrency is shards × parallelizationFactor (exact mode)', async () => {
    const scenario = scenarioOf(`name: kinesis-pf
workload:
  phases: [{ duration: 20, arrivalRate: 2000 }]
  keys: { count: 1000 }
function:
  handler: { duration: 400ms }
patterns:
  - source: kinesis
    shards: 2
    parallelizationFactor: 5
    batchSize: 10
`);
    const { result } = await simulateExact({ scenario, pattern: scenario.patterns[0]!, patternName: 'kinesis', startMs });
    console.log(`kinesis 2 shards × pf 5: peak concurrency ${result.summary.peakConcurrency}`);
    expect(result.summary.peakConcurrency).toBe(10);
  }, 60_000);

  // EventBridge's invocation quota: invocations past it are delayed, not dropped (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html).
  // 400 events/s for 10 s against a quota lowered to 200/s: both fidelities hold invokes to ~200/s, every event still completes, and the last waits ~10 s.
  it('EventBridge: invocations past the invocation quota wait and go out at its rate, in both fidelities', async () => {
    const scenario = scenarioOf(`name: eventbridge-invocation-quota
workload:
  phases: [{ duration: 10, arrivalRate: 400 }]
function:
  handler: { duration: 20ms }
patterns:
  - source: eventbridge
    invocationsPerSecond: 200
`);
    const pattern = scenario.patterns[0]!;
    const exact = (await simulateExact({ scenario, pattern, patternName: 'eventbridge', startMs })).result;
    const aggregate = simulateAggregate({ scenario, pattern, patternName: 'eventbridge', startMs }).result;
    for (const [fidelity, result] of [['exact', exact], ['aggregate', aggregate]] as const) {
      const peakOut = Math.max(...result.series.map((point) => point.completed));
      console.log(`eventbridge 400/s into a 200/s invocation quota (${fidelity}): completed ${result.accounting.completed}, peak ${peakOut}/s, p99 end-to-end ${result.latency.endToEndMs.p99} ms`);
      expect(result.accounting).toMatchObject({ completed: 4000, lost: 0, pendingAtEnd: 0 });
      // One second's burst, then the rate.
      expect(peakOut).toBeLessThanOrEqual(410);
      expect(result.series.slice(2, 9).every((point) => Math.abs(point.completed - 200) <= 10)).toBe(true);
      // The last of 4,000 events goes out ~20 s after the start (one second's burst first): ~10 s after it was sent.
      expect(result.latency.endToEndMs.max).toBeGreaterThan(8_000);
      expect(result.latency.endToEndMs.max).toBeLessThan(11_500);
      expect(result.quotas).toContainEqual(expect.objectContaining({ name: 'eventbridge.invocations_per_second', enforcedBy: 'sluice' }));
    }
    expect(exact.extras).toMatchObject({ invocationQuota: { invocationsPerSecond: 200 } });
    expect((exact.extras as { invocationQuota: { delayedInvocations: number } }).invocationQuota.delayedInvocations).toBeGreaterThan(1500);
    expect(gap(exact.latency.endToEndMs.p99, aggregate.latency.endToEndMs.p99)).toBeLessThan(0.05);
    // The wait is EventBridge's, before Lambda's async queue: the async event age stays the handler's scale in both.
    for (const result of [exact, aggregate]) expect(result.summary.asyncEventAgeMsMax ?? 0).toBeLessThan(500);
  }, 60_000);

  // Lambda retries an async invoke after a function error, up to maximumRetryAttempts, after errorRetryDelays
  // (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html): the aggregate model restates it.
  it('async retries after function errors: exact and aggregate complete the same share, and the retried tail agrees', async () => {
    const scenario = scenarioOf(`name: async-retries
workload:
  phases: [{ duration: 10, arrivalRate: 100 }]
function:
  handler: { duration: 20ms, errorRate: 0.2 }
patterns:
  - source: eventbridge
    asyncInvoke: { maximumRetryAttempts: 1, errorRetryDelays: [1s] }
`);
    const pattern = scenario.patterns[0]!;
    const exact = (await simulateExact({ scenario, pattern, patternName: 'eventbridge', startMs })).result;
    const aggregate = simulateAggregate({ scenario, pattern, patternName: 'eventbridge', startMs }).result;
    console.log(`async retries, error rate 0.2, one retry after 1 s: completed ${exact.accounting.completed} vs ${aggregate.accounting.completed}, p99 end-to-end ${exact.latency.endToEndMs.p99} vs ${aggregate.latency.endToEndMs.p99} ms, max async age ${exact.summary.asyncEventAgeMsMax} vs ${aggregate.summary.asyncEventAgeMsMax} ms`);
    // 1,000 events: 20 % fail once and are retried, 4 % fail twice and are given up.
    for (const result of [exact, aggregate]) {
      expect(result.accounting.completed).toBeGreaterThan(940);
      expect(result.accounting.completed).toBeLessThan(980);
      // The retried share (20 %) finishes a second later: the p99 is a retry's.
      expect(result.latency.endToEndMs.p99).toBeGreaterThan(1000);
      expect(result.summary.asyncEventAgeMsMax ?? 0).toBeGreaterThan(900);
    }
    expect(Math.abs(exact.accounting.completed - aggregate.accounting.completed)).toBeLessThanOrEqual(15);
    expect(gap(exact.latency.endToEndMs.p99, aggregate.latency.endToEndMs.p99)).toBeLessThan(0.05);
  }, 60_000);

  // A duration given at another memory size moves to the function's, as the run's handler
  // moves it (runtime/function-model.ts): 80 ms measured at 1,769 MB (one vCPU), all CPU, is
  // 80 × 1,769 / 512 ≈ 276 ms at 512 MB. A peak memory above memoryMb fails every invoke.
  it('predicts a duration given at another memory size at the function\'s, and an out-of-memory handler as failing, in both fidelities', async () => {
    const scaled = scenarioOf(`name: memory-scaled
workload:
  phases: [{ duration: 5, arrivalRate: 50 }]
function:
  memoryMb: 512
  handler: { duration: 80ms, durationAtMemoryMb: 1769, cpuShare: 1 }
patterns:
  - source: apigateway
`);
    const pattern = scaled.patterns[0]!;
    const exact = (await simulateExact({ scenario: scaled, pattern, patternName: 'apigateway', startMs })).result;
    const aggregate = simulateAggregate({ scenario: scaled, pattern, patternName: 'apigateway', startMs }).result;
    console.log(`80 ms at 1,769 MB run at 512 MB: invoke p50 ${exact.latency.invokeDurationMs.p50} (exact) vs ${aggregate.latency.invokeDurationMs.p50} ms (aggregate)`);
    for (const result of [exact, aggregate]) {
      expect(result.latency.invokeDurationMs.p50).toBeGreaterThan(265);
      expect(result.latency.invokeDurationMs.p50).toBeLessThan(285);
    }
    const outOfMemory = scenarioOf(`name: out-of-memory
workload:
  phases: [{ duration: 2, arrivalRate: 20 }]
function:
  memoryMb: 128
  handler: { duration: 20ms, peakMemoryMb: 300 }
patterns:
  - source: apigateway
`);
    const oomPattern = outOfMemory.patterns[0]!;
    const oomExact = (await simulateExact({ scenario: outOfMemory, pattern: oomPattern, patternName: 'apigateway', startMs })).result;
    const oomAggregate = simulateAggregate({ scenario: outOfMemory, pattern: oomPattern, patternName: 'apigateway', startMs }).result;
    for (const result of [oomExact, oomAggregate]) {
      expect(result.accounting.completed).toBe(0);
      expect(result.summary.invocationErrors).toBe(40);
    }
    // Lambda ends each environment that ran out of memory: every invoke is a cold start.
    expect(oomExact.summary.coldStarts).toBe(40);
    expect(oomAggregate.warnings.join(' ')).toContain('does not end their environments');
  }, 60_000);

  const gap = (a: number, b: number) => (Math.max(Math.abs(a), Math.abs(b)) === 0 ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b)));

  async function bothWays(scenario: ReturnType<typeof scenarioOf>, pattern: ReturnType<typeof scenarioOf>['patterns'][number]) {
    const name = patternNameOf(pattern);
    const exact = (await simulateExact({ scenario, pattern, patternName: name, startMs })).result;
    const aggregate = simulateAggregate({ scenario, pattern, patternName: name, startMs }).result;
    const ageOf = (result: typeof exact) => result.summary.queueAgeMsMax ?? result.summary.iteratorAgeMsMax ?? result.summary.asyncEventAgeMsMax ?? 0;
    const figures: Record<string, [number, number]> = {
      throughputOut: [exact.summary.throughputOutPerSecond, aggregate.summary.throughputOutPerSecond],
      p99EndToEndMs: [exact.latency.endToEndMs.p99, aggregate.latency.endToEndMs.p99],
      peakConcurrency: [exact.summary.peakConcurrency, aggregate.summary.peakConcurrency],
      maxAgeMs: [ageOf(exact), ageOf(aggregate)],
      costUsd: [exact.cost!.totalUsd, aggregate.cost!.totalUsd],
    };
    const line = `${name}: ` + Object.entries(figures).map(([metric, [a, b]]) => `${metric} ${+a.toPrecision(4)} vs ${+b.toPrecision(4)} (${(gap(a, b) * 100).toFixed(1)} %)`).join(', ');
    return { exact, aggregate, figures, line };
  }

  // Every source at 800 events/s for 10 s (8,000 events: enough that the exact run's own
  // p99 is its distribution's, not the noise of a few tail samples).
  it('exact and aggregate agree within 5 % on throughput, p99, peak concurrency, max age and cost for every source', async () => {
    const rows: string[] = [];
    const checks: Array<{ what: string; gap: number }> = [];
    const scenario = scenarioOf(`name: agreement
workload:
  phases: [{ duration: 10, arrivalRate: 800 }]
  keys: { count: 100 }
function:
  handler: { duration: { p50: 40ms, p99: 150ms } }
  initDuration: 300ms
patterns:
  - source: sqs
    batchSize: 10
  - source: kinesis
    shards: 4
    batchSize: 100
  - source: eventbridge
  - source: s3
  - source: apigateway
`);
    for (const pattern of scenario.patterns) {
      const { exact, aggregate, figures, line } = await bothWays(scenario, pattern);
      rows.push(line);
      console.log(line);
      expect(aggregate.accounting.completed).toBe(exact.accounting.completed);
      checks.push(...['throughputOut', 'peakConcurrency', 'maxAgeMs', 'costUsd', 'p99EndToEndMs'].map((metric) => ({ what: `${pattern.source} ${metric}`, gap: gap(...figures[metric]!) })));
    }
    // Known gaps of the aggregate model, each naming the rule it restates differently (printed above):
    // SQS — the wait for the first busy poller to finish is its mean (8 ms here, was left out:
    // 8.9 %), but a take of more than ten messages, which leaves the rest for the next poller,
    // happens only in the exact run's chance peaks, so p99 parts (6.8 %). Kinesis's max iterator
    // age is a tail figure of one run (340–557 ms over 16 seeds of this scenario); the aggregate's
    // even-odds max (predict/run-maximum.ts) is held to that spread in the seed-range test below. Kinesis
    // throughput out and cost agree (0.0 % and 0.3 %; they were 8.3 % and 4.1 %) since the exact
    // mode writes an arrival due on a read's beat before that read (core/clock.ts setTimerFirst):
    // the last record no longer waited a poll interval, into a second of its own.
    const knownGaps = new Set(['sqs p99EndToEndMs', 'kinesis maxAgeMs']);
    console.log(rows.join('\n'));
    for (const check of checks.filter((c) => !knownGaps.has(c.what))) expect(check.gap, check.what).toBeLessThan(0.05);
  }, 120_000);

  it('predicts S3 notifying through a queue with the SQS mapping’s rules: batches gathered over the batching window, in both fidelities', async () => {
    const scenario = scenarioOf(readFileSync('scenarios/s3-to-sqs.yaml', 'utf8'));
    const pattern = scenario.patterns.find((candidate) => candidate.source === 's3' && candidate.notify.to === 'sqs')!;
    const { exact, aggregate, figures, line } = await bothWays(scenario, pattern);
    console.log(`s3-to-sqs ${line}; invocations ${exact.summary.invocations} vs ${aggregate.summary.invocations}`);
    const windowMs = (pattern as { notify: { maximumBatchingWindow: number } }).notify.maximumBatchingWindow;
    for (const result of [exact, aggregate]) {
      // Batches, not one invoke per object; messages wait in the queue for their poller's window.
      expect(result.summary.invocations).toBeLessThan(result.accounting.completed / 2);
      expect(result.latency.endToEndMs.p50).toBeGreaterThan(windowMs / 2);
      expect(result.summary.queueAgeMsMax).toBeGreaterThan(windowMs * 0.8);
      expect(result.summary.peakConcurrency).toBeLessThanOrEqual(5);
    }
    expect(exact.quotas.map((quota) => quota.name)).toContain('sqs.standard_throughput');
    expect(exact.extras).toHaveProperty('polling');
    for (const metric of ['throughputOut', 'p99EndToEndMs', 'peakConcurrency'] as const) expect(gap(...figures[metric]!), metric).toBeLessThan(0.05);
  });

  // Two records a second into ten shards: each shard's part of a second's records is a fifth of
  // one. The aggregate waited for half a whole record in a shard before reading it, so records
  // sat for seconds and the last two stayed unread until the drain timeout (p99 4,543 ms, 38 of 40).
  it('a stream whose shards get under a record a second each: the aggregate reads each shard\'s part of a record as the exact run reads the record', async () => {
    const scenario = scenarioOf(`name: sparse-stream
workload:
  phases: [{ duration: 20, arrivalRate: 2 }]
  keys: { count: 100 }
function:
  handler: { duration: { p50: 40ms, p99: 150ms } }
patterns:
  - source: kinesis
    shards: 10
    batchSize: 100
`);
    const { exact, aggregate, figures, line } = await bothWays(scenario, scenario.patterns[0]!);
    console.log(`sparse stream ${line}; invocations ${exact.summary.invocations} vs ${aggregate.summary.invocations}`);
    expect(aggregate.accounting.completed).toBe(40);
    expect(exact.accounting.completed).toBe(40);
    // Ended with the last record, not at the drain timeout.
    for (const result of [exact, aggregate]) expect(result.endedAtMs - result.startedAtMs).toBeLessThan(22_000);
    // A record is read on the next beat and invoked alone: one invoke each, within a second.
    expect(gap(exact.summary.invocations, aggregate.summary.invocations)).toBeLessThan(0.1);
    expect(aggregate.latency.endToEndMs.p99).toBeLessThan(1000);
    for (const metric of ['throughputOut', 'p99EndToEndMs', 'peakConcurrency', 'costUsd'] as const) expect(gap(...figures[metric]!), metric).toBeLessThan(0.05);
  });

  // Five pollers each take what waits, up to ten: at 200–400 messages/s they are busy nearly all
  // the time, and a message waits for the first of them to finish (about 8 ms here, the mean of
  // the least of five residual invoke times). The counts free a part of a poller each step and
  // took the step's messages at once, so their end-to-end latency was the bare invoke duration.
  it('SQS messages that find every poller busy wait for the first to finish, in both fidelities', async () => {
    for (const rate of [200, 400]) {
      const scenario = scenarioOf(`name: busy-pollers
workload:
  phases: [{ duration: 20, arrivalRate: ${rate} }]
function:
  handler: { duration: { p50: 40ms, p99: 150ms } }
  initDuration: 0ms
patterns:
  - source: sqs
    batchSize: 10
`);
      const { exact, aggregate, line } = await bothWays(scenario, scenario.patterns[0]!);
      const waitOf = (result: typeof exact) => result.latency.endToEndMs.mean - result.latency.invokeDurationMs.mean;
      console.log(`busy pollers ${rate}/s ${line}; wait for a poller ${waitOf(exact).toFixed(1)} vs ${waitOf(aggregate).toFixed(1)} ms`);
      expect(exact.summary.peakConcurrency).toBe(5);
      expect(waitOf(exact)).toBeGreaterThan(5);
      expect(waitOf(aggregate)).toBeGreaterThan(5);
      expect(waitOf(aggregate)).toBeLessThan(12);
      expect(gap(exact.latency.endToEndMs.mean, aggregate.latency.endToEndMs.mean)).toBeLessThan(0.05);
      expect(gap(exact.latency.endToEndMs.p50, aggregate.latency.endToEndMs.p50)).toBeLessThan(0.05);
    }
  });

  it('a long SQS batching window: pollers gather their share for the whole window, both fidelities alike, and do not scale on what they hold', async () => {
    const scenario = scenarioOf(`name: long-window
workload:
  phases: [{ duration: 120, arrivalRate: 500 }]
function:
  handler: { duration: { p50: 40ms, p99: 400ms } }
drainTimeout: 60s
patterns:
  - source: sqs
    batchSize: 10000
    maximumBatchingWindow: 20s
`);
    const { exact, aggregate, figures, line } = await bothWays(scenario, scenario.patterns[0]!);
    console.log(`long window ${line}; invocations ${exact.summary.invocations} vs ${aggregate.summary.invocations}`);
    for (const result of [exact, aggregate]) {
      // Five pollers, each holding a fifth of the arrivals for 20 s: a message waits 0–20 s, half of them about 10 s.
      expect(result.summary.peakConcurrency).toBe(5);
      expect(result.latency.endToEndMs.p50).toBeGreaterThan(8000);
      expect(result.latency.endToEndMs.p50).toBeLessThan(12_000);
    }
    for (const metric of ['throughputOut', 'p99EndToEndMs', 'peakConcurrency', 'maxAgeMs'] as const) expect(gap(...figures[metric]!), metric).toBeLessThan(0.05);
    expect(gap(exact.latency.endToEndMs.p50, aggregate.latency.endToEndMs.p50)).toBeLessThan(0.05);
  });

  it('SQS batching windows: the gathering pollers invoke in a wave, one arrival apart, in both fidelities (invocations, peak, p99)', async () => {
    // Messages wake the gathering pollers in turn, so their batches grow together: full at once
    // (5/s into batches of 10, a 20 s window) or their windows ending at once (50/s into 100, 5 s).
    // The aggregate invoked them in the same step (peak 5 against 2), and left a share of the
    // oldest messages behind each batch to open another window (713 invocations against 585).
    // Still apart, and not held here: the first case's max queue age, 20,000 ms exact against
    // 9,510 (9,810 before the waves).
    for (const [rate, batchSize, windowS] of [[5, 10, 20], [50, 100, 5]] as const) {
      const scenario = scenarioOf(`name: window-waves
workload:
  phases: [{ duration: 600, arrivalRate: ${rate} }]
function:
  handler: { duration: { p50: 40ms, p99: 120ms } }
patterns:
  - source: sqs
    batchSize: ${batchSize}
    maximumBatchingWindow: ${windowS}s
`);
      const { exact, aggregate, line } = await bothWays(scenario, scenario.patterns[0]!);
      console.log(`${rate}/s, batches of ${batchSize}, ${windowS} s window: ${line}; invocations ${exact.summary.invocations} vs ${aggregate.summary.invocations}`);
      expect(gap(exact.summary.invocations, aggregate.summary.invocations)).toBeLessThan(0.05);
      expect(Math.abs(exact.summary.peakConcurrency - aggregate.summary.peakConcurrency)).toBeLessThanOrEqual(1);
      expect(gap(exact.latency.endToEndMs.p99, aggregate.latency.endToEndMs.p99)).toBeLessThan(0.06);
    }
  });

  it('settles promise jobs deeply enough: the default microtask hops give what a full event-loop turn per timer gives', async () => {
    // The rules' await chains run within defaultSettleTurns hops of their timer (measured: 8
    // hops change nothing on the shipped scenarios, 6 do). A deeper chain added to a mapping
    // or the runtime would part the two here.
    const scenario = scenarioOf(readFileSync('scenarios/compare-all.yaml', 'utf8'));
    for (const pattern of scenario.patterns) {
      const patternName = patternNameOf(pattern);
      const fast = (await simulateExact({ scenario, pattern, patternName, startMs })).result;
      const turn = (await simulateExact({ scenario, pattern, patternName, startMs, settle: 'macrotask' })).result;
      expect({ accounting: fast.accounting, summary: fast.summary, latency: fast.latency, series: fast.series }, patternName).toEqual({
        accounting: turn.accounting,
        summary: turn.summary,
        latency: turn.latency,
        series: turn.series,
      });
    }
  }, 60_000);

  it('prints exact vs aggregate for the shipped scenarios both can run', async () => {
    const rows: string[] = [];
    for (const file of ['scenarios/sqs-basic.yaml', 'scenarios/sqs-overload-ramp.yaml', 'scenarios/kinesis-basic.yaml', 'scenarios/kinesis-hot-shard.yaml', 'scenarios/eventbridge-basic.yaml', 'scenarios/s3-basic.yaml', 'scenarios/apigateway-basic.yaml', 'scenarios/compare-all.yaml', 'scenarios/s3-to-sqs.yaml', 'scenarios/sqs-bursts.yaml']) {
      const scenario = scenarioOf(readFileSync(file, 'utf8'));
      for (const pattern of scenario.patterns) {
        const { exact, aggregate, figures, line } = await bothWays(scenario, pattern);
        rows.push(`${file.split('/').pop()} ${line}`);
        console.log(rows.at(-1));
        const settled = (a: typeof exact.accounting) => a.completed + a.pendingAtEnd + (a.filtered ?? 0) + a.failed + a.deadLettered;
        expect(Math.abs(settled(aggregate.accounting) - settled(exact.accounting))).toBeLessThanOrEqual(Math.max(5, 0.01 * exact.accounting.sent));
        // A queue's depth counts the messages waiting and those in invokes (not busy invokes × batch size).
        if (exact.summary.queueDepthMax !== undefined) {
          console.log(`${file.split('/').pop()} ${patternNameOf(pattern)} queue depth max: ${exact.summary.queueDepthMax} vs ${aggregate.summary.queueDepthMax}`);
          expect(Math.abs(aggregate.summary.queueDepthMax! - exact.summary.queueDepthMax), `${file} queue depth`).toBeLessThanOrEqual(Math.max(3, 0.2 * exact.summary.queueDepthMax));
        }
        // Throughput out counts whole seconds to the last completion: under 10 s of load, one second either side is more than 10 %.
        const loadMs = new ArrivalSchedule(scenario.workload.phases).durationMs;
        if (loadMs >= 10_000) expect(gap(...figures.throughputOut!), file).toBeLessThan(0.1);
      }
    }
    console.log(rows.join('\n'));
  }, 180_000);

  // On the small shipped scenarios a figure of one exact run is partly its seed's: p99 of a
  // few thousand events, a peak of a few environments. The aggregate is held to the range of
  // eight exact runs with different seeds, widened by 5 %.
  // Outside the range, and why; held within gapMax of it.
  const knownOutside: Record<string, { gapMax: number; why: string }> = {
    's3-to-sqs.yaml s3-sqs maxAgeMs': {
      gapMax: 0.1,
      why: 'a queue age read once a second, three times in a 3 s load: the aggregate reads 410 ms where the exact seeds read 450–625; over 30 s of the same load it reads 545 inside their 525–625 (and its batching-window waves invoke 263 times against 225)',
    },
  };

  it('puts the aggregate within the exact mode\'s own seed-to-seed range on the shipped scenarios', async () => {
    const rows: string[] = [];
    const outside: string[] = [];
    for (const file of ['scenarios/sqs-basic.yaml', 'scenarios/sqs-overload-ramp.yaml', 'scenarios/kinesis-basic.yaml', 'scenarios/kinesis-hot-shard.yaml', 'scenarios/eventbridge-basic.yaml', 'scenarios/s3-basic.yaml', 'scenarios/apigateway-basic.yaml', 'scenarios/compare-all.yaml', 'scenarios/s3-to-sqs.yaml', 'scenarios/sqs-bursts.yaml']) {
      const text = readFileSync(file, 'utf8');
      for (const [index, pattern] of scenarioOf(text).patterns.entries()) {
        const name = patternNameOf(pattern);
        const figuresOf = (result: Awaited<ReturnType<typeof simulateExact>>['result']) => ({
          throughputOut: result.summary.throughputOutPerSecond,
          p99EndToEndMs: result.latency.endToEndMs.p99,
          peakConcurrency: result.summary.peakConcurrency,
          maxAgeMs: result.summary.queueAgeMsMax ?? result.summary.iteratorAgeMsMax ?? result.summary.asyncEventAgeMsMax ?? 0,
          costUsd: result.cost!.totalUsd,
          // Cold starts too: the environments a chance peak needs start cold once (compare-all's asynchronous 10 in 8–10; 7 without).
          coldStarts: result.summary.coldStarts,
        });
        const exactRuns: Array<ReturnType<typeof figuresOf>> = [];
        for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
          const seeded = scenarioOf(text);
          seeded.workload.seed = seed;
          exactRuns.push(figuresOf((await simulateExact({ scenario: seeded, pattern: seeded.patterns[index]!, patternName: name, startMs })).result));
        }
        const aggregate = figuresOf(simulateAggregate({ scenario: scenarioOf(text), pattern, patternName: name, startMs }).result);
        const cells = (Object.keys(aggregate) as Array<keyof typeof aggregate>).map((metric) => {
          const values = exactRuns.map((run) => run[metric]);
          const [low, high] = [Math.min(...values), Math.max(...values)];
          const inside = aggregate[metric] >= low / 1.05 && aggregate[metric] <= high * 1.05;
          const where = `${file.split('/').pop()} ${name} ${metric}`;
          const known = knownOutside[where];
          if (!inside && known) {
            console.log(`${where}: outside, known: ${known.why}`);
            expect(aggregate[metric], where).toBeGreaterThanOrEqual(low * (1 - known.gapMax));
            expect(aggregate[metric], where).toBeLessThanOrEqual(high * (1 + known.gapMax));
          } else if (!inside) outside.push(where);
          return `${metric} ${+aggregate[metric].toPrecision(4)} in [${+low.toPrecision(4)}, ${+high.toPrecision(4)}]${inside ? '' : ' OUTSIDE'}`;
        });
        rows.push(`${file.split('/').pop()} ${name}: ${cells.join(', ')}`);
      }
    }
    console.log(rows.join('\n'));
    // Nothing else outside: the asynchronous and synchronous sources' peak in compare-all was 7 where
    // the exact runs reach 8–10, since counts carry the mean of concurrency (about 5 there); it
    // is now the chance peak of a few environments that random durations make
    // (predict/chance-peak.ts: 10).
    expect(outside).toEqual([]);
  }, 120_000);

  // A published SQS scale-up experiment (rehanvdm.com, "SQS Lambda ESM Scaling Behaviour —
  // Experiment Batch Size vs Processing Time", batch size 1, a generator at a constant rate of
  // about 2,000 messages/s, the runs that stayed under the account's concurrency): cold starts,
  // ramp-up and the invocations during it — 100 ms: ~195, 1 min 10 s, 50,871; 200 ms: ~358,
  // 1 min 20 s, 55,734; 400 ms: ~795, 2 min 50 s, 128,758; 600 ms: ~1,060, 3 min 30 s, 163,997.
  // https://rehanvdm.com/blog/sqs-lambda-esm-scaling-behaviour--experiment-lambda-time-vs-batch-size
  it('reproduces the published SQS scale-up experiment within 20 % (every run\'s cold starts; the 200, 400 and 600 ms ramp-ups; the 400 ms invocations)', () => {
    const results: string[] = [];
    const gaps: Array<{ handlerMs: number; coldStartsGap: number; rampUpGap: number; rampInvocationsGap: number }> = [];
    // Published per run: cold starts, ramp-up time, and the invocations during the ramp-up.
    for (const [handlerMs, coldStartsPublished, rampUpSecondsPublished, rampInvocationsPublished] of [
      [100, 195, 70, 50_871],
      [200, 358, 80, 55_734],
      [400, 795, 170, 128_758],
      [600, 1060, 210, 163_997],
    ] as const) {
      // The experiment's account allowed more than the default 1,000 concurrent executions (its
      // 600 ms run reached 1,060), so the function's ceiling is not what stops the ramp here.
      const scenario = scenarioOf(`name: sqs-experiment
workload:
  phases: [{ duration: 300, arrivalRate: 2000 }]
function:
  handler: { duration: ${handlerMs}ms }
  initDuration: 200ms
account: { concurrencyLimit: 3000 }
drainTimeout: 60s
patterns:
  - source: sqs
    batchSize: 1
`);
      const { result } = simulateAggregate({ scenario, pattern: scenario.patterns[0]!, patternName: 'sqs', startMs });
      const steady = result.summary.peakConcurrency;
      const rampUpSeconds = result.series.findIndex((point) => point.concurrency >= 0.95 * (2000 * handlerMs) / 1000);
      expect(rampUpSeconds, `${handlerMs} ms ramps up within the load`).toBeGreaterThan(0);
      // Batch size 1: one invocation per message completed.
      const rampInvocations = Math.round(result.series.slice(0, rampUpSeconds).reduce((sum, point) => sum + point.completed, 0));
      results.push(
        `${handlerMs} ms: cold starts ${result.summary.coldStarts} (published ${coldStartsPublished}), ramp-up ${rampUpSeconds} s (published ${rampUpSecondsPublished} s), ` +
          `invocations during the ramp-up ${rampInvocations} (published ${rampInvocationsPublished}), peak concurrency ${steady}`,
      );
      gaps.push({ handlerMs, coldStartsGap: gap(result.summary.coldStarts, coldStartsPublished), rampUpGap: gap(rampUpSeconds, rampUpSecondsPublished), rampInvocationsGap: gap(rampInvocations, rampInvocationsPublished) });
    }
    console.log(results.join('\n'));
    // Cold starts: pollers add while messages wait longer and longer, so they stop at what the
    // arrivals need rather than growing on over the backlog the ramp left (sqsScaleUpWaitRiseMs).
    for (const { handlerMs, coldStartsGap } of gaps) expect(coldStartsGap, `${handlerMs} ms cold starts`).toBeLessThan(0.2);
    // Ramp-up: +300 pollers a minute holds for three of the four runs. The 100 ms run ramped at
    // about half that rate on AWS (~157 cold starts a minute against 265–297 for the others); the
    // documented rule has one rate, so that gap is left named, not fitted.
    for (const { handlerMs, rampUpGap } of gaps.filter((g) => g.handlerMs !== 100)) expect(rampUpGap, `${handlerMs} ms ramp-up`).toBeLessThan(0.2);
    // Invocations during the ramp-up: the published counts average 700–780 a second over ramps
    // of 70–210 s, where a constant 2,000 messages/s ramped up linearly gives about 1,000 a second
    // whatever the ramp's length. They fit a generator of about 1,500 a second, which the cold
    // starts do not (each run's is about 2,000/s × its duration); only the 400 ms count fits both,
    // so only it is held.
    expect(gaps.find((g) => g.handlerMs === 400)!.rampInvocationsGap).toBeLessThan(0.2);
  });
});
