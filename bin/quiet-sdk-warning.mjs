// The AWS SDK warns on every process start that its 2027 releases will need Node 22.
// sluice pins the SDK in its lockfile, so the warning says nothing about this install;
// every other warning still prints.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (!/NodeVersionSupportWarning|will require node >=22/.test(`${warning.name} ${warning.message}`)) process.stderr.write(`${warning.name}: ${warning.message}\n`);
});
