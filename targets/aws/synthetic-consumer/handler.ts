import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { CompletionRecord } from '../consumer-code.ts';
import type { ConsumerReader, ConsumerResponder, EventIdentity } from './envelope.ts';

/**
 * The synthetic consumer sluice deploys to AWS Lambda, bundled with one source's reader
 * (targets/aws/synthetic-consumer/bundle.ts). It implements the scenario's function spec
 * the way the embedded runtime does:
 * - init time: blocks the init phase once per execution environment (`Atomics.wait`
 *   sleeps without spinning the CPU, like a slow import would);
 * - duration: one sleep per invocation (per batch), fixed or lognormal(p50, p99);
 * - errorRate: the probability that an invocation throws (the whole batch fails and the
 *   source's retry rules apply);
 * - one completion record per event, sent to the sink queue in packed messages, because
 *   an SQS queue is the cheapest channel that scales with the function.
 *
 * Settings arrive in the SLUICE_* environment variables of consumerEnvironment
 * (targets/aws/consumer-code.ts). It needs only what every Node.js Lambda runtime ships:
 * the AWS SDK v3 SQS client, left out of the bundle.
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html ("The Node.js runtimes include the AWS SDK for JavaScript v3")
 */

/** The handler's duration setting: SLUICE_DURATION, the synthetic handler's parsed `duration`. */
type DurationSpec = { kind: 'fixed'; fixedMs: number } | { kind: 'lognormal'; p50Ms: number; p99Ms: number };

/** z(0.99) of the standard normal: a lognormal's sigma is ln(p99 / p50) / z(0.99). */
const standardNormalP99 = 2.3263478740408408;

/** A sink message stays under 24 KB, ten to a SendMessageBatch, so a request stays under SQS's 256 KB. https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html */
const sinkMessageCharsMax = 24_000;
const sinkEntriesPerBatchMax = 10;
const sinkSendAttemptsMax = 3;

function durationSpecOf(text: string | undefined): DurationSpec {
  const parsed: unknown = JSON.parse(text || '{"kind":"fixed","fixedMs":0}');
  return parsed as DurationSpec;
}

/** One sleep per invocation: the fixed duration, or a lognormal sample with median p50 and 99th percentile p99. */
function sampleDurationMs(spec: DurationSpec): number {
  if (spec.kind !== 'lognormal') return spec.fixedMs || 0;
  const mu = Math.log(Math.max(spec.p50Ms, 0.001));
  const sigma = Math.max(0, Math.log(Math.max(spec.p99Ms, 0.001)) - mu) / standardNormalP99;
  // Box–Muller: one standard normal sample from two uniform ones.
  const z = Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
  return Math.exp(mu + sigma * z);
}

/** Packs records into sink message bodies (JSON arrays) of at most {@link sinkMessageCharsMax}. */
function packRecords(records: CompletionRecord[]): string[] {
  const messages: string[][] = [];
  let current: string[] = [];
  let size = 2;
  for (const record of records) {
    const text = JSON.stringify(record);
    if (current.length > 0 && size + text.length + 1 > sinkMessageCharsMax) {
      messages.push(current);
      current = [];
      size = 2;
    }
    current.push(text);
    size += text.length + 1;
  }
  if (current.length > 0) messages.push(current);
  return messages.map((message) => '[' + message.join(',') + ']');
}

/**
 * The Lambda handler for one source: reads the settings and spends the init time when
 * called (at module load in the bundle, the function's init phase), then answers each
 * invocation.
 *
 * @example
 * export const handler = createSyntheticConsumer(readSqsEvent);
 */
export function createSyntheticConsumer(read: ConsumerReader, respond?: ConsumerResponder): (event: unknown) => Promise<unknown> {
  const env = process.env;
  const sinkQueueUrl = env.SLUICE_SINK_QUEUE_URL;
  const duration = durationSpecOf(env.SLUICE_DURATION);
  const errorRate = Number(env.SLUICE_ERROR_RATE || 0);
  // Bounded requests: the SDK sets no timeout of its own.
  const sqs = new SQSClient({ requestHandler: { requestTimeout: 5000, connectionTimeout: 2000, throwOnRequestTimeout: true } });
  const initMs = Number(env.SLUICE_INIT_MS || 0);
  if (initMs > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, initMs);
  let cold = true;

  async function report(records: CompletionRecord[]): Promise<void> {
    const messages = packRecords(records);
    for (let i = 0; i < messages.length; i += sinkEntriesPerBatchMax) {
      let entries = messages.slice(i, i + sinkEntriesPerBatchMax).map((body, j) => ({ Id: String(j), MessageBody: body }));
      for (let attempt = 1; entries.length > 0; attempt++) {
        const out = await sqs.send(new SendMessageBatchCommand({ QueueUrl: sinkQueueUrl, Entries: entries }));
        const failed = new Set((out.Failed ?? []).map((failure) => failure.Id));
        entries = entries.filter((entry) => failed.has(entry.Id));
        if (entries.length > 0 && attempt >= sinkSendAttemptsMax) throw new Error('sluice: the sink queue refused ' + entries.length + ' completion message(s)');
      }
    }
  }

  return async (event: unknown) => {
    const coldStart = cold;
    cold = false;
    const startedAtMs = Date.now();
    const events: EventIdentity[] = read(event);
    const sleepMs = sampleDurationMs(duration);
    if (sleepMs > 0) await new Promise((resolve) => setTimeout(resolve, sleepMs));
    const failed = errorRate > 0 && Math.random() < errorRate;
    const completedAtMs = Date.now();
    await report(
      events.map((identity): CompletionRecord => ({
        eventId: identity.eventId,
        sentAtMs: identity.sentAtMs,
        completedAtMs,
        coldStart,
        durationMs: completedAtMs - startedAtMs,
        ...(failed ? { failed: true as const } : {}),
      })),
    );
    if (failed) throw new Error('sluice synthetic failure (errorRate ' + errorRate + ')');
    return respond ? respond(events.length) : undefined;
  };
}
