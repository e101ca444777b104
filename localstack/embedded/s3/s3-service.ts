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
import { NotificationConfigError, notificationConfigurationXml, notificationMatches, parseNotificationConfiguration, type LambdaNotification } from './notification-config.ts';
import { TokenBucket } from '../../../core/token-bucket.ts';
import { monotonicClock } from '../../../core/clock.ts';
import { awsDefaults } from '../../../core/aws-defaults.ts';
import { encodeS3EventKey } from '../../../core/s3-key-encoding.ts';

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
  /** Asynchronous invokes started by a matching notification configuration. */
  notificationsSent: number;
  /** Object events no configuration matched (outside prefix/suffix or event type). */
  objectEventsNotMatched: number;
  /** Requests refused with 503 SlowDown by the per-prefix request rate. */
  slowDowns: number;
}

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
 * - bucket notification configurations to Lambda (`PutBucketNotificationConfiguration`),
 *   one asynchronous invoke per object event through the {@link FunctionDirectory}
 *   (at-least-once and unordered, as on AWS);
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventNotifications.html
 * - the per-prefix request rates (3,500 PUT/COPY/POST/DELETE and 5,500 GET/HEAD per second
 *   per prefix), answered `503 SlowDown` beyond, as S3 does;
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html
 *
 * Control calls: `PUT /_sluice/s3/request-rate` `{ putPerSecondPerPrefix?, getPerSecondPerPrefix?, enforce? }`,
 * `GET /_sluice/s3/stats`.
 */
export async function startS3Service(directory: FunctionDirectory = functionDirectory): Promise<EdgeService> {
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

  const notifications = new Map<string, LambdaNotification[]>();
  const bucketRegions = new Map<string, string>();
  const rate = { putPerSecond: awsDefaults.s3PutRequestsPerSecondPerPrefix.value as number, getPerSecond: awsDefaults.s3GetRequestsPerSecondPerPrefix.value as number, enforce: true };
  const prefixBuckets = new Map<string, TokenBucket>();
  const stats: S3ServiceStats = { objectEvents: 0, notificationsSent: 0, objectEventsNotMatched: 0, slowDowns: 0 };

  app.on('event', (event) => {
    for (const record of event.Records ?? []) {
      stats.objectEvents += 1;
      const bucket = record.s3.bucket.name;
      const key = record.s3.object.key;
      let matched = false;
      for (const notification of notifications.get(bucket) ?? []) {
        if (!notificationMatches(notification, record.eventName, key)) continue;
        matched = true;
        stats.notificationsSent += 1;
        directory.invokeAsync(notification.functionArn, { Records: [awsShapedRecord(record, notification, bucketRegions.get(bucket))] }, 'aws:s3');
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
      const xml = notificationConfigurationXml(notifications.get(bucket) ?? []);
      response.writeHead(200, { 'content-type': 'application/xml', 'content-length': String(Buffer.byteLength(xml)) });
      response.end(xml);
      return;
    }
    if (request.method !== 'PUT') {
      s3Error(response, 405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
      return;
    }
    try {
      notifications.set(bucket, parseNotificationConfiguration(body.toString('utf8')));
    } catch (error) {
      if (error instanceof NotificationConfigError) {
        s3Error(response, error.code === 'NotImplemented' ? 501 : 400, error.code, error.message);
        return;
      }
      throw error;
    }
    response.writeHead(200, { 'content-length': '0' });
    response.end();
  }
}

/**
 * s3rver's record, corrected where it differs from AWS: the bucket ARN, the Region of the
 * bucket, the configuration id, and the key URL-encoded as S3 writes it in notifications.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
 */
function awsShapedRecord(record: S3rverRecord, notification: LambdaNotification, region: string | undefined): S3rverRecord {
  return {
    ...record,
    awsRegion: region ?? record.awsRegion,
    s3: {
      ...record.s3,
      configurationId: notification.id,
      bucket: { ...record.s3.bucket, arn: `arn:aws:s3:::${record.s3.bucket.name}` },
      object: { ...record.s3.object, key: encodeS3EventKey(record.s3.object.key) },
    },
  };
}

function regionOfRequest(request: IncomingMessage): string | undefined {
  return /Credential=[^/]+\/\d{8}\/([^/]+)\/[^/]+\/aws4_request/.exec(request.headers.authorization ?? '')?.[1];
}

function s3Error(response: ServerResponse, statusCode: number, code: string, message: string): void {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${randomBytes(8).toString('hex').toUpperCase()}</RequestId></Error>`;
  response.writeHead(statusCode, { 'content-type': 'application/xml', 'content-length': String(Buffer.byteLength(xml)) });
  response.end(xml);
}
