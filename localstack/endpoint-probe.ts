import { Readable } from 'node:stream';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { SQSClient, ListQueuesCommand } from '@aws-sdk/client-sqs';
import { KinesisClient, ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { EventBridgeClient, ListEventBusesCommand } from '@aws-sdk/client-eventbridge';
import { S3Client, ListBucketsCommand } from '@aws-sdk/client-s3';
import { LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { CloudFormationClient, ListStacksCommand } from '@aws-sdk/client-cloudformation';
import { EndpointLacksServiceError, EndpointUnreachableError } from './localstack-errors.ts';
import { endpointBaseOf, healthPaths } from './localstack-container.ts';

/**
 * Any AWS-compatible endpoint (LocalStack, moto's server, MiniStack, floci, `sluice serve`)
 * is probed by the services a run needs: one cheap list call per service, each bounded by a
 * short timeout (SDK v3 sets none by default). LocalStack's and sluice's health routes are
 * a fast path — a service they report ready needs no call — but never a requirement.
 */

export const endpointProbeDefaults = {
  /** Per call: a list call on an idle emulator answers in milliseconds. */
  requestTimeoutMs: 3_000,
  connectionTimeoutMs: 2_000,
  /** Characters of an unexpected answer's body quoted in a message. */
  answerQuoteChars: 140,
} as const;

/**
 * What a run can need of an endpoint: an AWS API (LocalStack's `SERVICES` names) or
 * `sluice-functions`, the embedded target's own registration of the run's function, through
 * which its EventBridge rules and S3 notifications hand each event to sluice's runtime.
 */
export type ProbedService = 'sqs' | 'kinesis' | 'events' | 's3' | 'lambda' | 'cloudformation' | 'sluice-functions';

type ClientConfig = ReturnType<typeof probeClientConfig>;

/** The list call that proves each service is there, and how a message names it. */
export const probeCalls = {
  sqs: { label: 'SQS', call: 'ListQueues', send: (config: ClientConfig) => sendAndDestroy(new SQSClient(config), new ListQueuesCommand({ MaxResults: 1 })) },
  kinesis: { label: 'Kinesis', call: 'ListStreams', send: (config: ClientConfig) => sendAndDestroy(new KinesisClient(config), new ListStreamsCommand({ Limit: 1 })) },
  events: { label: 'EventBridge', call: 'ListEventBuses', send: (config: ClientConfig) => sendAndDestroy(new EventBridgeClient(config), new ListEventBusesCommand({ Limit: 1 })) },
  // Path-style addressing keeps bucket names out of DNS, which local endpoints need.
  s3: { label: 'S3', call: 'ListBuckets', send: (config: ClientConfig) => sendAndDestroy(new S3Client({ ...config, forcePathStyle: true }), new ListBucketsCommand({})) },
  lambda: { label: 'Lambda', call: 'ListFunctions', send: (config: ClientConfig) => sendAndDestroy(new LambdaClient(config), new ListFunctionsCommand({ MaxItems: 1 })) },
  cloudformation: { label: 'CloudFormation', call: 'ListStacks', send: (config: ClientConfig) => sendAndDestroy(new CloudFormationClient(config), new ListStacksCommand({})) },
  'sluice-functions': { label: 'delivery to sluice’s runtime', call: 'GET /_sluice/lambda/stats', send: undefined },
} as const satisfies Record<ProbedService, { label: string; call: string; send: ((config: ClientConfig) => Promise<unknown>) | undefined }>;

/** What an endpoint is, as far as its routes tell. */
export type EndpointKind = 'localstack' | 'sluice' | 'moto' | 'aws-compatible';

/** How one service answered its probe. */
export interface ServiceAnswer {
  service: ProbedService;
  available: boolean;
  /** `health` when the endpoint's health route reported it ready (no call was made). */
  via: 'health' | 'call';
  /** What the endpoint answered, quotable in a message (`HTTP 404 UnknownOperation: …`, `no answer within 3 s`). */
  answer: string;
  /** The endpoint gave no HTTP answer at all (refused connection, time-out). */
  noAnswer?: boolean;
  /** The endpoint answered, refusing sluice's credentials. */
  refusedCredentials?: boolean;
}

/** The probe of one endpoint. */
export interface EndpointProbe {
  endpoint: string;
  kind: EndpointKind;
  version?: string;
  answers: Partial<Record<ProbedService, ServiceAnswer>>;
}

export interface ProbeOptions {
  region: string;
  requestTimeoutMs?: number;
}

/** AWS's error codes for a refused signature or key. https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html */
const credentialErrorCodes = new Set([
  'InvalidAccessKeyId',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  'AccessDenied',
  'AccessDeniedException',
]);

/** Statuses in which LocalStack's health route says a service answers (`available` ones start on first use). */
const healthReadyStatuses = new Set(['running', 'available']);

function probeClientConfig(endpoint: string, options: ProbeOptions, recorder: AnswerRecorder) {
  return {
    region: options.region,
    endpoint,
    credentials: { accessKeyId: 'sluice', secretAccessKey: 'sluice' },
    // One attempt: a probe reports what the endpoint says, it does not wait for it to change its mind.
    maxAttempts: 1,
    requestHandler: recorder,
  };
}

async function sendAndDestroy<Client extends { send(command: never): Promise<unknown>; destroy(): void }>(client: Client, command: unknown): Promise<unknown> {
  try {
    return await client.send(command as never);
  } finally {
    client.destroy();
  }
}

/**
 * An HTTP handler that keeps the status and body of the last answer, so a message can quote
 * what the endpoint said even when the SDK cannot parse it (an HTML 404 to a JSON call).
 */
class AnswerRecorder {
  last: { statusCode: number; body: string } | undefined;
  private readonly inner: NodeHttpHandler;
  readonly metadata = { handlerProtocol: 'http/1.1' };
  constructor(requestTimeoutMs: number) {
    this.inner = new NodeHttpHandler({ requestTimeout: requestTimeoutMs, connectionTimeout: endpointProbeDefaults.connectionTimeoutMs, throwOnRequestTimeout: true });
  }
  async handle(...args: Parameters<NodeHttpHandler['handle']>): ReturnType<NodeHttpHandler['handle']> {
    const answer = await this.inner.handle(...args);
    const chunks: Buffer[] = [];
    const body = answer.response.body as AsyncIterable<Buffer> | undefined;
    if (body && typeof (body as AsyncIterable<Buffer>)[Symbol.asyncIterator] === 'function') for await (const chunk of body) chunks.push(Buffer.from(chunk));
    const bytes = Buffer.concat(chunks);
    this.last = { statusCode: answer.response.statusCode, body: bytes.toString('utf8') };
    answer.response.body = Readable.from([bytes]);
    return answer;
  }
  updateHttpClientConfig(...args: Parameters<NodeHttpHandler['updateHttpClientConfig']>): void {
    this.inner.updateHttpClientConfig(...args);
  }
  httpHandlerConfigs(): ReturnType<NodeHttpHandler['httpHandlerConfigs']> {
    return this.inner.httpHandlerConfigs();
  }
  destroy(): void {
    this.inner.destroy();
  }
}

/** A body's error code and message: AWS JSON (`__type`, `message`) or XML (`<Code>`, `<Message>`). */
function errorOfBody(body: string): { code?: string; message?: string } {
  try {
    const parsed = JSON.parse(body) as { __type?: string; code?: string; message?: string; Message?: string };
    const code = (parsed.__type ?? parsed.code)?.split('#').pop();
    return { ...(code ? { code } : {}), ...((parsed.message ?? parsed.Message) ? { message: parsed.message ?? parsed.Message } : {}) };
  } catch {
    const code = /<Code>([^<]+)<\/Code>/.exec(body)?.[1];
    const message = /<Message>([^<]*)<\/Message>/.exec(body)?.[1];
    return { ...(code ? { code } : {}), ...(message ? { message } : {}) };
  }
}

function quote(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > endpointProbeDefaults.answerQuoteChars ? `${flat.slice(0, endpointProbeDefaults.answerQuoteChars)}…` : flat;
}

/** How an HTTP answer reads in a message: its status, AWS error code and message, else the start of its body. */
function describeAnswer(statusCode: number, body: string, sdkError?: { name?: string; message?: string }): { text: string; code?: string } {
  const fromBody = errorOfBody(body);
  const sdkCode = sdkError?.name && !['Error', 'SyntaxError', 'TypeError', 'UnknownError'].includes(sdkError.name) && !/^[0-9]/.test(sdkError.name) ? sdkError.name : undefined;
  const code = fromBody.code ?? sdkCode;
  const message = fromBody.message ?? (code ? sdkError?.message : undefined);
  if (code) return { text: `HTTP ${statusCode} ${code}${message ? `: ${quote(message)}` : ''}`, code };
  // An HTML error page (a web server's 404) is named by its title, not quoted.
  const title = /^\s*<(!doctype html|html)/i.test(body) ? /<title>([^<]*)<\/title>/i.exec(body)?.[1] : undefined;
  if (title !== undefined) return { text: `HTTP ${statusCode} with an HTML page "${quote(title)}"` };
  return { text: `HTTP ${statusCode}${body.trim() ? ` ${JSON.stringify(quote(body))}` : ' with an empty body'}` };
}

function noAnswerText(error: unknown, timeoutMs: number): string {
  const name = (error as { name?: string }).name ?? '';
  if (name === 'TimeoutError' || /timeout|timed out/i.test((error as Error).message ?? '')) return `no answer within ${timeoutMs / 1000} s`;
  return `no answer (${(error as Error).message ?? String(error)})`;
}

async function probeOne(endpoint: string, service: ProbedService, options: ProbeOptions): Promise<ServiceAnswer> {
  const timeoutMs = options.requestTimeoutMs ?? endpointProbeDefaults.requestTimeoutMs;
  const entry = probeCalls[service];
  if (!entry.send) return probeSluiceFunctions(endpoint, options.region, timeoutMs);
  const recorder = new AnswerRecorder(timeoutMs);
  try {
    await entry.send(probeClientConfig(endpoint, options, recorder));
    return { service, available: true, via: 'call', answer: `${entry.call} answered HTTP ${recorder.last?.statusCode ?? 200}` };
  } catch (error) {
    const statusCode = recorder.last?.statusCode ?? (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (statusCode === undefined) return { service, available: false, via: 'call', answer: noAnswerText(error, timeoutMs), noAnswer: true };
    const described = describeAnswer(statusCode, recorder.last?.body ?? '', error as Error);
    return { service, available: false, via: 'call', answer: described.text, ...(described.code && credentialErrorCodes.has(described.code) ? { refusedCredentials: true } : {}) };
  }
}

/** sluice's embedded target answers its function directory's stats; nothing else does. */
async function probeSluiceFunctions(endpoint: string, region: string, timeoutMs: number): Promise<ServiceAnswer> {
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '');
  const service = 'sluice-functions' as const;
  try {
    const response = await fetch(new URL('/_sluice/lambda/stats', endpoint), {
      // The edge routes by the credential scope: a routing label, not a signature.
      headers: { authorization: `AWS4-HMAC-SHA256 Credential=sluice/${day}/${region}/lambda/aws4_request, SignedHeaders=host, Signature=sluice-probe` },
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = undefined;
    }
    if (response.ok && typeof parsed === 'object' && parsed !== null) return { service, available: true, via: 'call', answer: `GET /_sluice/lambda/stats answered HTTP ${response.status}` };
    return { service, available: false, via: 'call', answer: describeAnswer(response.status, body).text };
  } catch (error) {
    return { service, available: false, via: 'call', answer: noAnswerText(error, timeoutMs), noAnswer: true };
  }
}

/** A GET with a short bound; undefined when nothing answered. */
async function getQuickly(url: string, timeoutMs: number): Promise<{ status: number; body: string } | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return { status: response.status, body: await response.text() };
  } catch {
    return undefined;
  }
}

function healthServices(answer: { status: number; body: string } | undefined): { services: Record<string, string>; version?: string } | undefined {
  if (answer?.status !== 200) return undefined;
  try {
    const body = JSON.parse(answer.body) as { services?: Record<string, string>; version?: string };
    if (typeof body.services !== 'object' || body.services === null) return undefined;
    return { services: body.services, ...(typeof body.version === 'string' ? { version: body.version } : {}) };
  } catch {
    return undefined;
  }
}

/**
 * Probes `url` for `services`: LocalStack's and sluice's health routes first (a service
 * they report ready is taken as there), moto's own API to name it, then one list call per
 * remaining service, all at once and each bounded. Throws {@link EndpointUnreachableError}
 * only when nothing answers at all; a missing service is an answer, not an error.
 *
 * @example
 * const probe = await probeEndpoint('http://127.0.0.1:5000', ['sqs', 'kinesis'], { region: 'us-east-1' });
 * probe.answers.kinesis // { available: true, via: 'call', answer: 'ListStreams answered HTTP 200' }
 */
export async function probeEndpoint(url: string, services: readonly ProbedService[], options: ProbeOptions): Promise<EndpointProbe> {
  const base = endpointBaseOf(url);
  const timeoutMs = options.requestTimeoutMs ?? endpointProbeDefaults.requestTimeoutMs;
  const [localstackHealth, sluiceHealth, motoApi] = await Promise.all([
    getQuickly(`${base}${healthPaths.localstack}`, timeoutMs),
    getQuickly(`${base}${healthPaths.sluice}`, timeoutMs),
    getQuickly(`${base}/moto-api/`, timeoutMs),
  ]);
  const localstack = healthServices(localstackHealth);
  const sluice = localstack ? undefined : healthServices(sluiceHealth);
  const kind: EndpointKind = localstack ? 'localstack' : sluice ? 'sluice' : motoApi?.status === 200 && /moto/i.test(motoApi.body) ? 'moto' : 'aws-compatible';
  const health = localstack ?? sluice;

  const answers: Partial<Record<ProbedService, ServiceAnswer>> = {};
  const toCall: ProbedService[] = [];
  for (const service of new Set(services)) {
    // sluice's own registration is always asked; its edge's `lambda` is that registration, not Lambda's API.
    const status = service === 'sluice-functions' || (kind === 'sluice' && service === 'lambda') ? undefined : health?.services[service];
    if (status && healthReadyStatuses.has(status)) answers[service] = { service, available: true, via: 'health', answer: `${kind === 'localstack' ? healthPaths.localstack : healthPaths.sluice} reports it ${status}` };
    else toCall.push(service);
  }
  for (const answer of await Promise.all(toCall.map((service) => probeOne(base, service, options)))) answers[answer.service] = answer;

  const somethingAnswered = [localstackHealth, sluiceHealth, motoApi].some(Boolean) || Object.values(answers).some((answer) => !answer.noAnswer);
  if (!somethingAnswered) {
    const first = Object.values(answers)[0];
    throw new EndpointUnreachableError(base, `nothing answered: ${first ? `${probeCalls[first.service].call}: ${first.answer}` : `GET ${healthPaths.localstack} and ${healthPaths.sluice} got no answer within ${timeoutMs / 1000} s`}`);
  }
  return { endpoint: base, kind, ...(health?.version ? { version: health.version } : {}), answers };
}

/** What one pattern needs of the endpoint. */
export interface PatternNeeds {
  patternName: string;
  source: string;
  services: readonly ProbedService[];
  /** The managed stack the pattern deploys to the endpoint's CloudFormation (`--consumer localstack`), as plain JSON. */
  stackTemplate?: unknown;
}

/** Which patterns an endpoint carries, and why each other one cannot run there. */
export interface EndpointDecision {
  carried: string[];
  refused: Array<{ patternName: string; error: EndpointLacksServiceError }>;
}

/** Who consumes: sluice's runtime through the quota edge, or the endpoint's own Lambda and mappings (a managed stack). */
export type EndpointConsumer = 'sluice' | 'endpoint';

function kindLabel(probe: EndpointProbe): string {
  return probe.kind === 'aws-compatible' ? '' : ` (${probe.kind}${probe.version ? ` ${probe.version}` : ''})`;
}

/**
 * What moto 5's CloudFormation cannot deploy in a template, found by reading it: it answers
 * HTTP 500 on an `AWS::Events::Rule` whose EventBusName refers to a bus of the same stack,
 * and on `Fn::GetAtt` of an `AWS::ApiGatewayV2` resource ("references undefined resource").
 */
export function motoStackGaps(template: unknown): string[] {
  const resources = (template as { Resources?: Record<string, { Type?: string; Properties?: Record<string, unknown> }> } | undefined)?.Resources ?? {};
  const gaps = new Set<string>();
  const typeOf = (logicalId: unknown) => (typeof logicalId === 'string' ? resources[logicalId]?.Type : undefined);
  for (const resource of Object.values(resources)) {
    const bus = resource.Properties?.EventBusName as { Ref?: unknown; 'Fn::GetAtt'?: unknown[] } | undefined;
    if (resource.Type === 'AWS::Events::Rule' && bus && typeof bus === 'object') {
      const busId = bus.Ref ?? bus['Fn::GetAtt']?.[0];
      if (typeOf(busId) === 'AWS::Events::EventBus') gaps.add('an EventBridge rule on the stack’s own (custom) bus');
    }
  }
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (typeof value !== 'object' || value === null) return;
    const getAtt = (value as { 'Fn::GetAtt'?: unknown })['Fn::GetAtt'];
    const targets = [Array.isArray(getAtt) ? getAtt[0] : typeof getAtt === 'string' ? getAtt.split('.')[0] : undefined];
    // `${Resource.Attribute}` in Fn::Sub is a GetAtt too.
    const substituted = (value as { 'Fn::Sub'?: unknown })['Fn::Sub'];
    const text = Array.isArray(substituted) ? substituted[0] : substituted;
    if (typeof text === 'string') for (const match of text.matchAll(/\$\{([A-Za-z0-9]+)\.[A-Za-z0-9.]+\}/g)) targets.push(match[1]);
    for (const target of targets) {
      const type = typeOf(target);
      if (type?.startsWith('AWS::ApiGatewayV2::')) gaps.add(`Fn::GetAtt of an ${type}`);
    }
    Object.values(value).forEach(visit);
  };
  visit(template);
  return [...gaps];
}

/**
 * Decides, from a probe, which patterns the endpoint carries. Each refused pattern gets an
 * {@link EndpointLacksServiceError} naming the endpoint, each missing service with the call
 * and the answer it gave, and what to do.
 *
 * @example
 * const decision = decideEndpointPatterns(probe, needs, 'sluice');
 * for (const { error } of decision.refused) console.error(error.message);
 */
export function decideEndpointPatterns(probe: EndpointProbe, needs: readonly PatternNeeds[], consumer: EndpointConsumer): EndpointDecision {
  const missingOf = (need: PatternNeeds) => need.services.map((service) => probe.answers[service]).filter((answer): answer is ServiceAnswer => answer !== undefined && !answer.available);
  const gapsOf = (need: PatternNeeds) => (probe.kind === 'moto' && consumer === 'endpoint' && need.stackTemplate ? motoStackGaps(need.stackTemplate) : []);
  const carried = needs.filter((need) => missingOf(need).length === 0 && gapsOf(need).length === 0).map((need) => need.patternName);
  const refused = needs
    .filter((need) => !carried.includes(need.patternName))
    .map((need) => {
      const missing = missingOf(need);
      const gaps = gapsOf(need);
      const details = [
        ...missing.map((answer) => `the endpoint lacks ${probeCalls[answer.service].label} (${answer.via === 'call' ? `${probeCalls[answer.service].call} answered ${answer.answer.replace(/^no answer/, 'nothing')}` : answer.answer})`),
        ...(gaps.length > 0 ? [`moto’s CloudFormation cannot deploy its stack (it fails on ${gaps.join(' and on ')})`] : []),
      ];
      const hints: string[] = [];
      if (missing.some((answer) => answer.service === 'sluice-functions')) {
        hints.push(
          'With sluice’s consumer, EventBridge rules and S3 notifications must hand each event to sluice’s runtime, which only sluice’s own endpoint does: run this pattern on the embedded target (leave out --endpoint) or against `sluice serve`, ' +
            `or pass --consumer localstack to use the endpoint’s own Lambda and rules (it needs the endpoint’s CloudFormation and Lambda${probe.kind === 'moto' ? '; moto’s CloudFormation cannot deploy EventBridge rules on a custom bus' : ''})`,
        );
      }
      if (missing.some((answer) => answer.refusedCredentials)) hints.push('The endpoint refused sluice’s credentials (access key `sluice`): let it accept any credentials, as LocalStack and moto do');
      const lackingServices = missing.filter((answer) => answer.service !== 'sluice-functions' && !answer.refusedCredentials).map((answer) => probeCalls[answer.service].label);
      if (lackingServices.length > 0) hints.push(`Enable ${lackingServices.join(' and ')} on the endpoint (LocalStack: its SERVICES setting; moto's server serves every service it implements), or point --endpoint at one that serves ${lackingServices.length === 1 ? 'it' : 'them'}`);
      if (gaps.length > 0) {
        // An HTTP API's consumer can be sluice's on moto; a bus's rules cannot hand events to sluice's runtime there.
        const withSluiceConsumer = gaps.every((gap) => gap.includes('ApiGatewayV2')) ? 'with sluice’s consumer (leave out --consumer localstack), ' : '';
        hints.push(`Run this pattern ${withSluiceConsumer}on LocalStack, or on the embedded target; sluice does not rewrite its templates around moto`);
      }
      if (carried.length > 0) hints.push(`The endpoint carries ${carried.join(', ')}: \`--only ${carried.join(' ')}\` runs just ${carried.length === 1 ? 'that one' : 'those'}`);
      return {
        patternName: need.patternName,
        error: new EndpointLacksServiceError(probe.endpoint, `pattern ${need.patternName} (${need.source}) cannot run on ${probe.endpoint}${kindLabel(probe)}: ${details.join('; ')}`, `${hints.join('. ')}.`),
      };
    });
  return { carried, refused };
}
