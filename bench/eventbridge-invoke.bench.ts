import { CreateEventBusCommand, DeleteEventBusCommand, DeleteRuleCommand, EventBridgeClient, PutEventsCommand, PutRuleCommand, PutTargetsCommand, RemoveTargetsCommand } from '@aws-sdk/client-eventbridge';
import { startEmbeddedTarget } from '../targets/embedded/embedded-target.ts';
import type { Target } from '../targets/target.ts';
import { sdkClientConfig } from '../core/client-config.ts';
import { awsDefaults } from '../core/aws-defaults.ts';
import { sourceModuleFor } from '../drivers/registry.ts';
import { sluiceControl } from '../localstack/embedded/sluice-control.ts';
import { measureWindow, startRawInvokeSink } from './raw-invoke-sink.ts';
import { runSourceCeilingBench, type SourceCeilingBench } from './source-ceiling.ts';

/**
 * EventBridge with its consumer: raw = PutEvents loops of one entry each (as a run with one
 * event per arrival sends them) into a bus whose rule targets a function whose Invoke API
 * is a plain local HTTP server answering 202, registered with the embedded target as sluice
 * registers its runtime's; counted as invokes that reached the server. Held = a full sluice
 * run: the same PutEvents, delivered to sluice's Invoke endpoint, async-invoke queue and
 * runtime.
 */
const putLoops = 16;
const warmupMs = 1_000;
const windowMs = 6_000;
const eventSource = 'sluice.bench';

async function rawPutEventsInvoke(target: Target): Promise<{ perSecond: number; lines: string[] }> {
  const settings = target.clientSettings;
  const client = new EventBridgeClient(sdkClientConfig(settings));
  const suffix = Date.now().toString(36);
  const busName = `bench-raw-${suffix}`;
  const sink = await startRawInvokeSink(settings, `bench-raw-${suffix}`);
  // The default PutEvents quota, as a run's pattern sets it.
  const requestsPerSecond = awsDefaults.eventBridgePutEventsRequestsPerSecond.value;
  await sluiceControl(settings, 'events', 'PUT', '/_sluice/events/put-events-quota', { requestsPerSecond, burstRequests: requestsPerSecond });
  await client.send(new CreateEventBusCommand({ Name: busName }));
  await client.send(new PutRuleCommand({ Name: 'all', EventBusName: busName, EventPattern: JSON.stringify({ source: [eventSource] }), State: 'ENABLED' }));
  await client.send(new PutTargetsCommand({ Rule: 'all', EventBusName: busName, Targets: [{ Id: 'sink', Arn: sink.functionArn }] }));
  const detail = JSON.stringify({ sluiceId: 0, sentAtMs: 0, padding: 'x'.repeat(60) });
  let putCalls = 0;
  try {
    const { perSecond, cpuUsPerEvent, emulatorCpuUsPerEvent } = await measureWindow({
      loops: putLoops,
      async work(_, running) {
        while (running()) {
          await client.send(new PutEventsCommand({ Entries: [{ EventBusName: busName, Source: eventSource, DetailType: 'sluice.event', Detail: detail }] }));
          putCalls += 1;
        }
      },
      count: () => sink.invokes,
      warmupMs,
      windowMs,
      settleMs: 500,
    });
    return { perSecond, lines: [`${putLoops} PutEvents(1 entry) loops → rule → 202 server; ${putCalls} PutEvents, ${sink.invokes} invokes in ${(warmupMs + windowMs) / 1000} s; CPU per event: ${Math.round(cpuUsPerEvent)} µs here + ${Math.round(emulatorCpuUsPerEvent)} µs emulators`] };
  } finally {
    await client.send(new RemoveTargetsCommand({ Rule: 'all', EventBusName: busName, Ids: ['sink'] })).catch(() => undefined);
    await client.send(new DeleteRuleCommand({ Name: 'all', EventBusName: busName })).catch(() => undefined);
    await client.send(new DeleteEventBusCommand({ Name: busName })).catch(() => undefined);
    await sink.close();
    client.destroy();
  }
}

export const eventBridgeCeilingBench: SourceCeilingBench = {
  source: 'eventbridge',
  work: 'PutEvents → invoke',
  patternYaml: '{ source: eventbridge }',
  startTarget: () => startEmbeddedTarget([...sourceModuleFor('eventbridge').embeddedServices], 'us-east-1'),
  measureRaw: rawPutEventsInvoke,
};

export const benchEventBridgeInvoke = () => runSourceCeilingBench(eventBridgeCeilingBench);
