#!/usr/bin/env node
import './register.mjs';

const { main } = await import('../cli/main.ts');
const exitCode = await main(process.argv.slice(2));
// Exit now rather than when the event loop empties: an interrupted run may leave timers
// armed (an SDK call's, an emulator's), and they must not keep a finished run alive.
process.exit(exitCode);
