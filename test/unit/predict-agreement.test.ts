import { describe, expect, it } from 'vitest';
import { agreementOf, formatAgreement } from '../../predict/agreement.ts';
import { makePattern, percentiles } from '../fixtures/run-results/helpers.ts';

describe('predict vs run agreement', () => {
  const predicted = makePattern({ summary: { throughputOutPerSecond: 90, peakConcurrency: 10, asyncEventAgeMsMax: 0 } as never, latency: { endToEndMs: percentiles({ p99: 200 }) } });
  const measured = makePattern({ summary: { throughputOutPerSecond: 100, peakConcurrency: 10, asyncEventAgeMsMax: 1 } as never, latency: { endToEndMs: percentiles({ p99: 250 }) } });

  it('gives each figure its gap as a share of the larger value', () => {
    const rows = Object.fromEntries(agreementOf(predicted, measured).map((row) => [row.figure, row]));
    expect(rows.throughputOut!.gap).toBeCloseTo(0.1);
    expect(rows.p99EndToEndMs!.gap).toBeCloseTo(0.2);
    expect(rows.peakConcurrency!.gap).toBe(0);
  });

  it('counts latencies and ages a few milliseconds apart as agreeing (0 against 1 ms is no 100 % gap)', () => {
    const rows = Object.fromEntries(agreementOf(predicted, measured).map((row) => [row.figure, row]));
    expect(rows.maxAgeMs!.predicted).toBe(0);
    expect(rows.maxAgeMs!.measured).toBe(1);
    expect(rows.maxAgeMs!.gap).toBeCloseTo(1 / 20);
    expect(formatAgreement('p', agreementOf(predicted, measured))).toMatch(/p maxAgeMs: predicted 0 vs measured 1 \(5\.0 %\)$/m);
  });

  it('names the rule behind a figure that parts by more than the tolerance', () => {
    const text = formatAgreement('p', agreementOf(predicted, measured));
    expect(text).toMatch(/p99EndToEndMs: predicted 200 vs measured 250 \(20\.0 %\) — differs: the handler duration/);
    expect(text).not.toMatch(/throughputOut.*differs/);
  });
});
