import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseScenario } from '../../scenario/load.ts';
import { patternNameOf } from '../../scenario/schema.ts';
import { runPattern } from '../../run/run-pattern.ts';
import { startEmbeddedTarget } from '../../targets/embedded/embedded-target.ts';
import { realClock } from '../../core/clock.ts';
import type { Target } from '../../targets/target.ts';
import type { PatternResult } from '../../analysis/run-result.ts';
import { LoadWorkerProcesses } from '../../run/load-workers.ts';

/**
 * Every source with its load split over 2 and over 4 worker processes, on one embedded
 * target, all ten pattern runs at once over one set of four processes (short phases, modest rates: the point is the
 * accounting across processes, not the rate). 30 arrivals over 2 s do not divide by 4:
 * the shares are 8, 8, 7, 7.
 */
const scenario = parseScenario(
  `
name: load-workers
workload:
  phases: [{ duration: 2, arrivalRate: 15 }]
  keys: { count: 8 }
function:
  handler: { duration: 5ms }
  initDuration: 20ms
drainTimeout: 20s
patterns:
  - { source: sqs }
  - { source: kinesis, shards: 2 }
  - { source: eventbridge }
  - { source: s3 }
  - { source: apigateway }
`,
  'load-workers.yaml',
);
const arrivals = 30;

describe('load workers: one pattern’s load from several processes', () => {
  let target: Target;
  // As a run does: one set of worker processes, shared by its patterns (here all ten at once).
  const processes = LoadWorkerProcesses.fork(4);
  const results = new Map<string, PatternResult>();

  beforeAll(async () => {
    target = await startEmbeddedTarget(['sqs', 'kinesis', 'eventbridge', 's3', 'lambda'], scenario.region);
    const signal = new AbortController().signal;
    const runs = [2, 4].flatMap((workers) =>
      scenario.patterns.map(async (pattern, index) => {
        const patternName = patternNameOf(pattern);
        const result = await runPattern({ scenario, scenarioFile: 'load-workers.yaml', pattern, patternName, runId: `lw${workers}-${index}-${Date.now().toString(36)}`, target, clock: realClock, signal, loadWorkers: workers, loadWorkerProcesses: processes });
        results.set(`${patternName} × ${workers}`, result);
      }),
    );
    await Promise.all(runs);
  }, 120_000);

  afterAll(async () => {
    await processes.close();
    await target?.stop();
  });

  it('a worker that dies fails the run, naming the worker and the events it sent', async () => {
    // The shared processes: the ten runs above are done, and a run is what a dead worker fails.
    const own = processes;
    const sqs = scenario.patterns[0]!;
    const longer = { ...scenario, workload: { ...scenario.workload, phases: [{ duration: 4000, arrivalRate: 15 }] } } as typeof scenario;
    try {
      let sent = 0;
      const running = runPattern({ scenario: longer, scenarioFile: 'load-workers.yaml', pattern: sqs, patternName: 'sqs', runId: `lwdie-${Date.now().toString(36)}`, target, clock: realClock, signal: new AbortController().signal, loadWorkers: 2, loadWorkerProcesses: own, onProgress: (progress) => (sent = progress.sent) });
      running.catch(() => undefined);
      const victim = own.take(2)[1]!.child;
      // Killed mid-phase, once the workers have sent something.
      for (let waitedMs = 0; sent < 10 && waitedMs < 30_000; waitedMs += 100) await new Promise((resolve) => setTimeout(resolve, 100));
      victim.kill('SIGKILL');
      const killedAtMs = Date.now();
      await running.catch(() => undefined);
      console.info(`worker killed after ${sent} events sent: the run failed ${Date.now() - killedAtMs} ms later`);
      await expect(running).rejects.toThrow(new RegExp(`load worker 2 of 2 \\(pid ${victim.pid}\\) exited \\(signal SIGKILL\\) before its load ended, having sent \\d+ events \\(ids \\d+–\\d+\\)`));
    } finally {
      await own.close();
    }
  });

  for (const workers of [2, 4]) {
    for (const source of ['sqs', 'kinesis', 'eventbridge', 's3', 'apigateway']) {
      it(`${source} with --workers ${workers}: every event sent once, by its own worker, and accounted for exactly`, () => {
        const result = results.get(`${source} × ${workers}`)!;
        expect(result, `${source} × ${workers} ran`).toBeDefined();
        const { accounting, load } = result;
        console.info(`${source} × ${workers}: ${JSON.stringify(accounting)}; workers sent ${load.workers?.map((w) => w.eventsSent).join(' + ')}`);
        expect(accounting).toMatchObject({ sent: arrivals, accepted: arrivals, completed: arrivals, failed: 0, pendingAtEnd: 0, lost: 0, duplicateDeliveries: 0 });
        expect(load.requestedArrivals).toBe(arrivals);
        expect(load.achievedArrivals).toBe(arrivals);
        expect(result.latency.endToEndMs.count).toBe(arrivals);
        // One report per worker; the shares add up to the whole and each used only its own ids.
        const perWorker = load.workers!;
        expect(perWorker.map((w) => w.worker)).toEqual(Array.from({ length: workers }, (_, i) => i + 1));
        expect(perWorker.reduce((sum, w) => sum + w.requestedArrivals, 0)).toBe(arrivals);
        expect(perWorker.reduce((sum, w) => sum + w.eventsSent, 0)).toBe(arrivals);
        for (const w of perWorker) expect(Math.abs(w.requestedArrivals - arrivals / workers)).toBeLessThan(1);
        for (let i = 1; i < perWorker.length; i += 1) expect(perWorker[i].firstId).toBe(perWorker[i - 1].lastId + 1);
        // The merged per-second load is each second's sum over the workers.
        for (const second of load.perSecond ?? []) {
          const fromWorkers = perWorker.reduce((sum, w) => sum + (w.perSecond.find((s) => s.tSec === second.tSec)?.requested ?? 0), 0);
          expect(second.requested).toBe(fromWorkers);
        }
        expect((load.perSecond ?? []).reduce((sum, s) => sum + s.requested, 0)).toBe(arrivals);
        // The series counts every send once.
        expect(result.series.reduce((sum, point) => sum + point.sent, 0)).toBe(arrivals);
      });
    }
  }
});
