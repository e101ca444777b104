import type { SourceModule } from '../source-module.ts';
import { eventBridgeAwsStack } from './aws-stack.ts';
import { eventBridgeCost } from './cost.ts';
import { eventBridgeCloudWatchMetrics } from './cloudwatch-metrics.ts';
import { eventBridgeResourcesFrom, type EventBridgeResources } from './eventbridge-resources.ts';
import { eventBridgePatternSchema } from './schema.ts';
import { awsDefaults } from '../../core/aws-defaults.ts';

/** What an event's envelope adds to its detail as Lambda receives it (version, id, time, region, account, resources). */
const eventEnvelopeBytes = 512;

/**
 * EventBridge: PutEvents onto a bus whose rules invoke the function asynchronously.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html
 */
export const eventBridgeSource = {
  source: 'eventbridge',
  patternSchema: eventBridgePatternSchema,
  defaults: [
    'eventBridgePutEventsRequestsPerSecond',
    'eventBridgePutEventsEntriesMax',
    'eventBridgePutEventsEntriesBytesMax',
    'eventBridgeInvocationsPerSecondByRegion',
    'asyncInvokePayloadBytesMax',
    'asyncInvokeMaximumRetryAttempts',
    'asyncInvokeMaximumEventAgeMs',
    'asyncInvokeErrorRetryDelaysMs',
    'asyncInvokeThrottleRetryInitialMs',
    'asyncInvokeThrottleRetryMaxMs',
  ],
  // The bus's rules invoke the run's function through the Lambda invoke service; the on-failure destination is a queue.
  embeddedServices: ['eventbridge', 'lambda', 'sqs'],
  localstackServices: ['events'],
  loadDriver: async () => (await import('./eventbridge-driver.ts')).eventBridgeDriver,
  // A bus holds nothing: a matched event is handed to its targets at once.
  existingResources: eventBridgeResourcesFrom,
  holdsWhatIsUnread: false,
  aws: eventBridgeAwsStack,
  cost: eventBridgeCost,
  cloudWatchMetrics: eventBridgeCloudWatchMetrics,
  eventSizeProblem: (pattern, eventSizeBytes) => {
    // The entry (source + detail-type + detail) must fit PutEvents' limit, and the event as
    // the rule hands it to Lambda (the envelope's fields besides) an asynchronous invoke's.
    // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html
    const limit = Math.min(awsDefaults.eventBridgePutEventsEntriesBytesMax.value, awsDefaults.asyncInvokePayloadBytesMax.value);
    const needed = eventSizeBytes + pattern.eventSource.length + pattern.detailType.length + eventEnvelopeBytes;
    return needed > limit
      ? `an EventBridge event of ${eventSizeBytes.toLocaleString('en-US')} bytes plus its source, detail-type and envelope (~${eventEnvelopeBytes} B) is over the ${limit.toLocaleString('en-US')} bytes a PutEvents entry and an asynchronous invoke hold; lower eventSizeBytes`
      : undefined;
  },
} as const satisfies SourceModule<'eventbridge', typeof eventBridgePatternSchema, EventBridgeResources>;
