import { readFileSync } from 'node:fs';

/** This package's version (package.json), recorded in every RunResult and printed by `sluice --version`. */
export const sluiceVersion = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
