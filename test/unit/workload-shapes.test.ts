import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArrivalSchedule } from '../../load/arrival-schedule.ts';
import { parseArrivalTrace } from '../../load/arrival-trace.ts';
import { phasesDurationMs, requestedArrivals } from '../../load/phases.ts';
import { parseScenario } from '../../scenario/load.ts';
import { ScenarioError } from '../../scenario/errors.ts';

const hourMs = 3_600_000;
const scenarioWith = (phasesYaml: string, extra = '') => `name: shapes\nworkload:\n  phases:\n${phasesYaml}${extra}\npatterns: [{ source: sqs }]\n`;
const phasesOf = (phasesYaml: string, file = 'shapes.yaml', options = {}) => parseScenario(scenarioWith(phasesYaml), file, undefined, options).workload.phases;
const problemsOf = (text: string, file = 'shapes.yaml') => {
  try {
    parseScenario(text, file);
  } catch (error) {
    if (error instanceof ScenarioError) return error.problems.map((p) => `${p.file}:${p.line}:${p.column} ${p.keyPath}: ${p.message}`);
    throw error;
  }
  return [];
};

/** Every due time is inside the schedule, in order, and agrees with dueBy. */
function expectConsistent(schedule: ArrivalSchedule, sample = 2000) {
  const step = Math.max(1, Math.floor(schedule.totalArrivals / sample));
  let previous = 0;
  for (let index = 0; index < schedule.totalArrivals; index += step) {
    const due = schedule.dueAtMs(index);
    expect(due).toBeGreaterThanOrEqual(previous - 1e-6);
    expect(due).toBeLessThanOrEqual(schedule.durationMs + 1e-6);
    expect(schedule.dueBy(due)).toBeGreaterThanOrEqual(index + 1);
    previous = due;
  }
}

describe('bursts', () => {
  const phases = phasesOf('    - { name: spiky, duration: 20, arrivalRate: 20, bursts: [{ at: 5s, duration: 2s, arrivalRate: 200, every: 6s }] }');
  const schedule = new ArrivalSchedule(phases);

  it('holds the base rate between bursts and the burst rate during each, repeated every N', () => {
    const perSecond = Array.from(schedule.arrivalsPerInterval(1000));
    const burstSeconds = new Set([5, 6, 11, 12, 17, 18]);
    expect(perSecond).toEqual(perSecond.map((_, second) => (burstSeconds.has(second) ? 200 : 20)));
    expect(schedule.totalArrivals).toBe(14 * 20 + 6 * 200);
    expect(requestedArrivals(phases)).toBe(1480);
    expect(schedule.peakArrivalsPerSecond()).toBe(200);
    expect(schedule.arrivalsBetween(5000, 7000)).toBe(400);
    expect(schedule.rateAt(5500)).toBe(200);
    expect(schedule.rateAt(7500)).toBe(20);
    expectConsistent(schedule);
  });

  it('applies the highest rate where bursts overlap', () => {
    const overlapping = new ArrivalSchedule(phasesOf('    - { duration: 10, arrivalRate: 10, bursts: [{ at: 2, duration: 4, arrivalRate: 100 }, { at: 3, duration: 1, arrivalRate: 500 }] }'));
    expect(Array.from(overlapping.arrivalsPerInterval(1000))).toEqual([10, 10, 100, 500, 100, 100, 10, 10, 10, 10]);
  });

  it('refuses a burst past the phase and a repeat shorter than the burst, at their keys', () => {
    expect(problemsOf(scenarioWith('    - duration: 10\n      arrivalRate: 10\n      bursts:\n        - { at: 9, duration: 2, arrivalRate: 50, every: 1 }'))).toEqual([
      expect.stringMatching(/^shapes\.yaml:7:\d+ workload\.phases\[0\]\.bursts\[0\]\.at: the burst \(9 s \+ 2 s\) ends after the phase's 10 s/),
      expect.stringMatching(/^shapes\.yaml:7:\d+ workload\.phases\[0\]\.bursts\[0\]\.every: a burst repeated every 1 s must end before the next starts/),
    ]);
  });
});

describe('daily curve', () => {
  const rates = Array.from({ length: 24 }, (_, hour) => (hour + 1) * 10);

  it('holds each hourly rate for its hour, compressed to one second an hour', () => {
    const schedule = new ArrivalSchedule(phasesOf(`    - daily: { hourlyRates: [${rates.join(', ')}], timeCompression: 3600 }`));
    expect(schedule.durationMs).toBe(24_000);
    expect(Array.from(schedule.arrivalsPerInterval(1000))).toEqual(rates);
    expect(schedule.peakArrivalsPerSecond()).toBe(240);
    expectConsistent(schedule);
  });

  it('keeps the rates as written when compressed: each hour sends rate × hour length', () => {
    const schedule = new ArrivalSchedule(phasesOf(`    - daily: { hourlyRates: [${rates.join(', ')}], timeCompression: 60, startHour: 22, hours: 4 }`));
    expect(schedule.durationMs).toBe(4 * 60_000);
    // Hours 22, 23, 0, 1 of the day, a minute each.
    expect(Array.from(schedule.arrivalsPerInterval(60_000))).toEqual([230 * 60, 240 * 60, 10 * 60, 20 * 60]);
  });

  it('peaks at the peak hour at mean × peakFactor and sends mean × 24 h in a day, exactly', () => {
    const schedule = new ArrivalSchedule(phasesOf('    - daily: { meanRate: 1000, peakFactor: 1.8, peakHour: 14 }', 'day.yaml', { enforceEventCap: false }));
    expect(schedule.durationMs).toBe(24 * hourMs);
    // Over a whole day the cosine integrates to 0: only the floor of the last step is lost.
    expect(schedule.totalArrivals).toBeGreaterThanOrEqual(86_400_000 - 1);
    expect(schedule.totalArrivals).toBeLessThanOrEqual(86_400_000);
    expect(schedule.rateAt(14 * hourMs)).toBeCloseTo(1800, -1);
    expect(schedule.rateAt(2 * hourMs)).toBeCloseTo(200, -1);
    const perHour = Array.from(schedule.arrivalsPerInterval(hourMs));
    const busiest = perHour.indexOf(Math.max(...perHour));
    expect([13, 14]).toContain(busiest);
    expect(perHour.reduce((a, b) => a + b, 0)).toBe(schedule.totalArrivals);
    expect(Math.max(...schedule.arrivalsPerInterval(1000))).toBeLessThanOrEqual(1801);
    expectConsistent(schedule);
  });

  it('takes a peak rate instead of a mean, and compresses a day into a minute', () => {
    const schedule = new ArrivalSchedule(phasesOf('    - daily: { peakRate: 300, peakFactor: 1.5, peakHour: 12, timeCompression: 1440 }'));
    expect(schedule.durationMs).toBe(60_000);
    expect(schedule.totalArrivals).toBeGreaterThanOrEqual(200 * 60 - 1);
    expect(schedule.totalArrivals).toBeLessThanOrEqual(200 * 60);
    const perSecond = Array.from(schedule.arrivalsPerInterval(1000));
    expect(perSecond.indexOf(Math.max(...perSecond))).toBeGreaterThanOrEqual(29);
    expect(perSecond.indexOf(Math.max(...perSecond))).toBeLessThanOrEqual(30);
  });

  it('answers a billion arrivals a day in aggregate, without enumerating them', () => {
    const started = performance.now();
    const phases = phasesOf(`    - daily: { meanRate: ${1e9 / 86_400}, peakFactor: 2, peakHour: 13 }`, 'day.yaml', { enforceEventCap: false });
    const schedule = new ArrivalSchedule(phases);
    const perMinute = schedule.arrivalsPerInterval(60_000);
    const builtMs = performance.now() - started;
    expect(Math.abs(schedule.totalArrivals - 1e9)).toBeLessThanOrEqual(1);
    expect(perMinute.length).toBe(1440);
    expect(perMinute.reduce((a, b) => a + b, 0)).toBe(schedule.totalArrivals);
    expect(schedule.dueAtMs(schedule.totalArrivals - 1)).toBeLessThanOrEqual(24 * hourMs);
    // One piece per second of the day, but for the seconds around the trough (rate 0 at peakFactor 2) that send nothing.
    expect([...schedule.pieces()].length).toBeGreaterThan(86_000);
    expect([...schedule.pieces()].length).toBeLessThanOrEqual(86_400);
    expect(builtMs).toBeLessThan(5000);
  });

  it('refuses a billion events for a run (the 5,000,000 cap), and says which keys a profile needs', () => {
    expect(problemsOf(scenarioWith(`    - daily: { meanRate: ${1e9 / 86_400}, peakFactor: 2, peakHour: 13 }`))).toEqual([expect.stringContaining('workload.phases: the phases ask for 1.00e9 events per pattern')]);
    expect(problemsOf(scenarioWith('    - daily: { meanRate: 10 }'))).toEqual([
      expect.stringContaining('workload.phases[0].daily.peakFactor: a profile needs peakFactor'),
      expect.stringContaining('workload.phases[0].daily.peakHour: a profile needs peakHour'),
    ]);
    expect(problemsOf(scenarioWith('    - daily: { hourlyRates: [1, 2, 3] }'))).toEqual([expect.stringContaining('workload.phases[0].daily.hourlyRates: give 24 hourly rates')]);
    expect(problemsOf(scenarioWith('    - daily: { meanRate: 10, peakFactor: 3, peakHour: 30 }'))).toEqual([
      expect.stringContaining('workload.phases[0].daily.peakFactor:'),
      expect.stringContaining('workload.phases[0].daily.peakHour:'),
    ]);
  });
});

describe('trace replay', () => {
  it('reads offsets or timestamps, and spreads each row over the smallest gap by default', () => {
    const offsets = parseArrivalTrace('# recorded Monday\noffsetSeconds,count\n0,120\n1,135\n\n3,10\n', 't.csv');
    expect(offsets.problems).toEqual([]);
    expect(offsets.trace!.offsetsMs).toEqual([0, 1000, 3000]);
    expect(offsets.trace!.bucketMs).toBe(1000);
    const stamps = parseArrivalTrace('timestamp,count\n2026-03-02T08:00:00Z,60\n2026-03-02T08:01:00Z,120\n', 't.csv');
    expect(stamps.trace!.offsetsMs).toEqual([0, 60_000]);
    expect(stamps.trace!.bucketMs).toBe(60_000);
  });

  it('names the line and column of every bad value', () => {
    const read = parseArrivalTrace('offsetSeconds,count\n0,10\n1,many\nsoon,3\n2,1\n1.5,2\n', 't.csv');
    expect(read.problems).toEqual([
      { line: 3, column: 3, message: 'count "many" is not a number ≥ 0' },
      { line: 4, column: 1, message: 'offsetSeconds "soon" is not a number of seconds ≥ 0' },
      { line: 6, column: 1, message: expect.stringContaining("comes before the previous row's (2 s, line 5)") },
    ]);
    expect(parseArrivalTrace('when,how many\n', 't.csv').problems[0]).toMatchObject({ line: 1, message: expect.stringContaining('names a time column') });
    expect(parseArrivalTrace('timestamp,count\n2026-03-02T08:00:00,5\n', 't.csv').problems[0]).toMatchObject({ line: 2, message: expect.stringContaining('with a time zone') });
  });

  it('replays each row exactly, scaled and compressed, from a file relative to the scenario', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-trace-'));
    await writeFile(join(dir, 'day.csv'), 'offsetSeconds,count\n0,100\n1,300\n2,0\n3,50\n');
    const scenarioFile = join(dir, 's.yaml');
    const asRecorded = new ArrivalSchedule(phasesOf('    - { pause: 1 }\n    - replay: { file: ./day.csv }', scenarioFile));
    expect(asRecorded.durationMs).toBe(5000);
    expect(Array.from(asRecorded.arrivalsPerInterval(1000))).toEqual([0, 100, 300, 0, 50]);
    expectConsistent(asRecorded);
    const scaled = phasesOf('    - replay: { file: day.csv, countScale: 0.5, timeCompression: 2 }', scenarioFile);
    expect(phasesDurationMs(scaled)).toBe(2000);
    // Half the counts, at the same rate, in half the time: 100 × 0.5 / 2 = 25 in the first half second.
    expect(Array.from(new ArrivalSchedule(scaled).arrivalsPerInterval(500))).toEqual([25, 75, 0, 12]);
    const instants = new ArrivalSchedule(phasesOf('    - replay: { file: day.csv, bucket: 0 }', scenarioFile));
    expect(instants.dueAtMs(0)).toBe(0);
    expect(instants.dueAtMs(100)).toBe(1000);
    expect(instants.dueBy(999)).toBe(100);
  });

  it('reports a trace problem at the CSV file and line, and a missing file at the scenario key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-trace-'));
    await writeFile(join(dir, 'bad.csv'), 'offsetSeconds,count\n0,1\n1,-4\n');
    expect(problemsOf(scenarioWith('    - replay: { file: bad.csv }'), join(dir, 's.yaml'))).toEqual([`${join(dir, 'bad.csv')}:3:3 workload.phases[0].replay.file: count "-4" is not a number ≥ 0`]);
    expect(problemsOf(scenarioWith('    - replay: { file: gone.csv }'), join(dir, 's.yaml'))).toEqual([
      expect.stringMatching(new RegExp(`^${join(dir, 's.yaml').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4:\\d+ workload\\.phases\\[0\\]\\.replay\\.file: cannot read the trace`)),
    ]);
  });
});
