import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../scenario/load.ts';
import { phaseAt, phasesDurationMs, requestedArrivals } from '../../load/phases.ts';
import { runLoad } from '../../load/load-generator.ts';

const phasesOf = (yaml: string) => parseScenario(`name: p\nworkload:\n  phases: ${yaml}\npatterns: [{ source: sqs }]\n`, 'p.yaml').workload.phases;

describe('load phases', () => {
  it('counts the arrivals the phases ask for: constant rates, one-second ramp steps (Artillery’s definition), pauses', () => {
    expect(requestedArrivals(phasesOf('[{ duration: 10, arrivalRate: 20 }]'))).toBe(200);
    // Artillery ramps in one-second steps from arrivalRate to rampTo: 10, 20, …, 50.
    expect(requestedArrivals(phasesOf('[{ duration: 5, arrivalRate: 10, rampTo: 50 }]'))).toBe(150);
    expect(requestedArrivals(phasesOf('[{ pause: 5 }, { duration: 2, arrivalRate: 3 }]'))).toBe(6);
    expect(phasesDurationMs(phasesOf('[{ pause: 5 }, { duration: 2, arrivalRate: 3 }]'))).toBe(7000);
  });

  it('tells which phase runs at a moment', () => {
    const phases = phasesOf('[{ name: warm, duration: 2, arrivalRate: 1 }, { name: hot, duration: 2, arrivalRate: 9 }]');
    expect(phaseAt(phases, 500)?.phase.name).toBe('warm');
    expect(phaseAt(phases, 2500)?.phase.name).toBe('hot');
    expect(phaseAt(phases, 4500)).toBeUndefined();
  });

  it('drives the phases on their schedule, reporting what it achieved', async () => {
    const arrivals: number[] = [];
    const outcome = await runLoad({
      phases: phasesOf('[{ duration: 2, arrivalRate: 25 }]'),
      signal: new AbortController().signal,
      maxArrivals: 1000,
      onArrival: async (index) => {
        arrivals.push(index);
      },
    });
    expect(outcome).toMatchObject({ requestedArrivals: 50, achievedArrivals: 50, arrivalRateDeviation: 0, arrivalErrors: 0, stopped: false });
    expect(arrivals).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(outcome.achievedDurationMs).toBeGreaterThan(1500);
  });

  it('never exceeds its bound on arrivals, whatever the phases ask', async () => {
    let count = 0;
    const outcome = await runLoad({
      phases: phasesOf('[{ duration: 1, arrivalRate: 40 }]'),
      signal: new AbortController().signal,
      maxArrivals: 10,
      onArrival: async () => {
        count += 1;
      },
    });
    expect(count).toBe(10);
    expect(outcome.achievedArrivals).toBe(10);
  });
});
