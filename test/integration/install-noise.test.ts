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
    // Playwright's browser packages (@playwright/browser-*) and the full `playwright` package download a browser at install; playwright-core does not.
    const browserDownloaders = Object.keys(lock.packages).filter((path) => /node_modules\/(@playwright\/browser-[a-z]+|playwright)$/.test(path));
    expect(browserDownloaders).toEqual([]);
    expect(Object.keys(lock.packages)).toContain('node_modules/playwright-core');
  });
});
