import type { ArrivalTrace } from '../scenario/workload-shapes.ts';
import { traceRowsMax } from '../scenario/workload-shapes.ts';

/** One problem in a trace file, by line and column (1-based). */
export interface TraceProblem {
  line: number;
  column: number;
  message: string;
}

/** Problems a trace file may list before the rest are left out: one bad column repeats on every row. */
const problemsMax = 20;

/**
 * Reads an arrival trace: a CSV file whose header names a time column — `timestamp` (ISO
 * 8601 with a time zone, e.g. `2026-03-02T08:00:00Z`, or Unix seconds) or `offsetSeconds`
 * (seconds from the trace's start) — and a `count` column (arrivals in that row's bucket).
 * Rows go forward in time; blank lines and lines starting with `#` are skipped. Timestamps are
 * taken from the first row, so the trace starts at 0; offsets are kept as written.
 *
 * Each row's count is spread evenly over its bucket: `bucketMs` when given (0: all at the
 * row's instant), else the smallest gap between two rows, so a per-second and a per-minute
 * trace both replay as recorded. Rows closer together than the bucket are a problem, as is
 * every malformed value.
 *
 * @example
 * parseArrivalTrace('offsetSeconds,count\n0,120\n1,135\n', 'day.csv') // { trace: { offsetsMs: [0, 1000], counts: [120, 135], bucketMs: 1000 } }
 */
export function parseArrivalTrace(text: string, file: string, bucketMs?: number): { trace?: ArrivalTrace; problems: TraceProblem[] } {
  const problems: TraceProblem[] = [];
  const offsets: number[] = [];
  const counts: number[] = [];
  const rowLines: number[] = [];
  let timeColumn = -1;
  let countColumn = -1;
  let timeKind: 'timestamp' | 'offset' | undefined;
  let headerSeen = false;
  let firstTimestampMs: number | undefined;
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length && problems.length < problemsMax; index += 1) {
    const raw = lines[index];
    const line = index + 1;
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) continue;
    const cells = raw.split(',').map((cell) => cell.trim());
    if (!headerSeen) {
      headerSeen = true;
      const names = cells.map((cell) => cell.toLowerCase());
      timeColumn = names.findIndex((name) => name === 'timestamp' || name === 'offsetseconds' || name === 'offset');
      countColumn = names.indexOf('count');
      if (timeColumn < 0 || countColumn < 0) {
        problems.push({ line, column: 1, message: `the first line is the header and names a time column (timestamp or offsetSeconds) and a count column, e.g. "offsetSeconds,count"; it reads "${raw.trim().slice(0, 80)}"` });
        return { problems };
      }
      timeKind = names[timeColumn] === 'timestamp' ? 'timestamp' : 'offset';
      continue;
    }
    if (offsets.length >= traceRowsMax) {
      problems.push({ line, column: 1, message: `a trace holds at most ${traceRowsMax.toLocaleString('en-US')} rows; aggregate it into longer buckets` });
      break;
    }
    const columnOf = (cellIndex: number) => 1 + cells.slice(0, cellIndex).reduce((sum, cell) => sum + cell.length + 1, 0);
    const timeText = cells[timeColumn];
    const countText = cells[countColumn];
    if (timeText === undefined || countText === undefined) {
      problems.push({ line, column: 1, message: `expected ${Math.max(timeColumn, countColumn) + 1} columns as the header says, found ${cells.length}` });
      continue;
    }
    let offsetMs: number | undefined;
    if (timeKind === 'offset') {
      const seconds = Number(timeText);
      if (timeText === '' || !Number.isFinite(seconds) || seconds < 0) problems.push({ line, column: columnOf(timeColumn), message: `offsetSeconds "${timeText}" is not a number of seconds ≥ 0` });
      else offsetMs = seconds * 1000;
    } else {
      const timestampMs = timestampToMs(timeText);
      if (timestampMs === undefined) problems.push({ line, column: columnOf(timeColumn), message: `timestamp "${timeText}" is neither ISO 8601 with a time zone (2026-03-02T08:00:00Z) nor Unix seconds` });
      else {
        firstTimestampMs ??= timestampMs;
        offsetMs = timestampMs - firstTimestampMs;
      }
    }
    const count = Number(countText);
    const countOk = countText !== '' && Number.isFinite(count) && count >= 0;
    if (!countOk) problems.push({ line, column: columnOf(countColumn), message: `count "${countText}" is not a number ≥ 0` });
    if (offsetMs === undefined || !countOk) continue;
    const previous = offsets[offsets.length - 1];
    if (previous !== undefined && offsetMs < previous) {
      problems.push({ line, column: columnOf(timeColumn), message: `this row's time (${offsetMs / 1000} s into the trace) comes before the previous row's (${previous / 1000} s, line ${rowLines[rowLines.length - 1]}); sort the rows by time` });
      continue;
    }
    offsets.push(offsetMs);
    counts.push(count);
    rowLines.push(line);
  }
  if (problems.length > 0) return { problems };
  if (!headerSeen) return { problems: [{ line: 1, column: 1, message: 'the trace is empty: give a header (offsetSeconds,count or timestamp,count) and at least one row' }] };
  if (offsets.length === 0) return { problems: [{ line: 1, column: 1, message: 'the trace has a header but no rows' }] };
  let smallestGapMs = Number.POSITIVE_INFINITY;
  for (let row = 1; row < offsets.length; row += 1) if (offsets[row] > offsets[row - 1]) smallestGapMs = Math.min(smallestGapMs, offsets[row] - offsets[row - 1]);
  const bucket = bucketMs ?? (Number.isFinite(smallestGapMs) ? smallestGapMs : 1000);
  for (let row = 1; row < offsets.length; row += 1) {
    const gap = offsets[row] - offsets[row - 1];
    if ((bucket > 0 && gap < bucket) || (bucket === 0 && gap < 0)) {
      problems.push({ line: rowLines[row], column: 1, message: `this row starts ${gap / 1000} s after the previous one (line ${rowLines[row - 1]}), inside its ${bucket / 1000} s bucket; merge the rows or give replay.bucket a smaller value` });
      if (problems.length >= problemsMax) break;
    }
  }
  if (problems.length > 0) return { problems };
  return { trace: { file, offsetsMs: offsets, counts, bucketMs: bucket }, problems };
}

function timestampToMs(text: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  // A time without a zone would depend on the machine's zone: refuse it.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}
