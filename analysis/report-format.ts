import type { PatternResult } from './run-result.ts';

/** Number formatting shared by the reports: units stated, no false precision. */
export function formatMs(ms: number | undefined): string {
  if (ms === undefined || Number.isNaN(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

export function formatCount(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '–';
  return Math.round(value).toLocaleString('en-US');
}

export function formatRate(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '–';
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(1);
}

export function formatShare(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '–';
  return `${(value * 100).toFixed(value < 0.01 && value > 0 ? 2 : 1)} %`;
}

export function formatUsd(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '–';
  return value < 0.01 ? `$${value.toFixed(6)}` : `$${value.toFixed(value < 1 ? 4 : 2)}`;
}

/** A Markdown table; cells are escaped for pipes. */
export function markdownTable(header: string[], rows: string[][], align: Array<'left' | 'right'> = []): string {
  const escape = (cell: string) => cell.replaceAll('|', '\\|');
  const separator = header.map((_, index) => (align[index] === 'right' ? '---:' : '---'));
  return [header, separator, ...rows].map((row) => `| ${row.map(escape).join(' | ')} |`).join('\n');
}

/**
 * The pattern's source, or the path its events take when the source can send them several
 * ways (`s3 → sqs → lambda`), as the driver recorded it in `extras.path`.
 *
 * @example sourcePathOf(pattern) // 's3 → eventbridge → lambda'
 */
export function sourcePathOf(pattern: Pick<PatternResult, 'source' | 'extras'>): string {
  const path = (pattern.extras as Record<string, unknown> | undefined)?.['path'];
  return typeof path === 'string' && path.length > 0 ? path : pattern.source;
}
