import { describe, expect, it } from 'vitest';
import {
  formatDelta,
  formatDurationMs,
  formatNumber,
  formatQuantity,
  formatRate,
  formatRelative,
  formatUnitPrice,
  formatUsd,
  formatValue,
} from '../../analysis/value-format.ts';

describe('value formatting', () => {
  it('groups thousands without depending on the locale', () => {
    expect(formatNumber(1234567.891, 1)).toBe('1,234,567.9');
    expect(formatNumber(-0.0001, 2)).toBe('0.00');
    expect(formatNumber(-1500)).toBe('-1,500');
  });

  it('picks a readable duration unit', () => {
    expect([7.25, 42, 999.4, 1843, 65_000].map(formatDurationMs)).toEqual(['7.3 ms', '42 ms', '999 ms', '1.84 s', '1.08 min']);
  });

  it('shows small rates and costs with their significant digits', () => {
    expect(formatRate(0.00042)).toBe('0.042 %');
    expect(formatRate(0.157377)).toBe('15.7 %');
    expect([4.2149, 0.5, 0.0421, 0.00012345, 0].map(formatUsd)).toEqual(['$4.21', '$0.50', '$0.0421', '$0.000123', '$0.00']);
  });

  it('formats by kind, with n/a for a metric that does not apply', () => {
    expect(formatValue('perSecond', 987.25)).toBe('987/s');
    expect(formatValue('perSecond', 45.25)).toBe('45.3/s');
    expect(formatValue('count', 2400)).toBe('2,400');
    expect(formatValue('durationMs', undefined)).toBe('n/a');
  });

  it('signs deltas, in percentage points for rates', () => {
    expect(formatDelta('durationMs', 120)).toBe('+120 ms');
    expect(formatDelta('durationMs', -1500)).toBe('−1.5 s');
    expect(formatDelta('rate', 0.0012)).toBe('+0.12 pp');
    expect(formatDelta('count', 0)).toBe('±0');
    expect(formatRelative(0.1234)).toBe('+12.3 %');
    expect(formatRelative(null)).toBe('new');
    expect(formatRelative(0)).toBe('±0 %');
  });

  it('states unit prices as AWS does', () => {
    expect(formatUnitPrice(0.0000002, 'invocation')).toBe('$0.20 per 1M invocations');
    expect(formatUnitPrice(0.015, 'shard-hour')).toBe('$0.015 per shard-hour');
    expect(formatQuantity(0.0366667)).toBe('0.03667');
    expect(formatQuantity(227.151)).toBe('227.2');
  });
});
