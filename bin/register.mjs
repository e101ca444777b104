// Loaders every sluice process needs: TypeScript sources run as they are (tsx), and the
// node:sqlite stand-in for fauxqs on Node 20.
import { register } from 'node:module';
import { register as registerTypeScript } from 'tsx/esm/api';

register('./node-sqlite-shim.mjs', import.meta.url);
registerTypeScript();
