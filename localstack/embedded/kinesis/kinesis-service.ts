import { SluiceError } from '../../../core/sluice-error.ts';
import { request as httpRequest, Agent, type IncomingMessage, type ServerResponse, type Server, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { randomBytes, randomUUID } from 'node:crypto';
import { readBody, type EdgeService } from '../edge.ts';
import type { NowClock } from '../../../core/clock.ts';
import { openShardRanges, shardForHashKey, type ListedShard, type ShardHashRange } from '../../../core/shard-routing.ts';
import {
  KinesisShardQuotas,
  base64DecodedLengthBytes,
  hashKeyOfRecord,
  recordSizeBytes,
  throughputExceededMessage,
  type KinesisQuotaStats,
  type KinesisShardQuotaSettings,
} from './shard-quotas.ts';

/**
 * The embedded Kinesis service, and sluice's Kinesis quota enforcement in front of any
 * Kinesis-compatible endpoint.
 *
 * Wire protocol: @aws-sdk/client-kinesis (v3) speaks AWS JSON 1.1 — `POST /` with
 * `Content-Type: application/x-amz-json-1.1` and `X-Amz-Target: Kinesis_20131202.<Operation>`
 * (its runtime config sets `protocol: AwsJson1_1Protocol`). Those are the requests the quotas
 * read. CBOR (`application/x-amz-cbor-1.1`, the Java SDK's and KPL's default) is forwarded
 * untouched and counted in `unattributedRequests.cbor`: kinesalite and LocalStack both
 * answer it, but sluice does not enforce quotas on it.
 *
 * Quotas: https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html
 */

const kinesisTargetPrefix = 'Kinesis_20131202.';
const jsonContentType = 'application/x-amz-json-1.1';
const cborContentType = 'application/x-amz-cbor-1.1';
const throughputExceeded = 'ProvisionedThroughputExceededException';

/** Operations after which a stream's shards may have changed, so its cached shard map is dropped. */
const reshardingOperations = new Set(['CreateStream', 'DeleteStream', 'UpdateShardCount', 'SplitShard', 'MergeShards', 'UpdateStreamMode']);

/**
 * Shard iterators remembered to attribute GetRecords calls to their shard (iterators are
 * opaque, so the only upstream-independent way is to note which shard each came from).
 * Iterators expire after 5 minutes, so the oldest can be forgotten; the limit only bounds
 * memory under many consumers.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_GetShardIterator.html
 */
const iteratorEntriesMax = 100_000;

/** Stable codes of {@link KinesisServiceError}. */
export const kinesisServiceErrorCodes = {
  invalidUpstream: 'INVALID_KINESIS_UPSTREAM',
  emulatorStartFailed: 'KINESIS_EMULATOR_START_FAILED',
} as const;

/** The Kinesis service could not be set up. */
export class KinesisServiceError extends SluiceError<(typeof kinesisServiceErrorCodes)[keyof typeof kinesisServiceErrorCodes]> {}

/**
 * Where requests go once the quotas let them through: an emulator sluice started on
 * 127.0.0.1 (`{ port }`), or a Kinesis endpoint the user gave, such as a LocalStack they
 * already run (`{ url }`, http only). Only the `url` form reaches beyond 127.0.0.1.
 */
export type KinesisUpstream = { port: number } | { url: string };

/** Options of {@link createKinesisQuotaService}. */
export interface KinesisQuotaServiceOptions extends Partial<KinesisShardQuotaSettings> {
  upstream: KinesisUpstream;
  /** False: forward everything and only count. Default true. */
  enforce?: boolean;
  /** Defaults to a monotonic real clock. */
  clock?: NowClock;
  /**
   * Account named in throttle messages when the request's access key is not a 12-digit
   * account id (LocalStack's convention). Default `000000000000`, kinesalite's and LocalStack's.
   */
  accountId?: string;
  /**
   * Copy `StreamARN` into `StreamName` when only the ARN is given. kinesalite predates
   * StreamARN parameters and needs the name; LocalStack takes either. Default false.
   */
  fillStreamNameFromArn?: boolean;
  /** Called by `close()` after the service stops, e.g. to stop the emulator behind it. */
  onClose?: () => Promise<void>;
}

/** Requests the quotas could not attribute to a shard, and so forwarded unchecked. */
export interface UnattributedKinesisRequests {
  /** CBOR-encoded data-plane requests (see the module comment). */
  cbor: number;
  /** Writes to a stream whose shards could not be listed, or whose hash key no open shard owns. */
  unknownStream: number;
  /** GetRecords with a shard iterator that did not come through this service. */
  unknownShardIterator: number;
}

/** What {@link KinesisQuotaService.quotaStats} returns: per stream and shard counters, plus what went unchecked. */
export interface KinesisServiceQuotaStats extends KinesisQuotaStats {
  unattributedRequests: UnattributedKinesisRequests;
  /** Times a stream's shard map was (re)read from the upstream. */
  shardMapLoads: number;
}

/** Kinesis behind the edge endpoint, with sluice's per-shard quotas in front. */
export interface KinesisQuotaService extends EdgeService {
  /** Where admitted requests are forwarded. */
  readonly upstreamUrl: string;
  readonly quotas: Readonly<KinesisShardQuotaSettings> & { readonly enforce: boolean };
  /** Counters per stream and shard: records accepted and throttled, GetRecords calls and throttles, bytes in and out. */
  quotaStats(): KinesisServiceQuotaStats;
}

/** The embedded Kinesis: kinesalite in memory, behind {@link createKinesisQuotaService}. */
export interface KinesisService extends KinesisQuotaService {
  /** kinesalite's own port on 127.0.0.1 (no quotas there: for baselines only). */
  readonly emulatorPort: number;
}

// ---------------------------------------------------------------------------------------
// Upstream
// ---------------------------------------------------------------------------------------

interface UpstreamAnswer {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

interface UpstreamEndpoint {
  readonly url: string;
  /** Sends a request and reads the whole answer. */
  exchange(method: string, path: string, headers: IncomingHttpHeaders | OutgoingHttpHeaders, body: Buffer): Promise<UpstreamAnswer>;
  /** Sends a request and streams the answer straight back to the client. */
  pipe(request: IncomingMessage, response: ServerResponse, body?: Buffer): void;
}

function resolveUpstream(upstream: KinesisUpstream): { host: string; port: number; basePath: string; url: string } {
  if ('port' in upstream) {
    if (!Number.isInteger(upstream.port) || upstream.port < 1 || upstream.port > 65_535) {
      throw new KinesisServiceError(kinesisServiceErrorCodes.invalidUpstream, `upstream port ${String(upstream.port)} is not a TCP port`);
    }
    return { host: '127.0.0.1', port: upstream.port, basePath: '', url: `http://127.0.0.1:${upstream.port}` };
  }
  let parsed: URL;
  try {
    parsed = new URL(upstream.url);
  } catch (error) {
    throw new KinesisServiceError(kinesisServiceErrorCodes.invalidUpstream, `upstream URL "${upstream.url}" does not parse`, 'give the Kinesis endpoint as http://host:port, e.g. http://localhost:4566', { cause: error });
  }
  if (parsed.protocol !== 'http:') {
    throw new KinesisServiceError(
      kinesisServiceErrorCodes.invalidUpstream,
      `upstream URL "${upstream.url}" is not http`,
      'sluice forwards to a LocalStack-style endpoint over plain http (http://localhost:4566)',
    );
  }
  const basePath = parsed.pathname.replace(/\/+$/, '');
  return { host: parsed.hostname, port: Number(parsed.port || 80), basePath, url: `http://${parsed.host}${basePath}` };
}

/** Hop-by-hop and length headers that must not be copied from one message to another. */
const unforwardedHeaders = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive']);

function copyHeaders(headers: IncomingHttpHeaders | OutgoingHttpHeaders): OutgoingHttpHeaders {
  const copy: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !unforwardedHeaders.has(name.toLowerCase())) copy[name] = value;
  }
  return copy;
}

function createUpstreamEndpoint(upstream: KinesisUpstream): UpstreamEndpoint & { destroy(): void } {
  const { host, port, basePath, url } = resolveUpstream(upstream);
  // A pool of its own, so closing this service never touches the edge's other emulators.
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });

  function send(method: string, path: string, headers: OutgoingHttpHeaders, onAnswer: (answer: IncomingMessage) => void, onError: (error: Error) => void) {
    const outgoing = httpRequest({ host, port, method, path: `${basePath}${path}`, headers, agent }, onAnswer);
    outgoing.on('error', onError);
    return outgoing;
  }

  return {
    url,
    exchange(method, path, headers, body) {
      return new Promise<UpstreamAnswer>((resolve, reject) => {
        const outgoing = send(
          method,
          path,
          { ...copyHeaders(headers), 'content-length': String(body.length) },
          (answer) => {
            const chunks: Buffer[] = [];
            answer.on('data', (chunk: Buffer) => chunks.push(chunk));
            answer.on('end', () => resolve({ statusCode: answer.statusCode ?? 502, headers: answer.headers, body: Buffer.concat(chunks) }));
            answer.on('error', reject);
          },
          reject,
        );
        outgoing.end(body);
      });
    },
    pipe(request, response, body) {
      const headers = body ? { ...copyHeaders(request.headers), 'content-length': String(body.length) } : (request.headers as OutgoingHttpHeaders);
      const outgoing = send(
        request.method ?? 'POST',
        request.url ?? '/',
        headers,
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        },
        (error) => {
          if (!response.headersSent) response.writeHead(502, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ __type: 'ServiceUnavailable', message: `Kinesis upstream ${url} did not answer: ${error.message}` }));
        },
      );
      if (body) outgoing.end(body);
      else request.pipe(outgoing);
    },
    destroy() {
      agent.destroy();
    },
  };
}

// ---------------------------------------------------------------------------------------
// Requests and answers
// ---------------------------------------------------------------------------------------

interface PutRecordsEntry {
  PartitionKey: string;
  ExplicitHashKey?: string | null;
  Data?: string | null;
}

interface PutRecordsResultEntry {
  SequenceNumber?: string;
  ShardId?: string;
  ErrorCode?: string;
  ErrorMessage?: string;
}

/** `arn:aws:kinesis:us-east-1:123456789012:stream/orders` → `orders`. */
function streamNameOfArn(streamArn: unknown): string | undefined {
  if (typeof streamArn !== 'string') return undefined;
  const match = /:stream\/([^/]+)$/.exec(streamArn);
  return match?.[1];
}

function streamNameOf(payload: Record<string, unknown>): string | undefined {
  return typeof payload.StreamName === 'string' ? payload.StreamName : streamNameOfArn(payload.StreamARN);
}

function parseJsonObject(body: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The headers Kinesis puts on its answers, for the ones sluice makes itself. */
function answerHeaders(length: number): OutgoingHttpHeaders {
  return {
    'content-type': jsonContentType,
    'content-length': String(length),
    'x-amzn-requestid': randomUUID(),
    'x-amz-id-2': randomBytes(72).toString('base64'),
  };
}

function sendJson(response: ServerResponse, statusCode: number, value: unknown, upstreamHeaders?: IncomingHttpHeaders): void {
  const body = Buffer.from(JSON.stringify(value));
  const headers = upstreamHeaders ? { ...copyHeaders(upstreamHeaders), 'content-length': String(body.length) } : answerHeaders(body.length);
  response.writeHead(statusCode, headers);
  response.end(body);
}

function sendAnswer(response: ServerResponse, answer: UpstreamAnswer): void {
  response.writeHead(answer.statusCode, { ...copyHeaders(answer.headers), 'content-length': String(answer.body.length) });
  response.end(answer.body);
}

/**
 * Kinesis's refusal for a shard over its quota: HTTP 400 with the JSON 1.1 error shape, the
 * code the SDKs classify as a throttle and retry with backoff.
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_PutRecord.html#API_PutRecord_Errors
 */
function sendThroughputExceeded(response: ServerResponse, message: string): void {
  sendJson(response, 400, { __type: throughputExceeded, message });
}

/** Credential scope `Credential=AKID/date/region/kinesis/aws4_request` → AKID. */
function accessKeyIdOf(request: IncomingMessage): string | undefined {
  return /Credential=([^/]+)\//.exec(request.headers.authorization ?? '')?.[1];
}

// ---------------------------------------------------------------------------------------
// The quota service
// ---------------------------------------------------------------------------------------

/**
 * Puts sluice's Kinesis per-shard quotas in front of any Kinesis endpoint: the embedded
 * kinesalite, or a LocalStack the user runs. Writes and reads are attributed to shards as
 * Kinesis does (MD5 of the partition key, or the ExplicitHashKey, against the open shards'
 * hash-key ranges, read once per stream with ListShards and re-read after resharding);
 * records over a shard's write quota come back as per-record
 * ProvisionedThroughputExceededException entries of a PutRecords answer, and PutRecord or
 * GetRecords over quota are refused with HTTP 400, exactly as Kinesis answers.
 *
 * Admitted PutRecords records are forwarded on their own (a smaller body; the original
 * SigV4 signature then no longer matches it, which neither kinesalite nor LocalStack
 * checks) and their answers spliced back in request order.
 *
 * @example
 * const kinesis = createKinesisQuotaService({ upstream: { url: 'http://localhost:4566' } });
 * const edge = await startEdge([kinesis]);
 * // … run load against edge.url, then:
 * kinesis.quotaStats().streams['orders'].totals.recordsThrottled;
 */
export function createKinesisQuotaService(options: KinesisQuotaServiceOptions): KinesisQuotaService {
  const upstream = createUpstreamEndpoint(options.upstream);
  const quotas = new KinesisShardQuotas(options);
  const defaultAccountId = options.accountId ?? '000000000000';
  const fillStreamNameFromArn = options.fillStreamNameFromArn ?? false;
  const shardMaps = new Map<string, Promise<ShardHashRange[] | undefined>>();
  const iterators = new Map<string, { streamName: string; shardId: string }>();
  const unattributed: UnattributedKinesisRequests = { cbor: 0, unknownStream: 0, unknownShardIterator: 0 };
  let shardMapLoads = 0;

  function accountIdOf(request: IncomingMessage): string {
    // LocalStack takes a 12-digit access key id as the account; otherwise its default.
    const accessKeyId = accessKeyIdOf(request);
    return accessKeyId && /^\d{12}$/.test(accessKeyId) ? accessKeyId : defaultAccountId;
  }

  function rememberIterator(iterator: unknown, streamName: string, shardId: string): void {
    if (typeof iterator !== 'string') return;
    iterators.set(iterator, { streamName, shardId });
    if (iterators.size > iteratorEntriesMax) {
      const oldest = iterators.keys().next().value;
      if (oldest !== undefined) iterators.delete(oldest);
    }
  }

  /** Reads a stream's open shards with ListShards, signed as the client's request was. */
  async function loadShardMap(streamName: string, request: IncomingMessage): Promise<ShardHashRange[] | undefined> {
    shardMapLoads++;
    const headers: OutgoingHttpHeaders = {
      'content-type': jsonContentType,
      'x-amz-target': `${kinesisTargetPrefix}ListShards`,
    };
    // Neither emulator verifies signatures, but both want the header (kinesalite refuses
    // unsigned requests; LocalStack reads region and account from the credential scope).
    for (const name of ['authorization', 'x-amz-date', 'x-amz-security-token', 'host']) {
      const value = request.headers[name];
      if (value !== undefined) headers[name] = value;
    }
    const shards: ListedShard[] = [];
    let nextToken: string | undefined;
    do {
      const body = Buffer.from(JSON.stringify(nextToken ? { NextToken: nextToken } : { StreamName: streamName }));
      const answer = await upstream.exchange('POST', '/', headers, body);
      if (answer.statusCode !== 200) return undefined;
      const page = parseJsonObject(answer.body);
      if (!page || !Array.isArray(page.Shards)) return undefined;
      shards.push(...(page.Shards as ListedShard[]));
      nextToken = typeof page.NextToken === 'string' ? page.NextToken : undefined;
    } while (nextToken);
    return openShardRanges(shards);
  }

  function shardMapOf(streamName: string, request: IncomingMessage): Promise<ShardHashRange[] | undefined> {
    let map = shardMaps.get(streamName);
    if (!map) {
      map = loadShardMap(streamName, request).catch(() => undefined);
      shardMaps.set(streamName, map);
      // A failed lookup (stream not there yet) is not cached: the next write asks again.
      void map.then((ranges) => {
        if (!ranges && shardMaps.get(streamName) === map) shardMaps.delete(streamName);
      });
    }
    return map;
  }

  /** Maps records to shards; undefined when any cannot be (the upstream then answers the request as it is). */
  async function shardsOfRecords(streamName: string, records: readonly PutRecordsEntry[], request: IncomingMessage): Promise<ShardHashRange[] | undefined> {
    const ranges = await shardMapOf(streamName, request);
    if (!ranges) return undefined;
    const shards: ShardHashRange[] = [];
    for (const record of records) {
      if (typeof record?.PartitionKey !== 'string') return undefined;
      let hashKey: bigint;
      try {
        hashKey = hashKeyOfRecord(record);
      } catch {
        return undefined; // an invalid ExplicitHashKey: let the upstream answer InvalidArgumentException
      }
      const shard = shardForHashKey(ranges, hashKey);
      if (!shard) return undefined;
      shards.push(shard);
    }
    return shards;
  }

  /** The upstream stored a record on another shard than computed: the shard map is stale (resharded). */
  function checkShardIds(streamName: string, expected: readonly ShardHashRange[], results: readonly PutRecordsResultEntry[]): void {
    for (let index = 0; index < results.length; index++) {
      const shardId = results[index]?.ShardId;
      if (shardId !== undefined && shardId !== expected[index]?.shardId) {
        shardMaps.delete(streamName);
        return;
      }
    }
  }

  async function putRecords(request: IncomingMessage, response: ServerResponse, body: Buffer, payload: Record<string, unknown>): Promise<void> {
    const streamName = streamNameOf(payload);
    const records = payload.Records;
    if (!streamName || !Array.isArray(records) || records.length === 0) return upstream.pipe(request, response, body);
    const shards = await shardsOfRecords(streamName, records as PutRecordsEntry[], request);
    if (!shards) {
      unattributed.unknownStream++;
      return upstream.pipe(request, response, body);
    }
    const admission = quotas.admitWrites(
      streamName,
      (records as PutRecordsEntry[]).map((record, index) => ({ shardId: shards[index].shardId, sizeBytes: recordSizeBytes(record) })),
    );
    const admittedIndexes = admission.admitted.flatMap((admitted, index) => (admitted ? [index] : []));
    const accountId = accountIdOf(request);
    const refusal = (index: number): PutRecordsResultEntry => ({
      ErrorCode: throughputExceeded,
      ErrorMessage: throughputExceededMessage(shards[index].shardId, streamName, accountId),
    });

    if (admittedIndexes.length === 0) {
      sendJson(response, 200, { FailedRecordCount: records.length, Records: records.map((_, index) => refusal(index)) });
      return;
    }
    const everyRecordAdmitted = admittedIndexes.length === records.length;
    const forwardedBody = everyRecordAdmitted ? body : Buffer.from(JSON.stringify({ ...payload, Records: admittedIndexes.map((index) => records[index]) }));
    let answer: UpstreamAnswer;
    try {
      answer = await upstream.exchange(request.method ?? 'POST', request.url ?? '/', request.headers, forwardedBody);
    } catch (error) {
      quotas.settleWrites(admission, undefined);
      throw error;
    }
    const parsed = answer.statusCode === 200 ? parseJsonObject(answer.body) : undefined;
    const upstreamResults = parsed && Array.isArray(parsed.Records) ? (parsed.Records as PutRecordsResultEntry[]) : undefined;
    if (!parsed || !upstreamResults || upstreamResults.length !== admittedIndexes.length) {
      quotas.settleWrites(admission, undefined);
      return sendAnswer(response, answer);
    }

    const stored = new Array<boolean>(records.length).fill(false);
    const results: PutRecordsResultEntry[] = records.map((_, index) => (admission.admitted[index] ? {} : refusal(index)));
    admittedIndexes.forEach((index, position) => {
      const result = upstreamResults[position];
      results[index] = result;
      stored[index] = result.ErrorCode == null && result.SequenceNumber != null;
    });
    quotas.settleWrites(admission, stored);
    checkShardIds(
      streamName,
      admittedIndexes.map((index) => shards[index]),
      upstreamResults,
    );
    if (everyRecordAdmitted) return sendAnswer(response, answer);
    const upstreamFailed = typeof parsed.FailedRecordCount === 'number' ? parsed.FailedRecordCount : 0;
    sendJson(response, 200, { ...parsed, FailedRecordCount: upstreamFailed + records.length - admittedIndexes.length, Records: results }, answer.headers);
  }

  async function putRecord(request: IncomingMessage, response: ServerResponse, body: Buffer, payload: Record<string, unknown>): Promise<void> {
    const streamName = streamNameOf(payload);
    if (!streamName) return upstream.pipe(request, response, body);
    const record = payload as unknown as PutRecordsEntry;
    const shards = await shardsOfRecords(streamName, [record], request);
    if (!shards) {
      unattributed.unknownStream++;
      return upstream.pipe(request, response, body);
    }
    const admission = quotas.admitWrites(streamName, [{ shardId: shards[0].shardId, sizeBytes: recordSizeBytes(record) }]);
    if (!admission.admitted[0]) {
      return sendThroughputExceeded(response, throughputExceededMessage(shards[0].shardId, streamName, accountIdOf(request)));
    }
    let answer: UpstreamAnswer;
    try {
      answer = await upstream.exchange(request.method ?? 'POST', request.url ?? '/', request.headers, body);
    } catch (error) {
      quotas.settleWrites(admission, undefined);
      throw error;
    }
    const parsed = answer.statusCode === 200 ? (parseJsonObject(answer.body) as PutRecordsResultEntry | undefined) : undefined;
    quotas.settleWrites(admission, [parsed?.SequenceNumber != null]);
    if (parsed) checkShardIds(streamName, shards, [parsed]);
    sendAnswer(response, answer);
  }

  async function getRecords(request: IncomingMessage, response: ServerResponse, body: Buffer, payload: Record<string, unknown>): Promise<void> {
    const shard = typeof payload.ShardIterator === 'string' ? iterators.get(payload.ShardIterator) : undefined;
    if (!shard) {
      unattributed.unknownShardIterator++;
      return upstream.pipe(request, response, body);
    }
    if (!quotas.admitRead(shard.streamName, shard.shardId)) {
      return sendThroughputExceeded(response, throughputExceededMessage(shard.shardId, shard.streamName, accountIdOf(request)));
    }
    const answer = await upstream.exchange(request.method ?? 'POST', request.url ?? '/', request.headers, body);
    const parsed = answer.statusCode === 200 ? parseJsonObject(answer.body) : undefined;
    if (parsed) {
      let bytes = 0;
      if (Array.isArray(parsed.Records)) {
        for (const record of parsed.Records as PutRecordsEntry[]) {
          bytes += base64DecodedLengthBytes(typeof record.Data === 'string' ? record.Data : '') + Buffer.byteLength(String(record.PartitionKey ?? ''), 'utf8');
        }
      }
      quotas.chargeReadBytes(shard.streamName, shard.shardId, bytes);
      rememberIterator(parsed.NextShardIterator, shard.streamName, shard.shardId);
    }
    sendAnswer(response, answer);
  }

  async function getShardIterator(request: IncomingMessage, response: ServerResponse, body: Buffer, payload: Record<string, unknown>): Promise<void> {
    const answer = await upstream.exchange(request.method ?? 'POST', request.url ?? '/', request.headers, body);
    const streamName = streamNameOf(payload);
    if (answer.statusCode === 200 && streamName && typeof payload.ShardId === 'string') {
      rememberIterator(parseJsonObject(answer.body)?.ShardIterator, streamName, payload.ShardId);
    }
    sendAnswer(response, answer);
  }

  async function reshard(request: IncomingMessage, response: ServerResponse, body: Buffer, payload: Record<string, unknown>): Promise<void> {
    const streamName = streamNameOf(payload);
    if (streamName) shardMaps.delete(streamName);
    const answer = await upstream.exchange(request.method ?? 'POST', request.url ?? '/', request.headers, body);
    // Again after the answer: a write racing the call may have cached the old shards.
    if (streamName) shardMaps.delete(streamName);
    sendAnswer(response, answer);
  }

  const handlers: Record<string, (request: IncomingMessage, response: ServerResponse, body: Buffer, payload: Record<string, unknown>) => Promise<void>> = {
    PutRecords: putRecords,
    PutRecord: putRecord,
    GetRecords: getRecords,
    GetShardIterator: getShardIterator,
  };
  for (const operation of reshardingOperations) handlers[operation] = reshard;

  return {
    signingNames: ['kinesis'],
    upstreamUrl: upstream.url,
    quotas: { ...quotas.settings, enforce: quotas.enforce },

    async handle(request, response) {
      const target = String(request.headers['x-amz-target'] ?? '');
      const operation = target.startsWith(kinesisTargetPrefix) ? target.slice(kinesisTargetPrefix.length) : undefined;
      const contentType = String(request.headers['content-type'] ?? '').split(';')[0].trim();
      const handler = operation ? handlers[operation] : undefined;
      if (contentType !== jsonContentType || (!handler && !fillStreamNameFromArn)) {
        if (contentType === cborContentType && handler) unattributed.cbor++;
        return upstream.pipe(request, response);
      }
      let body = await readBody(request);
      const payload = parseJsonObject(body);
      if (!payload) return upstream.pipe(request, response, body); // the upstream answers SerializationException
      if (fillStreamNameFromArn && payload.StreamName === undefined && payload.StreamARN !== undefined) {
        const streamName = streamNameOfArn(payload.StreamARN);
        if (streamName) {
          payload.StreamName = streamName;
          body = Buffer.from(JSON.stringify(payload));
        }
      }
      if (!handler) return upstream.pipe(request, response, body);
      await handler(request, response, body, payload);
    },

    quotaStats() {
      return { ...quotas.stats(), unattributedRequests: { ...unattributed }, shardMapLoads };
    },

    async close() {
      upstream.destroy();
      await options.onClose?.();
    },
  };
}

// ---------------------------------------------------------------------------------------
// The embedded Kinesis: kinesalite
// ---------------------------------------------------------------------------------------

/** Options of {@link startKinesisService}. */
export interface KinesisServiceOptions extends Partial<KinesisShardQuotaSettings> {
  /** False: forward everything and only count. Default true. */
  enforce?: boolean;
  clock?: NowClock;
  /**
   * kinesalite's own cap on open shards across all streams (its default is 10). The
   * account's shard quota is not what sluice models, so it is set out of the way.
   */
  shardLimit?: number;
}

type KinesaliteFactory = (options: { createStreamMs: number; deleteStreamMs: number; updateStreamMs: number; shardLimit: number }) => Server;

/**
 * Starts the embedded Kinesis: kinesalite in memory on 127.0.0.1 (streams become ACTIVE at
 * once: create, delete and update delays are 0), with sluice's per-shard quotas in front.
 * Register the returned service with `startEdge`; it answers the `kinesis` signing name.
 *
 * @example
 * const kinesis = await startKinesisService({ writeRecordsPerSecondPerShard: 1000 });
 * const edge = await startEdge([kinesis]);
 * const client = new KinesisClient({ endpoint: edge.url, region: 'us-east-1', credentials });
 */
export async function startKinesisService(options: KinesisServiceOptions = {}): Promise<KinesisService> {
  const kinesalite = createRequire(import.meta.url)('kinesalite') as KinesaliteFactory;
  const server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: options.shardLimit ?? 1_000_000 });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
  } catch (error) {
    throw new KinesisServiceError(kinesisServiceErrorCodes.emulatorStartFailed, `kinesalite did not start: ${(error as Error).message}`, undefined, { cause: error });
  }
  const emulatorPort = (server.address() as AddressInfo).port;
  const service = createKinesisQuotaService({
    ...options,
    upstream: { port: emulatorPort },
    fillStreamNameFromArn: true,
    async onClose() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  });
  return Object.assign(service, { emulatorPort });
}
