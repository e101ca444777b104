import { createRequire } from 'node:module';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { forwardTo, readBody, type EdgeService } from '../edge.ts';
import { functionDirectory, type FunctionDirectory } from '../lambda/function-directory.ts';
import { isSluiceControlRequest, readControlJson, sendControlJson } from '../sluice-control.ts';
import { NotificationConfigError, noNotifications, notificationConfigurationXml, notificationMatches, parseNotificationConfiguration, type BucketNotificationConfiguration } from './notification-config.ts';
import { newS3RequestId, nextSequencer, s3EventBridgeEntry, s3NotificationRecord, s3TestEvent, type ObjectEvent } from './object-events.ts';
import { embeddedServiceLinks, type EmbeddedServiceLinks } from '../service-links.ts';
import { TokenBucket } from '../../../core/token-bucket.ts';
import { monotonicClock } from '../../../core/clock.ts';
import { awsDefaults } from '../../../core/aws-defaults.ts';

const require = createRequire(import.meta.url);

interface S3rverAccounts {
  registry: Map<string, S3rverAccount>;
  DUMMY_ACCOUNT: S3rverAccount;
}
interface S3rverAccount {
  accessKeys: Map<string, string>;
}

/**
 * Any access key works, as on every other embedded service and on LocalStack: s3rver looks
 * each request's key up in its account registry (InvalidAccessKeyId when absent), so an
 * unknown key resolves to its one account. Signatures are not verified
 * (`allowMismatchedSignatures`), so the secret it holds for that key is never compared.
 */
function acceptAnyAccessKey(): void {
  const accounts = require('s3rver/lib/models/account') as S3rverAccounts;
  if (accounts.registry instanceof AnyKeyMap) return;
  const account = accounts.DUMMY_ACCOUNT;
  accounts.registry = new AnyKeyMap(accounts.registry, account);
  account.accessKeys = new AnyKeyMap(account.accessKeys, 'any-secret');
}

/** A map that answers `fallback` for a key it does not hold. */
class AnyKeyMap<V> extends Map<string, V> {
  constructor(
    entries: Map<string, V>,
    private readonly fallback: V,
  ) {
    super(entries);
  }
  override get(key: string): V {
    return super.get(key) ?? this.fallback;
  }
}
/** Per-prefix buckets kept at most; beyond, the oldest are forgotten (they refill anyway). */
const prefixBucketsMax = 100_000;

interface S3rverRecord {
  eventName: string;
  awsRegion: string;
  s3: { configurationId: string; bucket: { name: string; arn: string }; object: { key: string; [field: string]: unknown }; [field: string]: unknown };
  [field: string]: unknown;
}

interface S3rverApp {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  on(event: 'event', listener: (event: { Records: S3rverRecord[] }) => void): void;
  store: { getBucket(name: string): Promise<unknown> };
}

export interface S3ServiceStats {
  /** Object events s3rver reported. */
  objectEvents: number;
  /** Notifications handed to a destination: the three counts below together. */
  notificationsSent: number;
  /** Asynchronous invokes started by a matching Lambda configuration. */
  lambdaInvokes: number;
  /** Messages sent to a matching configuration's queue (test events excluded). */
  queueMessagesSent: number;
  /** Events put on the default bus (EventBridge on). */
  eventBridgeEvents: number;
  /** `s3:TestEvent` messages sent to queues when a configuration was set. */
  testEventsSent: number;
  /** Queue messages given up on after every attempt, or whose queue was gone. */
  queueMessagesDropped: number;
  /** Queue messages (test events included) not yet in their queue. */
  queueSendsInFlight: number;
  /** Events for EventBridge while no EventBridge service runs in this process. */
  eventBridgeEventsUndeliverable: number;
  /** Object events no configuration matched (outside prefix/suffix or event type, EventBridge off). */
  objectEventsNotMatched: number;
  /** Requests refused with 503 SlowDown by the per-prefix request rate. */
  slowDowns: number;
}

/** Attempts of one queue message before it is dropped (counted): S3's delivery is at-least-once. */
const queueSendAttemptsMax = 10;
const queueSendBackoffInitialMs = 100;
const queueSendBackoffMaxMs = 5_000;

/** s3rver's object store, one per `sluice serve`: `sluice-s3-<pid>-XXXXXX` in the system temporary folder. */
const scratchPrefix = 'sluice-s3-';
const scratchNamePattern = /^sluice-s3-(\d+)-/;
/** Named before the pid was part of the name (no owner to ask): removed once a day old, longer than any run. */
const ownerlessScratchPattern = /^sluice-s3-[A-Za-z0-9]{6}$/;
const ownerlessScratchAgeMsMax = 24 * 3_600_000;

/**
 * Removes the S3 scratch folders of process `pid` (the `sluice serve` a run started). A
 * process killed with SIGKILL cannot remove its own, so the run that started it does, as
 * soon as it sees it exit.
 */
export async function removeS3ScratchOf(pid: number): Promise<void> {
  const names = await readdir(tmpdir()).catch(() => [] as string[]);
  await Promise.all(names.filter((name) => scratchNamePattern.exec(name)?.[1] === String(pid)).map((name) => rm(join(tmpdir(), name), { recursive: true, force: true }).catch(() => undefined)));
}

/**
 * Removes the scratch folders whose process is gone (killed before anything could clean up
 * after it, its parent too): run whenever an S3 service starts, so none outlives the next run.
 */
export async function removeStaleS3Scratch(nowMs = Date.now()): Promise<void> {
  const names = await readdir(tmpdir()).catch(() => [] as string[]);
  const stale = await Promise.all(
    names.map(async (name) => {
      const pid = scratchNamePattern.exec(name)?.[1];
      if (pid !== undefined) return Number(pid) !== process.pid && !isRunning(Number(pid));
      if (!ownerlessScratchPattern.test(name)) return false;
      const modified = await stat(join(tmpdir(), name)).catch(() => undefined);
      return modified !== undefined && nowMs - modified.mtimeMs > ownerlessScratchAgeMsMax;
    }),
  );
  await Promise.all(names.filter((_, index) => stale[index]).map((name) => rm(join(tmpdir(), name), { recursive: true, force: true }).catch(() => undefined)));
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * S3 for the embedded target: s3rver (path-style, on 127.0.0.1) behind the edge, with what
 * s3rver lacks added in front of it:
 *
 * - bucket notification configurations (`PutBucketNotificationConfiguration`): to Lambda,
 *   one asynchronous invoke per object event through the {@link FunctionDirectory}; to SQS
 *   queues, one message per event (`{"Records":[…]}`) sent to the embedded queue, after the
 *   `s3:TestEvent` message when the configuration is set (a queue that does not exist is
 *   refused as S3 refuses it); to EventBridge, every event on the Region's default bus
 *   (`aws.s3`, `Object Created` / `Object Deleted`). Asynchronous, at-least-once and
 *   unordered, as on AWS;
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventNotifications.html
 * - the per-prefix request rates (3,500 PUT/COPY/POST/DELETE and 5,500 GET/HEAD per second
 *   per prefix), answered `503 SlowDown` beyond, as S3 does;
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html
 *
 * Control calls: `PUT /_sluice/s3/request-rate` `{ putPerSecondPerPrefix?, getPerSecondPerPrefix?, enforce? }`,
 * `GET /_sluice/s3/stats`.
 */
export async function startS3Service(directory: FunctionDirectory = functionDirectory, links: EmbeddedServiceLinks = embeddedServiceLinks): Promise<EdgeService> {
  const S3rver = require('s3rver') as new (options: Record<string, unknown>) => S3rverApp;
  acceptAnyAccessKey();
  await removeStaleS3Scratch();
  const directoryPath = await mkdtemp(join(tmpdir(), `${scratchPrefix}${process.pid}-`));
  const app = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: directoryPath,
    resetOnClose: true,
    vhostBuckets: false,
    // The edge forwards requests unchanged, but s3rver's SigV4 support is partial; the
    // embedded target is local and verifies no signatures anywhere else either.
    allowMismatchedSignatures: true,
  });
  const { port } = await app.run();

  const notifications = new Map<string, BucketNotificationConfiguration>();
  const bucketRegions = new Map<string, string>();
  const rate = { putPerSecond: awsDefaults.s3PutRequestsPerSecondPerPrefix.value as number, getPerSecond: awsDefaults.s3GetRequestsPerSecondPerPrefix.value as number, enforce: true };
  const prefixBuckets = new Map<string, TokenBucket>();
  const stats: S3ServiceStats = {
    objectEvents: 0,
    notificationsSent: 0,
    lambdaInvokes: 0,
    queueMessagesSent: 0,
    eventBridgeEvents: 0,
    testEventsSent: 0,
    queueMessagesDropped: 0,
    queueSendsInFlight: 0,
    eventBridgeEventsUndeliverable: 0,
    objectEventsNotMatched: 0,
    slowDowns: 0,
  };
  let closed = false;

  /** Sends one message to a queue, retrying as S3 does until it is in; counts it when it is. */
  async function sendToQueue(queueArn: string, body: string, counter: 'queueMessagesSent' | 'testEventsSent'): Promise<void> {
    stats.queueSendsInFlight += 1;
    try {
      await sendWithRetries(queueArn, body, counter);
    } finally {
      stats.queueSendsInFlight -= 1;
    }
  }

  async function sendWithRetries(queueArn: string, body: string, counter: 'queueMessagesSent' | 'testEventsSent'): Promise<void> {
    let backoffMs = queueSendBackoffInitialMs;
    for (let attempt = 1; attempt <= queueSendAttemptsMax && !closed; attempt += 1) {
      try {
        const queues = links.queues;
        if (queues && !(await queues.sendMessage(queueArn, body))) break;
        if (queues) {
          stats[counter] += 1;
          return;
        }
      } catch {
        // Retried below: the store was busy or restarting.
      }
      await new Promise((resolve) => setTimeout(resolve, backoffMs));
      backoffMs = Math.min(queueSendBackoffMaxMs, backoffMs * 2);
    }
    stats.queueMessagesDropped += 1;
  }

  app.on('event', (event) => {
    for (const record of event.Records ?? []) {
      stats.objectEvents += 1;
      const objectEvent = objectEventOf(record, bucketRegions.get(record.s3.bucket.name));
      const configuration = notifications.get(objectEvent.bucket) ?? noNotifications;
      let matched = false;
      for (const notification of configuration.lambda) {
        if (!notificationMatches(notification, objectEvent.eventName, objectEvent.key)) continue;
        matched = true;
        stats.notificationsSent += 1;
        stats.lambdaInvokes += 1;
        directory.invokeAsync(notification.functionArn, { Records: [s3NotificationRecord(objectEvent, notification.id)] }, 'aws:s3');
      }
      for (const notification of configuration.queues) {
        if (!notificationMatches(notification, objectEvent.eventName, objectEvent.key)) continue;
        matched = true;
        stats.notificationsSent += 1;
        void sendToQueue(notification.queueArn, JSON.stringify({ Records: [s3NotificationRecord(objectEvent, notification.id)] }), 'queueMessagesSent');
      }
      const entry = configuration.eventBridge ? s3EventBridgeEntry(objectEvent) : undefined;
      if (entry) {
        matched = true;
        stats.notificationsSent += 1;
        if (links.eventBus) {
          stats.eventBridgeEvents += 1;
          links.eventBus.putServiceEvent({ region: objectEvent.region, ...entry });
        } else {
          stats.eventBridgeEventsUndeliverable += 1;
        }
      }
      if (!matched) stats.objectEventsNotMatched += 1;
    }
  });

  function admitted(bucket: string, key: string, method: string): boolean {
    if (!rate.enforce) return true;
    const reads = method === 'GET' || method === 'HEAD';
    const prefix = key.includes('/') ? key.slice(0, key.lastIndexOf('/') + 1) : '';
    const name = `${reads ? 'r' : 'w'}:${bucket}/${prefix}`;
    let tokens = prefixBuckets.get(name);
    if (!tokens) {
      if (prefixBuckets.size >= prefixBucketsMax) prefixBuckets.delete(prefixBuckets.keys().next().value!);
      const perSecond = reads ? rate.getPerSecond : rate.putPerSecond;
      tokens = new TokenBucket({ ratePerSecond: perSecond, burst: perSecond, clock: monotonicClock });
      prefixBuckets.set(name, tokens);
    }
    return tokens.tryTake();
  }

  async function handleControl(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://edge').pathname;
    if (request.method === 'GET' && path === '/_sluice/s3/stats') {
      sendControlJson(response, 200, { ...stats, requestRate: rate });
      return;
    }
    if (request.method === 'PUT' && path === '/_sluice/s3/request-rate') {
      try {
        const body = await readControlJson(request);
        for (const [field, target] of [['putPerSecondPerPrefix', 'putPerSecond'], ['getPerSecondPerPrefix', 'getPerSecond']] as const) {
          const value = body[field];
          if (value === undefined) continue;
          if (typeof value !== 'number' || !(value >= 1)) throw new RangeError(`${field} must be a number of at least 1`);
          rate[target] = value;
        }
        if (typeof body['enforce'] === 'boolean') rate.enforce = body['enforce'];
        prefixBuckets.clear();
        sendControlJson(response, 200, { requestRate: rate });
      } catch (error) {
        sendControlJson(response, 400, { message: (error as Error).message });
      }
      return;
    }
    sendControlJson(response, 404, { message: `no sluice control call ${request.method} ${path}` });
  }

  return {
    signingNames: ['s3'],
    async handle(request: IncomingMessage, response: ServerResponse) {
      if (isSluiceControlRequest(request)) {
        await handleControl(request, response);
        return;
      }
      const url = new URL(request.url ?? '/', 'http://edge');
      const [, bucket = '', ...rest] = url.pathname.split('/');
      const key = decodeURIComponent(rest.join('/'));
      const method = request.method ?? 'GET';
      if (bucket && !key) {
        if (url.searchParams.has('notification')) {
          await handleNotificationConfig(request, response, bucket);
          return;
        }
        if (method === 'PUT' && [...url.searchParams.keys()].length === 0) bucketRegions.set(bucket, regionOfRequest(request) ?? 'us-east-1');
        if (method === 'DELETE' && [...url.searchParams.keys()].length === 0) notifications.delete(bucket);
      }
      if (bucket && key && !admitted(bucket, key, method)) {
        stats.slowDowns += 1;
        request.resume();
        s3Error(response, 503, 'SlowDown', 'Please reduce your request rate.');
        return;
      }
      forwardTo(port, request, response);
    },
    async close() {
      closed = true;
      await app.close().catch(() => undefined);
      await rm(directoryPath, { recursive: true, force: true });
    },
  };

  async function handleNotificationConfig(request: IncomingMessage, response: ServerResponse, bucket: string): Promise<void> {
    const body = await readBody(request, 1_048_576);
    if (!(await app.store.getBucket(bucket))) {
      s3Error(response, 404, 'NoSuchBucket', 'The specified bucket does not exist');
      return;
    }
    if (request.method === 'GET') {
      const xml = notificationConfigurationXml(notifications.get(bucket) ?? noNotifications);
      response.writeHead(200, { 'content-type': 'application/xml', 'content-length': String(Buffer.byteLength(xml)) });
      response.end(xml);
      return;
    }
    if (request.method !== 'PUT') {
      s3Error(response, 405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
      return;
    }
    let configuration: BucketNotificationConfiguration;
    try {
      configuration = parseNotificationConfiguration(body.toString('utf8'));
    } catch (error) {
      if (error instanceof NotificationConfigError) {
        s3Error(response, error.code === 'NotImplemented' ? 501 : 400, error.code, error.message);
        return;
      }
      throw error;
    }
    // S3 checks every destination when the configuration is set and names those it cannot use.
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/ways-to-add-notification-config-to-bucket.html
    const queueArns = [...new Set(configuration.queues.map((queue) => queue.queueArn))];
    const missing: string[] = [];
    for (const queueArn of queueArns) if (!(await links.queues?.queueExists(queueArn).catch(() => false))) missing.push(queueArn);
    if (missing.length > 0) {
      s3Error(
        response,
        400,
        'InvalidArgument',
        'Unable to validate the following destination configurations',
        missing.map((queueArn, index) => `<ArgumentName${index + 1}>${encodeXmlText(queueArn)}</ArgumentName${index + 1}><ArgumentValue${index + 1}>The destination queue does not exist</ArgumentValue${index + 1}>`).join(''),
      );
      return;
    }
    notifications.set(bucket, configuration);
    response.writeHead(200, { 'content-length': '0' });
    response.end();
    // Then the test message, once per queue the configuration names.
    for (const queueArn of queueArns) void sendToQueue(queueArn, JSON.stringify(s3TestEvent(bucket, Date.now())), 'testEventsSent');
  }
}

/**
 * The object event behind s3rver's record, in the bucket's Region. s3rver's record is not
 * AWS's (event version 2.0, an unencoded key, a sequencer of milliseconds), so the records
 * destinations receive are built from this (object-events.ts).
 */
function objectEventOf(record: S3rverRecord, region: string | undefined): ObjectEvent {
  const object = record.s3.object as { key: string; size?: unknown; eTag?: unknown };
  const requestId = (record['responseElements'] as Record<string, unknown> | undefined)?.['x-amz-request-id'];
  const sourceIp = (record['requestParameters'] as Record<string, unknown> | undefined)?.['sourceIPAddress'];
  const eventTimeMs = typeof record['eventTime'] === 'string' ? Date.parse(record['eventTime']) : Date.now();
  return {
    eventName: record.eventName,
    bucket: record.s3.bucket.name,
    key: object.key,
    region: region ?? record.awsRegion,
    eventTimeMs,
    ...(typeof object.size === 'number' ? { sizeBytes: object.size } : {}),
    ...(typeof object.eTag === 'string' ? { eTag: object.eTag.replaceAll('"', '') } : {}),
    sequencer: nextSequencer(eventTimeMs),
    requestId: typeof requestId === 'string' ? requestId : newS3RequestId(),
    sourceIpAddress: typeof sourceIp === 'string' ? sourceIp.replace(/^::ffff:/, '') : '127.0.0.1',
  };
}

function regionOfRequest(request: IncomingMessage): string | undefined {
  return /Credential=[^/]+\/\d{8}\/([^/]+)\/[^/]+\/aws4_request/.exec(request.headers.authorization ?? '')?.[1];
}

/** An S3 error document; `detailsXml` holds the elements some errors add (`ArgumentName1`, …). */
function s3Error(response: ServerResponse, statusCode: number, code: string, message: string, detailsXml = ''): void {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${encodeXmlText(message)}</Message>${detailsXml}<RequestId>${randomBytes(8).toString('hex').toUpperCase()}</RequestId></Error>`;
  response.writeHead(statusCode, { 'content-type': 'application/xml', 'content-length': String(Buffer.byteLength(xml)) });
  response.end(xml);
}

function encodeXmlText(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
