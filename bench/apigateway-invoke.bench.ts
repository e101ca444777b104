import { Agent, request as httpRequest } from 'node:http';
import { startEmbeddedTarget } from '../targets/embedded/embedded-target.ts';
import { realClock } from '../core/clock.ts';
import { sourceModuleFor } from '../drivers/registry.ts';
import { parseScenario } from '../scenario/load.ts';
import { GatewayServer } from '../drivers/apigateway/gateway-server.ts';
import type { ApiGatewayPattern } from '../drivers/apigateway/schema.ts';
import { LambdaFunction } from '../runtime/lambda-function.ts';
import { syntheticHandler } from '../runtime/handler.ts';
import { seededRandom } from '../runtime/random.ts';
import { measureWindow } from './raw-invoke-sink.ts';
import { probeScenarioYaml } from './held-rate.ts';
import { runSourceCeilingBench, type SourceCeilingBench } from './source-ceiling.ts';

/**
 * API Gateway with its consumer: raw = plain keep-alive HTTP POST loops against the same
 * embedded gateway (sluice's GatewayServer, in this process as in a run) invoking the same
 * 1 ms synthetic handler in sluice's runtime, without the load generator or the ledger;
 * counted as 200 answers. Held = a full sluice run, its load generator driving it over keep-alive HTTP.
 */
const requestLoops = 32;
const warmupMs = 1_000;
const windowMs = 6_000;
const patternYaml = '{ source: apigateway }';

async function rawHttpInvoke(): Promise<{ perSecond: number; lines: string[] }> {
  const scenario = parseScenario(probeScenarioYaml({ name: 'bench-apigateway-raw', arrivalRate: 1, phaseSeconds: 1, patternYaml }), 'bench-apigateway-raw.yaml');
  const handler = scenario.function.handler;
  if (handler.type !== 'synthetic') throw new Error('the raw gateway bench needs a synthetic handler');
  const fn = new LambdaFunction({ spec: scenario.function, account: scenario.account, handler: syntheticHandler(handler, realClock, seededRandom(1)), clock: realClock, observer: {} });
  const server = new GatewayServer({ pattern: scenario.patterns[0] as ApiGatewayPattern, fn, clock: realClock });
  await server.start();
  const url = new URL(server.requestPath, server.url);
  const agent = new Agent({ keepAlive: true, maxSockets: requestLoops });
  const body = JSON.stringify({ sluiceId: 0, sentAtMs: 0, padding: 'x'.repeat(60) });
  let ok = 0;
  let other = 0;
  const post = () =>
    new Promise<number>((resolve) => {
      const outgoing = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } }, (answer) => {
        answer.resume();
        answer.on('end', () => resolve(answer.statusCode ?? 0));
      });
      outgoing.on('error', () => resolve(0));
      outgoing.end(body);
    });
  try {
    const { perSecond, cpuUsPerEvent, emulatorCpuUsPerEvent } = await measureWindow({
      loops: requestLoops,
      async work(_, running) {
        while (running()) {
          if ((await post()) === 200) ok += 1;
          else other += 1;
        }
      },
      count: () => ok,
      warmupMs,
      windowMs,
    });
    return { perSecond, lines: [`${requestLoops} keep-alive POST loops → sluice's gateway → 1 ms synthetic handler; ${ok} answered 200, ${other} otherwise in ${(warmupMs + windowMs) / 1000} s; CPU per event: ${Math.round(cpuUsPerEvent)} µs here + ${Math.round(emulatorCpuUsPerEvent)} µs emulators`] };
  } finally {
    agent.destroy();
    await server.close();
  }
}

export const apiGatewayCeilingBench: SourceCeilingBench = {
  source: 'apigateway',
  work: 'HTTP → invoke',
  patternYaml,
  startTarget: () => startEmbeddedTarget([...sourceModuleFor('apigateway').embeddedServices], 'us-east-1'),
  measureRaw: () => rawHttpInvoke(),
};

export const benchApiGatewayInvoke = () => runSourceCeilingBench(apiGatewayCeilingBench);
