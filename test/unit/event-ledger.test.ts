import { describe, expect, it } from 'vitest';
import { EventLedger } from '../../run/event-ledger.ts';
import { MetricsRecorder } from '../../run/metrics-recorder.ts';
import { summarize } from '../../analysis/summarize.ts';

describe('event ledger', () => {
  it('accounts every event once, counts duplicates and leaves nothing unexplained', () => {
    const ledger = new EventLedger(10);
    for (let id = 0; id < 5; id += 1) ledger.recordSent(id, 1000 + id);
    [0, 1, 2, 3].forEach((id) => ledger.recordAccepted(id));
    ledger.recordThrottled(4);
    ledger.recordSourceFailed(4);
    ledger.recordDelivered(0);
    ledger.recordDelivered(0);
    ledger.recordDelivered(1);
    expect(ledger.recordCompleted(0, 1500)).toBe(500);
    expect(ledger.recordCompleted(0, 1600)).toBeUndefined();
    ledger.recordDeadLettered(1);
    ledger.recordDelivered(99);
    const accounting = ledger.accounting(1);
    expect(accounting).toEqual({
      sent: 5,
      accepted: 4,
      filtered: 0,
      sourceThrottled: 1,
      sourceFailed: 1,
      delivered: 2,
      duplicateDeliveries: 1,
      completed: 1,
      failed: 0,
      deadLettered: 1,
      pendingAtEnd: 1,
      lost: 1,
    });
    expect(ledger.foreignDeliveries).toBe(1);
  });

  it('counts events no rule routes to the consumer as accepted and finished, not lost', () => {
    const ledger = new EventLedger(4);
    for (let id = 0; id < 3; id += 1) ledger.recordSent(id, 0);
    ledger.recordAccepted(0);
    ledger.recordFiltered(1);
    ledger.recordFiltered(2);
    ledger.recordCompleted(0, 10);
    expect(ledger.accounting(0)).toMatchObject({ accepted: 3, filtered: 2, completed: 1, lost: 0 });
  });

  it('finds the oldest unfinished event as events finish out of order', () => {
    const ledger = new EventLedger(10);
    for (let id = 0; id < 4; id += 1) {
      ledger.recordSent(id, id * 100);
      ledger.recordAccepted(id);
    }
    expect(ledger.oldestUnfinishedSentAtMs()).toBe(0);
    ledger.recordCompleted(1, 500);
    expect(ledger.oldestUnfinishedSentAtMs()).toBe(0);
    ledger.recordCompleted(0, 500);
    expect(ledger.oldestUnfinishedSentAtMs()).toBe(200);
    ledger.recordCompleted(2, 500);
    ledger.recordCompleted(3, 500);
    expect(ledger.oldestUnfinishedSentAtMs()).toBeUndefined();
  });
});

describe('metrics recorder and summary', () => {
  it('keeps per-second counters, gauge maxima and latency percentiles', () => {
    const recorder = new MetricsRecorder(10_000);
    recorder.count('sent', 10_100, 10);
    recorder.count('completed', 10_900, 4);
    recorder.count('completed', 11_200, 6);
    recorder.gauge('queueDepth', 10_500, 7);
    recorder.gauge('queueDepth', 10_600, 3);
    for (let i = 1; i <= 100; i += 1) recorder.endToEndLatency(10_500, i);
    const series = recorder.series();
    expect(series).toHaveLength(2);
    expect(series[0]).toMatchObject({ tSec: 0, sent: 10, completed: 4, queueDepth: 7, endToEndMsP50: 50, endToEndMsP99: 99 });
    expect(series[1]).toMatchObject({ tSec: 1, completed: 6 });
    const summary = summarize({
      series,
      accounting: { sent: 10, accepted: 10, sourceThrottled: 0, sourceFailed: 0, delivered: 10, duplicateDeliveries: 0, completed: 10, failed: 0, deadLettered: 0, pendingAtEnd: 0, lost: 0 },
      invocations: 2,
      invocationErrors: 0,
      loadDurationMs: 1000,
    });
    expect(summary.throughputInPerSecond).toBe(10);
    expect(summary.throughputOutPerSecond).toBe(5);
    expect(summary.queueDepthMax).toBe(7);
  });
});
