import { z } from 'zod';

const durationPattern = /^(\d+(?:\.\d+)?)\s*(ms|s|sec|m|min|h)?$/;
const msPerUnit = { ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000 } as const;

/**
 * Parses a duration written as a number of seconds (`30`, Artillery's convention) or a
 * string with a unit (`250ms`, `30s`, `2m`, `1h`). Returns milliseconds, or undefined
 * when the text is not a duration.
 *
 * @example parseDurationMs('250ms') // 250
 * @example parseDurationMs(2)       // 2000
 */
export function parseDurationMs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value * 1000 : undefined;
  if (typeof value !== 'string') return undefined;
  const match = durationPattern.exec(value.trim());
  if (!match) return undefined;
  const unit = (match[2] ?? 's') as keyof typeof msPerUnit;
  return Number(match[1]) * msPerUnit[unit];
}

/** A zod schema for a duration field; the parsed value is in milliseconds. */
export function durationMs(options: { minMs?: number; maxMs?: number } = {}) {
  return z.union([z.number(), z.string()]).transform((value, ctx) => {
    const ms = parseDurationMs(value);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `"${value}" is not a duration: use seconds (30) or a unit (250ms, 30s, 2m)` });
      return z.NEVER;
    }
    if (options.minMs !== undefined && ms < options.minMs) {
      ctx.addIssue({ code: 'custom', message: `must be at least ${formatDurationMs(options.minMs)} (got ${formatDurationMs(ms)})` });
      return z.NEVER;
    }
    if (options.maxMs !== undefined && ms > options.maxMs) {
      ctx.addIssue({ code: 'custom', message: `must be at most ${formatDurationMs(options.maxMs)} (got ${formatDurationMs(ms)})` });
      return z.NEVER;
    }
    return ms;
  });
}

export function formatDurationMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(2)}s`;
  if (ms < 3_600_000) return `${+(ms / 60_000).toFixed(2)}m`;
  return `${+(ms / 3_600_000).toFixed(2)}h`;
}
