import { randomUUID } from 'node:crypto';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { PatternRunContext } from '../driver.ts';
import { AsyncInvokeQueue, type AsyncFailureCondition, type AsyncInvocation, type AsyncInvokeSettings } from '../../runtime/async-invoke-queue.ts';
import { awsDefaults } from '../../core/aws-defaults.ts';
import { FunctionError } from '../../runtime/errors.ts';
import { seededRandom, type RandomSource } from '../../runtime/random.ts';
import { sdkClientConfig } from '../../core/client-config.ts';
import { sluiceControl } from '../../localstack/embedded/sluice-control.ts';
import { startInvokeEndpoint, type InvokeEndpoint } from './invoke-endpoint.ts';

/** SQS's message size limit: a destination record beyond it carries no request payload. */
const sqsMessageBytesMax = awsDefaults.sqsMessageBytesMax.value;
const accountId = '000000000000';

export interface AsyncLambdaTargetOptions {
  context: PatternRunContext<unknown>;
  settings: AsyncInvokeSettings;
  /** The sluice event ids one delivered payload carries (EventBridge: its detail; S3: its records' keys). */
  idsOf(payload: unknown): number[];
  /**
   * Share of deliveries the source hands over twice, modelling at-least-once delivery
   * (S3 notifications). The copies are counted as duplicate deliveries, never hidden.
   */
  duplicateRate?: number;
}

interface DeliveryMeta {
  ids: number[];
}

/** Where an event stands while its deliveries are in the queue. */
interface OpenEvent {
  /** Deliveries that are expected copies (fan-out to several rules), not duplicates. */
  expected: number;
  seen: number;
  resolved: number;
  outcome: 'completed' | 'deadLettered' | 'failed';
}

const outcomeRank = { completed: 0, deadLettered: 1, failed: 2 } as const;

/**
 * The consumer function as an asynchronous target, in the run's process: the part every
 * asynchronously-invoked source shares (EventBridge and S3 today).
 *
 * - serves the function's Lambda Invoke API on 127.0.0.1 and registers it with the target,
 *   so the target's services deliver each event as an `Event` invoke;
 * - puts each delivery in the function's {@link AsyncInvokeQueue} (throttles, retries,
 *   maximum event age);
 * - sends given-up events to the on-failure destination, an SQS queue created on the
 *   target, in AWS's destination record format;
 * - keeps the ledger: first delivery, duplicates and retries, fan-out copies, and each
 *   event's fate once all its expected copies have an outcome.
 */
export class AsyncLambdaTarget {
  readonly functionName: string;
  readonly functionArn: string;
  private readonly queue: AsyncInvokeQueue<DeliveryMeta>;
  private readonly open = new Map<number, OpenEvent>();
  private readonly random: RandomSource;
  private readonly pendingDestinationSends = new Set<Promise<void>>();
  private endpoint: InvokeEndpoint | undefined;
  private onFailureQueueUrl: string | undefined;
  private registered = false;
  private targetStats: Record<string, unknown> | undefined;
  private readonly counters = { deliveriesReceived: 0, duplicatesInjected: 0, fanOutCopies: 0, redeliveries: 0, onFailureRecordsSent: 0, onFailureSendErrors: 0, deliveriesWithoutIds: 0 };

  private constructor(
    private readonly options: AsyncLambdaTargetOptions,
    private readonly sqs: SQSClient,
  ) {
    const { context } = options;
    this.functionName = `sluice-${context.runId}-${context.patternName}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 64);
    this.functionArn = `arn:aws:lambda:${context.target.clientSettings.region}:${accountId}:function:${this.functionName}`;
    this.random = seededRandom(context.scenario.workload.seed + 7);
    this.queue = new AsyncInvokeQueue<DeliveryMeta>({
      fn: context.fn,
      clock: context.clock,
      settings: options.settings,
      observer: {
        onInvokeStart: (item) => {
          for (const id of item.meta.ids) this.attempted(id, item.attempts === 1);
        },
        onSuccess: (item) => {
          for (const id of item.meta.ids) this.resolve(id, 'completed');
        },
        onFailure: (item, condition) => this.toDestination(item, condition),
      },
    });
  }

  /**
   * Creates the on-failure queue, starts the function's Invoke endpoint and registers it
   * with the target. Cleans up what it made when a step fails.
   */
  static async create(options: AsyncLambdaTargetOptions): Promise<AsyncLambdaTarget> {
    const settings = options.context.target.clientSettings;
    const target = new AsyncLambdaTarget(options, new SQSClient(sdkClientConfig(settings)));
    try {
      const queue = await target.sqs.send(new CreateQueueCommand({ QueueName: `${target.functionName.slice(0, 66)}-onfailure`, Attributes: { MessageRetentionPeriod: '1209600' } }));
      target.onFailureQueueUrl = queue.QueueUrl;
      target.endpoint = await startInvokeEndpoint(target.functionName, {
        onEvent: (payload) => target.delivered(payload),
        onRequestResponse: (payload) => target.invokeSync(payload),
      });
      await sluiceControl(settings, 'lambda', 'PUT', `/_sluice/lambda/functions/${encodeURIComponent(target.functionName)}`, { invokeEndpoint: target.endpoint.url });
      target.registered = true;
      return target;
    } catch (error) {
      await target.teardown();
      throw error;
    }
  }

  /** Declares how many deliveries of `id` are expected copies (one per matching rule with fan-out). */
  expectCopies(id: number, copies: number): void {
    if (copies <= 1) return;
    const state = this.stateOf(id);
    state.expected = copies;
  }

  /** Forgets the expectation of an event the source refused after all. */
  forget(id: number): void {
    this.open.delete(id);
  }

  /** Once a second: async event age and queue depth into the recorder. */
  sample(nowMs: number): void {
    const { recorder } = this.options.context;
    recorder.gauge('asyncEventAgeMsMax', nowMs, this.queue.takeAgeMsMax(nowMs));
    recorder.gauge('queueDepth', nowMs, this.queue.size);
  }

  isDrained(): boolean {
    return this.queue.size === 0 && this.pendingDestinationSends.size === 0 && this.options.context.ledger.unfinished === 0;
  }

  /** Stops invoking; in-flight invokes and destination sends finish. */
  async stop(): Promise<void> {
    await this.queue.stop();
    await Promise.allSettled([...this.pendingDestinationSends]);
  }

  /** Distinct unfinished events still held by the queue (waiting or waiting for a retry). */
  async pendingAtEnd(): Promise<number> {
    await Promise.allSettled([...this.pendingDestinationSends]);
    const { ledger, target } = this.options.context;
    const pending = new Set<number>();
    for (const item of this.queue.held()) for (const id of item.meta.ids) if (!ledger.isFinished(id)) pending.add(id);
    this.targetStats = (await sluiceControl(target.clientSettings, 'lambda', 'GET', '/_sluice/lambda/stats').catch(() => undefined)) as Record<string, unknown> | undefined;
    return pending.size;
  }

  /** Messages in the on-failure queue now (a cross-check of the dead-lettered count). */
  async onFailureQueueDepth(): Promise<number | undefined> {
    if (!this.onFailureQueueUrl) return undefined;
    const answer = await this.sqs.send(new GetQueueAttributesCommand({ QueueUrl: this.onFailureQueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    return Number(answer.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(answer.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
  }

  extras(): Record<string, unknown> {
    return {
      functionArn: this.functionArn,
      onFailureDestination: this.onFailureQueueUrl,
      asyncInvoke: this.queue.stats(),
      ...this.counters,
      ...(this.targetStats ? { targetDelivery: this.targetStats } : {}),
    };
  }

  /** Deregisters the function, closes its endpoint, deletes the on-failure queue. Safe to call twice. */
  async teardown(): Promise<void> {
    const settings = this.options.context.target.clientSettings;
    if (this.registered) {
      this.registered = false;
      await sluiceControl(settings, 'lambda', 'DELETE', `/_sluice/lambda/functions/${encodeURIComponent(this.functionName)}`).catch(() => undefined);
    }
    await this.endpoint?.close().catch(() => undefined);
    this.endpoint = undefined;
    if (this.onFailureQueueUrl) {
      await this.sqs.send(new DeleteQueueCommand({ QueueUrl: this.onFailureQueueUrl })).catch(() => undefined);
      this.onFailureQueueUrl = undefined;
    }
    this.sqs.destroy();
  }

  /** An `Event` invoke arrived from the target. */
  private delivered(payload: unknown): void {
    this.counters.deliveriesReceived += 1;
    const ids = this.options.idsOf(payload);
    if (ids.length === 0) this.counters.deliveriesWithoutIds += 1;
    this.queue.enqueue(payload, { ids });
    const duplicateRate = this.options.duplicateRate ?? 0;
    if (duplicateRate > 0 && this.random.next() < duplicateRate) {
      this.counters.duplicatesInjected += 1;
      this.queue.enqueue(payload, { ids });
    }
  }

  private async invokeSync(payload: unknown): Promise<{ result: unknown; functionError?: string }> {
    try {
      return { result: await this.options.context.fn.invoke(payload, 'sync') };
    } catch (error) {
      if (error instanceof FunctionError) return { result: { errorMessage: error.message, errorType: error.kind === 'Timeout' ? 'Sandbox.Timedout' : 'Error' }, functionError: 'Unhandled' };
      throw error;
    }
  }

  private stateOf(id: number): OpenEvent {
    let state = this.open.get(id);
    if (!state) {
      state = { expected: 1, seen: 0, resolved: 0, outcome: 'completed' };
      this.open.set(id, state);
    }
    return state;
  }

  /**
   * An invoke of a delivery carrying `id` started. The first delivery is the event's
   * delivery; further first attempts are fan-out copies while expected, duplicates beyond;
   * a retry of a delivery is a redelivery, which the ledger counts as a duplicate too.
   */
  private attempted(id: number, firstAttempt: boolean): void {
    const { ledger } = this.options.context;
    if (!firstAttempt) {
      this.counters.redeliveries += 1;
      ledger.recordDelivered(id);
      return;
    }
    const state = this.stateOf(id);
    state.seen += 1;
    if (state.seen > 1 && state.seen <= state.expected) {
      this.counters.fanOutCopies += 1;
      return;
    }
    ledger.recordDelivered(id);
  }

  /** One delivery of `id` reached an outcome; the event's fate is settled once every expected copy has one. */
  private resolve(id: number, outcome: OpenEvent['outcome']): void {
    // No state: a late duplicate of a settled event (the ledger ignores it below), or an
    // event that expired in the queue before any invoke.
    const state = this.open.get(id) ?? { expected: 1, seen: 0, resolved: 0, outcome: 'completed' };
    state.resolved += 1;
    if (outcomeRank[outcome] > outcomeRank[state.outcome]) state.outcome = outcome;
    if (state.resolved < state.expected) return;
    this.open.delete(id);
    const { ledger, recorder, clock } = this.options.context;
    if (ledger.isFinished(id)) return;
    const nowMs = clock.nowMs();
    if (state.outcome === 'completed') {
      const latencyMs = ledger.recordCompleted(id, nowMs);
      if (latencyMs !== undefined) {
        recorder.endToEndLatency(nowMs, latencyMs);
        recorder.count('completed', nowMs);
      }
    } else if (state.outcome === 'deadLettered') {
      ledger.recordDeadLettered(id);
      recorder.count('deadLettered', nowMs);
    } else {
      ledger.recordFailed(id);
    }
  }

  /**
   * Sends a given-up event to the on-failure destination, in the record format Lambda
   * writes, and settles its ids as dead-lettered once SQS has it (failed if it never does).
   * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
   */
  private toDestination(item: AsyncInvocation<DeliveryMeta>, condition: AsyncFailureCondition): void {
    const queueUrl = this.onFailureQueueUrl;
    const error = item.lastError;
    const record = {
      version: '1.0',
      timestamp: new Date(this.options.context.clock.nowMs()).toISOString(),
      requestContext: { requestId: randomUUID(), functionArn: `${this.functionArn}:$LATEST`, condition, approximateInvokeCount: item.attempts },
      requestPayload: item.payload,
      ...(error instanceof FunctionError
        ? { responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' }, responsePayload: { errorMessage: error.message, errorType: error.kind === 'Timeout' ? 'Sandbox.Timedout' : 'Error' } }
        : {}),
    };
    let body = JSON.stringify(record);
    if (Buffer.byteLength(body) > sqsMessageBytesMax) body = JSON.stringify({ ...record, requestPayload: undefined, requestPayloadTruncated: true });
    const sending: Promise<void> = (queueUrl ? this.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body })) : Promise.reject(new Error('no on-failure queue')))
      .then(() => {
        this.counters.onFailureRecordsSent += 1;
        for (const id of item.meta.ids) this.resolve(id, 'deadLettered');
      })
      .catch(() => {
        this.counters.onFailureSendErrors += 1;
        for (const id of item.meta.ids) this.resolve(id, 'failed');
      })
      .finally(() => this.pendingDestinationSends.delete(sending));
    this.pendingDestinationSends.add(sending);
  }
}

/** The consumer-side methods of a {@link PatternSession} for a source that invokes asynchronously. */
export interface AsyncConsumerSide {
  startConsumer(): Promise<void>;
  sample(nowMs: number): Promise<void>;
  isDrained(): Promise<boolean>;
  stopConsumer(): Promise<void>;
  pendingAtEnd(): Promise<number>;
  /** What the target's own counters and the on-failure queue said at the end. */
  extras(): Record<string, unknown>;
}

/**
 * The consumer side every asynchronously invoked source (EventBridge, S3) has in common:
 * sluice's async queue when sluice consumes; only the ledger (fed by the stack's completion
 * records) when a remote Lambda does, since neither a bus nor a bucket can say what is still
 * on its way. `readServiceStats` reads the target's own counters (embedded target only).
 */
export function asyncConsumerSide(options: {
  consumer: AsyncLambdaTarget | undefined;
  context: Pick<PatternRunContext<unknown>, 'ledger' | 'target' | 'consumer'>;
  readServiceStats: () => Promise<Record<string, unknown> | undefined>;
}): AsyncConsumerSide {
  const { consumer, context } = options;
  let serviceStats: Record<string, unknown> | undefined;
  let onFailureDepth: number | undefined;
  return {
    // The function's endpoint is registered at provision (or the stack's configuration delivers); invokes flow from the first send.
    async startConsumer() {},
    async sample(nowMs) {
      consumer?.sample(nowMs);
    },
    async isDrained() {
      return consumer ? consumer.isDrained() : context.ledger.unfinished === 0;
    },
    async stopConsumer() {
      await consumer?.stop();
    },
    async pendingAtEnd() {
      const pending = consumer ? await consumer.pendingAtEnd() : context.ledger.unfinished;
      if (context.consumer !== 'remote' || context.target.info.kind === 'embedded') {
        serviceStats = await options.readServiceStats().catch(() => undefined);
      }
      onFailureDepth = await consumer?.onFailureQueueDepth().catch(() => undefined);
      return pending;
    },
    extras() {
      return {
        ...consumer?.extras(),
        ...(onFailureDepth !== undefined ? { onFailureQueueDepth: onFailureDepth } : {}),
        ...(serviceStats ? { serviceStats } : {}),
      };
    },
  };
}
