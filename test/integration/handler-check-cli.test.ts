import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handlerInitLimitMs } from '../../runtime/worker-environment.ts';
import { handlerScenario } from '../fixtures/bad-inputs/handler-modules.ts';

/**
 * `sluice run` loads the scenario's handler module in a worker before any target starts: a
 * module that cannot load is bad input (exit 2) pointing at the `module:` line of the file,
 * with the module's own message and a hint; no run folder is written.
 */
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const fixtures = join(repoRoot, 'test', 'fixtures', 'handlers');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-handler-check-'));
  await writeFile(join(dir, 'commonjs-in-mjs.mjs'), '// CommonJS syntax in an ES module file\nexports.handler = async () => "never";\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});


async function runCli(name: string, moduleReference: string) {
  const scenarioFile = join(dir, `${name}.yaml`);
  const outDir = join(dir, `${name}-out`);
  await writeFile(scenarioFile, handlerScenario(moduleReference));
  const startedMs = Date.now();
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'sluice.js'), 'run', scenarioFile, '--target', 'embedded', '--out', outDir], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exitCode = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const written = await readdir(outDir).catch(() => []);
  return { exitCode, output, scenarioFile, elapsedMs: Date.now() - startedMs, written };
}

// The other modules that cannot load are rows of the bad-input table (test/fixtures/bad-inputs/handler-modules.ts).
const cases = [
  { name: 'commonjs-in-mjs', reference: './commonjs-in-mjs.mjs#handler', says: [/Runtime\.ImportModuleError/, /exports is not defined in ES module scope/] },
];

describe('sluice run refuses a handler module that does not load', () => {
  for (const testCase of cases) {
    it(`${testCase.name}: exit 2 at the module reference's line, with the module's message and a hint`, async () => {
      const outcome = await runCli(testCase.name, testCase.reference);
      expect(outcome.exitCode, outcome.output).toBe(2);
      expect(outcome.output).toContain(`${outcome.scenarioFile}:6:21`);
      expect(outcome.output).toContain('function.handler.module');
      for (const pattern of testCase.says) expect(outcome.output).toMatch(pattern);
      expect(outcome.written).toEqual([]);
    });
  }

  it('an import that never finishes: refused after the init limit, before any target starts', async () => {
    const outcome = await runCli('never-resolves', `${fixtures}/never-resolves.ts#handler`);
    expect(outcome.exitCode, outcome.output).toBe(2);
    expect(outcome.output).toContain(`${outcome.scenarioFile}:6:21`);
    expect(outcome.output).toMatch(/Runtime\.InitTimeout.*did not finish within 10 s/);
    expect(outcome.elapsedMs).toBeGreaterThanOrEqual(handlerInitLimitMs);
    expect(outcome.elapsedMs).toBeLessThan(handlerInitLimitMs + 15_000);
    expect(outcome.written).toEqual([]);
  });

  it('a module that loads passes the check and the run goes on', async () => {
    const outcome = await runCli('loads', `${fixtures}/orders.ts#handler`);
    expect(outcome.exitCode, outcome.output).toBe(0);
  });
});
