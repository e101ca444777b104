import { randomUUID } from 'node:crypto';
import { request as httpRequest, Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { forwardTo, readBody, type EdgeService } from './edge.ts';
import {
  readSqsQueryCall,
  sqsErrorFromJson,
  sqsJsonError,
  sqsQueryCodeOf,
  sqsQueryErrorXml,
  sqsQueryResponseXml,
  SqsProtocolError,
} from './sqs-query-protocol.ts';
import { embeddedServiceLinks, type QueueDestination } from './service-links.ts';
import { ensureNodeSqlite } from './node-sqlite.ts';

/**
 * SQS for the embedded target: fauxqs (in memory), which gets visibility timeouts, redrive
 * to a DLQ, long polling and batch deletes right, and speaks the SDK's JSON protocol.
 * fauxqs's own start-up binds every interface, so sluice builds its app and listens on
 * 127.0.0.1 itself.
 *
 * In front of it, what a real client needs beyond that:
 * - the query protocol (form-encoded `Action=…`, XML answers), which AWS serves beside JSON
 *   and which the AWS CLI before 2.13 and older SDKs speak: translated call by call
 *   (sqs-query-protocol.ts);
 * - queue URLs on the endpoint the client called (`http://127.0.0.1:4566/000000000000/q`),
 *   where fauxqs writes a host of its own making;
 * - receipt handles checked as SQS checks them (`ReceiptHandleIsInvalid`);
 * - ListDeadLetterSourceQueues, which fauxqs lacks;
 * - the query protocol's error codes in `x-amzn-query-error`, which SDKs read under JSON too.
 */
export async function startSqsService(): Promise<EdgeService> {
  ensureNodeSqlite();
  const { buildApp } = (await import('fauxqs')) as unknown as {
    buildApp(options: { logger: boolean; host: string }): {
      listen(options: { port: number; host: string }): Promise<string>;
      close(): Promise<void>;
      server: { address(): AddressInfo };
    };
  };
  const app = buildApp({ logger: false, host: '127.0.0.1' });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const store = new SqsStoreClient(app.server.address().port);
  // S3 notifications to queues arrive through this link (localstack/embedded/service-links.ts).
  const destination = queueDestinationOf(store);
  embeddedServiceLinks.queues = destination;
  return {
    signingNames: ['sqs'],
    handle: (request, response) => handleSqsRequest(store, request, response),
    close: async () => {
      if (embeddedServiceLinks.queues === destination) embeddedServiceLinks.queues = undefined;
      store.agent.destroy();
      await app.close();
    },
  };
}

/**
 * The store as other embedded services reach it: a queue named by its ARN, looked up in the
 * ARN's Region, as S3 finds the queue of a QueueConfiguration.
 */
function queueDestinationOf(store: SqsStoreClient): QueueDestination {
  const callerOf = (queueArn: string) => {
    const [, , , region = 'us-east-1', , name = ''] = queueArn.split(':');
    const day = new Date().toISOString().slice(0, 10).replaceAll('-', '');
    return { name, caller: { headers: { host: '127.0.0.1', authorization: `AWS4-HMAC-SHA256 Credential=s3/${day}/${region}/sqs/aws4_request, SignedHeaders=host, Signature=s3` } } };
  };
  const urlOf = async (queueArn: string): Promise<string | undefined> => {
    if (!/^arn:aws[\w-]*:sqs:[^:]+:\d{12}:[^:]+$/.test(queueArn)) return undefined;
    const { name, caller } = callerOf(queueArn);
    const answer = await store.call('GetQueueUrl', { QueueName: name }, caller);
    return answer.statusCode < 300 && typeof answer.output['QueueUrl'] === 'string' ? answer.output['QueueUrl'] : undefined;
  };
  return {
    async queueExists(queueArn) {
      return (await urlOf(queueArn)) !== undefined;
    },
    async sendMessage(queueArn, body) {
      const queueUrl = await urlOf(queueArn);
      if (!queueUrl) return false;
      await store.ok('SendMessage', { QueueUrl: queueUrl, MessageBody: body }, callerOf(queueArn).caller);
      return true;
    },
  };
}

/** Who a store call is made for: the headers that carry its host and Region. */
type StoreCaller = Pick<IncomingMessage, 'headers'>;

const jsonContentType = 'application/x-amz-json-1.0';

/** fauxqs issues receipt handles as UUIDs; anything else was never issued by this store. */
const receiptHandlePattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * JSON actions sluice reads and answers itself (through the store); every other action is
 * streamed to fauxqs unchanged, so the hot path (SendMessage, ReceiveMessage) pays nothing.
 */
const actionsAnsweredHere = new Set([
  'CreateQueue',
  'GetQueueUrl',
  'ListQueues',
  'ListDeadLetterSourceQueues',
  'DeleteMessage',
  'DeleteMessageBatch',
  'ChangeMessageVisibility',
  'ChangeMessageVisibilityBatch',
]);

/** What the store answered one JSON call. */
interface StoreAnswer {
  readonly statusCode: number;
  readonly output: Record<string, unknown>;
}

/** JSON calls to fauxqs on the caller's behalf: its Region (from the signature) and host go along. */
class SqsStoreClient {
  readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  constructor(readonly port: number) {}

  call(action: string, input: Record<string, unknown>, caller: StoreCaller): Promise<StoreAnswer> {
    const body = Buffer.from(JSON.stringify(input));
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest(
        {
          host: '127.0.0.1',
          port: this.port,
          method: 'POST',
          path: '/',
          agent: this.agent,
          headers: {
            'content-type': jsonContentType,
            'content-length': String(body.length),
            'x-amz-target': `AmazonSQS.${action}`,
            host: caller.headers.host ?? '127.0.0.1',
            ...(caller.headers.authorization ? { authorization: caller.headers.authorization } : {}),
          },
        },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => chunks.push(chunk));
          answer.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let output: unknown = {};
            try {
              output = text.length > 0 ? JSON.parse(text) : {};
            } catch {
              output = { __type: 'InternalFailure', message: `the SQS store answered ${answer.statusCode} with a body that is not JSON` };
            }
            resolve({ statusCode: answer.statusCode ?? 500, output: typeof output === 'object' && output !== null ? (output as Record<string, unknown>) : {} });
          });
          answer.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }

  /** The call's output, or its error thrown as a {@link SqsProtocolError}. */
  async ok(action: string, input: Record<string, unknown>, caller: StoreCaller): Promise<Record<string, unknown>> {
    const answer = await this.call(action, input, caller);
    if (answer.statusCode >= 300) throw sqsErrorFromJson(answer.statusCode, answer.output);
    return answer.output;
  }
}

async function handleSqsRequest(store: SqsStoreClient, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const target = String(request.headers['x-amz-target'] ?? '');
  if (target.startsWith('AmazonSQS.')) {
    const action = target.slice('AmazonSQS.'.length);
    if (!actionsAnsweredHere.has(action)) {
      forwardTo(store.port, request, response, undefined, correctQueryErrorHeader);
      return;
    }
    const body = await readBody(request);
    // The consumer's deletes are the hot path: when every receipt handle is one the store
    // issued, they go to it unchanged, without a second hop.
    if (receiptHandleActions.has(action) && receiptHandlesAllIssued(body)) {
      forwardTo(store.port, request, response, body, correctQueryErrorHeader);
      return;
    }
    await answerJson(store, action, body, request, response);
    return;
  }
  if (isQueryRequest(request)) {
    await answerQuery(store, request, response);
    return;
  }
  forwardTo(store.port, request, response, undefined, correctQueryErrorHeader);
}

function isQueryRequest(request: IncomingMessage): boolean {
  const contentType = String(request.headers['content-type'] ?? '');
  if (request.method === 'POST' && contentType.startsWith('application/x-www-form-urlencoded')) return true;
  return request.method === 'GET' && new URL(request.url ?? '/', 'http://edge').searchParams.has('Action');
}

const receiptHandleActions = new Set(['DeleteMessage', 'DeleteMessageBatch', 'ChangeMessageVisibility', 'ChangeMessageVisibilityBatch']);

/** Whether a JSON body's receipt handles (`ReceiptHandle`, `Entries[].ReceiptHandle`) all have the store's form. */
function receiptHandlesAllIssued(body: Buffer): boolean {
  let input: { ReceiptHandle?: unknown; Entries?: unknown };
  try {
    input = JSON.parse(body.toString('utf8')) as typeof input;
  } catch {
    return false;
  }
  if (typeof input !== 'object' || input === null) return false;
  const handles = Array.isArray(input.Entries) ? input.Entries.map((entry) => (entry as { ReceiptHandle?: unknown } | null)?.ReceiptHandle) : [input.ReceiptHandle];
  return handles.every((handle) => handle === undefined || (typeof handle === 'string' && receiptHandlePattern.test(handle)));
}

async function answerJson(store: SqsStoreClient, action: string, body: Buffer, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const requestId = randomUUID();
  try {
    let input: unknown;
    try {
      input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    } catch {
      throw new SqsProtocolError('SerializationException', 'The request body is not valid JSON.');
    }
    if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new SqsProtocolError('SerializationException', 'The request body must be a JSON object.');
    const output = await serveAction(store, action, input as Record<string, unknown>, request);
    const text = JSON.stringify(output);
    response.writeHead(200, { 'content-type': jsonContentType, 'content-length': String(Buffer.byteLength(text)), 'x-amzn-requestid': requestId });
    response.end(text);
  } catch (error) {
    if (!(error instanceof SqsProtocolError)) throw error;
    const { body, headers } = sqsJsonError(error);
    response.writeHead(error.statusCode, { 'content-type': jsonContentType, 'content-length': String(Buffer.byteLength(body)), 'x-amzn-requestid': requestId, ...headers });
    response.end(body);
  }
}

async function answerQuery(store: SqsStoreClient, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const requestId = randomUUID();
  const send = (statusCode: number, xml: string) => {
    response.writeHead(statusCode, { 'content-type': 'text/xml', 'content-length': String(Buffer.byteLength(xml)), 'x-amzn-requestid': requestId });
    response.end(xml);
  };
  try {
    const url = new URL(request.url ?? '/', 'http://edge');
    const parameters = new URLSearchParams(url.search);
    if (request.method === 'POST') for (const [key, value] of new URLSearchParams((await readBody(request)).toString('utf8'))) parameters.append(key, value);
    // Older SDKs post to the queue's own URL instead of giving QueueUrl.
    const pathQueue = /^\/(\d{12})\/([^/]+)\/?$/.exec(url.pathname);
    const pathQueueUrl = pathQueue ? `http://${request.headers.host ?? '127.0.0.1'}/${pathQueue[1]}/${pathQueue[2]}` : undefined;
    const { action, input } = readSqsQueryCall(parameters, pathQueueUrl);
    const output = await serveAction(store, action, input, request);
    send(200, sqsQueryResponseXml(action, output, requestId));
  } catch (error) {
    if (!(error instanceof SqsProtocolError)) throw error;
    send(error.statusCode, sqsQueryErrorXml(error, requestId));
  }
}

/** One action for either protocol: its JSON output, or a thrown {@link SqsProtocolError}. */
async function serveAction(store: SqsStoreClient, action: string, input: Record<string, unknown>, caller: IncomingMessage): Promise<Record<string, unknown>> {
  const callerOrigin = `http://${caller.headers.host ?? '127.0.0.1'}`;
  switch (action) {
    case 'CreateQueue':
    case 'GetQueueUrl': {
      const output = await store.ok(action, input, caller);
      return { ...output, QueueUrl: onOrigin(output['QueueUrl'], callerOrigin) };
    }
    case 'ListQueues': {
      const output = await store.ok(action, input, caller);
      const urls = Array.isArray(output['QueueUrls']) ? output['QueueUrls'].map((url) => onOrigin(url, callerOrigin)) : undefined;
      return { ...output, ...(urls ? { QueueUrls: urls } : {}) };
    }
    case 'ListDeadLetterSourceQueues':
      return listDeadLetterSourceQueues(store, input, caller, callerOrigin);
    case 'DeleteMessage':
    case 'ChangeMessageVisibility':
      checkReceiptHandle(input['ReceiptHandle']);
      return store.ok(action, input, caller);
    case 'DeleteMessageBatch':
    case 'ChangeMessageVisibilityBatch':
      return batchWithReceiptHandlesChecked(store, action, input, caller);
    default:
      return store.ok(action, input, caller);
  }
}

/**
 * A receipt handle this store never issued is refused, as SQS refuses one it cannot read;
 * one it issued is accepted by DeleteMessage even when its message is gone ("the request
 * succeeds, but the message might not be deleted").
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteMessage.html
 */
function checkReceiptHandle(handle: unknown): void {
  if (typeof handle === 'string' && handle.length > 0 && !receiptHandlePattern.test(handle)) {
    throw new SqsProtocolError('ReceiptHandleIsInvalid', receiptHandleInvalidMessage(handle));
  }
}

function receiptHandleInvalidMessage(handle: string): string {
  return `The input receipt handle "${handle}" is not a valid receipt handle.`;
}

/** Batch entries with a handle the store never issued fail alone with ReceiptHandleIsInvalid, as on SQS. */
async function batchWithReceiptHandlesChecked(store: SqsStoreClient, action: string, input: Record<string, unknown>, caller: IncomingMessage): Promise<Record<string, unknown>> {
  const output = await store.ok(action, input, caller);
  const entries = Array.isArray(input['Entries']) ? (input['Entries'] as Array<Record<string, unknown>>) : [];
  const invalid = new Map<string, string>();
  for (const entry of entries) {
    const handle = entry?.['ReceiptHandle'];
    if (typeof entry?.['Id'] === 'string' && typeof handle === 'string' && !receiptHandlePattern.test(handle)) invalid.set(entry['Id'], handle);
  }
  if (invalid.size === 0) return output;
  const successful = (Array.isArray(output['Successful']) ? output['Successful'] : []) as Array<Record<string, unknown>>;
  const failed = ((Array.isArray(output['Failed']) ? output['Failed'] : []) as Array<Record<string, unknown>>).filter((entry) => !invalid.has(String(entry['Id'])));
  for (const [id, handle] of invalid) failed.push({ Id: id, SenderFault: true, Code: 'ReceiptHandleIsInvalid', Message: receiptHandleInvalidMessage(handle) });
  return { ...output, Successful: successful.filter((entry) => !invalid.has(String(entry['Id']))), Failed: failed };
}

/**
 * The queues whose redrive policy names this queue as their dead-letter queue.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ListDeadLetterSourceQueues.html
 */
async function listDeadLetterSourceQueues(store: SqsStoreClient, input: Record<string, unknown>, caller: IncomingMessage, callerOrigin: string): Promise<Record<string, unknown>> {
  const queueUrl = input['QueueUrl'];
  if (typeof queueUrl !== 'string' || queueUrl.length === 0) throw new SqsProtocolError('MissingParameter', 'The request must contain the parameter QueueUrl.');
  const maxResults = input['MaxResults'];
  if (maxResults !== undefined && (!Number.isInteger(maxResults) || (maxResults as number) < 1 || (maxResults as number) > 1000)) {
    throw new SqsProtocolError('InvalidParameterValue', `Value ${String(maxResults)} for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.`);
  }
  const target = await store.ok('GetQueueAttributes', { QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }, caller);
  const targetArn = (target['Attributes'] as Record<string, string> | undefined)?.['QueueArn'];
  const listed = await store.ok('ListQueues', {}, caller);
  const sources: string[] = [];
  for (const url of Array.isArray(listed['QueueUrls']) ? (listed['QueueUrls'] as string[]) : []) {
    const attributes = await store.ok('GetQueueAttributes', { QueueUrl: url, AttributeNames: ['RedrivePolicy'] }, caller).catch(() => ({}) as Record<string, unknown>);
    const policyText = (attributes['Attributes'] as Record<string, string> | undefined)?.['RedrivePolicy'];
    if (!policyText) continue;
    try {
      if ((JSON.parse(policyText) as { deadLetterTargetArn?: string }).deadLetterTargetArn === targetArn) sources.push(onOrigin(url, callerOrigin) as string);
    } catch {
      // A redrive policy that is not JSON names no queue.
    }
  }
  const start = typeof input['NextToken'] === 'string' ? Number(Buffer.from(input['NextToken'], 'base64url').toString('utf8')) : 0;
  if (!Number.isInteger(start) || start < 0) throw new SqsProtocolError('InvalidParameterValue', 'Invalid NextToken value.');
  const pageSize = typeof maxResults === 'number' ? maxResults : 1000;
  const page = sources.slice(start, start + pageSize);
  const next = start + pageSize;
  return { queueUrls: page, ...(typeof maxResults === 'number' && next < sources.length ? { NextToken: Buffer.from(String(next)).toString('base64url') } : {}) };
}

/** A queue URL on the origin the client called, the path kept (`/000000000000/orders`). */
function onOrigin(url: unknown, origin: string): unknown {
  return typeof url === 'string' ? url.replace(/^https?:\/\/[^/]+/, origin) : url;
}

/**
 * fauxqs prefixes every query code with `AWS.SimpleQueueService.`; SQS does so only for its
 * own errors (common ones such as InvalidParameterValue go bare), and SDKs speaking JSON take
 * the code from this header.
 */
function correctQueryErrorHeader(statusCode: number, headers: IncomingMessage['headers']): IncomingMessage['headers'] {
  const header = headers['x-amzn-query-error'];
  if (statusCode < 400 || typeof header !== 'string') return headers;
  const [code = '', fault = 'Sender'] = header.split(';');
  const bare = code.replace(/^AWS\.SimpleQueueService\./, '');
  return { ...headers, 'x-amzn-query-error': `${sqsQueryCodeOf(bare === 'NonExistentQueue' ? 'QueueDoesNotExist' : bare)};${fault}` };
}
