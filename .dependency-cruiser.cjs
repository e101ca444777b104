/**
 * sluice's layers, checked in `npm test` (test/unit/dependency-rules.test.ts): dependencies
 * point one way, cli → run → drivers → {runtime, targets, localstack, load} → core, and
 * analysis reads RunResults only. Type-only imports count: a circle of types is still a
 * circle in the design.
 */
const project = '^(cli|run|drivers|runtime|targets|localstack|load|scenario|analysis|core)/';
/** The whole scenario (its schema composes every source's pattern schema): known only from run/ up. */
const wholeScenario = '^scenario/(schema|load|json-schema)\\.ts$';

module.exports = {
  forbidden: [
    { name: 'no-circular', comment: 'An import circle: break it by moving the shared piece down a layer.', severity: 'error', from: {}, to: { circular: true } },
    { name: 'core-is-neutral', comment: 'core/ is what every layer shares; it imports nothing else of sluice.', severity: 'error', from: { path: '^core/' }, to: { path: project, pathNot: '^core/' } },
    { name: 'analysis-reads-results-only', comment: 'analysis/ is pure functions of a RunResult: it imports only analysis/ and core/.', severity: 'error', from: { path: '^analysis/' }, to: { path: project, pathNot: '^(analysis|core)/' } },
    { name: 'only-the-cli-is-on-top', comment: 'Nothing imports the CLI.', severity: 'error', from: { pathNot: '^cli/' }, to: { path: '^cli/' } },
    { name: 'run-is-above-the-rest', comment: 'run/ orchestrates; only the CLI imports it.', severity: 'error', from: { path: project, pathNot: '^(cli|run)/' }, to: { path: '^run/' } },
    { name: 'drivers-are-above-targets-and-runtime', comment: 'drivers/ use runtime/, targets/, localstack/ and load/, never the other way.', severity: 'error', from: { path: '^(runtime|targets|localstack|load|core|analysis)/' }, to: { path: '^drivers/' } },
    { name: 'the-whole-scenario-is-known-from-run-up', comment: 'Below run/, code reads the scenario parts it is given (scenario/parts.ts), not the whole scenario, whose schema composes every source.', severity: 'error', from: { path: '^(drivers|runtime|targets|localstack|load|core|analysis)/' }, to: { path: wholeScenario } },
    { name: 'targets-do-not-run-load', comment: 'Targets provide resources; load/ and runtime/ belong to the drivers that use them.', severity: 'error', from: { path: '^(targets|localstack)/' }, to: { path: '^(load|runtime)/' } },
    { name: 'runtime-knows-no-target', comment: 'The local Lambda runtime runs on any target and on simulated time.', severity: 'error', from: { path: '^(runtime|load)/' }, to: { path: '^(targets|localstack)/' } },
    { name: 'emulators-know-no-target', comment: 'localstack/ stands in for AWS; the targets use it, not the other way.', severity: 'error', from: { path: '^localstack/' }, to: { path: '^targets/' } },
  ],
  options: {
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|test|bench|scripts)/' },
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
