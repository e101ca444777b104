import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error: plain JavaScript beside bin/sluice.js, without type declarations
import { freshCliBundle } from '../../bin/cli-bundle.mjs';

/** A checkout with one source and a bundle built from it at `builtAtMs`. */
async function checkout(builtAtMs: number, manifestRoot?: string): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'sluice-bundle-'));
  await mkdir(join(root, '.build', 'cli'), { recursive: true });
  await mkdir(join(root, 'cli'));
  await writeFile(join(root, 'cli', 'main.ts'), 'export {};\n');
  await utimes(join(root, 'cli', 'main.ts'), (builtAtMs - 60_000) / 1000, (builtAtMs - 60_000) / 1000);
  await writeFile(join(root, '.build', 'cli', 'manifest.json'), JSON.stringify({ root: manifestRoot ?? root, builtAtMs, inputs: ['cli/main.ts'] }));
  return root;
}

describe('bin/sluice.js: the bundled CLI only while it is fresh', () => {
  const roots: string[] = [];
  afterEach(async () => {
    delete process.env.SLUICE_FROM_SOURCES;
    await Promise.all(roots.splice(0).map((root) => rm(root, { recursive: true, force: true })));
  });

  it('runs the bundle while every source is older than it', async () => {
    const root = await checkout(Date.now());
    roots.push(root);
    expect(freshCliBundle(root)).toBe(`file://${join(root, '.build', 'cli', 'main.js')}`);
  });

  it('runs the sources once one is edited after the build, deleted, or the checkout moved', async () => {
    const edited = await checkout(Date.now() - 120_000);
    await utimes(join(edited, 'cli', 'main.ts'), new Date(), new Date());
    const deleted = await checkout(Date.now());
    await rm(join(deleted, 'cli', 'main.ts'));
    const moved = await checkout(Date.now(), '/somewhere/else');
    roots.push(edited, deleted, moved);
    expect(freshCliBundle(edited)).toBeUndefined();
    expect(freshCliBundle(deleted)).toBeUndefined();
    expect(freshCliBundle(moved)).toBeUndefined();
  });

  it('runs the sources without a bundle, or when SLUICE_FROM_SOURCES=1', async () => {
    const root = await checkout(Date.now());
    const none = await mkdtemp(join(tmpdir(), 'sluice-bundle-'));
    roots.push(root, none);
    expect(freshCliBundle(none)).toBeUndefined();
    process.env.SLUICE_FROM_SOURCES = '1';
    expect(freshCliBundle(root)).toBeUndefined();
  });
});
