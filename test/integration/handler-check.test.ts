import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkHandlerModules, moduleReferenceKeyPath } from '../../runtime/handler-check.ts';
import { locateKey } from '../../scenario/load.ts';
import { functionSpec } from '../support/scenarios.ts';

const fixtures = fileURLToPath(new URL('../fixtures/handlers/', import.meta.url));
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-handler-check-unit-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Checks a scenario file whose function block names `reference` (on line 4). */
async function check(reference: string, initLimitMs?: number) {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, ['name: check', 'function:', '  handler:', `    module: "${reference}"`, '    type: module', ''].join('\n'));
  const spec = functionSpec({ handler: { type: 'module', module: reference } });
  return checkHandlerModules({ function: spec }, file, (keyPath) => locateKey(file, keyPath), initLimitMs);
}

describe('handler module check before a run', () => {
  it('finds nothing wrong with a module that loads, and nothing to do for a synthetic handler', async () => {
    expect(await check(`${fixtures}orders.ts#handler`)).toEqual([]);
    expect(await checkHandlerModules({ function: functionSpec() }, 'unused.yaml', () => Promise.reject(new Error('not called')))).toEqual([]);
  });

  it('points a problem at the module reference: line, column and key path', async () => {
    const [problem] = await check(`${fixtures}throws-on-import.ts#handler`);
    expect(problem).toMatchObject({ line: 4, column: 5, keyPath: moduleReferenceKeyPath });
    expect(problem.message).toMatch(/does not load \(Runtime\.ImportModuleError\): DATABASE_URL is not set\. The module failed to import/);
  });

  it('refuses an import that runs past the init limit, in the limit’s time', async () => {
    const startedMs = Date.now();
    const [problem] = await check(`${fixtures}never-resolves.ts#handler`, 1500);
    expect(problem.message).toMatch(/Runtime\.InitTimeout.*did not finish within 1\.5 s/);
    expect(Date.now() - startedMs).toBeGreaterThanOrEqual(1500);
  });

  it('refuses at once a top-level await that waits on nothing', async () => {
    const startedMs = Date.now();
    const [problem] = await check(`${fixtures}awaits-nothing.ts#handler`);
    expect(problem.message).toMatch(/Runtime\.InitTimeout.*never finishes: a top-level await waits on a promise that nothing will settle/);
    expect(Date.now() - startedMs).toBeLessThan(10_000);
  });

  it('names a missing file with the path it looked for', async () => {
    const [problem] = await check('./handlers/absent.mjs#handler');
    expect(problem.message).toContain(`./handlers/absent.mjs#handler: no such file (${join(dir, 'handlers', 'absent.mjs')}`);
  });
});
