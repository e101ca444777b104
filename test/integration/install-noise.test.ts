import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

describe('install and npx', () => {
  it('npx sluice prints sluice’s own output first: no npm warning about the project’s .npmrc', async () => {
    const { stdout, stderr } = await run('npx', ['--no-install', 'sluice', '--version'], { cwd: new URL('../..', import.meta.url) });
    expect(stderr).not.toMatch(/npm warn/i);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('the lockfile installs no package whose install script downloads a browser', async () => {
    const lock = JSON.parse(await readFile(new URL('../../package-lock.json', import.meta.url), 'utf8')) as { packages: Record<string, { name?: string; hasInstallScript?: boolean }> };
    // @playwright/browser-chromium's only work is its install script's Chromium download; package.json's overrides replace it.
    const browserPackages = Object.entries(lock.packages).filter(([path]) => /node_modules\/@playwright\/browser-[a-z]+$/.test(path));
    expect(browserPackages.length).toBeGreaterThan(0);
    for (const [path, entry] of browserPackages) {
      expect(entry, path).toMatchObject({ name: 'playwright-core' });
      expect(entry.hasInstallScript, path).toBeUndefined();
    }
  });
});
