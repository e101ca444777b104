import { describe, expect, it } from 'vitest';
import { resolvePrices } from '../../analysis/pricing.ts';
import { EventLedger } from '../../run/event-ledger.ts';
import {
  CloudIdMap,
  artilleryCloudArgs,
  cloudIdBlockSize,
  cloudScriptOf,
  estimateCloudWorkerCost,
  parseCloudLoadFlags,
  settleWorkerCounts,
  workerCountsFromReport,
} from '../../run/cloud-load.ts';
import type { ArtilleryScript } from '../../run/artillery-script.ts';

const context = { target: 'aws' as const, scenarioRegion: 'us-east-1', phasesMs: 60_000 };

describe('--load-from flags', () => {
  it('gives a plan with the count, the region (default: the scenario’s) and the passed-through options', () => {
    expect(parseCloudLoadFlags({ loadFrom: 'fargate', count: '20', region: 'eu-west-1', artilleryArgs: ['--cpu', '2'] }, context)).toEqual({
      plan: { runner: 'fargate', count: 20, region: 'eu-west-1', artilleryArgs: ['--cpu', '2'] },
      problems: [],
    });
    expect(parseCloudLoadFlags({ loadFrom: 'lambda' }, context).plan).toEqual({ runner: 'lambda', count: 1, region: 'us-east-1', artilleryArgs: [] });
  });

  it('refuses every problem at once: a runner that is none, another target, a bad count and region', () => {
    const { plan, problems } = parseCloudLoadFlags({ loadFrom: 'ec2', count: '0', region: 'mars' }, { ...context, target: 'embedded' });
    expect(plan).toBeUndefined();
    expect(problems.map((p) => p.flag)).toEqual(['--load-from', '--load-from', '--count', '--region']);
    expect(problems[1]!.message).toContain('needs --target aws, not embedded');
  });

  it('refuses Lambda workers for phases longer than Lambda’s 15 minutes', () => {
    const { problems } = parseCloudLoadFlags({ loadFrom: 'lambda' }, { ...context, phasesMs: 16 * 60_000 });
    expect(problems).toEqual([{ flag: '--load-from', message: 'the phases last 16 min and Lambda stops a worker at 15 min: use --load-from fargate' }]);
  });

  it('refuses the cloud workers’ options without --load-from', () => {
    expect(parseCloudLoadFlags({ count: '3', artilleryArgs: ['--cpu'] }, context).problems.map((p) => p.flag)).toEqual(['--count', '--artillery-arg']);
  });
});

describe('the Artillery command', () => {
  it('runs run-fargate or run-lambda with the count, region, report file, the user’s options, then the script', () => {
    const files = { scriptPath: '/tmp/s.yaml', reportPath: '/tmp/r.json' };
    expect(artilleryCloudArgs({ runner: 'fargate', count: 20, region: 'eu-west-1', artilleryArgs: ['--cpu', '2', '--launch-config', '{}'] }, files)).toEqual([
      'run-fargate', '--count', '20', '--region', 'eu-west-1', '--output', '/tmp/r.json', '--cpu', '2', '--launch-config', '{}', '/tmp/s.yaml',
    ]);
    expect(artilleryCloudArgs({ runner: 'lambda', count: 50, region: 'us-east-1', artilleryArgs: [] }, files).slice(0, 3)).toEqual(['run-lambda', '--count', '50']);
  });

  it('switches the exported script to random id blocks: cloud workers have no index', () => {
    const script: ArtilleryScript = { config: { target: 'x', phases: [], engines: { sluice: { source: 'sqs', queueUrl: 'q', idBase: 0, idStride: 1_000_000 } } }, scenarios: [] };
    expect(cloudScriptOf(script).config.engines.sluice).toEqual({ source: 'sqs', queueUrl: 'q', idBlocks: 'random', idBlockSize: cloudIdBlockSize });
  });
});

describe('the workers’ cost', () => {
  const prices = resolvePrices();
  it('prices Fargate tasks per vCPU-hour and GB-hour at Artillery’s default 4 vCPU, 8 GB, phases plus a minute to start', () => {
    // 20 tasks × 2 min × (4 × 0.04048 + 8 × 0.004445) $/h = 20 × (1/30) × 0.19748
    const cost = estimateCloudWorkerCost({ runner: 'fargate', count: 20 }, 60_000, prices);
    expect(cost.usd).toBeCloseTo((20 * (4 * 0.04048 + 8 * 0.004445)) / 30, 10);
    expect(cost.basis).toContain('20 Fargate task(s) × 4 vCPU, 8 GB × 2.0 min');
  });

  it('prices the worker size passed to Artillery instead of its default', () => {
    const cost = estimateCloudWorkerCost({ runner: 'fargate', count: 1, artilleryArgs: ['--cpu', '2', '--memory=4'] }, 60_000, prices);
    expect(cost.usd).toBeCloseTo((2 * 0.04048 + 4 * 0.004445) / 30, 10);
    // The same size as CPU units and MiB.
    expect(estimateCloudWorkerCost({ runner: 'fargate', count: 1, artilleryArgs: ['--cpu=2048', '--memory', '4096'] }, 60_000, prices).usd).toBeCloseTo(cost.usd, 10);
    expect(estimateCloudWorkerCost({ runner: 'lambda', count: 1, artilleryArgs: ['--memory-size', '1024'] }, 60_000, prices).usd).toBeCloseTo(120 * 0.0000166667 + 0.2 / 1e6, 10);
  });

  it('prices Lambda workers per GB-second and request, at most 15 minutes each', () => {
    const cost = estimateCloudWorkerCost({ runner: 'lambda', count: 50 }, 60 * 60_000, prices);
    expect(cost.usd).toBeCloseTo(50 * (4 * 900 * 0.0000166667 + 0.2 / 1e6), 10);
  });
});

describe('merging the workers’ results', () => {
  const report = {
    aggregate: {
      counters: { 'sluice.sent': 9, 'sluice.worker.7.sent': 5, 'sluice.worker.7.accepted': 4, 'sluice.worker.7.throttled': 1, 'sluice.worker.4000000000.sent': 4, 'sluice.worker.4000000000.accepted': 4, 'http.requests': 3 },
    },
  };

  it('reads each worker’s counts from Artillery’s merged counters', () => {
    expect(workerCountsFromReport(report)).toEqual([
      { block: 7, sent: 5, accepted: 4, throttled: 1, failed: 0 },
      { block: 4000000000, sent: 4, accepted: 4, throttled: 0, failed: 0 },
    ]);
    expect(workerCountsFromReport({})).toEqual([]);
  });

  it('maps sparse 52-bit ids onto one dense ledger block per worker, and a block too many to -1 (foreign)', () => {
    const ids = new CloudIdMap(2, 100);
    expect(ids.denseIdOf(4000000000 * cloudIdBlockSize + 3)).toBe(3);
    expect(ids.denseIdOf(7 * cloudIdBlockSize)).toBe(100);
    expect(ids.denseIdOf(7 * cloudIdBlockSize + 99)).toBe(199);
    expect(ids.denseIdOf(7 * cloudIdBlockSize + 100)).toBe(-1);
    expect(ids.denseIdOf(9 * cloudIdBlockSize)).toBe(-1);
  });

  it('settles sends, acceptances and throttles exactly, after completions recorded their own send times', () => {
    const ids = new CloudIdMap(2, 100);
    const ledger = new EventLedger(200, { count: 2, size: 100 });
    // The consumer saw worker 7's ids 0–2 and the other's 0–3 complete (their sends came with the records).
    for (const [block, n] of [[7, 3], [4000000000, 4]] as const) {
      for (let k = 0; k < n; k += 1) {
        const id = ids.denseIdOf(block * cloudIdBlockSize + k);
        ledger.recordSent(id, 1_000);
        ledger.recordDelivered(id);
        expect(ledger.recordCompleted(id, 1_040)).toBe(40);
      }
    }
    settleWorkerCounts(ledger, ids, workerCountsFromReport(report), 900);
    expect(ledger.sent).toBe(9);
    // Worker 7: 4 accepted (3 completed, 1 unseen), 1 throttled; the other: 4 accepted and completed.
    expect(ledger.accounting(0)).toMatchObject({ sent: 9, accepted: 8, sourceThrottled: 1, sourceFailed: 0, delivered: 7, completed: 7, lost: 1 });
    expect(ledger.foreignDeliveries).toBe(0);
  });
});
