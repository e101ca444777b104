import type { FunctionSpec } from '../../scenario/parts.ts';
import type { AwsSourceName } from './pattern-settings.ts';

/**
 * The synthetic consumer deployed to AWS Lambda as inline `ZipFile` code. CloudFormation
 * writes inline Node.js code to `index.js` (CommonJS), so the handler is `index.handler`.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-lambda-function-code.html
 *
 * It implements the scenario's function spec the way the embedded runtime does:
 * - init time: blocks the init phase once per execution environment (`Atomics.wait`
 *   sleeps without spinning the CPU, like a slow import would);
 * - duration: one sleep per invocation (per batch), fixed or lognormal(p50, p99);
 * - errorRate: the probability that an invocation throws (the whole batch fails and the
 *   source's retry rules apply);
 * - one completion record per event, sent to the sink queue in packed messages, because
 *   an SQS queue is the cheapest channel that scales with the function.
 *
 * The code needs only what every Node.js Lambda runtime from nodejs18.x ships: the AWS SDK
 * v3 SQS client. Keep it free of template-literal placeholders: it is embedded verbatim.
 */
export const syntheticConsumerCode = String.raw`'use strict';
// sluice synthetic consumer. Settings arrive in SLUICE_* environment variables.
const { SQSClient, SendMessageBatchCommand } = require('@aws-sdk/client-sqs');
const env = process.env;
const source = env.SLUICE_SOURCE;
const sinkUrl = env.SLUICE_SINK_QUEUE_URL;
const spec = JSON.parse(env.SLUICE_DURATION || '{"kind":"fixed","fixedMs":0}');
const errorRate = Number(env.SLUICE_ERROR_RATE || 0);
const s3Suffix = env.SLUICE_S3_SUFFIX || '';
// Bounded requests: the SDK sets no timeout of its own.
const sqs = new SQSClient({ requestHandler: { requestTimeout: 5000, connectionTimeout: 2000, throwOnRequestTimeout: true } });
const initMs = Number(env.SLUICE_INIT_MS || 0);
if (initMs > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, initMs);
let cold = true;

// lognormal with median p50 and 99th percentile p99: sigma = ln(p99 / p50) / z(0.99)
function sampleDurationMs() {
  if (spec.kind !== 'lognormal') return spec.fixedMs || 0;
  const mu = Math.log(Math.max(spec.p50Ms, 0.001));
  const sigma = Math.max(0, Math.log(Math.max(spec.p99Ms, 0.001)) - mu) / 2.3263478740408408;
  const z = Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
  return Math.exp(mu + sigma * z);
}
function parse(text) {
  try { const value = JSON.parse(text); return value && typeof value === 'object' ? value : {}; } catch (e) { return {}; }
}
// sluice's envelope is { sluiceId, sentAtMs, key, ... } (load/event-factory.ts); an
// { eventId, sentAtMs } pair, at the top or under "sluice", is read too.
function identify(body, fallbackId, fallbackSentAtMs) {
  const meta = body.sluice && typeof body.sluice === 'object' ? body.sluice : body;
  const id = typeof meta.sluiceId === 'number' ? meta.sluiceId : meta.eventId != null ? String(meta.eventId) : String(fallbackId);
  const sentAtMs = Number(meta.sentAtMs);
  return { eventId: id, sentAtMs: Number.isFinite(sentAtMs) && sentAtMs > 0 ? sentAtMs : fallbackSentAtMs };
}
const readers = {
  sqs: (e) => (e.Records || []).map((r) =>
    identify(parse(r.body), r.messageId, Number(r.attributes && r.attributes.SentTimestamp) || null)),
  kinesis: (e) => (e.Records || []).map((r) =>
    identify(parse(Buffer.from(r.kinesis.data, 'base64').toString('utf8')), r.kinesis.sequenceNumber,
      Math.round(r.kinesis.approximateArrivalTimestamp * 1000) || null)),
  eventbridge: (e) => [identify(e.detail && typeof e.detail === 'object' ? e.detail : {}, e.id, Date.parse(e.time) || null)],
  // Object keys are <prefix><sentAtMs>-<eventId><suffix>; S3 URL-encodes keys in events.
  s3: (e) => (e.Records || []).map((r) => {
    const key = decodeURIComponent(String(r.s3.object.key).replace(/\+/g, ' '));
    let name = key.slice(key.lastIndexOf('/') + 1);
    if (s3Suffix && name.endsWith(s3Suffix)) name = name.slice(0, name.length - s3Suffix.length);
    // sluice's numeric ids may be followed by the pattern's suffixes (.json, .csv, …).
    const numeric = /^(\d+)-(\d+)(?:\D.*)?$/.exec(name);
    if (numeric) return { eventId: Number(numeric[2]), sentAtMs: Number(numeric[1]) };
    const match = /^(\d+)-(.+)$/.exec(name);
    if (!match) return { eventId: key, sentAtMs: Date.parse(r.eventTime) || null };
    return { eventId: /^\d+$/.test(match[2]) ? Number(match[2]) : match[2], sentAtMs: Number(match[1]) };
  }),
  apigateway: (e) => {
    const context = e.requestContext || {};
    const body = e.isBase64Encoded ? Buffer.from(e.body || '', 'base64').toString('utf8') : e.body || '';
    return [identify(parse(body), context.requestId, context.timeEpoch || context.requestTimeEpoch || null)];
  },
};
// Records are packed into messages of at most 24 KB, ten messages per SendMessageBatch,
// so a request stays under SQS's 256 KB limit.
async function report(records) {
  const messages = [];
  let current = [];
  let size = 2;
  for (const record of records) {
    const text = JSON.stringify(record);
    if (current.length > 0 && size + text.length + 1 > 24000) { messages.push(current); current = []; size = 2; }
    current.push(text);
    size += text.length + 1;
  }
  if (current.length > 0) messages.push(current);
  for (let i = 0; i < messages.length; i += 10) {
    let entries = messages.slice(i, i + 10).map((m, j) => ({ Id: String(j), MessageBody: '[' + m.join(',') + ']' }));
    for (let attempt = 1; entries.length > 0; attempt++) {
      const out = await sqs.send(new SendMessageBatchCommand({ QueueUrl: sinkUrl, Entries: entries }));
      const failed = new Set((out.Failed || []).map((f) => f.Id));
      entries = entries.filter((entry) => failed.has(entry.Id));
      if (entries.length > 0 && attempt >= 3) throw new Error('sluice: the sink queue refused ' + entries.length + ' completion message(s)');
    }
  }
}
exports.handler = async (event) => {
  const coldStart = cold;
  cold = false;
  const startedAtMs = Date.now();
  const read = readers[source];
  const events = read ? read(event) : [];
  const sleepMs = sampleDurationMs();
  if (sleepMs > 0) await new Promise((resolve) => setTimeout(resolve, sleepMs));
  const failed = errorRate > 0 && Math.random() < errorRate;
  const completedAtMs = Date.now();
  await report(events.map((e) => Object.assign(
    { eventId: e.eventId, sentAtMs: e.sentAtMs, completedAtMs, coldStart, durationMs: completedAtMs - startedAtMs },
    failed ? { failed: true } : {})));
  if (failed) throw new Error('sluice synthetic failure (errorRate ' + errorRate + ')');
  if (source === 'apigateway') {
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ completed: events.length }) };
  }
  return undefined;
};
`;

/**
 * One line the synthetic consumer writes to the sink queue per event. A sink message body
 * is a JSON array of these. `failed: true` marks an attempt that threw (the event will be
 * retried or dead-lettered by its source); completions have no `failed` field.
 */
export interface CompletionRecord {
  /** The envelope's `sluiceId` (a number), else the event's own id as a string. */
  eventId: number | string;
  /** When the load generator sent the event; null when neither the event nor its source says. */
  sentAtMs: number | null;
  completedAtMs: number;
  coldStart: boolean;
  /** Handler time of the invocation that carried the event (the whole batch). */
  durationMs: number;
  failed?: true;
}

/**
 * The S3 object key the load generator must use so the consumer can recover the event's id
 * and send time from the notification (S3 events carry no user metadata).
 *
 * @example
 * s3ObjectKeyForEvent({ prefix: 'in/', suffix: '.json', eventId: 17, sentAtMs: 1767225600000 }) // 'in/1767225600000-17.json'
 */
export function s3ObjectKeyForEvent(options: { prefix?: string; suffix?: string; eventId: number | string; sentAtMs: number }): string {
  return `${options.prefix ?? ''}${Math.round(options.sentAtMs)}-${options.eventId}${options.suffix ?? ''}`;
}

/**
 * The environment variables that configure the synthetic consumer for one pattern. The
 * sink queue URL is a CloudFormation value (a `Ref`), so it is passed in.
 *
 * @example
 * consumerEnvironment(scenario.function, 'sqs', { Ref: 'SinkQueue' }, { s3Suffix: undefined })
 */
export function consumerEnvironment(
  fn: FunctionSpec,
  source: AwsSourceName,
  sinkQueueUrl: unknown,
  options: { s3Suffix?: string; runId: string },
): Record<string, unknown> {
  const handler = fn.handler;
  const duration = handler.type === 'synthetic' ? handler.duration : { kind: 'fixed' as const, fixedMs: 0 };
  return {
    SLUICE_SOURCE: source,
    SLUICE_SINK_QUEUE_URL: sinkQueueUrl,
    SLUICE_DURATION: JSON.stringify(duration),
    SLUICE_ERROR_RATE: String(handler.type === 'synthetic' ? handler.errorRate : 0),
    SLUICE_INIT_MS: String(Math.round(fn.initDuration)),
    SLUICE_RUN_ID: options.runId,
    ...(options.s3Suffix ? { SLUICE_S3_SUFFIX: options.s3Suffix } : {}),
  };
}
