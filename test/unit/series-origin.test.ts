import { describe, expect, it } from 'vitest';
import { MetricsRecorder } from '../../run/metrics-recorder.ts';

describe('metrics recorder: second 0 of the series is the load’s start', () => {
  it('places what was recorded before the load started at negative seconds, and counts from the load’s start on', () => {
    // Created at 10 s (before provisioning); the load starts at 15.2 s.
    const recorder = new MetricsRecorder();
    recorder.count('coldStarts', 14_000);
    recorder.gauge('concurrency', 14_500, 1);
    expect(recorder.latest(14_900)).toBeUndefined();
    recorder.startLoadAt(15_200);
    recorder.count('sent', 15_210, 5);
    recorder.count('sent', 16_300, 7);
    recorder.endToEndLatency(16_400, 80);
    recorder.count('completed', 16_400);

    expect(recorder.originMs).toBe(15_200);
    const series = recorder.series();
    expect(series.map((p) => [p.tSec, p.sent, p.completed, p.coldStarts, p.concurrency])).toEqual([
      [-2, 0, 0, 1, 0],
      [-1, 0, 0, 0, 1],
      [0, 5, 0, 0, 0],
      [1, 7, 1, 0, 0],
    ]);
    expect(series.find((p) => p.tSec === 1)?.endToEndMsP50).toBe(80);
    // Whole-run histograms do not wait for the origin.
    expect(recorder.endToEnd.totalCount).toBe(1);
  });

  it('leaves no seconds for provisioning: a series whose load started late still opens with the load', () => {
    const recorder = new MetricsRecorder();
    recorder.startLoadAt(60_000);
    recorder.count('sent', 60_001);
    expect(recorder.series().map((p) => p.tSec)).toEqual([0]);
  });

  it('keeps the first origin only, and an origin given at construction', () => {
    const recorder = new MetricsRecorder(1_000);
    recorder.startLoadAt(5_000);
    recorder.count('sent', 2_500);
    expect(recorder.series().map((p) => [p.tSec, p.sent])).toEqual([
      [0, 0],
      [1, 1],
    ]);
  });

  it('starts at its first record when the load never started (provisioning failed, Ctrl-C)', () => {
    const recorder = new MetricsRecorder();
    recorder.gauge('concurrency', 7_400, 2);
    recorder.count('failedInvocations', 9_000);
    const series = recorder.series();
    expect(recorder.originMs).toBe(7_400);
    expect(series.map((p) => [p.tSec, p.concurrency, p.failedInvocations])).toEqual([
      [0, 2, 0],
      [1, 0, 1],
    ]);
  });
});
