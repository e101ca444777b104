import { describe, expect, it } from 'vitest';
import { runSinglePattern, extrasOf } from '../support/run-inline.ts';

describe('eventbridge pattern (embedded target)', () => {
  it('never delivers events no rule matches, and delivers one copy per matching rule with fan-out', async () => {
    const pattern = await runSinglePattern(`
name: eventbridge-filtering
workload:
  phases: [{ duration: 3, arrivalRate: 40 }]
  payloadTemplate: { region: '{{ key }}' }
  keys: { count: 4 }
function:
  handler: { duration: 10ms }
  initDuration: 50ms
drainTimeout: 20s
patterns:
  - source: eventbridge
    eventSource: shop.orders
    fanOut: true
    rules:
      - name: eu
        eventPattern: { source: [shop.orders], detail: { region: [key-0, key-1] } }
      - name: key-1-audit
        eventPattern: { detail: { region: [key-1] } }
`);
    const extras = extrasOf(pattern);
    const [eu, audit] = extras.rules as Array<{ matchedEvents: number }>;
    console.info(`eventbridge filtering: ${extras.entriesAccepted} entries accepted by PutEvents, ${extras.entriesMatchingNoRule} matched no rule (service: ${extras.eventBridge.entriesUnmatched} unmatched), ${pattern.accounting.delivered} delivered, ${extras.fanOutCopies} fan-out copies, ${extras.unexpectedDeliveries} unexpected deliveries`);
    // key-2 and key-3 events match no rule: accepted by PutEvents, never delivered.
    expect(extras.entriesAccepted).toBe(120);
    expect(extras.entriesMatchingNoRule).toBeGreaterThan(20);
    expect(extras.eventBridge.entriesUnmatched).toBe(extras.entriesMatchingNoRule);
    expect(extras.unexpectedDeliveries).toBe(0);
    expect(pattern.accounting.accepted).toBe(120);
    expect(pattern.accounting.filtered).toBe(extras.entriesMatchingNoRule);
    expect(pattern.accounting.delivered).toBe(eu!.matchedEvents);
    // key-1 events match both rules: two invokes each, the second a fan-out copy, not a duplicate.
    expect(extras.fanOutCopies).toBe(audit!.matchedEvents);
    expect(extras.eventBridge.deliveries).toBe(eu!.matchedEvents + audit!.matchedEvents);
    expect(pattern.summary.invocations).toBe(eu!.matchedEvents + audit!.matchedEvents);
    expect(pattern.accounting.duplicateDeliveries).toBe(0);
    expect(pattern.accounting.completed).toBe(pattern.accounting.accepted - pattern.accounting.filtered!);
    expect(pattern.accounting.lost).toBe(0);
  });

  // EventBridge's invocation quota, lowered so a local run crosses it: past it invocations are
  // delayed, not dropped. https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html
  it('delays invocations past the invocation quota and still delivers every event', async () => {
    const pattern = await runSinglePattern(`
name: eventbridge-invocation-quota
workload:
  phases: [{ duration: 2, arrivalRate: 40 }]
function:
  handler: { duration: 10ms }
  initDuration: 50ms
drainTimeout: 20s
patterns:
  - source: eventbridge
    invocationsPerSecond: 20
`);
    const extras = extrasOf(pattern);
    const quota = extras.eventBridge.invocationQuota as { invocationsPerSecond: number; delayedInvocations: number; maxDelayMs: number };
    console.info(`eventbridge invocation quota 20/s, 40/s sent for 2 s: ${quota.delayedInvocations} invocations delayed, longest ${quota.maxDelayMs} ms; p99 end-to-end ${pattern.latency.endToEndMs.p99} ms`);
    expect(quota.invocationsPerSecond).toBe(20);
    // 80 events at 40/s against a bucket of 20 refilled at 20/s: from the first second on every
    // event waits (about 40), and the last goes out about 1 s after it was sent (at 3 s, not 2).
    expect(quota.delayedInvocations).toBeGreaterThanOrEqual(30);
    expect(quota.maxDelayMs).toBeGreaterThan(700);
    expect(quota.maxDelayMs).toBeLessThan(2000);
    expect(pattern.latency.endToEndMs.max).toBeGreaterThan(700);
    expect(pattern.quotas).toContainEqual(expect.objectContaining({ name: 'eventbridge.invocations_per_second', enforcedBy: 'sluice' }));
    expect(pattern.accounting).toMatchObject({ sent: 80, completed: 80, lost: 0 });
  });

  it('counts the copy of a second matching rule as a duplicate delivery when fan-out is not intended', async () => {
    const pattern = await runSinglePattern(`
name: eventbridge-overlap
workload:
  phases: [{ duration: 2, arrivalRate: 20 }]
function:
  handler: { duration: 10ms }
  initDuration: 50ms
drainTimeout: 20s
patterns:
  - source: eventbridge
    rules:
      - name: all
        eventPattern: { source: [sluice.loadtest] }
      - name: also-all
        eventPattern: { detail-type: [sluice.event] }
`);
    expect(pattern.accounting).toMatchObject({ sent: 40, accepted: 40, delivered: 40, duplicateDeliveries: 40, completed: 40, lost: 0 });
    expect(pattern.summary.invocations).toBe(80);
    expect(extrasOf(pattern).fanOutCopies).toBe(0);
  });

  it('queues events beyond the function’s concurrency: async event age grows, and every event is delivered once the load stops', async () => {
    const pattern = await runSinglePattern(`
name: eventbridge-backlog
workload:
  phases: [{ duration: 3, arrivalRate: 100 }]
function:
  handler: { duration: 100ms }
  initDuration: 100ms
  reservedConcurrency: 2
drainTimeout: 40s
patterns:
  - source: eventbridge
`);
    const ages = pattern.series.map((point) => point.asyncEventAgeMsMax ?? 0);
    const peakAt = ages.indexOf(Math.max(...ages));
    // 300 events, 20 a second served: the oldest waiting event ages for most of the run.
    expect(Math.max(...ages)).toBeGreaterThan(8_000);
    // A second the sampler missed reads 0 (its point carries no age): growth is read over the sampled seconds.
    const sampled = ages.filter((age) => age > 0);
    expect(sampled[1]!).toBeLessThan(sampled[3]!);
    expect(sampled[3]!).toBeLessThan(sampled[6]!);
    expect(peakAt).toBeGreaterThan(6);
    expect(pattern.summary.peakConcurrency).toBe(2);
    expect(pattern.accounting).toMatchObject({ sent: 300, accepted: 300, delivered: 300, completed: 300, deadLettered: 0, pendingAtEnd: 0, lost: 0 });
    expect(pattern.extras?.drained).toBe(true);
    console.info(`eventbridge backlog: async event age per second ${ages.join(', ')} ms; e2e p50 ${pattern.latency.endToEndMs.p50} ms, max ${pattern.latency.endToEndMs.max} ms`);
  });

  it('counts PutEvents calls refused beyond the TPS quota as source throttles, and the producer retries them', async () => {
    const pattern = await runSinglePattern(`
name: eventbridge-put-events-quota
workload:
  phases: [{ duration: 2, arrivalRate: 50 }]
function:
  handler: { duration: 10ms }
  initDuration: 50ms
drainTimeout: 20s
patterns:
  - source: eventbridge
    putEventsRequestsPerSecond: 20
    putEventsBurstRequests: 10
    producerMaxAttempts: 10
`);
    const extras = extrasOf(pattern);
    const accounting = pattern.accounting;
    console.info(`eventbridge quota: ${extras.putEventsCalls} PutEvents calls, ${extras.eventBridge.throttledCalls} throttled; accepted ${accounting.accepted}/${accounting.sent}, source-failed ${accounting.sourceFailed}`);
    // 100 calls against 10 + 20/s: most are refused at least once.
    expect(extras.eventBridge.throttledCalls).toBeGreaterThan(30);
    expect(pattern.summary.sourceThrottles).toBe(extras.eventBridge.throttledCalls);
    expect(accounting.sourceThrottled).toBeGreaterThan(30);
    // Retries get most of them in; whatever never got in is source-failed, none is lost.
    expect(accounting.accepted).toBeGreaterThan(50);
    expect(accounting.accepted + accounting.sourceFailed).toBe(100);
    expect(accounting.completed).toBe(accounting.accepted);
    expect(accounting.lost).toBe(0);
  });

  it('sends every event to the on-failure destination after the configured attempts when the function always fails', async () => {
    const pattern = await runSinglePattern(`
name: eventbridge-failures
workload:
  phases: [{ duration: 2, arrivalRate: 20 }]
function:
  handler: { duration: 20ms, errorRate: 1 }
  initDuration: 50ms
drainTimeout: 20s
patterns:
  - source: eventbridge
    asyncInvoke:
      maximumRetryAttempts: 2
      errorRetryDelays: [200ms, 400ms]
`);
    const extras = extrasOf(pattern);
    console.info(`eventbridge failures: ${pattern.summary.invocations} invocations for ${pattern.accounting.accepted} events, ${pattern.accounting.deadLettered} dead-lettered, ${extras.onFailureQueueDepth} records in the on-failure queue`);
    expect(pattern.accounting).toMatchObject({ sent: 40, accepted: 40, completed: 0, deadLettered: 40, pendingAtEnd: 0, lost: 0 });
    // Three attempts each: the first, then the two retries.
    expect(pattern.summary.invocations).toBe(120);
    expect(pattern.summary.invocationErrors).toBe(120);
    expect(extras.asyncInvoke).toMatchObject({ functionErrors: 120, retriesExhausted: 40, eventAgeExceeded: 0 });
    expect(pattern.accounting.duplicateDeliveries).toBe(80);
    expect(extras.onFailureQueueDepth).toBe(40);
  });
});
