import type { Phase } from '../scenario/parts.ts';

/**
 * Arrivals the phases ask for. A ramp follows Artillery's definition: one step a second,
 * from arrivalRate in the first second to rampTo in the last.
 */
export function requestedArrivals(phases: Phase[]): number {
  let total = 0;
  for (const phase of phases) {
    if ('pause' in phase) continue;
    const durationSec = Math.round(phase.duration / 1000);
    if (phase.rampTo === undefined || durationSec <= 1) {
      total += phase.rampTo === undefined ? phase.arrivalRate * durationSec : ((phase.arrivalRate + phase.rampTo) / 2) * durationSec;
      continue;
    }
    for (let second = 0; second < durationSec; second += 1) {
      total += Math.floor(phase.arrivalRate + ((phase.rampTo - phase.arrivalRate) / (durationSec - 1)) * second);
    }
  }
  return total;
}

export function phasesDurationMs(phases: Phase[]): number {
  return phases.reduce((sum, phase) => sum + ('pause' in phase ? phase.pause : Math.round(phase.duration / 1000) * 1000), 0);
}

/** The arrival rate a phase asks for `offsetMs` into it (for the progress line). */
export function phaseAt(phases: Phase[], elapsedMs: number): { index: number; phase: Phase } | undefined {
  let startMs = 0;
  for (const [index, phase] of phases.entries()) {
    const lengthMs = 'pause' in phase ? phase.pause : Math.round(phase.duration / 1000) * 1000;
    if (elapsedMs < startMs + lengthMs) return { index, phase };
    startMs += lengthMs;
  }
  return undefined;
}
