/**
 * The README's table of AWS defaults, rendered from the one table (core/aws-defaults.ts), so
 * the two never disagree: test/unit/aws-defaults-table.test.ts fails when the README's block
 * differs, and this script rewrites it.
 *
 *   node bin/run-ts.js scripts/aws-defaults-table.ts   # rewrites the block in README.md
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { awsDefaults } from '../core/aws-defaults.ts';

export const tableStart = '<!-- aws-defaults:start (generated from core/aws-defaults.ts by scripts/aws-defaults-table.ts) -->';
export const tableEnd = '<!-- aws-defaults:end -->';

function formatValue(value: unknown): string {
  if (typeof value === 'number') return value.toLocaleString('en-US');
  if (typeof value === 'string' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.length === 2 && value.every((item) => typeof item === 'number') ? `${formatValue(value[0])}–${formatValue(value[1])}` : value.map(formatValue).join(', ');
  if (value && typeof value === 'object') return Object.entries(value).map(([key, inner]) => `${key}: ${inner && typeof inner === 'object' && !Array.isArray(inner) ? `{${formatValue(inner)}}` : formatValue(inner)}`).join('; ');
  return String(value);
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The block between the markers: one row per default, its value and its source. */
export function renderAwsDefaultsTable(): string {
  const rows = Object.entries(awsDefaults).map(([name, row]) => `| \`${name}\` | ${cell(formatValue(row.value))} | ${cell(row.source)} |`);
  return [tableStart, '', '| default | value | source |', '| --- | --- | --- |', ...rows, '', tableEnd].join('\n');
}

/** README text with its block replaced by the current table. */
export function withCurrentTable(readme: string): string {
  const start = readme.indexOf(tableStart);
  const end = readme.indexOf(tableEnd);
  if (start < 0 || end < start) throw new Error(`README.md has no block between "${tableStart}" and "${tableEnd}"`);
  return readme.slice(0, start) + renderAwsDefaultsTable() + readme.slice(end + tableEnd.length);
}

// Run as a script (directly, or through bin/run-ts.js, which names it as its first argument).
const entry = process.argv.slice(1).find((arg) => arg.endsWith('aws-defaults-table.ts'));
if (entry !== undefined && import.meta.url === pathToFileURL(resolve(entry)).href) {
  writeFileSync('README.md', withCurrentTable(readFileSync('README.md', 'utf8')));
  console.log(`README.md: ${Object.keys(awsDefaults).length} defaults`);
}
