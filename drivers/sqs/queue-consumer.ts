import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { PatternRunContext } from '../driver.ts';
import { sdkPolledQueue, type PolledQueue, type QueueMessage } from './polled-queue.ts';
import { jsonProtocolPolledQueue } from './json-polled-queue.ts';
import { SqsEventSourceMapping, type SqsMappingSettings } from './sqs-mapping.ts';

/** Reads every DLQ message at the end of a run, but never for longer than this. */
const deadLetterReadLimitMs = 60_000;

/** A queue and its dead-letter queue, as sluice creates them for a pattern. */
export interface QueueWithDeadLetter {
  queueUrl: string;
  queueArn: string;
  deadLetterQueueUrl: string;
  /** Deletes both. Safe to call twice. */
  deleteBoth(): Promise<void>;
}

/**
 * Creates `<baseName>-dlq` and `<baseName>` with a redrive policy to it after
 * `maxReceiveCount` receives, the queue's visibility timeout, and any further attributes
 * (a queue policy). Deletes what it made when a step fails.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
 */
export async function createQueueWithDeadLetter(
  client: SQSClient,
  options: { baseName: string; visibilityTimeoutMs: number; maxReceiveCount: number; attributes?: Record<string, string> },
): Promise<QueueWithDeadLetter> {
  const created: string[] = [];
  const deleteAll = async () => {
    while (created.length > 0) await client.send(new DeleteQueueCommand({ QueueUrl: created.pop()! })).catch(() => undefined);
  };
  try {
    const deadLetterQueueUrl = (await client.send(new CreateQueueCommand({ QueueName: `${options.baseName}-dlq`, Attributes: { MessageRetentionPeriod: '1209600' } }))).QueueUrl!;
    created.push(deadLetterQueueUrl);
    const deadLetterArn = (await client.send(new GetQueueAttributesCommand({ QueueUrl: deadLetterQueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    const queueUrl = (
      await client.send(
        new CreateQueueCommand({
          QueueName: options.baseName,
          Attributes: {
            VisibilityTimeout: String(Math.round(options.visibilityTimeoutMs / 1000)),
            RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetterArn, maxReceiveCount: options.maxReceiveCount }),
            ...options.attributes,
          },
        }),
      )
    ).QueueUrl!;
    created.push(queueUrl);
    const queueArn = (await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    return { queueUrl, queueArn, deadLetterQueueUrl, deleteBoth: deleteAll };
  } catch (error) {
    await deleteAll();
    throw error;
  }
}

export interface QueueConsumerOptions {
  context: Pick<PatternRunContext<unknown>, 'ledger' | 'recorder' | 'clock' | 'fn' | 'target' | 'consumer'>;
  client: SQSClient;
  queueUrl: string;
  queueArn: string;
  deadLetterQueueUrl?: string;
  mapping: SqsMappingSettings & { visibilityTimeout: number };
  /** The sluice event ids one message carries; none for a message that is no event (S3's test event). */
  idsOf(message: QueueMessage): number[];
  /** Told about every completed batch, before its events are recorded (FIFO order checks). */
  onCompleted?(messages: QueueMessage[]): void;
}

/**
 * The consumer side of a queue that feeds the function through Lambda's SQS event source
 * mapping ({@link SqsEventSourceMapping}): whatever put the messages there (sluice's sender, or
 * S3's notifications). Starts the mapping, samples the queue and its DLQ once a second, says
 * when it is drained and reads the DLQ by id at the end.
 */
export class QueueConsumer {
  private mapping: SqsEventSourceMapping | undefined;
  private transport: (PolledQueue & { destroy?(): void }) | undefined;
  private transportName: 'json-http' | 'sdk' = 'sdk';
  private pollersMax = 0;
  private lastDeadLetterDepth = 0;
  /** Each received message's ids, read once: a batch is reported when delivered and again when completed. */
  private readonly idsByMessage = new WeakMap<QueueMessage, number[]>();
  batchesThrottled = 0;

  constructor(private readonly options: QueueConsumerOptions) {}

  /**
   * The mapping's receives and deletes: on the embedded target over plain JSON-protocol HTTP
   * (json-polled-queue.ts says why); elsewhere, or with SLUICE_SQS_CONSUMER_TRANSPORT=sdk,
   * through the SDK.
   */
  private polledQueue(): PolledQueue {
    const { target } = this.options.context;
    const { queueUrl, mapping } = this.options;
    const useJson = target.clientSettings.endpoint !== undefined && target.info.kind === 'embedded' && process.env.SLUICE_SQS_CONSUMER_TRANSPORT !== 'sdk';
    this.transportName = useJson ? 'json-http' : 'sdk';
    this.transport = useJson ? jsonProtocolPolledQueue(target.clientSettings.endpoint!, queueUrl, mapping.visibilityTimeout) : sdkPolledQueue(this.options.client, queueUrl, mapping.visibilityTimeout);
    return this.transport;
  }

  /** Starts the mapping; a remote consumer (AWS Lambda's own mapping) polls the queue itself. */
  start(): void {
    const { context } = this.options;
    if (context.consumer === 'remote') return;
    const { ledger, recorder, clock } = context;
    const ids = (messages: QueueMessage[]) =>
      messages.flatMap((message) => {
        let known = this.idsByMessage.get(message);
        if (!known) {
          known = this.options.idsOf(message);
          this.idsByMessage.set(message, known);
        }
        return known;
      });
    this.mapping = new SqsEventSourceMapping({
      queue: this.polledQueue(),
      queueArn: this.options.queueArn,
      region: context.target.clientSettings.region,
      fn: context.fn,
      pattern: this.options.mapping,
      clock,
      observer: {
        onDelivered: (messages) => {
          for (const id of ids(messages)) ledger.recordDelivered(id);
        },
        onCompleted: (messages) => {
          this.options.onCompleted?.(messages);
          const nowMs = clock.nowMs();
          let completed = 0;
          for (const id of ids(messages)) {
            const latencyMs = ledger.recordCompleted(id, nowMs);
            if (latencyMs !== undefined) {
              recorder.endToEndLatency(nowMs, latencyMs);
              completed += 1;
            }
          }
          recorder.count('completed', nowMs, completed);
        },
        onThrottled: () => {
          this.batchesThrottled += 1;
        },
      },
    });
    this.mapping.start();
  }

  async depth(url = this.options.queueUrl): Promise<{ visible: number; inFlight: number; delayed: number }> {
    const attributes =
      (
        await this.options.client.send(
          new GetQueueAttributesCommand({
            QueueUrl: url,
            AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
          }),
        )
      ).Attributes ?? {};
    return {
      visible: Number(attributes.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
      delayed: Number(attributes.ApproximateNumberOfMessagesDelayed ?? 0),
    };
  }

  /** Once a second: queue depth, the oldest unfinished event's age, new dead letters, pollers. */
  async sample(nowMs: number): Promise<void> {
    const { ledger, recorder } = this.options.context;
    const deadLetterQueueUrl = this.options.deadLetterQueueUrl;
    const [main, dead] = await Promise.all([this.depth(), deadLetterQueueUrl ? this.depth(deadLetterQueueUrl) : Promise.resolve({ visible: 0, inFlight: 0, delayed: 0 })]);
    recorder.gauge('queueDepth', nowMs, main.visible + main.inFlight + main.delayed);
    const oldestMs = ledger.oldestUnfinishedSentAtMs();
    recorder.gauge('queueAgeMsMax', nowMs, oldestMs === undefined ? 0 : Math.max(0, nowMs - oldestMs));
    const deadLetterDepth = dead.visible + dead.inFlight;
    if (deadLetterDepth > this.lastDeadLetterDepth) recorder.count('deadLettered', nowMs, deadLetterDepth - this.lastDeadLetterDepth);
    this.lastDeadLetterDepth = deadLetterDepth;
    if (this.mapping) {
      recorder.gauge('pollers', nowMs, this.mapping.pollerCount);
      this.pollersMax = Math.max(this.pollersMax, this.mapping.pollerCount);
    }
  }

  /** The queue is empty and no invoke is running. */
  async isDrained(): Promise<boolean> {
    const main = await this.depth();
    return main.visible + main.inFlight + main.delayed === 0 && (this.options.context.consumer === 'remote' || this.options.context.fn.concurrency === 0);
  }

  async stop(): Promise<void> {
    await this.mapping?.stop();
    this.transport?.destroy?.();
  }

  /** Reads the DLQ so each dead-lettered event is known by id, then counts what the queue still holds. */
  async pendingAtEnd(): Promise<number> {
    const { ledger, clock } = this.options.context;
    const deadline = clock.nowMs() + deadLetterReadLimitMs;
    const deadLetters = this.options.deadLetterQueueUrl ? sdkPolledQueue(this.options.client, this.options.deadLetterQueueUrl, 300_000) : undefined;
    const abort = new AbortController();
    while (deadLetters && clock.nowMs() < deadline) {
      const messages = await deadLetters.receive(10, 0, abort.signal);
      if (messages.length === 0) break;
      for (const message of messages) for (const id of this.options.idsOf(message)) ledger.recordDeadLettered(id);
    }
    const main = await this.depth();
    return main.visible + main.inFlight + main.delayed;
  }

  /** What the mapping's pollers did: receives per message shows whether they polled in vain. */
  polling(): Record<string, unknown> | undefined {
    return this.mapping ? { ...this.mapping.counts, pollersMax: this.pollersMax, transport: this.transportName } : undefined;
  }
}
