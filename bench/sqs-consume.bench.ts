import { SQSClient, CreateQueueCommand, DeleteQueueCommand, SendMessageCommand, ReceiveMessageCommand, DeleteMessageBatchCommand } from '@aws-sdk/client-sqs';
import { startEmbeddedTarget } from '../targets/embedded/embedded-target.ts';
import type { Target } from '../targets/target.ts';
import { sdkClientConfig } from '../core/client-config.ts';
import { realClock } from '../core/clock.ts';
import { parseScenario } from '../scenario/load.ts';
import { runPattern } from '../run/run-pattern.ts';
import { recordMachineCeiling } from '../load/machine-ceilings.ts';
import type { PatternResult } from '../analysis/run-result.ts';

/**
 * SQS with its consumer, end to end: the raw ceiling of the embedded emulator for the same
 * work (send + receive + delete through plain SDK calls, in one process as a run does), and
 * the highest arrival rate a full sluice run (load generator, SQS mapping, local runtime,
 * ledger) holds within 1 % on count and on time, found by a short search. Both run against
 * the same emulator in the same process, so the ratio survives a noisy machine.
 */

/** Within this of the request, on arrivals and on the phase's wall time, a rate counts as held. */
const heldTolerance = 0.01;
const rawProducerLoops = 8;
const rawConsumerLoops = 5;
const rawMeasureMs = 8_000;
const heldPhaseSeconds = Number(process.env.SLUICE_BENCH_SQS_PHASE_SECONDS ?? 10);

/** Plain SDK: producers SendMessage, consumers ReceiveMessage(10, long poll) + DeleteMessageBatch. */
export async function rawSendReceiveDelete(target: Target, durationMs: number): Promise<{ messagesPerSecond: number; sentPerSecond: number; receiveCallsPerMessage: number }> {
  const client = new SQSClient(sdkClientConfig(target.clientSettings));
  const queueUrl = (await client.send(new CreateQueueCommand({ QueueName: `bench-raw-${Date.now().toString(36)}` }))).QueueUrl!;
  const body = 'x'.repeat(100);
  let sending = true;
  let consuming = true;
  let sent = 0;
  let deleted = 0;
  let receiveCalls = 0;
  const producers = Array.from({ length: rawProducerLoops }, async () => {
    while (sending) {
      await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
      sent += 1;
    }
  });
  const consumers = Array.from({ length: rawConsumerLoops }, async () => {
    while (consuming) {
      const answer = await client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      receiveCalls += 1;
      const messages = answer.Messages ?? [];
      if (messages.length === 0) continue;
      await client.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle! })) }));
      deleted += messages.length;
    }
  });
  // Warm up (connections, JIT), then measure what was deleted in the window.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const [sentAtStart, deletedAtStart, receivesAtStart, startMs] = [sent, deleted, receiveCalls, performance.now()];
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  const elapsedS = (performance.now() - startMs) / 1000;
  const result = {
    messagesPerSecond: (deleted - deletedAtStart) / elapsedS,
    sentPerSecond: (sent - sentAtStart) / elapsedS,
    receiveCallsPerMessage: (receiveCalls - receivesAtStart) / Math.max(1, deleted - deletedAtStart),
  };
  sending = false;
  await Promise.all(producers);
  consuming = false;
  await Promise.all(consumers);
  await client.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
  client.destroy();
  return result;
}

function scenarioAt(arrivalRate: number) {
  return parseScenario(
    `
name: bench-sqs-consume
workload:
  phases: [{ duration: ${heldPhaseSeconds}, arrivalRate: ${arrivalRate} }]
  eventSizeBytes: 100
function:
  handler: { duration: 1ms }
  initDuration: 0ms
patterns: [{ source: sqs, batchSize: 10, maximumConcurrency: 100 }]
`,
    'bench-sqs-consume.yaml',
  );
}

interface HeldAttempt {
  arrivalRate: number;
  held: boolean;
  countRatio: number;
  durationRatio: number;
  completedRatio: number;
  receiveCallsPerMessage: number;
  pollersMax: number;
}

/** One full sluice run of the SQS pattern at `arrivalRate` against the bench's emulator. */
export async function sluiceRunAt(target: Target, arrivalRate: number): Promise<HeldAttempt> {
  const scenario = scenarioAt(arrivalRate);
  const result: PatternResult = await runPattern({
    scenario,
    scenarioFile: 'bench-sqs-consume.yaml',
    pattern: scenario.patterns[0]!,
    patternName: 'sqs',
    runId: `bench${Date.now().toString(36)}`,
    target,
    clock: realClock,
    signal: new AbortController().signal,
  });
  const load = result.load;
  const polling = (result.extras as { polling?: { receiveCalls: number; messagesReceived: number; pollersMax: number } }).polling;
  const countRatio = load.achievedArrivals / load.requestedArrivals;
  const durationRatio = load.achievedDurationMs / load.requestedDurationMs;
  const completedRatio = result.accounting.completed / Math.max(1, result.accounting.sent);
  return {
    arrivalRate,
    held: Math.abs(1 - countRatio) <= heldTolerance && durationRatio <= 1 + heldTolerance && completedRatio >= 1 - heldTolerance,
    countRatio,
    durationRatio,
    completedRatio,
    receiveCallsPerMessage: polling ? polling.receiveCalls / Math.max(1, polling.messagesReceived) : Number.NaN,
    pollersMax: polling?.pollersMax ?? 0,
  };
}

/**
 * The highest rate held: start at half the raw ceiling, step up by a fifth of it until a rate
 * fails, then bisect between the last held and the first failed rate (to 2.5 % of raw).
 */
async function searchHeldRate(target: Target, raw: number, onAttempt: (attempt: HeldAttempt) => void): Promise<number> {
  const round = (rate: number) => Math.max(10, Math.round(rate / 10) * 10);
  let low = 0;
  let high: number | undefined;
  let rate = round(raw * 0.5);
  for (let attempts = 0; attempts < 8; attempts += 1) {
    const attempt = await sluiceRunAt(target, rate);
    onAttempt(attempt);
    if (attempt.held) low = Math.max(low, rate);
    else high = Math.min(high ?? rate, rate);
    if (high === undefined) rate = round(rate + raw * 0.2);
    else if (high - low <= Math.max(10, raw * 0.025)) break;
    else rate = round((low + high) / 2);
    if (rate === low || rate === high) break;
  }
  return low;
}

export async function benchSqsConsume(): Promise<{ name: string; lines: string[] }> {
  const target = await startEmbeddedTarget(['sqs'], 'us-east-1');
  const lines: string[] = [];
  try {
    const raw = await rawSendReceiveDelete(target, rawMeasureMs);
    lines.push(
      `raw SDK send+receive+delete (baseline): ${raw.messagesPerSecond.toFixed(0)} msgs/s deleted (${raw.sentPerSecond.toFixed(0)}/s sent; ${rawProducerLoops} SendMessage loops, ${rawConsumerLoops} ReceiveMessage(10)+DeleteMessageBatch loops; ${raw.receiveCallsPerMessage.toFixed(2)} receives per message)`,
    );
    const held = await searchHeldRate(target, raw.messagesPerSecond, (attempt) =>
      lines.push(
        `  sluice run ${String(attempt.arrivalRate).padStart(5)}/s for ${heldPhaseSeconds} s: arrivals ×${attempt.countRatio.toFixed(3)}, wall time ×${attempt.durationRatio.toFixed(3)}, completed ×${attempt.completedRatio.toFixed(3)}, ${attempt.receiveCallsPerMessage.toFixed(2)} receives per message, pollers ≤ ${attempt.pollersMax} — ${attempt.held ? 'held' : 'NOT held'}`,
      ),
    );
    const ratio = held / raw.messagesPerSecond;
    lines.push(`highest arrival rate a full sluice SQS run held within 1 % (count and time): ${held}/s = ${ratio.toFixed(2)} × raw`);
    lines.push(`| source | raw ceiling | sluice held | ratio |`, `| --- | --- | --- | --- |`, `| SQS (send+receive+delete) | ${raw.messagesPerSecond.toFixed(0)} msgs/s | ${held}/s | ${ratio.toFixed(2)} |`);
    if (held > 0) recordMachineCeiling('sqs', { heldEventsPerSecond: held, rawEventsPerSecond: Math.round(raw.messagesPerSecond), measuredAt: new Date().toISOString() });
  } finally {
    await target.stop();
  }
  return { name: 'SQS with its consumer (send + receive + delete)', lines };
}
