// Entry of one execution environment (a worker thread). The user's module may be TypeScript
// in any module format, so the worker registers the TypeScript loaders for both import()
// and require() before it loads anything; the environment's own logic is handler-worker.ts.
import { setPriority } from 'node:os';
import { register as registerTypeScriptImports } from 'tsx/esm/api';
import { register as registerTypeScriptRequires } from 'tsx/cjs/api';

/** Nice value of an execution environment's threads: well below the load generator's (0), and one any user may set. */
const environmentNice = 10;

// On Linux a thread's nice value is its own (setpriority on pid 0 changes the calling thread,
// and threads it starts later inherit it): the environment yields the CPU to the load
// generator, so on a machine with fewer cores than busy handlers a CPU-bound handler slows
// itself (its durations), not the arrivals. Elsewhere pid 0 is the whole process: left alone.
if (process.platform === 'linux') {
  try {
    setPriority(0, environmentNice);
  } catch {
    // A container may forbid it; the environment then runs at the generator's priority.
  }
}

registerTypeScriptImports();
registerTypeScriptRequires();
await import('./handler-worker.ts');
