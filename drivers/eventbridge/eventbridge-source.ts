import type { SourceModule } from '../source-module.ts';
import { eventBridgeAwsStack } from './aws-stack.ts';
import { eventBridgeCost } from './cost.ts';
import { eventBridgeCloudWatchMetrics } from './cloudwatch-metrics.ts';
import { eventBridgeResourcesFrom, type EventBridgeResources } from './eventbridge-resources.ts';
import { eventBridgePatternSchema } from './schema.ts';

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
} as const satisfies SourceModule<'eventbridge', typeof eventBridgePatternSchema, EventBridgeResources>;
