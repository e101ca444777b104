import { describe, expect, it } from 'vitest';
import { runInline, runSinglePattern, extrasOf } from '../support/run-inline.ts';
import type { PatternResult } from '../../analysis/run-result.ts';

describe('s3 pattern (embedded target)', () => {
  it('completes every object put, and counts duplicate notifications instead of hiding them', async () => {
    const pattern = await runSinglePattern(`
name: s3-every-object
workload:
  phases: [{ duration: 3, arrivalRate: 20 }]
  eventSizeBytes: 1024
function:
  handler: { duration: 20ms }
  initDuration: 50ms
drainTimeout: 20s
patterns:
  - source: s3
    duplicateNotificationRate: 0.25
`);
    const extras = extrasOf(pattern);
    expect(extras.objectsPut).toBe(60);
    expect(extras.s3.notificationsSent).toBe(60);
    expect(pattern.accounting).toMatchObject({ sent: 60, accepted: 60, delivered: 60, completed: 60, pendingAtEnd: 0, lost: 0 });
    // The seeded duplicates show up as duplicate deliveries and as invocations.
    expect(extras.duplicatesInjected).toBeGreaterThan(5);
    expect(pattern.accounting.duplicateDeliveries).toBe(extras.duplicatesInjected);
    expect(pattern.summary.invocations).toBe(60 + extras.duplicatesInjected);
    console.info(`s3: 60 objects → ${pattern.accounting.completed} completions, ${pattern.accounting.duplicateDeliveries} duplicate deliveries, ${pattern.summary.invocations} invocations`);
  });

  it('never invokes for objects outside the notification’s prefix and suffix', async () => {
    const pattern = await runSinglePattern(`
name: s3-filters
workload:
  phases: [{ duration: 3, arrivalRate: 20 }]
function:
  handler: { duration: 10ms }
  initDuration: 50ms
drainTimeout: 20s
patterns:
  - source: s3
    keyTemplate: '{{ prefix }}{{ seq }}{{ suffix }}'
    prefixes: [incoming/, archive/]
    suffixes: [.json, .csv]
    notification: { prefix: incoming/, suffix: .json }
`);
    const extras = extrasOf(pattern);
    console.info(`s3 filters: ${extras.objectsPut} objects put, ${extras.s3.objectEventsNotMatched} object events outside the filter, ${pattern.summary.invocations} invocations, ${extras.unexpectedDeliveries} unexpected deliveries`);
    // Prefixes cycle fastest, then suffixes: one object in four is incoming/….json.
    expect(extras.objectsPut).toBe(60);
    expect(extras.objectsOutsideFilter).toBe(45);
    expect(extras.s3.objectEvents).toBe(60);
    expect(extras.s3.objectEventsNotMatched).toBe(45);
    expect(extras.unexpectedDeliveries).toBe(0);
    expect(pattern.summary.invocations).toBe(15);
    expect(pattern.accounting).toMatchObject({ sent: 60, accepted: 60, filtered: 45, delivered: 15, completed: 15, duplicateDeliveries: 0, lost: 0 });
  });
});

describe('s3 pattern through a queue and through EventBridge (embedded target)', () => {
  it('S3 → SQS → Lambda in batches (the test event included) and S3 → EventBridge → Lambda through a rule: the objects in the filter complete, none lost', async () => {
    const result = await runInline(`
name: s3-paths
workload:
  phases: [{ duration: 2, arrivalRate: 20 }]
function:
  handler: { duration: 5ms }
  initDuration: 50ms
drainTimeout: 15s
patterns:
  - source: s3
    name: via-queue
    suffixes: [.json, .csv]
    notification: { suffix: .json }
    notify: { to: sqs, batchSize: 5, maximumBatchingWindow: 500ms }
  - source: s3
    name: via-bus
    prefixes: [incoming/, archive/]
    notification: { prefix: incoming/ }
    notify: eventbridge
`);
    expect(result.status).toBe('completed');
    const [viaQueue, viaBus] = result.patterns as [PatternResult, PatternResult];
    const queue = extrasOf(viaQueue);
    console.info(`s3 → sqs: ${queue.objectsPut} objects, ${queue.s3.queueMessagesSent} queue messages, ${viaQueue.summary.invocations} invocations, p99 ${Math.round(viaQueue.latency.endToEndMs.p99)} ms`);
    expect(queue.path).toBe('s3 → sqs → lambda');
    expect(viaQueue.accounting).toMatchObject({ sent: 40, accepted: 40, filtered: 20, completed: 20, duplicateDeliveries: 0, pendingAtEnd: 0, lost: 0 });
    expect(queue.s3).toMatchObject({ queueMessagesSent: 20, testEventsSent: 1, queueMessagesDropped: 0, objectEventsNotMatched: 20 });
    expect(queue.testEventsReceived).toBe(1);
    // Batches of up to 5: fewer invocations than messages (20 events and the test event).
    expect(queue.polling.messagesReceived).toBe(21);
    expect(viaQueue.summary.invocations).toBeLessThan(21);

    const bus = extrasOf(viaBus);
    console.info(`s3 → eventbridge: ${bus.objectsPut} objects, ${bus.s3.eventBridgeEvents} bus events, ${viaBus.summary.invocations} invocations, p99 ${Math.round(viaBus.latency.endToEndMs.p99)} ms`);
    expect(bus.path).toBe('s3 → eventbridge → lambda');
    // Every object goes to the bus; the rule matches the incoming/ half.
    expect(bus.s3).toMatchObject({ eventBridgeEvents: 40, eventBridgeEventsUndeliverable: 0 });
    expect(bus.rule.eventPattern).toMatchObject({ source: ['aws.s3'], detail: { object: { key: [{ prefix: 'incoming/' }] } } });
    expect(viaBus.accounting).toMatchObject({ sent: 40, accepted: 40, filtered: 20, delivered: 20, completed: 20, duplicateDeliveries: 0, pendingAtEnd: 0, lost: 0 });
    expect(bus.unexpectedDeliveries).toBe(0);
    expect(viaBus.summary.invocations).toBe(20);
  });
});
