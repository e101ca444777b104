/**
 * Value formatting for comparisons, thresholds and baselines: each metric's number shown in
 * its own unit. Deliberately locale-free (no `toLocaleString`): golden files must not change
 * with the machine's ICU data or LANG.
 */

/** What a metric's number means, so it can be formatted and compared the right way. */
export const valueKinds = {
  durationMs: { unitLabel: 'ms' },
  /** A fraction 0–1, shown as a percentage. */
  rate: { unitLabel: '%' },
  count: { unitLabel: '' },
  perSecond: { unitLabel: '/s' },
  usd: { unitLabel: 'USD' },
} as const;

export type ValueKind = keyof typeof valueKinds;

/**
 * Groups the integer part by thousands with a comma and keeps `decimals` digits.
 *
 * @example formatNumber(1234567.891, 1) // '1,234,567.9'
 */
export function formatNumber(value: number, decimals = 0): string {
  if (!Number.isFinite(value)) return String(value);
  const fixed = Math.abs(value).toFixed(decimals);
  const [integer, fraction] = fixed.split('.');
  const grouped = integer.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const sign = value < 0 && Number(fixed) !== 0 ? '-' : '';
  return fraction === undefined ? `${sign}${grouped}` : `${sign}${grouped}.${fraction}`;
}

/**
 * A duration with a unit a reader takes in at a glance: ms below a second, s below a
 * minute, min above.
 *
 * @example formatDurationMs(1843) // '1.84 s'
 * @example formatDurationMs(7.25) // '7.3 ms'
 */
export function formatDurationMs(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < 10) return `${trimZeros(ms.toFixed(1))} ms`;
  if (abs < 1000) return `${formatNumber(ms)} ms`;
  if (abs < 60_000) return `${trimZeros((ms / 1000).toFixed(2))} s`;
  return `${trimZeros((ms / 60_000).toFixed(2))} min`;
}

/**
 * A fraction as a percentage, with enough digits to show small rates.
 *
 * @example formatRate(0.00042) // '0.042 %'
 */
export function formatRate(fraction: number): string {
  const percent = fraction * 100;
  if (percent === 0) return '0 %';
  const abs = Math.abs(percent);
  const decimals = abs >= 10 ? 1 : abs >= 1 ? 2 : abs >= 0.01 ? 3 : 4;
  return `${trimZeros(percent.toFixed(decimals))} %`;
}

/**
 * Dollars: cents from $0.10 up, three significant digits below, so $0.000123 is not shown as $0.00.
 *
 * @example formatUsd(4.2149) // '$4.21'
 * @example formatUsd(0.00012345) // '$0.000123'
 */
export function formatUsd(usd: number): string {
  if (usd === 0) return '$0.00';
  const abs = Math.abs(usd);
  const sign = usd < 0 ? '-' : '';
  if (abs >= 0.1) return `${sign}$${formatNumber(abs, 2)}`;
  const rounded = Number(abs.toPrecision(3));
  const text = trimZeros(rounded.toFixed(2 - Math.floor(Math.log10(rounded))));
  return `${sign}$${text.length - text.indexOf('.') - 1 < 2 ? rounded.toFixed(2) : text}`;
}

/**
 * Formats a value by its kind; `undefined` is shown as "n/a" (the metric does not apply).
 *
 * @example formatValue('perSecond', 987.25) // '987/s'
 */
export function formatValue(kind: ValueKind, value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return 'n/a';
  switch (kind) {
    case 'durationMs':
      return formatDurationMs(value);
    case 'rate':
      return formatRate(value);
    case 'count':
      return formatNumber(value, Number.isInteger(value) ? 0 : 1);
    case 'perSecond':
      return `${formatNumber(value, Math.abs(value) >= 100 ? 0 : 1)}/s`;
    case 'usd':
      return formatUsd(value);
  }
}

/**
 * A signed difference in the metric's unit, for baseline deltas. Rates differ by percentage
 * points, not by percent of themselves.
 *
 * @example formatDelta('durationMs', 120) // '+120 ms'
 * @example formatDelta('rate', 0.0012)    // '+0.12 pp'
 */
export function formatDelta(kind: ValueKind, delta: number): string {
  if (delta === 0) return kind === 'rate' ? '±0 pp' : `±${formatValue(kind, 0)}`;
  if (kind === 'rate') {
    const points = delta * 100;
    return `${points < 0 ? '−' : '+'}${trimZeros(Math.abs(points).toFixed(Math.abs(points) >= 1 ? 2 : 3))} pp`;
  }
  return `${delta < 0 ? '−' : '+'}${formatValue(kind, Math.abs(delta))}`;
}

/**
 * A relative change as a signed percentage; `null` (the baseline was 0) is shown as "new".
 *
 * @example formatRelative(0.1234) // '+12.3 %'
 */
export function formatRelative(relative: number | null): string {
  if (relative === null) return 'new';
  if (relative === 0) return '±0 %';
  const percent = relative * 100;
  return `${percent < 0 ? '−' : '+'}${trimZeros(Math.abs(percent).toFixed(1))} %`;
}

/**
 * A quantity with four significant digits, grouped.
 *
 * @example formatQuantity(0.0093889) // '0.009389'
 * @example formatQuantity(25237)     // '25,237'
 */
export function formatQuantity(quantity: number): string {
  if (quantity === 0) return '0';
  if (Number.isInteger(quantity)) return formatNumber(quantity);
  const rounded = Number(quantity.toPrecision(4));
  const decimals = Math.max(0, 3 - Math.floor(Math.log10(Math.abs(rounded))));
  return trimZeros(formatNumber(rounded, decimals));
}

/**
 * A unit price the way AWS's pages state it: per million for prices far below a cent.
 *
 * @example formatUnitPrice(0.0000002, 'invocation') // '$0.20 per 1M invocations'
 * @example formatUnitPrice(0.015, 'shard-hour')     // '$0.015 per shard-hour'
 */
export function formatUnitPrice(unitPriceUsd: number, unit: string): string {
  if (unitPriceUsd > 0 && unitPriceUsd < 1e-5) {
    const plural = unit.endsWith('s') || unit.endsWith('GB') ? unit : `${unit}s`;
    return `${formatUsd(unitPriceUsd * 1_000_000)} per 1M ${plural}`;
  }
  return `${formatUsd(unitPriceUsd)} per ${unit}`;
}

function trimZeros(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}
