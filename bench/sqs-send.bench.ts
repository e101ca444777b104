import { SQSClient, CreateQueueCommand, SendMessageCommand, DeleteQueueCommand, PurgeQueueCommand } from '@aws-sdk/client-sqs';
import { startEmbeddedTarget } from '../targets/embedded/embedded-target.ts';
import type { Target } from '../targets/target.ts';
import { sdkClientConfig } from '../core/client-config.ts';
import { realClock } from '../core/clock.ts';
import { LambdaFunction } from '../runtime/lambda-function.ts';
import { syntheticHandler } from '../runtime/handler.ts';
import { seededRandom } from '../runtime/random.ts';
import { EventLedger } from '../run/event-ledger.ts';
import { MetricsRecorder } from '../run/metrics-recorder.ts';
import { EventFactory } from '../load/event-factory.ts';
import { runLoad } from '../load/load-generator.ts';
import { parseScenario } from '../scenario/load.ts';
import { sqsDriver } from '../drivers/sqs/sqs-driver.ts';
import type { SqsPattern } from '../drivers/sqs/schema.ts';
import type { PatternSession } from '../drivers/driver.ts';

const scenario = parseScenario(
  `
name: bench
workload:
  phases: [{ duration: 5, arrivalRate: 100 }]
  eventSizeBytes: 100
patterns: [{ source: sqs }]
`,
  'bench.yaml',
);

/** The harness's SQS send path, without a consumer: what `sluice run` does per arrival. */
async function harnessSession(target: Target, ledger: EventLedger): Promise<PatternSession> {
  const recorder = new MetricsRecorder(Date.now());
  const fn = new LambdaFunction({ spec: scenario.function, account: scenario.account, clock: realClock, handler: syntheticHandler(scenario.function.handler as never, realClock, seededRandom(1)) });
  return sqsDriver.provision({
    scenario,
    scenarioFile: 'bench.yaml',
    pattern: scenario.patterns[0] as SqsPattern,
    patternName: 'bench',
    runId: `bench${Date.now().toString(36)}`,
    target,
    clock: realClock,
    ledger,
    recorder,
    fn,
    runtimeObservers: [],
  });
}

/** Sends `count` events with `concurrency` loops; returns events/s. */
async function sendLoop(count: number, concurrency: number, send: (index: number) => Promise<void>): Promise<number> {
  let next = 0;
  const startMs = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await send(next++);
    }),
  );
  return count / ((performance.now() - startMs) / 1000);
}

/**
 * SQS send path: sluice's sender (ids, envelope, ledger) against a plain SDK SendMessage
 * loop to the same emulator in the same run; then the largest arrival rate the load generator and
 * the harness hold within 1 % of the request.
 */
export async function benchSqsSend(): Promise<{ name: string; lines: string[] }> {
  const target = await startEmbeddedTarget(['sqs'], 'us-east-1');
  const lines: string[] = [];
  try {
    const client = new SQSClient(sdkClientConfig(target.clientSettings));
    const queueUrl = (await client.send(new CreateQueueCommand({ QueueName: `bench-plain-${Date.now()}` }))).QueueUrl!;
    const body = 'x'.repeat(100);
    const count = 3000;
    const concurrency = 16;

    const ledger = new EventLedger(10 * count);
    const session = await harnessSession(target, ledger);
    const events = new EventFactory(scenario.workload);
    // Warm both paths once so connection set-up is not measured.
    await sendLoop(200, concurrency, () => client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body })).then(() => undefined));
    await sendLoop(200, concurrency, () => session.sendArrival([events.next(Date.now())]));

    const rounds = 3;
    const plain: number[] = [];
    const harness: number[] = [];
    for (let round = 0; round < rounds; round += 1) {
      plain.push(await sendLoop(count, concurrency, () => client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body })).then(() => undefined)));
      harness.push(await sendLoop(count, concurrency, () => session.sendArrival([events.next(Date.now())])));
      await client.send(new PurgeQueueCommand({ QueueUrl: queueUrl })).catch(() => undefined);
    }
    const best = (values: number[]) => Math.max(...values);
    lines.push(`plain SDK SendMessage loop (baseline): ${best(plain).toFixed(0)} msgs/s (${concurrency} loops, best of ${rounds})`);
    lines.push(`sluice SQS send path:                  ${best(harness).toFixed(0)} msgs/s = ${(best(harness) / best(plain)).toFixed(2)} × baseline`);

    // Largest rate held within 1 %: the phases through the same send path.
    let held = 0;
    for (const rate of [100, 200, 400, 800, 1200, 1600, 2000, 2400, 3200, 4000]) {
      const phases = [{ duration: 4000, arrivalRate: rate }];
      const outcome = await runLoad({ phases, signal: new AbortController().signal, maxArrivals: rate * 5, onArrival: () => session.sendArrival([events.next(Date.now())]) });
      const durationRatio = outcome.achievedDurationMs / outcome.requestedDurationMs;
      const within = Math.abs(outcome.arrivalRateDeviation) <= 0.01 && durationRatio <= 1.01 + 1 / 4;
      lines.push(`  arrival rate ${String(rate).padStart(5)}/s: ${outcome.achievedArrivals}/${outcome.requestedArrivals} arrivals in ${(outcome.achievedDurationMs / 1000).toFixed(2)} s ${within ? 'held' : 'NOT held'}`);
      if (!within) break;
      held = rate;
    }
    lines.push(`largest arrival rate held within 1 %: ${held}/s = ${(held / best(plain)).toFixed(2)} × the baseline's send rate`);
    await session.teardown();
    await client.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
    client.destroy();
  } finally {
    await target.stop();
  }
  return { name: 'SQS send path', lines };
}
