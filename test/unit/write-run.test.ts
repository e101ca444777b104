import { describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUniqueFolder, writeFileAtomically, writeRun } from '../../run/write-run.ts';
import { loadRunFixture } from '../fixtures/run-results/helpers.ts';

describe('run folders', () => {
  it('gives each of many runs started in one second a folder of its own: the name, then -2, -3, …', async () => {
    const root = await mkdtemp(join(tmpdir(), 'sluice-unique-'));
    const folders = await Promise.all(Array.from({ length: 20 }, () => createUniqueFolder(join(root, 'runs'), 'sqs-basic-20261202-130000')));
    expect(new Set(folders).size).toBe(20);
    expect((await readdir(join(root, 'runs'))).sort()).toEqual(['sqs-basic-20261202-130000', ...Array.from({ length: 19 }, (_, i) => `sqs-basic-20261202-130000-${i + 2}`)].sort());
  });

  it('writes two results of one scenario and second into two folders, each result.json whole', async () => {
    const root = await mkdtemp(join(tmpdir(), 'sluice-unique-'));
    const first = loadRunFixture('sqs-standard');
    const second = { ...loadRunFixture('sqs-standard'), runId: 'the-other-run' };
    const written = await Promise.all([writeRun(first, root), writeRun(second, root)]);
    expect(written[0].folder).not.toBe(written[1].folder);
    const runIds = await Promise.all(written.map(async (w) => JSON.parse(await readFile(join(w.folder, 'result.json'), 'utf8')).runId));
    expect(runIds.sort()).toEqual([first.runId, 'the-other-run'].sort());
  });
});

describe('writeFileAtomically', () => {
  it('replaces a file whole and leaves no temporary file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-atomic-'));
    await writeFile(join(dir, 'result.json'), 'old');
    await writeFileAtomically(join(dir, 'result.json'), 'new');
    expect(await readFile(join(dir, 'result.json'), 'utf8')).toBe('new');
    expect(await readdir(dir)).toEqual(['result.json']);
  });

  it('leaves other files as they were and no temporary file when the write fails', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-atomic-'));
    await writeFile(join(dir, 'result.json'), 'old');
    await expect(writeFileAtomically(join(dir, 'missing-folder', 'result.json'), 'x')).rejects.toThrow(/ENOENT/);
    expect(await readFile(join(dir, 'result.json'), 'utf8')).toBe('old');
    expect(await readdir(dir)).toEqual(['result.json']);
  });
});
