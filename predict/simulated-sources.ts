import { createHash } from 'node:crypto';
import { deadlineTimer, type VirtualClock } from '../core/clock.ts';
import type { LambdaFunction } from '../runtime/lambda-function.ts';
import { ConcurrencyThrottleError, FunctionError } from '../runtime/errors.ts';
import { AsyncInvokeQueue } from '../runtime/async-invoke-queue.ts';
import { seededRandom } from '../runtime/random.ts';
import type { EventLedger } from '../run/event-ledger.ts';
import type { MetricsRecorder } from '../run/metrics-recorder.ts';
import type { QuotaRecord } from '../analysis/run-result.ts';
import type { Scenario } from '../scenario/schema.ts';
import type { SourceName } from '../drivers/registry.ts';
import type { SqsPattern } from '../drivers/sqs/schema.ts';
import type { KinesisPattern } from '../drivers/kinesis/schema.ts';
import type { EventBridgePattern } from '../drivers/eventbridge/schema.ts';
import { notifyPathQuotaRecord, type S3Pattern } from '../drivers/s3/schema.ts';
import type { ApiGatewayPattern } from '../drivers/apigateway/schema.ts';
import { SimulatedQueue } from '../drivers/sqs/simulated-queue.ts';
import { SqsEventSourceMapping, type SqsMappingSettings } from '../drivers/sqs/sqs-mapping.ts';
import { VirtualStream } from '../drivers/kinesis/virtual-stream.ts';
import { KinesisEventSourceMapping } from '../drivers/kinesis/kinesis-mapping.ts';
import type { StreamRecord } from '../drivers/kinesis/shard-reader.ts';
import { SimulatedBus } from '../drivers/eventbridge/simulated-bus.ts';
import { invocationQuotaRecord, invocationsPerSecondOf } from '../drivers/eventbridge/schema.ts';
import { InvocationThrottle } from '../core/invocation-throttle.ts';
import { SimulatedBucket } from '../drivers/s3/simulated-bucket.ts';
import { SimulatedGateway } from '../drivers/apigateway/simulated-gateway.ts';
import { asyncInvokeSettingsOf } from '../drivers/async-invoke/async-invoke-schema.ts';

/** One event of a simulated arrival: its ledger id and its key. */
export interface SimulatedEvent {
  id: number;
  key: string;
}

/** What a simulated source gets: the same function, ledger and recorder a run's driver gets, on a virtual clock. */
export interface SimulationContext<Pattern> {
  scenario: Scenario;
  pattern: Pattern;
  clock: VirtualClock;
  fn: LambdaFunction;
  ledger: EventLedger;
  recorder: MetricsRecorder;
}

/** A pattern's source on simulated time: the simulated store, and the same mapping or invoke path a run uses. */
export interface SimulatedSession {
  start(): void;
  /**
   * Sends one arrival's events; their send time is now. Returns whether the send may have
   * started promise jobs: `false` when it resolved no promise and called nothing async (a write
   * to a stream, which pollers read on their own beat; a message no receive was waiting for).
   */
  send(events: SimulatedEvent[]): boolean;
  /** Once a second: the source's gauges. */
  sample(nowMs: number): void;
  isDrained(): boolean;
  stop(): Promise<void>;
  pendingAtEnd(): number;
  extras(): Record<string, unknown>;
  quotas(): QuotaRecord[];
}

export interface SimulatedSource<Pattern> {
  simulate(context: SimulationContext<Pattern>): SimulatedSession;
}

const region = 'us-east-1';

/**
 * The detail of event `id` as a run's EventBridge driver puts it: sluice's envelope with the
 * workload's payload template filled in (load/event-factory.ts), so rules on detail fields
 * match as they do in a run.
 */
export function eventDetailFor(workload: Scenario['workload']): (id: number, key: string) => Record<string, unknown> {
  const template = workload.payloadTemplate ? JSON.stringify(workload.payloadTemplate) : undefined;
  return (id, key) => ({
    sluiceId: id,
    key,
    ...(template ? (JSON.parse(template.replaceAll('{{ seq }}', String(id)).replaceAll('{{seq}}', String(id)).replaceAll('{{ key }}', key).replaceAll('{{key}}', key)) as Record<string, unknown>) : {}),
  });
}

/** Retries of a refused write, as the SDK's producers back off: 100 ms doubling, with jitter-free steps (the model's choice). */
function producerBackoffMs(attempt: number): number {
  return Math.min(20_000, 100 * 2 ** (attempt - 1));
}

/** What a queue and its mapping need of a pattern: the mapping's settings, the queue's, and FIFO. */
type SqsConsumerSettings = SqsMappingSettings & Pick<SqsPattern, 'visibilityTimeout' | 'maxReceiveCount'> & { fifo?: boolean };

/**
 * A simulated queue consumed by the run's own SQS mapping: each message carries its event's
 * ledger id, and the mapping's deliveries and completions go to the ledger and the recorder
 * as a run's do. The SQS source sends its events here; S3 sends its notifications here when
 * it notifies through a queue.
 */
function sqsConsumer({ clock, fn, ledger, recorder }: Pick<SimulationContext<unknown>, 'clock' | 'fn' | 'ledger' | 'recorder'>, settings: SqsConsumerSettings, queueName: string) {
  const queue = new SimulatedQueue(clock, {
    visibilityTimeoutMs: settings.visibilityTimeout,
    maxReceiveCount: settings.maxReceiveCount,
    fifo: settings.fifo ?? false,
    onDeadLettered(message) {
      ledger.recordDeadLettered(Number(message.messageId));
      recorder.count('deadLettered', clock.nowMs());
    },
  });
  let pollersMax = 0;
  let batchesThrottled = 0;
  const mapping = new SqsEventSourceMapping({
    queue,
    queueArn: `arn:aws:sqs:${region}:000000000000:${queueName}`,
    region,
    fn,
    pattern: settings,
    clock,
    observer: {
      onDelivered(messages) {
        for (const message of messages) ledger.recordDelivered(Number(message.messageId));
      },
      onCompleted(messages) {
        const nowMs = clock.nowMs();
        let completed = 0;
        for (const message of messages) {
          const latencyMs = ledger.recordCompleted(Number(message.messageId), nowMs);
          if (latencyMs !== undefined) {
            recorder.endToEndLatency(nowMs, latencyMs);
            completed += 1;
          }
        }
        recorder.count('completed', nowMs, completed);
      },
      onThrottled() {
        batchesThrottled += 1;
      },
    },
  });
  return {
    queue,
    mapping,
    sample(nowMs: number) {
      recorder.gauge('queueDepth', nowMs, queue.depth);
      const oldestMs = ledger.oldestUnfinishedSentAtMs();
      recorder.gauge('queueAgeMsMax', nowMs, oldestMs === undefined ? 0 : Math.max(0, nowMs - oldestMs));
      recorder.gauge('pollers', nowMs, mapping.pollerCount);
      pollersMax = Math.max(pollersMax, mapping.pollerCount);
    },
    isDrained: () => queue.depth === 0 && fn.concurrency === 0,
    extras: () => ({ batchesThrottled, deadLettered: queue.deadLettered, polling: { ...mapping.counts, pollersMax, transport: 'simulated' } }),
  };
}

const sqs: SimulatedSource<SqsPattern> = {
  simulate(context) {
    const { pattern, clock, ledger, recorder } = context;
    const consumer = sqsConsumer(context, pattern, 'sluice-predicted');
    const groupByKey = new Map<string, string>();
    const groupOf = (key: string) => {
      let group = groupByKey.get(key);
      if (group === undefined) {
        group = `group-${createHash('md5').update(key).digest().readUInt32BE(0) % pattern.messageGroups}`;
        groupByKey.set(key, group);
      }
      return group;
    };
    return {
      start: () => consumer.mapping.start(),
      send(events) {
        const nowMs = clock.nowMs();
        let answeredReceive = false;
        for (const event of events) {
          ledger.recordSent(event.id, nowMs);
          ledger.recordAccepted(event.id);
          if (consumer.queue.send(String(event.id), '', pattern.fifo ? groupOf(event.key) : undefined)) answeredReceive = true;
        }
        recorder.count('sent', nowMs, events.length);
        recorder.count('accepted', nowMs, events.length);
        return answeredReceive;
      },
      sample: (nowMs) => consumer.sample(nowMs),
      isDrained: () => consumer.isDrained(),
      stop: () => consumer.mapping.stop(),
      pendingAtEnd: () => consumer.queue.depth,
      extras: () => consumer.extras(),
      quotas: () => [{ name: pattern.fifo ? 'sqs.fifo_throughput' : 'sqs.standard_throughput', limit: pattern.fifo ? '300 API calls/s per queue (not simulated)' : 'nearly unlimited', enforcedBy: 'none' }],
    };
  },
};

const kinesis: SimulatedSource<KinesisPattern> = {
  simulate({ scenario, pattern, clock, fn, ledger, recorder }) {
    const stream = new VirtualStream(clock, { shards: pattern.shards, streamName: 'sluice-predicted', releaseReadRecords: true });
    const data = new Uint8Array(scenario.workload.eventSizeBytes);
    const counters = { recordsThrottled: 0, recordsFailed: 0, batchesThrottled: 0, recordsDiscarded: 0 };
    const idOf = (record: StreamRecord) => record.eventId ?? -1;
    const mapping = new KinesisEventSourceMapping({
      reader: stream,
      shardIds: stream.shardIds,
      streamArn: `arn:aws:kinesis:${region}:000000000000:stream/sluice-predicted`,
      region,
      fn,
      settings: pattern,
      clock,
      observer: {
        onDelivered(batch) {
          for (const record of batch.records) ledger.recordDelivered(idOf(record));
        },
        onCompleted(batch) {
          const nowMs = clock.nowMs();
          let count = 0;
          for (const record of batch.records) {
            const latencyMs = ledger.recordCompleted(idOf(record), nowMs);
            if (latencyMs !== undefined) {
              recorder.endToEndLatency(nowMs, latencyMs);
              count += 1;
            }
          }
          recorder.count('completed', nowMs, count);
        },
        onThrottled() {
          counters.batchesThrottled += 1;
        },
        onDiscarded(batch) {
          for (const record of batch.records) ledger.recordFailed(idOf(record));
          counters.recordsDiscarded += batch.records.length;
        },
      },
    });
    // One PutRecords per arrival, each record judged on its own (VirtualStream.putRecords, one
    // put at a time with no request arrays); refused entries are retried with backoff, as the
    // run's producer does.
    const put = (events: SimulatedEvent[], attempt: number) => {
      const nowMs = clock.nowMs();
      let refused: SimulatedEvent[] | undefined;
      for (const event of events) {
        if (stream.write(event.key, data, event.id)) ledger.recordAccepted(event.id);
        else (refused ??= []).push(event);
      }
      recorder.count('accepted', nowMs, events.length - (refused?.length ?? 0));
      if (refused === undefined) return;
      counters.recordsThrottled += refused.length;
      recorder.count('sourceThrottles', nowMs, refused.length);
      for (const event of refused) ledger.recordThrottled(event.id);
      if (attempt > pattern.producerRetries) {
        counters.recordsFailed += refused.length;
        for (const event of refused) ledger.recordSourceFailed(event.id);
        return;
      }
      clock.setTimer(() => {
        recorder.count('sourceRetries', clock.nowMs(), refused.length);
        put(refused, attempt + 1);
      }, producerBackoffMs(attempt));
    };
    let started: Promise<void> | undefined;
    return {
      start() {
        started = mapping.start();
      },
      send(events) {
        const nowMs = clock.nowMs();
        for (const event of events) ledger.recordSent(event.id, nowMs);
        recorder.count('sent', nowMs, events.length);
        put(events, 1);
        return false;
      },
      sample(nowMs) {
        for (const shardId of stream.shardIds) recorder.shardIteratorAge(shardId, nowMs, mapping.takeIteratorAgeMs(shardId, nowMs));
        recorder.gauge('pollers', nowMs, mapping.busyLanes);
      },
      isDrained: () => ledger.unfinished === 0 && fn.concurrency === 0,
      async stop() {
        await started;
        await mapping.stop();
      },
      pendingAtEnd: () => ledger.unfinished,
      extras: () => ({ ...counters, mapping: mapping.stats() }),
      quotas: () => [
        { name: 'kinesis.shard_write', limit: '1,000 records/s and 1 MiB/s per shard', enforcedBy: 'sluice' },
        { name: 'kinesis.shard_read', limit: '5 GetRecords/s and 2 MiB/s per shard', enforcedBy: 'sluice' },
      ],
    };
  },
};

/**
 * The asynchronous path EventBridge and S3 share: each delivery into the function's
 * {@link AsyncInvokeQueue} (the run's own), and each event's fate once every copy has one.
 */
function asyncDelivery(context: SimulationContext<EventBridgePattern | S3Pattern>) {
  const { pattern, clock, fn, ledger, recorder } = context;
  const copiesLeft = new Map<number, { left: number; failed: boolean }>();
  const queue = new AsyncInvokeQueue<{ id: number }>({
    fn,
    clock,
    settings: asyncInvokeSettingsOf(pattern.asyncInvoke),
    observer: {
      onInvokeStart(item) {
        ledger.recordDelivered(item.meta.id);
      },
      onSuccess(item) {
        settle(item.meta.id, false);
      },
      onFailure(item) {
        settle(item.meta.id, true);
      },
    },
  });
  const settle = (id: number, failed: boolean) => {
    const open = copiesLeft.get(id);
    if (open) {
      open.left -= 1;
      open.failed ||= failed;
      if (open.left > 0) return;
      copiesLeft.delete(id);
      failed = open.failed;
    }
    const nowMs = clock.nowMs();
    if (failed) {
      ledger.recordDeadLettered(id);
      recorder.count('deadLettered', nowMs);
      return;
    }
    const latencyMs = ledger.recordCompleted(id, nowMs);
    if (latencyMs !== undefined) {
      recorder.endToEndLatency(nowMs, latencyMs);
      recorder.count('completed', nowMs);
    }
  };
  /** An event whose `copies` invocations each reach the queue through {@link enqueueCopy} (EventBridge: past its invocation quota). */
  const expectCopies = (id: number, copies: number) => {
    if (copies > 1) copiesLeft.set(id, { left: copies, failed: false });
  };
  const enqueueCopy = (id: number) => queue.enqueue({ id }, { id });
  return {
    queue,
    expectCopies,
    enqueueCopy,
    deliver(id: number, copies: number) {
      expectCopies(id, copies);
      for (let copy = 0; copy < copies; copy += 1) enqueueCopy(id);
    },
    sample(nowMs: number) {
      recorder.gauge('asyncEventAgeMsMax', nowMs, queue.takeAgeMsMax(nowMs));
      recorder.gauge('queueDepth', nowMs, queue.size);
    },
  };
}

/** Sends refused for a quota are retried by the producer with backoff, up to its attempts, then fail at the source. */
function retryingProducer(context: SimulationContext<unknown>, maxAttempts: number, tryOne: (event: SimulatedEvent) => boolean) {
  const { clock, ledger, recorder } = context;
  const attemptOne = (event: SimulatedEvent, attempt: number) => {
    if (tryOne(event)) return;
    const nowMs = clock.nowMs();
    recorder.count('sourceThrottles', nowMs);
    ledger.recordThrottled(event.id);
    if (attempt >= maxAttempts) {
      ledger.recordSourceFailed(event.id);
      return;
    }
    clock.setTimer(() => {
      recorder.count('sourceRetries', clock.nowMs());
      attemptOne(event, attempt + 1);
    }, producerBackoffMs(attempt));
  };
  return (event: SimulatedEvent) => attemptOne(event, 1);
}

const eventbridge: SimulatedSource<EventBridgePattern> = {
  simulate(context) {
    const { pattern, clock, fn, ledger, recorder } = context;
    const bus = new SimulatedBus(clock, pattern);
    const delivery = asyncDelivery(context);
    // Each matched copy is one invocation, held to the region's invocation quota (delayed past it), as the embedded bus does.
    const invocations = new InvocationThrottle<number>({ ratePerSecond: invocationsPerSecondOf(pattern, context.scenario.region), clock, deliver: (id) => delivery.enqueueCopy(id) });
    const detailOf = eventDetailFor(context.scenario.workload);
    // Each event is one PutEvents entry; a throttled call's entries are retried together.
    const putEntries = (events: SimulatedEvent[], attempt: number) => {
      const nowMs = clock.nowMs();
      for (let start = 0; start < events.length; start += pattern.entriesPerCall) {
        const call = events.slice(start, start + pattern.entriesPerCall);
        const outcomes = bus.putEvents(call.map((event) => detailOf(event.id, event.key)), nowMs);
        if (!outcomes[0]!.accepted) {
          recorder.count('sourceThrottles', nowMs, call.length);
          for (const event of call) ledger.recordThrottled(event.id);
          if (attempt >= pattern.producerMaxAttempts) {
            for (const event of call) ledger.recordSourceFailed(event.id);
            continue;
          }
          clock.setTimer(() => {
            recorder.count('sourceRetries', clock.nowMs(), call.length);
            putEntries(call, attempt + 1);
          }, producerBackoffMs(attempt));
          continue;
        }
        recorder.count('accepted', nowMs, call.length);
        call.forEach((event, index) => {
          const outcome = outcomes[index]!;
          const matched = outcome.accepted ? outcome.matchedRules : 0;
          if (matched === 0) ledger.recordFiltered(event.id);
          else {
            ledger.recordAccepted(event.id);
            delivery.expectCopies(event.id, matched);
            for (let copy = 0; copy < matched; copy += 1) invocations.offer(event.id);
          }
        });
      }
    };
    return {
      start() {},
      send(events) {
        const nowMs = clock.nowMs();
        for (const event of events) ledger.recordSent(event.id, nowMs);
        recorder.count('sent', nowMs, events.length);
        putEntries(events, 1);
        return true;
      },
      sample: (nowMs) => delivery.sample(nowMs),
      isDrained: () => invocations.size === 0 && delivery.queue.size === 0 && ledger.unfinished === 0 && fn.concurrency === 0,
      stop: () => {
        invocations.stop();
        return delivery.queue.stop();
      },
      pendingAtEnd: () => delivery.queue.size + invocations.size,
      extras: () => ({
        putEventsCalls: bus.putEventsCalls,
        throttledPutEventsCalls: bus.throttledCalls,
        rules: bus.ruleMatches(),
        invocationQuota: { invocationsPerSecond: invocations.ratePerSecond, delayedInvocations: invocations.delayedInvocations, maxDelayMs: invocations.maxDelayMs },
        asyncInvoke: delivery.queue.stats(),
      }),
      quotas: () => [
        { name: 'eventbridge.put_events_tps', limit: `${pattern.putEventsRequestsPerSecond} requests/s`, enforcedBy: 'sluice' },
        invocationQuotaRecord(invocations.ratePerSecond, context.scenario.region, 'sluice'),
      ],
    };
  },
};

const s3: SimulatedSource<S3Pattern> = {
  simulate(context) {
    const { scenario, pattern, clock, ledger, recorder } = context;
    const bucket = new SimulatedBucket(clock, pattern, seededRandom(scenario.workload.seed + 7));
    const consumer = notifiedConsumer(context);
    let duplicates = 0;
    const put = retryingProducer(context as SimulationContext<unknown>, pattern.producerMaxAttempts, (event) => {
      const outcome = bucket.putObject(event.id, event.key);
      if (!outcome.accepted) return false;
      recorder.count('accepted', clock.nowMs());
      if (outcome.notifications === 0) {
        ledger.recordFiltered(event.id);
        return true;
      }
      ledger.recordAccepted(event.id);
      // A duplicate notification is a second delivery of the same event, not an expected copy.
      if (outcome.notifications > 1) duplicates += 1;
      consumer.notify(event.id, outcome.notifications);
      return true;
    });
    return {
      start: () => consumer.start(),
      send(events) {
        const nowMs = clock.nowMs();
        for (const event of events) ledger.recordSent(event.id, nowMs);
        recorder.count('sent', nowMs, events.length);
        for (const event of events) put(event);
        return true;
      },
      sample: (nowMs) => consumer.sample(nowMs),
      isDrained: () => consumer.isDrained(),
      stop: () => consumer.stop(),
      pendingAtEnd: () => consumer.pendingAtEnd(),
      extras: () => ({ slowDowns: bucket.slowDowns, duplicateNotifications: duplicates, ...consumer.extras() }),
      quotas: () => [{ name: 's3.put_requests_per_prefix', limit: `${pattern.putRequestsPerSecondPerPrefix} PUT/s per prefix`, enforcedBy: 'sluice' }, notifyPathQuotaRecord(pattern)],
    };
  },
};

/**
 * What consumes a bucket's notifications: through a queue (notify: sqs), messages the run's SQS
 * mapping reads; otherwise (notify: lambda, and eventbridge, whose rule's target is invoked
 * asynchronously) Lambda's asynchronous invoke, one per notification.
 */
function notifiedConsumer(context: SimulationContext<S3Pattern>) {
  const { pattern, fn, ledger } = context;
  if (pattern.notify.to === 'sqs') {
    const queued = sqsConsumer(context, pattern.notify, 'sluice-predicted-notifications');
    return {
      notify(eventId: number, notifications: number) {
        for (let copy = 0; copy < notifications; copy += 1) queued.queue.send(String(eventId), '');
      },
      start: () => void queued.mapping.start(),
      sample: (nowMs: number) => queued.sample(nowMs),
      isDrained: () => queued.isDrained(),
      stop: () => queued.mapping.stop(),
      pendingAtEnd: () => queued.queue.depth,
      extras: (): Record<string, unknown> => queued.extras(),
    };
  }
  const delivery = asyncDelivery(context);
  return {
    notify(eventId: number, notifications: number) {
      delivery.deliver(eventId, 1);
      if (notifications > 1) delivery.queue.enqueue({ id: eventId }, { id: eventId });
    },
    start: () => undefined,
    sample: (nowMs: number) => delivery.sample(nowMs),
    isDrained: () => delivery.queue.size === 0 && ledger.unfinished === 0 && fn.concurrency === 0,
    stop: () => delivery.queue.stop(),
    pendingAtEnd: () => delivery.queue.size,
    extras: (): Record<string, unknown> => ({ asyncInvoke: delivery.queue.stats() }),
  };
}

const apigateway: SimulatedSource<ApiGatewayPattern> = {
  simulate({ pattern, clock, fn, ledger, recorder }) {
    const gateway = new SimulatedGateway(clock, pattern);
    const statusCounts: Record<string, number> = {};
    const inFlight = new Set<Promise<void>>();
    const answered = (status: number) => {
      statusCounts[status] = (statusCounts[status] ?? 0) + 1;
    };
    const request = (event: SimulatedEvent) => {
      const sentAtMs = clock.nowMs();
      if (!gateway.admit()) {
        answered(429);
        recorder.count('sourceThrottles', sentAtMs);
        ledger.recordThrottled(event.id);
        ledger.recordSourceFailed(event.id);
        return;
      }
      ledger.recordAccepted(event.id);
      ledger.recordDelivered(event.id);
      recorder.count('accepted', sentAtMs);
      // The gateway's integration timeout.
      const timeout = deadlineTimer(clock, gateway.integrationTimeoutMs, () => 'timeout' as const);
      const integration = fn.invoke({ body: '' }, 'sync').then(
        () => 'ok' as const,
        (error: unknown) => ({ error }),
      );
      const answer: Promise<void> = Promise.race([integration, timeout.promise]).then((how) => {
        timeout.cancel();
        inFlight.delete(answer);
        if (how === 'timeout') {
          answered(504);
          ledger.recordFailed(event.id);
          return;
        }
        if (how !== 'ok') {
          // A throttled invoke behind the gateway answers 500, a failed one 502: the request's end either way.
          answered(how.error instanceof ConcurrencyThrottleError ? 500 : how.error instanceof FunctionError ? 502 : 500);
          ledger.recordFailed(event.id);
          return;
        }
        const nowMs = clock.nowMs();
        answered(200);
        const latencyMs = ledger.recordCompleted(event.id, nowMs);
        if (latencyMs !== undefined) {
          recorder.endToEndLatency(nowMs, latencyMs);
          recorder.clientObserved(latencyMs);
          recorder.count('completed', nowMs);
        }
      });
      inFlight.add(answer);
    };
    return {
      start() {},
      send(events) {
        const nowMs = clock.nowMs();
        for (const event of events) ledger.recordSent(event.id, nowMs);
        recorder.count('sent', nowMs, events.length);
        for (const event of events) request(event);
        return true;
      },
      sample() {},
      isDrained: () => inFlight.size === 0 && fn.concurrency === 0,
      async stop() {
        await Promise.allSettled([...inFlight]);
      },
      pendingAtEnd: () => inFlight.size,
      extras: () => ({ statusCounts }),
      quotas: () => [
        { name: 'apigateway.throttle', limit: `${pattern.throttleRatePerSecond} rps, burst ${pattern.throttleBurst}`, enforcedBy: 'sluice' },
        { name: 'apigateway.integration_timeout', limit: `${pattern.integrationTimeout / 1000} s`, enforcedBy: 'sluice' },
      ],
    };
  },
};

/** Every source's simulation, by source name: the compiler asks for a new source's entry. */
export const simulatedSources = {
  sqs,
  kinesis,
  eventbridge,
  s3,
  apigateway,
} as const satisfies Record<SourceName, SimulatedSource<never>>;
