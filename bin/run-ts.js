#!/usr/bin/env node
// Runs a TypeScript entry point (benchmarks, scripts) with sluice's loaders registered.
import './register.mjs';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const entry = process.argv[2];
if (!entry) {
  console.error('usage: run-ts <file.ts> [args…]');
  process.exit(2);
}
await import(pathToFileURL(resolve(entry)).href);
