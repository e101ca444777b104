import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EdgeService } from '../edge.ts';
import { startEventBridgeService, EventBridgeServiceConfigError, type EventBridgeService } from './eventbridge-service.ts';
import { functionDirectory, type FunctionDirectory } from '../lambda/function-directory.ts';
import { isSluiceControlRequest, readControlJson, sendControlJson } from '../sluice-control.ts';
import { embeddedServiceLinks, type ServiceEventBus } from '../service-links.ts';

/**
 * EventBridge as the embedded target runs it: the service with its rules and PutEvents
 * quota, whose Lambda targets are invoked asynchronously through the
 * {@link FunctionDirectory} (an `Event` Invoke to the runtime in the run's process).
 *
 * Control calls (see sluice-control.ts):
 * - `PUT /_sluice/events/put-events-quota` `{ requestsPerSecond?, burstRequests?, enforce? }`
 * - `GET /_sluice/events/stats`
 */
export async function startEmbeddedEventBridge(directory: FunctionDirectory = functionDirectory): Promise<EdgeService> {
  let unsupportedTargets = 0;
  const service: EventBridgeService = startEventBridgeService({
    deliver(target, event) {
      // Lambda targets receive the event (or the target's Input / InputPath) as their payload.
      if (/^arn:aws[\w-]*:lambda:/.test(target.arn)) {
        directory.invokeAsync(target.arn, target.input === undefined ? event : target.input, 'aws:events');
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
          sendControlJson(response, 200, { ...service.stats(), unsupportedTargets, quotas: service.quotas() });
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
