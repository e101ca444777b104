/**
 * How one embedded service hands work to another inside the `sluice serve` process, as AWS's
 * services do behind their APIs: S3 sends notification messages to SQS queues and events to
 * the EventBridge default bus. Each service that can receive registers itself here when it
 * starts and leaves when it closes; a sender reads the link when it delivers, so the order the
 * services start in does not matter.
 */

/** SQS as a notification destination. */
export interface QueueDestination {
  /** Whether the queue with this ARN (`arn:aws:sqs:REGION:ACCOUNT:NAME`) exists. */
  queueExists(queueArn: string): Promise<boolean>;
  /** Sends one message; false when the queue does not exist (any other failure throws). */
  sendMessage(queueArn: string, body: string): Promise<boolean>;
}

/** An event an AWS service puts on a Region's default bus: not a PutEvents call, so no quota and no `aws.` reservation apply. */
export interface ServiceEvent {
  region: string;
  source: string;
  detailType: string;
  resources: string[];
  timeMs: number;
  detail: Record<string, unknown>;
}

/** EventBridge as the destination of AWS services' own events. */
export interface ServiceEventBus {
  /** Matches the event against the default bus's rules and delivers it to their targets. */
  putServiceEvent(event: ServiceEvent): void;
}

export interface EmbeddedServiceLinks {
  queues?: QueueDestination;
  eventBus?: ServiceEventBus;
}

/** The links of this process's embedded services. */
export const embeddedServiceLinks: EmbeddedServiceLinks = {};
