// Entry of one execution environment (a worker thread). The environment's own logic is
// handler-worker.ts, compiled to JavaScript once by the process that starts environments
// (runtime/worker-environment.ts) and handed over in workerData. A TypeScript loader costs a
// thread about 0.3 s to register, so it is registered only when the user's module is
// TypeScript (for import() and require(), as the module may be in either format); a
// JavaScript module cold-starts as it would on Lambda's Node runtime, without it.
import { setPriority } from 'node:os';
import { workerData } from 'node:worker_threads';

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

let typeScriptLoadersRegistered = false;
// Called by the environment's logic before it imports a TypeScript module (or a .js module in
// ESM syntax that Node 20 does not detect in a CommonJS folder, and the loader does).
globalThis[Symbol.for('sluice.registerTypeScriptLoaders')] = async () => {
  if (typeScriptLoadersRegistered) return;
  typeScriptLoadersRegistered = true;
  const [{ register: registerTypeScriptImports }, { register: registerTypeScriptRequires }] = await Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')]);
  registerTypeScriptImports();
  registerTypeScriptRequires();
};

// A data: URL module may import Node's built-in modules, which is all the environment's logic imports.
await import(`data:text/javascript,${encodeURIComponent(workerData.environmentLogic)}`);
