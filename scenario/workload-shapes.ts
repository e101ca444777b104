/**
 * Workload shapes beyond Artillery's phases: bursts over a base rate, a daily curve (hourly
 * rates or a diurnal profile, optionally compressed in time) and the replay of an arrival
 * trace from a CSV file. Each is one entry of `workload.phases`, so shapes and phases
 * follow each other in one list, and each compiles to the same arrival schedule
 * (load/arrival-schedule.ts) that `sluice run` drives and `sluice predict` reads.
 */
import { z } from 'zod';
import { durationMs } from '../core/duration.ts';

/** Arrivals a second a shape may ask for: far above one machine, for predictions at production scale. */
export const shapeArrivalRateMax = 1_000_000;
/** How far a shape may compress time: at most 3,600 (an hour of the curve in one second). */
export const timeCompressionMax = 3600;
/** Rows a replayed trace may hold. */
export const traceRowsMax = 10_000_000;

const shapeRate = z.number().min(0).max(shapeArrivalRateMax);

const burstSchema = z
  .object({
    /** When the (first) burst starts, from the phase's start. */
    at: durationMs({ maxMs: 24 * 3_600_000 }),
    /** How long each burst lasts. */
    duration: durationMs({ minMs: 1, maxMs: 24 * 3_600_000 }),
    /** The arrival rate during the burst (it replaces the base rate, it is not added to it). */
    arrivalRate: shapeRate,
    /** Repeat the burst this often, from `at`, until the phase ends. */
    every: durationMs({ minMs: 1, maxMs: 24 * 3_600_000 }).optional(),
  })
  .strict();

/**
 * A base rate with bursts. Where bursts overlap, the highest rate applies.
 *
 * @example { duration: 20s, arrivalRate: 20, bursts: [{ at: 5s, duration: 2s, arrivalRate: 200, every: 6s }] }
 */
export const burstPhaseSchema = z
  .object({
    name: z.string().optional(),
    duration: durationMs({ minMs: 1000, maxMs: 24 * 3_600_000 }),
    arrivalRate: shapeRate,
    bursts: z.array(burstSchema).min(1).max(100),
  })
  .strict()
  .superRefine((phase, ctx) => {
    phase.bursts.forEach((burst, index) => {
      if (burst.at + burst.duration > phase.duration) {
        ctx.addIssue({ code: 'custom', path: ['bursts', index, 'at'], message: `the burst (${burst.at / 1000} s + ${burst.duration / 1000} s) ends after the phase's ${phase.duration / 1000} s; start it earlier or shorten it` });
      }
      if (burst.every !== undefined && burst.every <= burst.duration) {
        ctx.addIssue({ code: 'custom', path: ['bursts', index, 'every'], message: `a burst repeated every ${burst.every / 1000} s must end before the next starts: make every longer than its duration (${burst.duration / 1000} s)` });
      }
    });
  });

const dailyCurveSchema = z
  .object({
    /** 24 rates (arrivals/s), one for each hour of the day from hour 0; each holds for its whole hour. */
    hourlyRates: z.array(shapeRate).length(24, 'give 24 hourly rates, one for each hour from 0 to 23').optional(),
    /** A diurnal profile: the day's mean rate (arrivals/s)… */
    meanRate: shapeRate.optional(),
    /** …or its peak rate. */
    peakRate: shapeRate.optional(),
    /** Peak ÷ mean, 1–2: the profile is a cosine from the trough (mean × (2 − peakFactor)) to the peak. */
    peakFactor: z.number().min(1).max(2).optional(),
    /** The hour of the day (0–24) at which the profile peaks. */
    peakHour: z.number().min(0).lt(24).optional(),
    /** The hour of the day the phase starts at. */
    startHour: z.number().min(0).lt(24).default(0),
    /** Hours of the curve the phase runs (up to a week). */
    hours: z.number().gt(0).max(168).default(24),
    /**
     * Run the curve this many times faster, at the rates as written: with 60 an hour of the
     * curve lasts a minute, so the day takes 24 minutes and sends 1/60 of its arrivals.
     */
    timeCompression: z.number().min(1).max(timeCompressionMax).default(1),
  })
  .strict()
  .superRefine((curve, ctx) => {
    const profile = curve.meanRate !== undefined || curve.peakRate !== undefined;
    if (curve.hourlyRates !== undefined && profile) {
      ctx.addIssue({ code: 'custom', path: [curve.meanRate !== undefined ? 'meanRate' : 'peakRate'], message: 'give either hourlyRates or a profile (meanRate or peakRate with peakFactor and peakHour), not both' });
      return;
    }
    if (curve.hourlyRates === undefined && !profile) {
      ctx.addIssue({ code: 'custom', path: [], message: 'a daily curve needs hourlyRates (24 rates), or meanRate or peakRate with peakFactor and peakHour' });
      return;
    }
    if (curve.hourlyRates !== undefined) {
      for (const key of ['peakFactor', 'peakHour'] as const) {
        if (curve[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `${key} shapes a profile (meanRate or peakRate); hourlyRates give every hour's rate already` });
      }
      return;
    }
    if (curve.meanRate !== undefined && curve.peakRate !== undefined) ctx.addIssue({ code: 'custom', path: ['peakRate'], message: 'give meanRate or peakRate, not both (peakRate = meanRate × peakFactor)' });
    if (curve.peakFactor === undefined) ctx.addIssue({ code: 'custom', path: ['peakFactor'], message: 'a profile needs peakFactor (peak ÷ mean, 1–2)' });
    if (curve.peakHour === undefined) ctx.addIssue({ code: 'custom', path: ['peakHour'], message: 'a profile needs peakHour (0–24)' });
    if ((curve.hours * 3_600_000) / curve.timeCompression < 1000) {
      ctx.addIssue({ code: 'custom', path: ['timeCompression'], message: `${curve.hours} h compressed ${curve.timeCompression}× lasts under a second; compress less` });
    }
  });

/**
 * A daily curve.
 *
 * @example { name: day, daily: { meanRate: 50, peakFactor: 1.8, peakHour: 14, timeCompression: 1440 } }
 */
export const dailyPhaseSchema = z.object({ name: z.string().optional(), daily: dailyCurveSchema }).strict();

/**
 * An arrival trace as read from its CSV file: row start offsets (ms from the trace's start)
 * and counts. Plain arrays, so a trace survives JSON and a structured clone to another
 * process or thread as it is.
 */
export interface ArrivalTrace {
  /** The file as resolved (relative to the scenario file). */
  readonly file: string;
  readonly offsetsMs: readonly number[];
  readonly counts: readonly number[];
  /** How long each row's arrivals are spread over, in trace time (ms). */
  readonly bucketMs: number;
}

const replaySchema = z
  .object({
    /** A CSV file, relative to the scenario file: a header `timestamp,count` or `offsetSeconds,count`, then one row per bucket. */
    file: z.string().min(1),
    /** How long each row's count is spread over; 0: all at the row's instant. Default: the smallest gap between rows. */
    bucket: durationMs({ maxMs: 3_600_000 }).optional(),
    /** Replay this many times faster at the trace's rates (each row's count ÷ timeCompression), as for a daily curve. */
    timeCompression: z.number().min(1).max(timeCompressionMax).default(1),
    /** Multiply every count by this (0.01 replays a production trace at 1 %). */
    countScale: z.number().gt(0).max(1000).default(1),
  })
  .strict();

/**
 * The replay of a recorded arrival trace. Its `trace` is read from the file by the scenario
 * loader (scenario/load.ts), which knows where the scenario file is.
 *
 * @example { name: monday, replay: { file: ./traces/monday.csv, countScale: 0.01 } }
 */
export const replayPhaseSchema = z
  .object({ name: z.string().optional(), replay: replaySchema })
  .strict()
  .transform((phase) => ({ ...phase, replay: { ...phase.replay, trace: undefined as ArrivalTrace | undefined } }));

export type BurstPhase = z.infer<typeof burstPhaseSchema>;
export type DailyPhase = z.infer<typeof dailyPhaseSchema>;
export type ReplayPhase = z.infer<typeof replayPhaseSchema>;
