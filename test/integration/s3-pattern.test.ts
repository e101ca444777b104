import { describe, expect, it } from 'vitest';
import { runSinglePattern, extrasOf } from '../support/run-inline.ts';

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
