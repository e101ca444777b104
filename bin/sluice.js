#!/usr/bin/env node
import './register.mjs';

// The AWS SDK warns on every run that its 2027 releases will need Node 22. sluice pins the
// SDK in its lockfile, so the warning says nothing about this install; other warnings print.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (!/NodeVersionSupportWarning|will require node >=22/.test(`${warning.name} ${warning.message}`)) process.stderr.write(`${warning.name}: ${warning.message}\n`);
});

const { main } = await import('../cli/main.ts');
const exitCode = await main(process.argv.slice(2));
// Exit now rather than when the event loop empties: an interrupted run leaves Artillery's
// phase timers armed, and they must not keep a finished run alive.
process.exit(exitCode);
