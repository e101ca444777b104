import type { Phase } from '../scenario/parts.ts';
import { ArrivalSchedule, dailyDurationMs, traceDurationMs } from './arrival-schedule.ts';

const schedules = new WeakMap<readonly Phase[], ArrivalSchedule>();

/**
 * The arrival schedule of a list of phases, built once per list: a daily curve is 86,400
 * steps and a trace may be millions of rows, so the schema check, the run and the
 * generator's meter share one.
 */
export function arrivalScheduleOf(phases: readonly Phase[]): ArrivalSchedule {
  let schedule = schedules.get(phases);
  if (!schedule) {
    schedule = new ArrivalSchedule(phases);
    schedules.set(phases, schedule);
  }
  return schedule;
}

/**
 * Arrivals the phases ask for. A ramp follows Artillery's definition: one step a second,
 * from arrivalRate in the first second to rampTo in the last; shapes count as their
 * schedule does (load/arrival-schedule.ts).
 */
export function requestedArrivals(phases: readonly Phase[]): number {
  return arrivalScheduleOf(phases).totalArrivals;
}

export function phasesDurationMs(phases: readonly Phase[]): number {
  return phases.reduce((sum, phase) => sum + phaseDurationMs(phase), 0);
}

/** How long one phase lasts on the load's clock (a compressed day lasts its compressed length). */
export function phaseDurationMs(phase: Phase): number {
  if ('pause' in phase) return phase.pause;
  if ('daily' in phase) return dailyDurationMs(phase);
  if ('replay' in phase) return traceDurationMs(phase);
  if ('bursts' in phase) return phase.duration;
  return Math.round(phase.duration / 1000) * 1000;
}

/** The arrival rate a phase asks for `offsetMs` into it (for the progress line). */
export function phaseAt(phases: readonly Phase[], elapsedMs: number): { index: number; phase: Phase } | undefined {
  let startMs = 0;
  for (const [index, phase] of phases.entries()) {
    const lengthMs = phaseDurationMs(phase);
    if (elapsedMs < startMs + lengthMs) return { index, phase };
    startMs += lengthMs;
  }
  return undefined;
}

/** What a phase asks for, in a few words: `50/s`, `20→200/s`, `pause`, `daily curve 60× faster`. */
export function phaseRateLabel(phase: Phase): string {
  if ('pause' in phase) return 'pause';
  if ('daily' in phase) return `daily curve${phase.daily.timeCompression > 1 ? ` ${phase.daily.timeCompression}× faster` : ''}`;
  if ('replay' in phase) return `replay${phase.replay.timeCompression > 1 ? ` ${phase.replay.timeCompression}× faster` : ''}`;
  if ('bursts' in phase) return `${phase.arrivalRate}/s with bursts`;
  return phase.rampTo !== undefined ? `${phase.arrivalRate}→${phase.rampTo}/s` : `${phase.arrivalRate}/s`;
}
