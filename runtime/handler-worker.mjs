// Entry of one execution environment (a worker thread). The user's module may be TypeScript
// in any module format, so the worker registers the TypeScript loaders for both import()
// and require() before it loads anything; the environment's own logic is handler-worker.ts.
import { register as registerTypeScriptImports } from 'tsx/esm/api';
import { register as registerTypeScriptRequires } from 'tsx/cjs/api';

registerTypeScriptImports();
registerTypeScriptRequires();
await import('./handler-worker.ts');
