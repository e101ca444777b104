#!/usr/bin/env node
import { freshCliBundle } from './cli-bundle.mjs';

// The bundled CLI when it is fresh (scripts/build-cli.mjs), else the sources through tsx.
const bundle = freshCliBundle();
let main;
if (bundle) {
  await import('./quiet-sdk-warning.mjs');
  process.setSourceMapsEnabled(true);
  ({ main } = await import(bundle));
} else {
  await import('./register.mjs');
  ({ main } = await import('../cli/main.ts'));
}
const exitCode = await main(process.argv.slice(2));
// Exit now rather than when the event loop empties: an interrupted run may leave timers
// armed (an SDK call's, an emulator's), and they must not keep a finished run alive.
process.exit(exitCode);
