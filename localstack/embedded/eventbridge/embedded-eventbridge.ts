import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EdgeService } from '../edge.ts';
import { startEventBridgeService, EventBridgeServiceConfigError, type EventBridgeService } from './eventbridge-service.ts';
import { functionDirectory, type FunctionDirectory } from '../lambda/function-directory.ts';
import { isSluiceControlRequest, readControlJson, sendControlJson } from '../sluice-control.ts';
import { embeddedServiceLinks, type ServiceEventBus } from '../service-links.ts';
import { realClock } from '../../../core/clock.ts';
import { InvocationThrottle } from '../../../core/invocation-throttle.ts';
import { eventBridgeInvocationsPerSecondIn } from '../../../core/aws-defaults.ts';

/**
 * EventBridge as the embedded target runs it: the service with its rules and PutEvents
 * quota, whose Lambda targets are invoked asynchronously through the
 * {@link FunctionDirectory} (an `Event` Invoke to the runtime in the run's process).
 *
 * Control calls (see sluice-control.ts):
 * - `PUT /_sluice/events/put-events-quota` `{ requestsPerSecond?, burstRequests?, enforce? }`
 * - `PUT /_sluice/events/invocation-quota` `{ region, invocationsPerSecond }`
 * - `GET /_sluice/events/stats`
 *
 * Lambda deliveries pass the region's invocation quota first (core/invocation-throttle.ts):
 * the region's default until a run sets its pattern's value.
 */
export async function startEmbeddedEventBridge(directory: FunctionDirectory = functionDirectory): Promise<EdgeService> {
  let unsupportedTargets = 0;
  type Invocation = { arn: string; payload: unknown };
  const invoke = ({ arn, payload }: Invocation) => directory.invokeAsync(arn, payload, 'aws:events');
  const throttles = new Map<string, InvocationThrottle<Invocation>>();
  /** The region's throttle, at the region's default rate until a run sets another. */
  const throttleOf = (region: string) => {
    let throttle = throttles.get(region);
    if (!throttle) {
      throttle = new InvocationThrottle({ ratePerSecond: eventBridgeInvocationsPerSecondIn(region), clock: realClock, deliver: invoke });
      throttles.set(region, throttle);
    }
    return throttle;
  };
  const service: EventBridgeService = startEventBridgeService({
    deliver(target, event) {
      // Lambda targets receive the event (or the target's Input / InputPath) as their payload.
      const lambdaArn = /^arn:aws[\w-]*:lambda:([^:]+):/.exec(target.arn);
      if (lambdaArn) {
        throttleOf(lambdaArn[1]!).offer({ arn: target.arn, payload: target.input === undefined ? event : target.input });
        return;
      }
      unsupportedTargets += 1;
    },
  });
  // S3's object events reach the default bus through this link (localstack/embedded/service-links.ts).
  const eventBus: ServiceEventBus = { putServiceEvent: (event) => service.putServiceEvent(event) };
  embeddedServiceLinks.eventBus = eventBus;
  return {
    signingNames: service.signingNames,
    async handle(request: IncomingMessage, response: ServerResponse) {
      if (!isSluiceControlRequest(request)) {
        await service.handle(request, response);
        return;
      }
      const path = new URL(request.url ?? '/', 'http://edge').pathname;
      try {
        if (request.method === 'GET' && path === '/_sluice/events/stats') {
          const invocationQuota = Object.fromEntries([...throttles].map(([region, throttle]) => [region, { invocationsPerSecond: throttle.ratePerSecond, delayedInvocations: throttle.delayedInvocations, waiting: throttle.size, maxDelayMs: throttle.maxDelayMs }]));
          sendControlJson(response, 200, { ...service.stats(), unsupportedTargets, quotas: service.quotas(), invocationQuota });
          return;
        }
        if (request.method === 'PUT' && path === '/_sluice/events/invocation-quota') {
          const body = await readControlJson(request);
          const region = body['region'];
          const invocationsPerSecond = optionalNumber(body, 'invocationsPerSecond');
          if (typeof region !== 'string' || !(invocationsPerSecond! > 0)) throw new RangeError('give region (a string) and invocationsPerSecond (a positive number)');
          throttleOf(region).setRate(invocationsPerSecond!);
          sendControlJson(response, 200, { region, invocationsPerSecond });
          return;
        }
        if (request.method === 'PUT' && path === '/_sluice/events/put-events-quota') {
          const body = await readControlJson(request);
          service.configurePutEventsQuota({
            requestsPerSecond: optionalNumber(body, 'requestsPerSecond'),
            burstRequests: optionalNumber(body, 'burstRequests'),
            enforce: typeof body['enforce'] === 'boolean' ? body['enforce'] : undefined,
          });
          sendControlJson(response, 200, { quotas: service.quotas() });
          return;
        }
        sendControlJson(response, 404, { message: `no sluice control call ${request.method} ${path}` });
      } catch (error) {
        const message = error instanceof EventBridgeServiceConfigError ? error.problems.join('; ') : (error as Error).message;
        sendControlJson(response, 400, { message });
      }
    },
    close: async () => {
      if (embeddedServiceLinks.eventBus === eventBus) embeddedServiceLinks.eventBus = undefined;
      for (const throttle of throttles.values()) throttle.stop();
      await service.close();
    },
  };
}

function optionalNumber(body: Record<string, unknown>, key: string): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number') throw new RangeError(`${key} must be a number`);
  return value;
}
