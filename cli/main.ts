import { Command, CommanderError, Option } from 'commander';
import { loadScenarioFile } from '../scenario/load.ts';
import { ScenarioError } from '../scenario/errors.ts';
import { targetNames } from '../scenario/schema.ts';
import { runScenario, patternNameOf } from '../run/run-scenario.ts';
import { writeRun } from '../run/write-run.ts';
import { summaryTable } from '../analysis/report-markdown.ts';
import { exitCodes } from './exit-codes.ts';
import { progressPrinter } from './progress.ts';
import { serve } from './serve.ts';

interface RunFlags {
  target?: (typeof targetNames)[number];
  endpoint?: string;
  out: string;
  only?: string[];
  progress: boolean;
}

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
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out.write(s), writeErr: (s) => io.err.write(s) });

  program
    .command('validate')
    .description('check a scenario file and report every problem with its line and key')
    .argument('<scenario>', 'scenario YAML file')
    .action(async (file: string) => {
      const scenario = await loadScenarioFile(file);
      print(`${file}: valid — ${scenario.patterns.length} pattern(s): ${scenario.patterns.map(patternNameOf).join(', ')}`);
    });

  program
    .command('run')
    .description('run a scenario: provision, drive the phases, consume, measure, report')
    .argument('<scenario>', 'scenario YAML file')
    .addOption(new Option('--target <target>', 'where to run (default: the scenario’s target, else embedded)').choices([...targetNames]))
    .option('--endpoint <url>', 'with --target localstack: an endpoint you already run (LocalStack, or `sluice serve`)')
    .option('--out <dir>', 'folder for run results', 'runs')
    .option('--only <names...>', 'run only these patterns')
    .option('--no-progress', 'no live progress line')
    .action(async (file: string, flags: RunFlags) => {
      const scenario = await loadScenarioFile(file);
      if (flags.only) {
        const known = scenario.patterns.map(patternNameOf);
        const unknown = flags.only.filter((name) => !known.includes(name));
        if (unknown.length > 0) throw new ScenarioError([{ file, line: 1, column: 1, keyPath: 'patterns', message: `--only names unknown patterns ${unknown.join(', ')} (the file has ${known.join(', ')})` }]);
      }
      const abort = new AbortController();
      let interrupts = 0;
      const onInterrupt = () => {
        interrupts += 1;
        if (interrupts === 1) {
          printError('\ninterrupted: stopping load, tearing down, writing what was measured (Ctrl-C again to force)');
          abort.abort(new Error('interrupted'));
        } else {
          process.exit(exitCodes.interrupted);
        }
      };
      process.on('SIGINT', onInterrupt);
      process.on('SIGTERM', onInterrupt);
      const progress = progressPrinter(io.err);
      try {
        const result = await runScenario({
          scenario,
          scenarioFile: file,
          target: flags.target,
          endpoint: flags.endpoint,
          only: flags.only,
          signal: abort.signal,
          onPatternStart: (name, index, count) => printError(`pattern ${index + 1}/${count}: ${name}`),
          onProgress: flags.progress ? (p) => progress.update(p) : undefined,
        });
        progress.done();
        const folder = await writeRun(result, flags.out);
        if (result.patterns.length > 0) print('\n' + summaryTable(result) + '\n');
        for (const pattern of result.patterns) for (const warning of pattern.warnings) printError(`warning [${pattern.name}]: ${warning}`);
        print(`result: ${folder}/result.json`);
        print(`report: ${folder}/report.md`);
        if (result.status === 'failed') {
          printError(`run failed: ${result.failure?.message}`);
          exitCode = exitCodes.runFailed;
        } else if (result.status === 'interrupted') {
          exitCode = exitCodes.interrupted;
        }
      } finally {
        process.off('SIGINT', onInterrupt);
        process.off('SIGTERM', onInterrupt);
      }
    });

  program
    .command('serve')
    .description('run the embedded target alone: one edge endpoint on 127.0.0.1 for the AWS APIs sluice emulates')
    .option('--port <port>', 'port on 127.0.0.1 (0 picks a free one)', '4566')
    .option('--services <list>', 'comma-separated services', 'sqs')
    .option('--ready-json', 'print one JSON line when ready and exit when stdin closes (used by `sluice run`)', false)
    .action(async (flags: { port: string; services: string; readyJson: boolean }) => {
      exitCode = await serve({ port: Number(flags.port), services: flags.services.split(',').filter(Boolean), readyJson: flags.readyJson }, print);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? exitCodes.ok : exitCodes.badInput;
    }
    if (error instanceof ScenarioError) {
      printError(`${error.problems.length} problem${error.problems.length === 1 ? '' : 's'} in the scenario file:`);
      printError(error.message);
      return exitCodes.badInput;
    }
    const withHint = error as Error & { hint?: string };
    printError(`sluice: ${withHint.message}${withHint.hint ? `\n  what to do: ${withHint.hint}` : ''}`);
    return exitCodes.runFailed;
  }
}
