// Loaders every sluice process that runs its TypeScript sources needs: the sources run as
// they are (tsx), and the node:sqlite stand-in for fauxqs on Node 20.
import { register } from 'node:module';
import { register as registerTypeScript } from 'tsx/esm/api';
import './quiet-sdk-warning.mjs';

register('./node-sqlite-shim.mjs', import.meta.url);
// localstack/embedded/node-sqlite.ts registers it for a process started from the bundled CLI; once is enough.
globalThis[Symbol.for('sluice.nodeSqliteShim')] = true;
registerTypeScript();
