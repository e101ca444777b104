import type { PatternProgress } from '../run/run-pattern.ts';
import { formatMs } from '../analysis/report-format.ts';

/**
 * The live progress line: phase, time into the phases/total (the load's own clock), how far
 * the load is behind schedule, sent/s, done/s, queue depth, concurrency.
 * On a terminal it rewrites one line; elsewhere (CI logs) it prints a line every 5 s.
 */
export function progressPrinter(stream: NodeJS.WriteStream) {
  let lastLineAtMs = 0;
  const interactive = Boolean(stream.isTTY);
  return {
    update(progress: PatternProgress) {
      const text = [
        `[${progress.patternName}] ${progress.draining ? 'draining' : progress.phaseName}`,
        `${formatMs(progress.elapsedMs)}/${formatMs(progress.totalMs)}`,
        progress.behindScheduleMs > 0 ? `behind schedule ${formatMs(progress.behindScheduleMs)}` : undefined,
        `sent ${progress.sentPerSecond}/s`,
        `done ${progress.completedPerSecond}/s`,
        progress.queueDepth !== undefined ? `depth ${progress.queueDepth}` : undefined,
        `concurrency ${progress.concurrency}`,
        `total ${progress.completed}/${progress.sent}`,
      ]
        .filter(Boolean)
        .join(' · ');
      if (interactive) {
        stream.write(`\r\x1b[2K${text}`);
      } else if (Date.now() - lastLineAtMs >= 5000) {
        stream.write(`${text}\n`);
        lastLineAtMs = Date.now();
      }
    },
    done() {
      if (interactive) stream.write('\r\x1b[2K');
    },
  };
}
