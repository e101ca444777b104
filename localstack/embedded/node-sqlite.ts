import { isBuiltin, register } from 'node:module';

const registered = Symbol.for('sluice.nodeSqliteShim');

/**
 * fauxqs imports node:sqlite (for on-disk persistence sluice does not use), which Node 20
 * lacks: bin/node-sqlite-shim.mjs answers that import. bin/register.mjs registers it for a
 * process that runs the TypeScript sources; the bundled CLI loads no loaders at start, so
 * the SQS service registers it here, before it imports fauxqs.
 */
export function ensureNodeSqlite(): void {
  const flags = globalThis as Record<symbol, unknown>;
  if (isBuiltin('node:sqlite') || flags[registered]) return;
  flags[registered] = true;
  register('../../bin/node-sqlite-shim.mjs', import.meta.url);
}
