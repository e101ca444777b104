import type { EventBridgeResources } from './eventbridge-resources.ts';
import {
  CreateEventBusCommand,
  DeleteEventBusCommand,
  DeleteRuleCommand,
  EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import type { Driver, PatternRunContext, PatternSession } from '../driver.ts';
import type { Target } from '../../targets/target.ts';
import type { QuotaRecord } from '../../analysis/run-result.ts';
import { eventBridgeDefaultEventSource, invocationQuotaRecord, invocationsPerSecondOf, type EventBridgePattern } from './schema.ts';
import { compileEventPattern, type EventPattern } from '../../core/event-pattern.ts';
import { sdkClientConfig } from '../../core/client-config.ts';
import { sluiceControl } from '../../localstack/embedded/sluice-control.ts';
import { awsDefaults } from '../../core/aws-defaults.ts';
import { AsyncLambdaTarget, asyncConsumerSide } from '../async-invoke/async-lambda-target.ts';
import { asyncInvokeSettingsOf } from '../async-invoke/async-invoke-schema.ts';
import type { OutgoingEvent } from '../../load/event-factory.ts';
import { sluiceEventSourceName } from './aws-stack.ts';

/** The PutEvents call size limit: the entries' sizes must total at most this (1 MiB since 2026; 256 KB before). */
const putEventsBytesMax = awsDefaults.eventBridgePutEventsEntriesBytesMax.value;
/** Error codes of a PutEvents entry (or call) worth retrying. */
const retryableCodes = new Set(['ThrottlingException', 'InternalFailure', 'InternalException', 'ServiceUnavailable', 'TimeoutError', 'RequestTimeout']);
const producerBackoffInitialMs = 50;
const producerBackoffMaxMs = 2_000;
const accountId = '000000000000';

/** Who enforces a quota on this target: sluice on its embedded target, nobody on LocalStack, AWS on AWS. */
export function enforcerOn(target: Target): QuotaRecord['enforcedBy'] {
  return target.info.kind === 'embedded' ? 'sluice' : target.info.kind === 'aws' ? 'target' : 'none';
}

/**
 * The `eventbridge` pattern: PutEvents into a custom bus whose rules (event patterns from
 * the scenario) target the function, invoked asynchronously through Lambda's async queue.
 *
 * With `existing.EventBusName` (a managed stack's bus, or the user's own) events go to that
 * bus, which the driver neither creates nor deletes. With a `remote` consumer the stack's
 * rules and Lambda target deliver them: sluice creates no rule, target or Invoke endpoint.
 * Each event's `detail` is sluice's envelope, which the stack's consumer reads back
 * (`detail.sluiceId`, `detail.sentAtMs`; targets/aws/consumer-code.ts).
 */
export const eventBridgeDriver: Driver<EventBridgePattern, EventBridgeResources> = {
  source: 'eventbridge',
  quotas(pattern, target) {
    const enforcedBy = enforcerOn(target);
    const burst = pattern.putEventsBurstRequests ?? pattern.putEventsRequestsPerSecond;
    return [
      { name: 'eventbridge.put_events_tps', limit: `${pattern.putEventsRequestsPerSecond} requests/s (bucket ${burst})`, enforcedBy },
      { name: 'eventbridge.put_events_call_size', limit: `10 entries and ${putEventsBytesMax / 1024} KiB per call`, enforcedBy },
      { name: 'lambda.async_invoke', limit: `${pattern.asyncInvoke.maximumRetryAttempts} retries, maximum event age ${pattern.asyncInvoke.maximumEventAge / 1000} s`, enforcedBy: 'sluice' },
      // The region's invocation quota (matched events handed to targets), or the pattern's raised one:
      // sluice's bus delays deliveries past it; on AWS, AWS applies the account's own.
      // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html
      invocationQuotaRecord(invocationsPerSecondOf(pattern, target.info.region), target.info.region, target.info.kind === 'aws' ? 'target' : target.info.kind === 'embedded' ? 'sluice' : 'none'),
    ];
  },
  provision: provisionEventBridge,
};

interface Rule {
  name: string;
  pattern: EventPattern;
  patternText: string;
}

async function provisionEventBridge(context: PatternRunContext<EventBridgePattern, EventBridgeResources>): Promise<PatternSession> {
  const { pattern, target, ledger, recorder, clock } = context;
  const settings = target.clientSettings;
  const client = new EventBridgeClient(sdkClientConfig(settings, { maxAttempts: 1 }));
  const remote = context.consumer === 'remote';
  const existingBusName = context.existing?.busName;
  const busName = existingBusName ?? `sluice-${context.runId}-${context.patternName}`.replace(/[^.\-_A-Za-z0-9]/g, '-').slice(0, 200);
  // A managed stack's default rule matches the pattern's eventSource (targets/aws/template.ts), as sluice's does.
  const eventSource = pattern.eventSource;
  const warnings: string[] = [];
  // The rules that decide delivery: sluice's own, or (remote) the stack's, built from the same pattern.
  const rules: Rule[] = (pattern.rules ?? [{ name: 'all-events', eventPattern: { source: [eventSource] } }]).map((rule, index) => {
    const text = typeof rule.eventPattern === 'string' ? rule.eventPattern : JSON.stringify(rule.eventPattern);
    return { name: `sluice-${rule.name ?? `rule-${index + 1}`}`, pattern: compileEventPattern(text), patternText: text };
  });

  const counters = { putEventsCalls: 0, entriesAccepted: 0, entriesMatchingNoRule: 0, sourceThrottledEntries: 0, unexpectedDeliveries: 0, oversizedEntries: 0 };
  const matchesByRule = new Map<string, number>(rules.map((rule) => [rule.name, 0]));
  const errorsByCode = new Map<string, number>();
  const unmatchedIds = new Set<number>();

  const created: Array<() => Promise<unknown>> = [];
  let asyncTarget: AsyncLambdaTarget | undefined;
  try {
    // sluice's own quota only where sluice's EventBridge serves the bus; AWS applies its own.
    if (!context.loadOnly && (!remote || target.info.kind === 'embedded')) {
      await sluiceControl(settings, 'events', 'PUT', '/_sluice/events/put-events-quota', {
        requestsPerSecond: pattern.putEventsRequestsPerSecond,
        burstRequests: pattern.putEventsBurstRequests ?? pattern.putEventsRequestsPerSecond,
      });
    }
    if (!context.loadOnly && target.info.kind === 'embedded') {
      await sluiceControl(settings, 'events', 'PUT', '/_sluice/events/invocation-quota', { region: settings.region, invocationsPerSecond: invocationsPerSecondOf(pattern, settings.region) });
    }
    if (!existingBusName) {
      await client.send(new CreateEventBusCommand({ Name: busName }));
      created.push(() => client.send(new DeleteEventBusCommand({ Name: busName })));
    }
    if (!remote && !context.loadOnly) asyncTarget = await provisionConsumer();
  } catch (error) {
    for (const undo of created.reverse()) await undo().catch(() => undefined);
    await asyncTarget?.teardown();
    client.destroy();
    throw error;
  }
  /** sluice's runtime as every rule's target; undefined when a remote consumer is wired by the stack. */
  const consumer = asyncTarget;
  const consumerSide = asyncConsumerSide({
    consumer,
    context,
    readServiceStats: async () => (await sluiceControl(settings, 'events', 'GET', '/_sluice/events/stats')) as Record<string, unknown> | undefined,
  });

  /** The function's Invoke endpoint, and the rules that target it (deleted at teardown; the bus only when sluice made it). */
  async function provisionConsumer(): Promise<AsyncLambdaTarget> {
    const asyncTarget = await AsyncLambdaTarget.create({
      context: context as PatternRunContext<unknown>,
      settings: asyncInvokeSettingsOf(pattern.asyncInvoke),
      idsOf(payload) {
        const id = (payload as { detail?: { sluiceId?: unknown } } | null)?.detail?.sluiceId;
        if (typeof id !== 'number') return [];
        if (unmatchedIds.has(id)) counters.unexpectedDeliveries += 1;
        return [id];
      },
    });
    try {
      for (const rule of rules) {
        await client.send(new PutRuleCommand({ Name: rule.name, EventBusName: busName, EventPattern: rule.patternText, State: 'ENABLED' }));
        created.push(() => client.send(new DeleteRuleCommand({ Name: rule.name, EventBusName: busName })));
        await client.send(new PutTargetsCommand({ Rule: rule.name, EventBusName: busName, Targets: [{ Id: 'sluice-consumer', Arn: asyncTarget.functionArn }] }));
        created.push(() => client.send(new RemoveTargetsCommand({ Rule: rule.name, EventBusName: busName, Ids: ['sluice-consumer'] })));
      }
    } catch (error) {
      await asyncTarget.teardown();
      throw error;
    }
    return asyncTarget;
  }

  /** Rules the event will match, judged here with the same matcher the service uses. */
  function matchingRules(event: OutgoingEvent, detail: Record<string, unknown>): Rule[] {
    const envelope = { version: '0', id: String(event.id), 'detail-type': pattern.detailType, source: eventSource, account: accountId, time: new Date(clock.nowMs()).toISOString(), region: settings.region, resources: [], detail };
    return rules.filter((rule) => rule.pattern.matches(envelope));
  }

  const countError = (code: string, amount: number) => errorsByCode.set(code, (errorsByCode.get(code) ?? 0) + amount);

  function accept(event: OutgoingEvent, matched: number): void {
    counters.entriesAccepted += 1;
    if (matched === 0) {
      // Accepted by EventBridge, but no rule will ever deliver it: finished by design.
      counters.entriesMatchingNoRule += 1;
      ledger.recordFiltered(event.id);
      recorder.count('accepted', clock.nowMs());
      return;
    }
    ledger.recordAccepted(event.id);
    recorder.count('accepted', clock.nowMs());
  }

  function refuse(event: OutgoingEvent, code: string): void {
    countError(code, 1);
    consumer?.forget(event.id);
    ledger.recordSourceFailed(event.id);
  }

  /** One PutEvents batch with the producer's retries: throttled calls and retryable entries go again with backoff. */
  async function putEvents(batch: Array<{ event: OutgoingEvent; entry: PutEventsRequestEntry; matched: number }>): Promise<void> {
    let pending = batch;
    let backoffMs = producerBackoffInitialMs;
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      const last = attempt >= pattern.producerMaxAttempts;
      let retry: typeof pending = [];
      try {
        counters.putEventsCalls += 1;
        const answer = await client.send(new PutEventsCommand({ Entries: pending.map((item) => item.entry) }));
        (answer.Entries ?? []).forEach((result, index) => {
          const item = pending[index];
          if (!item) return;
          if (!result.ErrorCode) {
            accept(item.event, item.matched);
            return;
          }
          if (result.ErrorCode === 'ThrottlingException') throttled([item]);
          if (retryableCodes.has(result.ErrorCode) && !last) retry.push(item);
          else refuse(item.event, result.ErrorCode);
        });
      } catch (error) {
        const code = (error as Error).name ?? 'Error';
        if (code === 'ThrottlingException') throttled(pending);
        const transient = retryableCodes.has(code) || (error as { $retryable?: unknown }).$retryable !== undefined || !(error as { $metadata?: unknown }).$metadata;
        if (transient && !last) retry = pending;
        else for (const item of pending) refuse(item.event, code);
      }
      pending = retry;
      if (pending.length > 0) {
        // Full jitter, as the SDK's own retry strategy does.
        await clock.sleep(Math.random() * backoffMs);
        backoffMs = Math.min(producerBackoffMaxMs, backoffMs * 2);
        recorder.count('sourceRetries', clock.nowMs(), pending.length);
      }
    }
  }

  function throttled(items: Array<{ event: OutgoingEvent }>): void {
    counters.sourceThrottledEntries += items.length;
    recorder.count('sourceThrottles', clock.nowMs(), items.length);
    for (const item of items) ledger.recordThrottled(item.event.id);
  }

  return {
    loadWorkerResources: () => ({ busName }),

    async sendArrival(events) {
      const nowMs = clock.nowMs();
      for (const event of events) ledger.recordSent(event.id, nowMs);
      recorder.count('sent', nowMs, events.length);
      const batches: Array<Array<{ event: OutgoingEvent; entry: PutEventsRequestEntry; matched: number }>> = [];
      let batch: (typeof batches)[number] = [];
      let batchBytes = 0;
      for (const event of events) {
        const detail = JSON.parse(event.body) as Record<string, unknown>;
        // Detail is sluice's envelope as it is: the consumer reads sluiceId and sentAtMs from it.
        const entry: PutEventsRequestEntry = { EventBusName: busName, Source: eventSource, DetailType: pattern.detailType, Detail: event.body };
        const sizeBytes = Buffer.byteLength(eventSource) + Buffer.byteLength(pattern.detailType) + Buffer.byteLength(event.body);
        if (sizeBytes > putEventsBytesMax) {
          counters.oversizedEntries += 1;
          refuse(event, 'EntryTooLarge');
          continue;
        }
        const matching = matchingRules(event, detail);
        for (const rule of matching) matchesByRule.set(rule.name, (matchesByRule.get(rule.name) ?? 0) + 1);
        if (matching.length === 0) unmatchedIds.add(event.id);
        // Set before sending: EventBridge may deliver before the PutEvents answer is read.
        consumer?.expectCopies(event.id, pattern.fanOut ? matching.length : 1);
        if (batch.length >= pattern.entriesPerCall || batchBytes + sizeBytes > putEventsBytesMax) {
          batches.push(batch);
          batch = [];
          batchBytes = 0;
        }
        batch.push({ event, entry, matched: matching.length });
        batchBytes += sizeBytes;
      }
      if (batch.length > 0) batches.push(batch);
      await Promise.all(batches.map(putEvents));
    },

    ...consumerSide,

    extras() {
      const { serviceStats, ...consumerExtras } = consumerSide.extras() as Record<string, unknown> & { serviceStats?: Record<string, unknown> };
      return {
        busName,
        // Who made the bus (sluice deletes only its own) and who consumed its events.
        busCreatedBy: existingBusName ? 'existing' : 'sluice',
        consumedBy: remote ? 'remote' : 'sluice',
        eventSource,
        ...(remote && context.existing?.ruleNames ? { stackRuleNames: [...context.existing.ruleNames] } : {}),
        rules: rules.map((rule) => ({ name: rule.name, eventPattern: rule.patternText, matchedEvents: matchesByRule.get(rule.name) ?? 0 })),
        fanOut: pattern.fanOut,
        ...counters,
        sendErrorsByCode: Object.fromEntries(errorsByCode),
        ...consumerExtras,
        ...(serviceStats
          ? {
              // Target-wide counters (every pattern of the run on this target), except deliveriesByRule.
              eventBridge: {
                putEventsCalls: serviceStats['putEventsCalls'],
                throttledCalls: serviceStats['throttledCalls'],
                entriesAccepted: serviceStats['entriesAccepted'],
                entriesFailed: serviceStats['entriesFailed'],
                entriesUnmatched: serviceStats['entriesUnmatched'],
                deliveries: serviceStats['deliveries'],
                // The region's invocation quota as sluice's bus held it: rate, invocations delayed, the longest wait.
                ...(serviceStats['invocationQuota'] ? { invocationQuota: (serviceStats['invocationQuota'] as Record<string, unknown>)[settings.region] } : {}),
                deliveriesByRule: Object.fromEntries(Object.entries((serviceStats['deliveriesByRule'] ?? {}) as Record<string, number>).filter(([arn]) => arn.includes(`/${busName}/`))),
              },
            }
          : {}),
        ...(warnings.length > 0 ? { warnings } : {}),
      };
    },

    async teardown() {
      for (const undo of created.reverse()) await undo().catch(() => undefined);
      created.length = 0;
      await consumer?.teardown();
      client.destroy();
    },
  };
}
