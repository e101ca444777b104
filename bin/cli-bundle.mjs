// The bundled CLI (.build/cli, written by scripts/build-cli.mjs) when it is as new as every
// source it was built from, else undefined: an edited, moved or half-built checkout runs its
// sources through tsx instead. Checking is a stat per source, about 2 ms.
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export function freshCliBundle(root = projectRoot) {
  if (process.env.SLUICE_FROM_SOURCES === '1') return undefined;
  try {
    const dir = join(root, '.build', 'cli');
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    if (manifest.root !== root) return undefined;
    for (const input of manifest.inputs) if (statSync(join(root, input)).mtimeMs > manifest.builtAtMs) return undefined;
    return pathToFileURL(join(dir, 'main.js')).href;
  } catch {
    return undefined;
  }
}
