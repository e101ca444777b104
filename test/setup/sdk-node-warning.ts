// As in bin/register.mjs: the AWS SDK's notice that its 2027 releases need Node 22 says
// nothing about the pinned SDK under test, and would print once per test file.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (!/NodeVersionSupportWarning|will require node >=22/.test(`${warning.name} ${warning.message}`)) process.stderr.write(`${warning.name}: ${warning.message}\n`);
});
