import { awsDefaults } from '../../core/aws-defaults.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateEventBusCommand,
  DeleteEventBusCommand,
  DeleteRuleCommand,
  DescribeEventBusCommand,
  DescribeRuleCommand,
  DisableRuleCommand,
  EventBridgeClient,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { startEdge, type EdgeEndpoint } from '../../localstack/embedded/edge.ts';
import {
  EventBridgeServiceConfigError,
  putEventsEntrySizeBytes,
  startEventBridgeService,
  type EventBridgeDeliveryTarget,
  type EventBridgeEvent,
  type EventBridgeService,
  type EventBridgeServiceOptions,
} from '../../localstack/embedded/eventbridge/eventbridge-service.ts';

interface Delivery {
  target: EventBridgeDeliveryTarget;
  event: EventBridgeEvent;
}

interface Harness {
  edge: EdgeEndpoint;
  service: EventBridgeService;
  deliveries: Delivery[];
  client(maxAttempts?: number): EventBridgeClient;
}

const openClients: EventBridgeClient[] = [];

async function startHarness(options: Omit<EventBridgeServiceOptions, 'deliver'> = {}): Promise<Harness> {
  const deliveries: Delivery[] = [];
  const service = startEventBridgeService({ ...options, deliver: (target, event) => deliveries.push({ target, event }) });
  const edge = await startEdge([service]);
  return {
    edge,
    service,
    deliveries,
    client(maxAttempts = 1) {
      const client = new EventBridgeClient({
        endpoint: edge.url,
        region: 'us-east-1',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        maxAttempts,
        requestHandler: new NodeHttpHandler({ requestTimeout: 10_000, throwOnRequestTimeout: true }),
      });
      openClients.push(client);
      return client;
    },
  };
}

/** Polls a condition; never a fixed sleep. */
async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function rejection(promise: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number; attempts?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { $metadata?: { httpStatusCode?: number; attempts?: number } };
  }
  throw new Error('expected the call to fail');
}

function entry(busName: string, detail: Record<string, unknown>, overrides: Partial<PutEventsRequestEntry> = {}): PutEventsRequestEntry {
  return { EventBusName: busName, Source: 'sluice.orders', DetailType: 'OrderPlaced', Detail: JSON.stringify(detail), ...overrides };
}

afterAll(() => {
  for (const client of openClients) client.destroy();
});

describe('embedded EventBridge behind the edge endpoint', () => {
  let harness: Harness;
  let client: EventBridgeClient;
  const bus = 'orders-bus';
  const functionArn = 'arn:aws:lambda:us-east-1:000000000000:function:orders-consumer';
  const auditArn = 'arn:aws:lambda:us-east-1:000000000000:function:audit';

  beforeAll(async () => {
    harness = await startHarness();
    client = harness.client();
    await client.send(new CreateEventBusCommand({ Name: bus }));
    await client.send(
      new PutRuleCommand({
        Name: 'large-orders',
        EventBusName: bus,
        EventPattern: JSON.stringify({ source: ['sluice.orders'], detail: { amount: [{ numeric: ['>=', 100] }] } }),
      }),
    );
    await client.send(new PutTargetsCommand({ Rule: 'large-orders', EventBusName: bus, Targets: [{ Id: 'consumer', Arn: functionArn }] }));
    await client.send(
      new PutRuleCommand({
        Name: 'eu-orders',
        EventBusName: bus,
        EventPattern: JSON.stringify({ 'detail-type': ['OrderPlaced'], detail: { region: [{ prefix: 'eu-' }] } }),
      }),
    );
    await client.send(
      new PutTargetsCommand({ Rule: 'eu-orders', EventBusName: bus, Targets: [{ Id: 'audit', Arn: auditArn, InputPath: '$.detail' }] }),
    );
  });

  afterAll(async () => {
    await harness.edge.close();
  });

  it('creates a bus, describes it, and refuses to create it twice', async () => {
    const described = await client.send(new DescribeEventBusCommand({ Name: bus }));
    expect(described.Name).toBe(bus);
    expect(described.Arn).toBe(`arn:aws:events:us-east-1:000000000000:event-bus/${bus}`);
    expect(described.CreationTime).toBeInstanceOf(Date);

    const error = await rejection(client.send(new CreateEventBusCommand({ Name: bus })));
    expect(error.name).toBe('ResourceAlreadyExistsException');
    expect(error.$metadata?.httpStatusCode).toBe(400);

    const missing = await rejection(client.send(new DescribeEventBusCommand({ Name: 'no-such-bus' })));
    expect(missing.name).toBe('ResourceNotFoundException');
  });

  it('answers rules and targets as PutRule and PutTargets stored them', async () => {
    const rule = await client.send(new DescribeRuleCommand({ Name: 'large-orders', EventBusName: bus }));
    expect(rule.Arn).toBe(`arn:aws:events:us-east-1:000000000000:rule/${bus}/large-orders`);
    expect(rule.State).toBe('ENABLED');
    expect(JSON.parse(rule.EventPattern!)).toEqual({ source: ['sluice.orders'], detail: { amount: [{ numeric: ['>=', 100] }] } });

    const rules = await client.send(new ListRulesCommand({ EventBusName: bus }));
    expect(rules.Rules?.map((listed) => listed.Name)).toEqual(['eu-orders', 'large-orders']);

    const page = await client.send(new ListRulesCommand({ EventBusName: bus, Limit: 1 }));
    expect(page.Rules?.map((listed) => listed.Name)).toEqual(['eu-orders']);
    const nextPage = await client.send(new ListRulesCommand({ EventBusName: bus, Limit: 1, NextToken: page.NextToken }));
    expect(nextPage.Rules?.map((listed) => listed.Name)).toEqual(['large-orders']);
    expect(nextPage.NextToken).toBeUndefined();

    const targets = await client.send(new ListTargetsByRuleCommand({ Rule: 'eu-orders', EventBusName: bus }));
    expect(targets.Targets).toEqual([{ Id: 'audit', Arn: auditArn, InputPath: '$.detail' }]);
  });

  it('refuses an invalid event pattern with InvalidEventPatternException', async () => {
    const error = await rejection(
      client.send(new PutRuleCommand({ Name: 'broken', EventBusName: bus, EventPattern: JSON.stringify({ source: 'sluice.orders' }) })),
    );
    expect(error.name).toBe('InvalidEventPatternException');
    expect(error.message).toContain('"source" must be an object or an array');
    expect(error.$metadata?.httpStatusCode).toBe(400);
  });

  it('delivers a matching event to the target with the standard envelope', async () => {
    const before = harness.deliveries.length;
    const answer = await client.send(
      new PutEventsCommand({ Entries: [entry(bus, { orderId: 'o-1', amount: 250 }, { Resources: ['arn:aws:s3:::orders'], Time: new Date('2026-01-02T03:04:05.678Z') })] }),
    );
    expect(answer.FailedEntryCount).toBe(0);
    const eventId = answer.Entries?.[0]?.EventId;
    expect(eventId).toMatch(/^[0-9a-f-]{36}$/);

    await waitFor(() => harness.deliveries.length > before, 'the delivery');
    const delivery = harness.deliveries.find((candidate) => candidate.event.id === eventId)!;
    expect(delivery.target).toEqual({
      region: 'us-east-1',
      busName: bus,
      ruleName: 'large-orders',
      ruleArn: `arn:aws:events:us-east-1:000000000000:rule/${bus}/large-orders`,
      targetId: 'consumer',
      arn: functionArn,
    });
    expect(delivery.event).toEqual({
      version: '0',
      id: eventId,
      'detail-type': 'OrderPlaced',
      source: 'sluice.orders',
      account: '000000000000',
      time: '2026-01-02T03:04:05Z',
      region: 'us-east-1',
      resources: ['arn:aws:s3:::orders'],
      detail: { orderId: 'o-1', amount: 250 },
    });
  });

  it('never delivers an event that matches no rule', async () => {
    const answer = await client.send(
      new PutEventsCommand({
        Entries: [
          entry(bus, { orderId: 'small', amount: 5, region: 'us-east-1' }),
          entry(bus, { orderId: 'other-source', amount: 500 }, { Source: 'sluice.refunds' }),
        ],
      }),
    );
    expect(answer.FailedEntryCount).toBe(0);
    // A later matching event is the sentinel: deliveries are in order, so once it has
    // arrived, the earlier non-matching ones would have too.
    const sentinel = await client.send(new PutEventsCommand({ Entries: [entry(bus, { orderId: 'sentinel', amount: 100 })] }));
    const sentinelId = sentinel.Entries?.[0]?.EventId;
    await waitFor(() => harness.deliveries.some((delivery) => delivery.event.id === sentinelId), 'the sentinel delivery');
    const delivered = harness.deliveries.map((delivery) => delivery.event.detail['orderId']);
    expect(delivered).not.toContain('small');
    expect(delivered).not.toContain('other-source');
  });

  it('fans out to every rule whose pattern matches', async () => {
    const statsBefore = harness.service.stats();
    const answer = await client.send(new PutEventsCommand({ Entries: [entry(bus, { orderId: 'both', amount: 300, region: 'eu-west-1' })] }));
    const eventId = answer.Entries?.[0]?.EventId;
    await waitFor(() => harness.deliveries.filter((delivery) => delivery.event.id === eventId).length === 2, 'two deliveries');

    const deliveries = harness.deliveries.filter((delivery) => delivery.event.id === eventId);
    expect(deliveries.map((delivery) => delivery.target.ruleName).sort()).toEqual(['eu-orders', 'large-orders']);
    // The audit target has InputPath $.detail: it would receive only the detail.
    expect(deliveries.find((delivery) => delivery.target.ruleName === 'eu-orders')?.target.input).toEqual({ orderId: 'both', amount: 300, region: 'eu-west-1' });

    const stats = harness.service.stats();
    const largeArn = `arn:aws:events:us-east-1:000000000000:rule/${bus}/large-orders`;
    const euArn = `arn:aws:events:us-east-1:000000000000:rule/${bus}/eu-orders`;
    expect(stats.deliveriesByRule[largeArn]! - (statsBefore.deliveriesByRule[largeArn] ?? 0)).toBe(1);
    expect(stats.deliveriesByRule[euArn]! - (statsBefore.deliveriesByRule[euArn] ?? 0)).toBe(1);
    expect(stats.deliveries - statsBefore.deliveries).toBe(2);
  });

  it('answers per-entry errors without failing the call', async () => {
    const statsBefore = harness.service.stats();
    const answer = await client.send(
      new PutEventsCommand({
        Entries: [
          entry(bus, { amount: 1 }),
          { EventBusName: bus, Source: 'sluice.orders', DetailType: 'OrderPlaced' },
          entry(bus, {}, { Detail: '{not json' }),
          entry(bus, {}, { Source: 'aws.ec2' }),
        ],
      }),
    );
    expect(answer.FailedEntryCount).toBe(3);
    expect(answer.Entries?.[0]?.EventId).toBeDefined();
    expect(answer.Entries?.slice(1).map((result) => result.ErrorCode)).toEqual(['InvalidArgument', 'MalformedDetail', 'NotAuthorizedForSourceException']);
    expect(answer.Entries?.[1]?.ErrorMessage).toBe('Parameter Detail is not valid. Reason: Detail is a required argument.');
    const stats = harness.service.stats();
    expect(stats.entriesAccepted - statsBefore.entriesAccepted).toBe(1);
    expect(stats.entriesFailed - statsBefore.entriesFailed).toBe(3);
  });

  it('refuses more than 10 entries with ValidationException', async () => {
    const statsBefore = harness.service.stats();
    const entries = Array.from({ length: 11 }, (_, index) => entry(bus, { orderId: `batch-${index}`, amount: 1_000 }));
    const error = await rejection(client.send(new PutEventsCommand({ Entries: entries })));
    expect(error.name).toBe('ValidationException');
    expect(error.message).toContain('less than or equal to 10');
    expect(error.$metadata?.httpStatusCode).toBe(400);
    expect(harness.service.stats().invalidCalls - statsBefore.invalidCalls).toBe(1);
    expect(harness.deliveries.some((delivery) => String(delivery.event.detail['orderId']).startsWith('batch-'))).toBe(false);
  });

  it('refuses entries over 1 MiB in total (256 KB before 2026), counted as AWS documents', async () => {
    // Source (13 B) + DetailType (11 B) + Detail: exactly the limit is allowed, one byte more is not.
    const limitBytes = awsDefaults.eventBridgePutEventsEntriesBytesMax.value;
    const fixedBytes = 'sluice.orders'.length + 'OrderPlaced'.length + JSON.stringify({ pad: '' }).length;
    const atLimit = { pad: 'x'.repeat(limitBytes - fixedBytes) };
    const accepted = await client.send(new PutEventsCommand({ Entries: [entry(bus, atLimit)] }));
    expect(accepted.FailedEntryCount).toBe(0);

    const overLimit = { pad: 'x'.repeat(limitBytes - fixedBytes + 1) };
    const error = await rejection(client.send(new PutEventsCommand({ Entries: [entry(bus, overLimit)] })));
    expect(error.name).toBe('ValidationException');
    expect(error.message).toContain('Total size of the entries in the request is over the limit');
  });

  it('accepts events for a bus that does not exist and drops them, as AWS does', async () => {
    const statsBefore = harness.service.stats();
    const answer = await client.send(new PutEventsCommand({ Entries: [entry('no-such-bus', { amount: 1_000 })] }));
    expect(answer.FailedEntryCount).toBe(0);
    expect(answer.Entries?.[0]?.EventId).toBeDefined();
    expect(harness.service.stats().entriesDroppedNoBus - statsBefore.entriesDroppedNoBus).toBe(1);
  });

  it('delivers nothing to a disabled rule', async () => {
    await client.send(new PutRuleCommand({ Name: 'disabled', EventBusName: bus, EventPattern: JSON.stringify({ detail: { orderId: ['to-disabled'] } }) }));
    await client.send(new PutTargetsCommand({ Rule: 'disabled', EventBusName: bus, Targets: [{ Id: 'consumer', Arn: functionArn }] }));
    await client.send(new DisableRuleCommand({ Name: 'disabled', EventBusName: bus }));
    const answer = await client.send(new PutEventsCommand({ Entries: [entry(bus, { orderId: 'to-disabled', amount: 1 }), entry(bus, { orderId: 'after-disabled', amount: 100 })] }));
    const sentinelId = answer.Entries?.[1]?.EventId;
    await waitFor(() => harness.deliveries.some((delivery) => delivery.event.id === sentinelId), 'the sentinel delivery');
    expect(harness.deliveries.some((delivery) => delivery.target.ruleName === 'disabled')).toBe(false);
  });

  it('hands the target Input instead of the event when the target has one', async () => {
    await client.send(new PutRuleCommand({ Name: 'constant', EventBusName: bus, EventPattern: JSON.stringify({ detail: { orderId: ['with-input'] } }) }));
    await client.send(
      new PutTargetsCommand({ Rule: 'constant', EventBusName: bus, Targets: [{ Id: 'fixed', Arn: functionArn, Input: JSON.stringify({ fixed: true }) }] }),
    );
    const answer = await client.send(new PutEventsCommand({ Entries: [entry(bus, { orderId: 'with-input', amount: 1 })] }));
    const eventId = answer.Entries?.[0]?.EventId;
    await waitFor(() => harness.deliveries.some((delivery) => delivery.event.id === eventId), 'the delivery');
    expect(harness.deliveries.find((delivery) => delivery.event.id === eventId)?.target.input).toEqual({ fixed: true });
  });

  it('refuses InputTransformer targets in FailedEntries rather than deliver the wrong payload', async () => {
    const answer = await client.send(
      new PutTargetsCommand({
        Rule: 'constant',
        EventBusName: bus,
        Targets: [{ Id: 'transformed', Arn: functionArn, InputTransformer: { InputTemplate: '{"id": <id>}', InputPathsMap: { id: '$.id' } } }],
      }),
    );
    expect(answer.FailedEntryCount).toBe(1);
    expect(answer.FailedEntries?.[0]).toMatchObject({ TargetId: 'transformed', ErrorCode: 'ValidationException' });
  });

  it('tears down in AWS order: targets, then rules, then the bus', async () => {
    await client.send(new CreateEventBusCommand({ Name: 'teardown-bus' }));
    await client.send(new PutRuleCommand({ Name: 'r', EventBusName: 'teardown-bus', EventPattern: JSON.stringify({ source: ['x'] }) }));
    await client.send(new PutTargetsCommand({ Rule: 'r', EventBusName: 'teardown-bus', Targets: [{ Id: 't', Arn: functionArn }] }));

    const busWithRules = await rejection(client.send(new DeleteEventBusCommand({ Name: 'teardown-bus' })));
    expect(busWithRules.message).toBe("EventBus can't be deleted since it has rules.");
    const ruleWithTargets = await rejection(client.send(new DeleteRuleCommand({ Name: 'r', EventBusName: 'teardown-bus' })));
    expect(ruleWithTargets.message).toBe("Rule can't be deleted since it has targets.");

    await client.send(new RemoveTargetsCommand({ Rule: 'r', EventBusName: 'teardown-bus', Ids: ['t'] }));
    await client.send(new DeleteRuleCommand({ Name: 'r', EventBusName: 'teardown-bus' }));
    await client.send(new DeleteEventBusCommand({ Name: 'teardown-bus' }));
    const gone = await rejection(client.send(new DescribeEventBusCommand({ Name: 'teardown-bus' })));
    expect(gone.name).toBe('ResourceNotFoundException');
  });
});

describe('embedded EventBridge options', () => {
  it('reports every unusable option at once, with a stable code', () => {
    try {
      startEventBridgeService({ deliver: () => {}, putEventsQuota: { requestsPerSecond: 0, unit: 'entry', burstRequests: 5 }, accountId: 'abc' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(EventBridgeServiceConfigError);
      const configError = error as EventBridgeServiceConfigError;
      expect(configError.code).toBe('INVALID_EVENTBRIDGE_CONFIG');
      expect(configError.problems).toHaveLength(3);
    }
  });

  it('sizes an entry as AWS documents: 14 bytes for Time plus the UTF-8 bytes of the strings', () => {
    expect(putEventsEntrySizeBytes({ Source: 'orders', DetailType: 'created', Detail: '{"id":1}' })).toBe(21);
    expect(putEventsEntrySizeBytes({ Time: 1_700_000_000, Source: 'é', DetailType: 'x', Detail: '{}', Resources: ['arn:a', 'arn:b'] })).toBe(14 + 2 + 1 + 2 + 10);
  });
});

describe('embedded EventBridge delivery callback', () => {
  it('counts a throwing deliver and still delivers to the other targets', async () => {
    const received: string[] = [];
    const errors: unknown[] = [];
    const service = startEventBridgeService({
      deliver: (target) => {
        if (target.targetId === 'broken') throw new Error('queue full');
        received.push(target.targetId);
      },
      onDeliveryError: (error) => errors.push(error),
    });
    const edge = await startEdge([service]);
    const client = new EventBridgeClient({
      endpoint: edge.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
      requestHandler: new NodeHttpHandler({ requestTimeout: 10_000, throwOnRequestTimeout: true }),
    });
    try {
      await client.send(new PutRuleCommand({ Name: 'all', EventPattern: JSON.stringify({ source: ['sluice.orders'] }) }));
      await client.send(
        new PutTargetsCommand({
          Rule: 'all',
          Targets: [
            { Id: 'broken', Arn: 'arn:aws:lambda:us-east-1:000000000000:function:a' },
            { Id: 'working', Arn: 'arn:aws:lambda:us-east-1:000000000000:function:b' },
          ],
        }),
      );
      const answer = await client.send(new PutEventsCommand({ Entries: [entry('default', { id: 1 })] }));
      expect(answer.FailedEntryCount).toBe(0);
      await waitFor(() => received.length === 1 && errors.length === 1, 'both delivery attempts');
      expect(received).toEqual(['working']);
      expect(service.stats()).toMatchObject({ deliveries: 2, deliveryErrors: 1 });
    } finally {
      client.destroy();
      await edge.close();
    }
  });
});

describe('embedded EventBridge PutEvents TPS quota', () => {
  let harness: Harness;
  let nowMs = 1_000_000;

  beforeAll(async () => {
    harness = await startHarness({ putEventsQuota: { requestsPerSecond: 5 }, clock: { nowMs: () => nowMs } });
  });

  afterAll(async () => {
    await harness.edge.close();
  });

  it('throttles the 6th call within a second with ThrottlingException (HTTP 400)', async () => {
    const client = harness.client();
    for (let call = 1; call <= 5; call++) {
      const answer = await client.send(new PutEventsCommand({ Entries: [entry('default', { call })] }));
      expect(answer.FailedEntryCount).toBe(0);
    }
    const error = await rejection(client.send(new PutEventsCommand({ Entries: [entry('default', { call: 6 })] })));
    expect(error.name).toBe('ThrottlingException');
    expect(error.message).toBe('Rate exceeded');
    expect(error.$metadata?.httpStatusCode).toBe(400);
    expect(harness.service.stats().throttledCalls).toBe(1);
    expect(harness.service.stats().putEventsCalls).toBe(5);

    // A second later the bucket has refilled.
    nowMs += 1_000;
    const answer = await client.send(new PutEventsCommand({ Entries: [entry('default', { call: 7 })] }));
    expect(answer.FailedEntryCount).toBe(0);
  });

  it('lets the SDK retry a throttled call as it would against AWS', async () => {
    // Drain the bucket; the clock stands still, so every retry is throttled again.
    nowMs += 1_000;
    const client = harness.client();
    for (let call = 1; call <= 5; call++) await client.send(new PutEventsCommand({ Entries: [entry('default', { call })] }));
    const throttledBefore = harness.service.stats().throttledCalls;

    const error = await rejection(harness.client(3).send(new PutEventsCommand({ Entries: [entry('default', { call: 'retried' })] })));
    expect(error.name).toBe('ThrottlingException');
    expect(error.$metadata?.attempts).toBe(3);
    expect(harness.service.stats().throttledCalls - throttledBefore).toBe(3);
  });

  it('records the quota it applies', () => {
    expect(harness.service.quotas()).toEqual([
      expect.objectContaining({ name: 'eventbridge.put_events_tps', requestsPerSecond: 5, burstRequests: 5, scope: 'region', enforced: true, enforcedBy: 'sluice-edge' }),
    ]);
  });

  it('keeps one bucket per bus when the scope is "bus"', async () => {
    const perBus = await startHarness({ putEventsQuota: { requestsPerSecond: 1, scope: 'bus' }, clock: { nowMs: () => 0 } });
    try {
      const client = perBus.client();
      await client.send(new CreateEventBusCommand({ Name: 'second' }));
      await client.send(new PutEventsCommand({ Entries: [entry('default', { call: 1 })] }));
      await client.send(new PutEventsCommand({ Entries: [entry('second', { call: 1 })] }));
      const error = await rejection(client.send(new PutEventsCommand({ Entries: [entry('second', { call: 2 })] })));
      expect(error.name).toBe('ThrottlingException');
    } finally {
      await perBus.edge.close();
    }
  });

  it('charges each entry when the unit is "entry"', async () => {
    const perEntry = await startHarness({ putEventsQuota: { requestsPerSecond: 10, unit: 'entry' }, clock: { nowMs: () => 0 } });
    try {
      const client = perEntry.client();
      await client.send(new PutEventsCommand({ Entries: Array.from({ length: 8 }, (_, index) => entry('default', { index })) }));
      await client.send(new PutEventsCommand({ Entries: [entry('default', { index: 8 }), entry('default', { index: 9 })] }));
      const error = await rejection(client.send(new PutEventsCommand({ Entries: [entry('default', { index: 10 })] })));
      expect(error.name).toBe('ThrottlingException');
    } finally {
      await perEntry.edge.close();
    }
  });

  it('only counts calls over the quota when enforce is false', async () => {
    const open = await startHarness({ putEventsQuota: { requestsPerSecond: 1, enforce: false }, clock: { nowMs: () => 0 } });
    try {
      const client = open.client();
      for (let call = 1; call <= 3; call++) {
        const answer = await client.send(new PutEventsCommand({ Entries: [entry('default', { call })] }));
        expect(answer.FailedEntryCount).toBe(0);
      }
      expect(open.service.stats()).toMatchObject({ throttledCalls: 0, quotaExceededUnenforcedCalls: 2, putEventsCalls: 3 });
    } finally {
      await open.edge.close();
    }
  });
});

describe('embedded EventBridge events from AWS services (S3)', () => {
  it("puts an aws.s3 event on the default bus: matched by its rules, no PutEvents quota charged, though PutEvents refuses the aws. source", async () => {
    const nowMs = 5_000_000;
    const harness = await startHarness({ putEventsQuota: { requestsPerSecond: 1 }, clock: { nowMs: () => nowMs } });
    try {
      const client = harness.client();
      await client.send(new PutRuleCommand({ Name: 'uploads', EventPattern: JSON.stringify({ source: ['aws.s3'], 'detail-type': ['Object Created'], detail: { object: { key: [{ prefix: 'in/' }] } } }) }));
      await client.send(new PutTargetsCommand({ Rule: 'uploads', Targets: [{ Id: 'fn', Arn: 'arn:aws:lambda:us-east-1:000000000000:function:fn' }] }));
      for (const key of ['in/a.json', 'out/b.json', 'in/c.json']) {
        harness.service.putServiceEvent({ region: 'us-east-1', source: 'aws.s3', detailType: 'Object Created', resources: ['arn:aws:s3:::b'], timeMs: Date.parse('2026-12-01T10:00:00Z'), detail: { bucket: { name: 'b' }, object: { key } } });
      }
      expect(harness.deliveries.map((delivery) => (delivery.event.detail as { object: { key: string } }).object.key)).toEqual(['in/a.json', 'in/c.json']);
      expect(harness.deliveries[0]!.event).toMatchObject({ version: '0', source: 'aws.s3', 'detail-type': 'Object Created', account: '000000000000', time: '2026-12-01T10:00:00Z', region: 'us-east-1', resources: ['arn:aws:s3:::b'] });
      expect(harness.service.stats()).toMatchObject({ serviceEvents: 3, entriesUnmatched: 1, throttledCalls: 0 });
      // The one call the quota allows this second is still there, and PutEvents may not claim aws.s3.
      const answer = await client.send(new PutEventsCommand({ Entries: [{ Source: 'aws.s3', DetailType: 'Object Created', Detail: '{}' }] }));
      expect(answer.Entries?.[0]?.ErrorCode).toBe('NotAuthorizedForSourceException');
    } finally {
      await harness.edge.close();
    }
  });
});
