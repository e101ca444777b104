import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { BadInputError } from '../scenario/errors.ts';
import { targetNames } from '../scenario/parts.ts';
import { sluiceVersion } from '../core/sluice-version.ts';
import { exitCodes } from './exit-codes.ts';
// Each command's module is imported when the command runs (types only here): a flag or file
// refused up front answers without loading the emulators, the SDK or the run.
import type { RunFlags } from './run-command.ts';
import type { CompareFlags } from './compare-command.ts';
import type { ExportArtilleryFlags } from './export-artillery-command.ts';
import type { SweepFlags } from './sweep-command.ts';
import type { PredictFlags } from './predict-command.ts';
import { OutputPathError } from './output-paths.ts';
import { RunResultError } from '../analysis/run-result-schema.ts';

/**
 * The sluice command line. The only place that prints or picks an exit code; returns the
 * code instead of exiting so tests run it in-process.
 */
export async function main(argv: string[], io: { out: NodeJS.WriteStream; err: NodeJS.WriteStream } = { out: process.stdout, err: process.stderr }): Promise<number> {
  const print = (text: string) => io.out.write(text + '\n');
  const printError = (text: string) => io.err.write(text + '\n');
  let exitCode: number = exitCodes.ok;

  const program = new Command()
    .name('sluice')
    .description('Load-test harness for event-driven serverless systems')
    .version(sluiceVersion)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out.write(s), writeErr: (s) => io.err.write(s) });

  program
    .command('validate')
    .description('check a scenario file and report every problem with its line and key')
    .argument('<scenario>', 'scenario YAML file')
    .action(async (file: string) => {
      const { loadScenarioFile } = await import('../scenario/load.ts');
      const { patternNameOf } = await import('../scenario/schema.ts');
      const scenario = await loadScenarioFile(file);
      print(`${file}: valid — ${scenario.patterns.length} pattern(s): ${scenario.patterns.map(patternNameOf).join(', ')}`);
    });

  program
    .command('run')
    .description('run a scenario: provision, drive the phases, consume, measure, report')
    .argument('<scenario>', 'scenario YAML file')
    .addOption(new Option('--target <target>', 'where to run (default: the scenario’s target, else embedded)').choices([...targetNames]))
    .option('--endpoint <url>', 'run on an AWS-compatible endpoint you already run (moto, LocalStack, MiniStack, `sluice serve`…); implies --target localstack', parseEndpoint)
    .option('--localstack-image <image>', 'with --target localstack and no --endpoint: the LocalStack image to start (default localstack/localstack:4 with LOCALSTACK_AUTH_TOKEN, else localstack/localstack:4.14.0)')
    .option('--out <dir>', 'folder for run results', 'runs')
    .option('--only <names...>', 'run only these patterns')
    .option('--parallel', 'run the patterns at the same time instead of one after the other')
    .option('--junit <file>', 'write the threshold results as JUnit XML')
    .option('--baseline <result.json|name>', 'flag regressions against an earlier run')
    .option('--tolerance <fraction>', 'relative change a baseline comparison tolerates (default 0.1)')
    .option('--save-baseline <name>', 'save this run as baselines/<name>.json')
    .addOption(new Option('--consumer <consumer>', 'with --target localstack or --endpoint: who consumes — sluice’s runtime, or the endpoint’s own Lambda on a managed stack (LocalStack’s needs Docker inside LocalStack)').choices(['sluice', 'localstack']))
    .option('--yes', 'with --target aws: do not ask before creating resources')
    .option('--dry-run', 'print the plan (resources, duration, estimated AWS cost) and create nothing')
    .option('--no-progress', 'no live progress line')
    .option('--workers <n>', 'load generator processes per pattern, each sending its share of every phase: a number, or auto (cores − 1)', '1')
    .option('--load-from <runner>', 'with --target aws: send the load from Artillery’s cloud workers, fargate or lambda')
    .option('--count <n>', 'with --load-from: how many Artillery workers (default 1)')
    .option('--region <region>', 'with --load-from: the region the workers run in (default: the scenario’s)')
    .option('--artillery-arg <arg...>', 'with --load-from: options passed to artillery run-fargate / run-lambda as they are (e.g. --artillery-arg=--cpu --artillery-arg=2)')
    .action(async (file: string, flags: RunFlags) => {
      const { runCommand } = await import('./run-command.ts');
      exitCode = await runCommand(file, flags, { print, printError, err: io.err });
    });

  program
    .command('predict')
    .description('predict a scenario on simulated time: the same scaling rules, no emulator, at any scale (writes a run folder marked predicted)')
    .argument('<scenario>', 'scenario YAML file')
    .addOption(new Option('--fidelity <fidelity>', 'exact (every event), aggregate (counts per time step) or auto (exact when it is estimated to take at most 10 s)').choices(['exact', 'aggregate', 'auto']).default('auto'))
    .option('--out <dir>', 'folder for run results', 'runs')
    .option('--only <names...>', 'predict only these patterns')
    .option('--junit <file>', 'write the threshold results as JUnit XML')
    .option('--baseline <result.json|name>', 'flag regressions against an earlier run or prediction')
    .option('--tolerance <fraction>', 'relative change a baseline comparison tolerates (default 0.1)')
    .option('--save-baseline <name>', 'save this prediction as baselines/<name>.json')
    .action(async (file: string, flags: PredictFlags) => {
      const { predictCommand } = await import('./predict-command.ts');
      exitCode = await predictCommand(file, flags, { print, printError, err: io.err });
    });

  program
    .command('sweep')
    .description('run a scenario once per setting of its sweep: (memory, architecture, runtime, batch size, …) and choose a setting per pattern by cost, speed or both')
    .argument('<scenario>', 'scenario YAML file with a sweep: key')
    .addOption(new Option('--target <target>', 'where to run each setting (default: the scenario’s target, else embedded)').choices([...targetNames]))
    .option('--out <dir>', 'folder for the sweep folder', 'runs')
    .option('--predict', 'run each setting on simulated time (sluice predict) instead of a target')
    .option('--yes', 'with --target aws: deploy each setting without asking')
    .option('--dry-run', 'print every setting and the estimated total AWS cost; run nothing')
    .option('--no-progress', 'no live progress line')
    .action(async (file: string, flags: SweepFlags) => {
      const { sweepCommand } = await import('./sweep-command.ts');
      exitCode = await sweepCommand(file, flags, { print, printError, err: io.err });
    });

  program
    .command('export-artillery')
    .description('write one pattern of a scenario as an Artillery script run by sluice’s engine (load/artillery-engine-sluice)')
    .argument('<scenario>', 'scenario YAML file')
    .option('-o, --output <file>', 'write the script here (default: print it)')
    .option('--pattern <name>', 'the pattern to export (needed when the scenario has several)')
    .option('--endpoint <url>', 'a local endpoint to send to (`sluice serve`, LocalStack); leave out for AWS', parseEndpoint)
    .option('--resource <name>', 'the source’s resource: queue URL, stream, bus, bucket or API URL (default: the pattern’s own, else sluice’s name for it)')
    .action(async (file: string, flags: ExportArtilleryFlags) => {
      const { exportArtilleryCommand } = await import('./export-artillery-command.ts');
      exitCode = await exportArtilleryCommand(file, flags, { print, printError });
    });

  program
    .command('compare')
    .description('compare the patterns of earlier runs side by side (Markdown and HTML)')
    .argument('<results...>', 'result.json files')
    .option('--out <dir>', 'folder for comparison.md and report.html', `runs/compare-${new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}`)
    .action(async (files: string[], flags: CompareFlags) => {
      const { compareCommand } = await import('./compare-command.ts');
      exitCode = await compareCommand(files, flags, { print, printError, err: io.err });
    });

  program
    .command('schema')
    .description('print the JSON Schema of scenario files (for editors)')
    .action(async () => {
      const { scenarioJsonSchema } = await import('../scenario/json-schema.ts');
      print(JSON.stringify(scenarioJsonSchema(), null, 2));
    });

  program
    .command('cleanup')
    .description('find CloudFormation stacks that crashed runs left on AWS (by their sluice tags) and delete them')
    .option('--region <region>', 'AWS region', process.env.AWS_REGION ?? 'us-east-1')
    .option('--run-id <id>', 'only the stacks of this run')
    .option('--yes', 'delete what was found (without it, only list)')
    .action(async (flags: { region: string; runId?: string; yes?: boolean }) => {
      const { cleanupCommand } = await import('./cleanup-command.ts');
      exitCode = await cleanupCommand(flags, { print, printError, err: io.err });
    });

  program
    .command('serve')
    .description('run the embedded target alone: one edge endpoint on 127.0.0.1 for the AWS APIs sluice emulates')
    .option('--port <port>', 'port on 127.0.0.1 (0 picks a free one)', parsePort, 4566)
    .option('--services <list>', 'comma-separated services (default: every service sluice emulates)')
    .option('--upstream <url>', 'instead of emulators, put sluice’s quota layers in front of this endpoint (LocalStack, moto, any AWS-compatible one)', parseEndpoint)
    .option('--ready-json', 'print one JSON line when ready and exit when stdin closes (used by `sluice run`)', false)
    .action(async (flags: { port: number; services?: string; readyJson: boolean; upstream?: string }) => {
      const { serve } = await import('./serve.ts');
      exitCode = await serve({ port: flags.port, services: flags.services?.split(',').filter(Boolean) ?? [], readyJson: flags.readyJson, upstream: flags.upstream }, { print, printError });
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? exitCodes.ok : exitCodes.badInput;
    }
    if (error instanceof OutputPathError || error instanceof RunResultError) {
      printError(`sluice: ${error.message}\n  what to do: ${error.hint}`);
      return exitCodes.badInput;
    }
    if (error instanceof BadInputError) {
      printError(`${error.problemCount} problem${error.problemCount === 1 ? '' : 's'} ${error.where}:`);
      printError(error.message);
      return exitCodes.badInput;
    }
    const withHint = error as Error & { hint?: string };
    printError(`sluice: ${withHint.message}${withHint.hint ? `\n  what to do: ${withHint.hint}` : ''}`);
    return exitCodes.runFailed;
  }
}

/** A TCP port for 127.0.0.1: a whole number from 0 (any free port) to 65535. */
function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text.trim()) || port > 65_535) throw new InvalidArgumentError('give a port from 1 to 65535, or 0 to pick a free one.');
  return port;
}

/** An http(s) URL such as http://localhost:4566. */
function parseEndpoint(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidArgumentError('give a URL such as http://localhost:4566.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError(`give an http:// or https:// URL such as http://localhost:4566, not ${url.protocol}.`);
  return text;
}
