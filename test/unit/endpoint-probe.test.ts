import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decideEndpointPatterns, motoStackGaps, probeEndpoint, type PatternNeeds } from '../../localstack/endpoint-probe.ts';
import { EndpointLacksServiceError, EndpointUnreachableError } from '../../localstack/localstack-errors.ts';
import { startEmbeddedTarget } from '../../targets/embedded/embedded-target.ts';
import type { Target } from '../../targets/target.ts';
import { endpointNeedsOf } from '../../run/endpoint-needs.ts';
import { parseScenario } from '../../scenario/load.ts';

/**
 * The probe of an AWS-compatible endpoint, against real servers: sluice's own embedded
 * services stand in for an endpoint that has everything, and small node:http servers for
 * ones that lack a service, refuse the credentials, never answer, or call themselves moto.
 */

const scenario = parseScenario(
  `
name: probe
workload: { phases: [{ duration: 2, arrivalRate: 5 }] }
function: { handler: { duration: 5ms } }
patterns:
  - source: sqs
  - source: kinesis
    shards: 1
  - source: eventbridge
  - source: s3
  - source: apigateway
`,
  'probe.yaml',
);
const sluiceNeeds = endpointNeedsOf(scenario, scenario.patterns, { consumer: 'sluice', runId: 'r1' });
const stackNeeds = endpointNeedsOf(scenario, scenario.patterns, { consumer: 'localstack', runId: 'r1' });
const needsNamed = (needs: PatternNeeds[], ...names: string[]) => needs.filter((need) => names.includes(need.patternName));

type Answer = { status: number; body: string; contentType?: string } | 'never';
const ok = {
  sqs: { status: 200, body: '{"QueueUrls":[]}', contentType: 'application/x-amz-json-1.0' },
  kinesis: { status: 200, body: '{"StreamNames":[],"HasMoreStreams":false}', contentType: 'application/x-amz-json-1.1' },
} as const;

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((server) => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    }),
  );
});

/** An endpoint answering each service (read from the SigV4 credential scope, as real ones route) as told; 404 otherwise. */
async function fakeEndpoint(answers: Record<string, Answer>, routes: Record<string, Answer> = {}): Promise<string> {
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    request.resume();
    const service = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(request.headers.authorization ?? '')?.[1];
    const answer = routes[request.url ?? ''] ?? (service ? answers[service] : undefined) ?? { status: 404, body: '<!doctype html><html><title>404 Not Found</title><p>nothing here</p></html>', contentType: 'text/html' };
    if (answer === 'never') return;
    response.writeHead(answer.status, { 'content-type': answer.contentType ?? 'application/json' }).end(answer.body);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('what each pattern needs of an endpoint', () => {
  it('with sluice’s consumer: the services its embedded emulators stand for, the function registration for asynchronous sources, nothing for API Gateway', () => {
    const servicesOf = (name: string) => sluiceNeeds.find((need) => need.patternName === name)?.services;
    expect(servicesOf('sqs')).toEqual(['sqs']);
    expect(servicesOf('kinesis')).toEqual(['kinesis']);
    expect(servicesOf('eventbridge')).toEqual(['events', 'sluice-functions', 'sqs']);
    // S3's notifications may also go to a queue or the default bus.
    expect(servicesOf('s3')).toEqual(expect.arrayContaining(['s3', 'sluice-functions', 'sqs']));
    expect(servicesOf('apigateway')).toEqual([]);
  });

  it('with the endpoint’s own consumer: CloudFormation, Lambda, SQS and the source’s service, and the stack template', () => {
    expect(stackNeeds.find((need) => need.patternName === 'kinesis')?.services).toEqual(['cloudformation', 'kinesis', 'lambda', 'sqs']);
    expect(stackNeeds.every((need) => typeof need.stackTemplate === 'object')).toBe(true);
  });
});

describe('probing an endpoint that has everything (sluice serve’s embedded services)', () => {
  let served: Target;
  beforeAll(async () => {
    served = await startEmbeddedTarget(['sqs', 'kinesis', 'eventbridge', 's3', 'lambda'], 'us-east-1');
  });
  afterAll(async () => {
    await served?.stop();
  });

  it('names it by its health route, takes the services it reports ready, and carries every pattern', async () => {
    const probe = await probeEndpoint(served.info.endpoint!, [...new Set(sluiceNeeds.flatMap((need) => need.services))], { region: 'us-east-1' });
    expect(probe.kind).toBe('sluice');
    expect(probe.answers.sqs).toMatchObject({ available: true, via: 'health' });
    // Its own registration is always asked, never taken from the health route.
    expect(probe.answers['sluice-functions']).toMatchObject({ available: true, via: 'call', answer: 'GET /_sluice/lambda/stats answered HTTP 200' });
    expect(decideEndpointPatterns(probe, sluiceNeeds, 'sluice')).toEqual({ carried: ['sqs', 'kinesis', 'eventbridge', 's3', 'apigateway'], refused: [] });
  });
});

describe('probing an endpoint that lacks a service', () => {
  it('runs the patterns it carries and refuses the other, naming the endpoint, the service, the call and its answer', async () => {
    const url = await fakeEndpoint({
      sqs: ok.sqs,
      kinesis: { status: 400, body: '{"__type":"com.amazon.coral.service#UnknownOperationException","message":"Operation ListStreams is not supported"}', contentType: 'application/x-amz-json-1.1' },
    });
    const needs = needsNamed(sluiceNeeds, 'sqs', 'kinesis', 'apigateway');
    const probe = await probeEndpoint(url, ['sqs', 'kinesis'], { region: 'us-east-1' });
    expect(probe.kind).toBe('aws-compatible');
    const decision = decideEndpointPatterns(probe, needs, 'sluice');
    expect(decision.carried).toEqual(['sqs', 'apigateway']);
    expect(decision.refused).toHaveLength(1);
    const { error } = decision.refused[0];
    expect(error).toBeInstanceOf(EndpointLacksServiceError);
    expect(error.code).toBe('SLUICE_ENDPOINT_LACKS_SERVICE');
    expect(error.message).toBe(
      `pattern kinesis (kinesis) cannot run on ${url}: the endpoint lacks Kinesis (ListStreams answered HTTP 400 UnknownOperationException: Operation ListStreams is not supported)`,
    );
    expect(error.hint).toContain('Enable Kinesis on the endpoint');
    expect(error.hint).toContain('`--only sqs apigateway` runs just those');
  });

  it('quotes a web server’s 404 page by its title, and refuses the asynchronous sources where nothing hands events to sluice’s runtime', async () => {
    const url = await fakeEndpoint({ sqs: ok.sqs, events: { status: 200, body: '{"EventBuses":[]}', contentType: 'application/x-amz-json-1.1' } });
    const probe = await probeEndpoint(url, ['sqs', 'events', 'sluice-functions'], { region: 'us-east-1' });
    const decision = decideEndpointPatterns(probe, needsNamed(sluiceNeeds, 'sqs', 'eventbridge'), 'sluice');
    expect(decision.carried).toEqual(['sqs']);
    const { error } = decision.refused[0];
    expect(error.message).toBe(`pattern eventbridge (eventbridge) cannot run on ${url}: the endpoint lacks delivery to sluice’s runtime (GET /_sluice/lambda/stats answered HTTP 404 with an HTML page "404 Not Found")`);
    expect(error.hint).toContain('run this pattern on the embedded target (leave out --endpoint) or against `sluice serve`');
    expect(error.hint).toContain('--consumer localstack');
  });

  it('says when the endpoint refuses sluice’s credentials rather than lacking the service', async () => {
    const url = await fakeEndpoint({
      s3: { status: 403, body: '<?xml version="1.0"?><Error><Code>InvalidAccessKeyId</Code><Message>The AWS Access Key Id you provided does not exist in our records.</Message></Error>', contentType: 'application/xml' },
    });
    const probe = await probeEndpoint(url, ['s3'], { region: 'us-east-1' });
    expect(probe.answers.s3).toMatchObject({ available: false, refusedCredentials: true, answer: 'HTTP 403 InvalidAccessKeyId: The AWS Access Key Id you provided does not exist in our records.' });
    const decision = decideEndpointPatterns(probe, [{ patternName: 'bucket', source: 's3', services: ['s3'] }], 'sluice');
    expect(decision.refused[0].error.hint).toContain('refused sluice’s credentials (access key `sluice`)');
  });

  it('bounds each call: a service that never answers is reported after the time-out, the others still count', async () => {
    const url = await fakeEndpoint({ sqs: ok.sqs, kinesis: 'never' });
    const startedMs = Date.now();
    // Long enough for a busy machine's answer, short against the SDK's none.
    const probe = await probeEndpoint(url, ['sqs', 'kinesis'], { region: 'us-east-1', requestTimeoutMs: 1_500 });
    expect(Date.now() - startedMs).toBeLessThan(6_000);
    expect(probe.answers.sqs?.available).toBe(true);
    expect(probe.answers.kinesis).toMatchObject({ available: false, noAnswer: true, answer: 'no answer within 1.5 s' });
    const decision = decideEndpointPatterns(probe, needsNamed(sluiceNeeds, 'sqs', 'kinesis'), 'sluice');
    expect(decision.refused[0].error.message).toContain('the endpoint lacks Kinesis (ListStreams answered nothing within 1.5 s)');
  });

  it('fails as unreachable only when nothing answers at all', async () => {
    const server = createNetServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise((resolve) => server.close(resolve));
    const error = await probeEndpoint(`http://127.0.0.1:${port}`, ['sqs'], { region: 'us-east-1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EndpointUnreachableError);
    expect((error as Error).message).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port} is not a usable target: nothing answered: ListQueues: no answer`));
    await expect(probeEndpoint('localhost:4566', [], { region: 'us-east-1' })).rejects.toBeInstanceOf(EndpointUnreachableError);
  });
});

describe('health routes are a fast path, not a requirement', () => {
  it('takes what LocalStack reports ready and still asks about the services it does not', async () => {
    const url = await fakeEndpoint(
      { kinesis: ok.kinesis },
      { '/_localstack/health': { status: 200, body: JSON.stringify({ services: { sqs: 'running', kinesis: 'disabled' }, version: '4.14.0' }) } },
    );
    const probe = await probeEndpoint(url, ['sqs', 'kinesis'], { region: 'us-east-1' });
    expect(probe).toMatchObject({ kind: 'localstack', version: '4.14.0' });
    expect(probe.answers.sqs).toMatchObject({ available: true, via: 'health', answer: '/_localstack/health reports it running' });
    expect(probe.answers.kinesis).toMatchObject({ available: true, via: 'call', answer: 'ListStreams answered HTTP 200' });
  });
});

describe('moto', () => {
  it('is named by its own API, and the stacks its CloudFormation cannot deploy are refused with the reason', async () => {
    const cloudformation = { status: 200, body: '<ListStacksResponse><ListStacksResult><StackSummaries/></ListStacksResult></ListStacksResponse>', contentType: 'text/xml' };
    const lambda = { status: 200, body: '{"Functions":[]}' };
    const events = { status: 200, body: '{"EventBuses":[]}', contentType: 'application/x-amz-json-1.1' };
    const url = await fakeEndpoint({ sqs: ok.sqs, kinesis: ok.kinesis, cloudformation, lambda, events }, { '/moto-api/': { status: 200, body: '<html><title>Moto</title></html>', contentType: 'text/html' } });
    const needs = needsNamed(stackNeeds, 'sqs', 'kinesis', 'eventbridge', 'apigateway');
    const probe = await probeEndpoint(url, [...new Set(needs.flatMap((need) => need.services))], { region: 'us-east-1' });
    expect(probe.kind).toBe('moto');
    const decision = decideEndpointPatterns(probe, needs, 'endpoint');
    expect(decision.carried).toEqual(['sqs', 'kinesis']);
    expect(decision.refused.map((refusal) => refusal.patternName)).toEqual(['eventbridge', 'apigateway']);
    expect(decision.refused[0].error.message).toBe(`pattern eventbridge (eventbridge) cannot run on ${url} (moto): moto’s CloudFormation cannot deploy its stack (it fails on an EventBridge rule on the stack’s own (custom) bus)`);
    expect(decision.refused[0].error.hint).toContain('Run this pattern on LocalStack, or on the embedded target; sluice does not rewrite its templates around moto');
    // An HTTP API runs on moto with sluice's consumer, which serves the API itself.
    expect(decision.refused[1].error.message).toContain('it fails on Fn::GetAtt of an AWS::ApiGatewayV2::Api');
    expect(decision.refused[1].error.hint).toContain('Run this pattern with sluice’s consumer (leave out --consumer localstack), on LocalStack, or on the embedded target');
    // With sluice's consumer no stack is deployed, so the template does not matter.
    expect(decideEndpointPatterns(probe, needsNamed(sluiceNeeds, 'sqs', 'kinesis'), 'sluice').carried).toEqual(['sqs', 'kinesis']);
  });

  it('reads the gaps from the templates sluice builds: an HTTP API’s GetAtt and a rule on a custom bus; none in the SQS, Kinesis and S3 stacks', () => {
    const gapsOf = (name: string) => motoStackGaps(stackNeeds.find((need) => need.patternName === name)?.stackTemplate);
    expect(gapsOf('apigateway')).toEqual(['Fn::GetAtt of an AWS::ApiGatewayV2::Api']);
    expect(gapsOf('eventbridge')).toEqual(['an EventBridge rule on the stack’s own (custom) bus']);
    expect([gapsOf('sqs'), gapsOf('kinesis'), gapsOf('s3')]).toEqual([[], [], []]);
  });
});
