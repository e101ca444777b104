/**
 * Inside one execution environment (a worker thread with its own event loop and V8 heap):
 * imports the user's module once (the init phase), then runs one invoke at a time on the
 * messages of {@link ./worker-environment.ts}. Values cross the thread boundary as JSON,
 * as they cross Lambda's Runtime API.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import type { EnvironmentInit, FromEnvironment, ToEnvironment } from './worker-protocol.ts';

const init = workerData as EnvironmentInit;
const port = parentPort!;
const post = (message: FromEnvironment) => port.postMessage(message);

/** Registers the TypeScript loaders in this thread, once (defined by the thread's entry, handler-worker.mjs). */
const registerTypeScriptLoaders = (globalThis as unknown as Record<symbol, () => Promise<void>>)[Symbol.for('sluice.registerTypeScriptLoaders')]!;

type Handler = (event: unknown, context: unknown, callback: (error?: unknown, value?: unknown) => void) => unknown;

/** Milliseconds of CPU this thread used: a per-thread CPU clock where Node has one (23.9+), else the event loop's active time, which on one thread is the time it ran JavaScript or native work. */
const threadCpuMs: () => number =
  typeof (process as { threadCpuUsage?: () => NodeJS.CpuUsage }).threadCpuUsage === 'function'
    ? () => {
        const usage = (process as unknown as { threadCpuUsage: () => NodeJS.CpuUsage }).threadCpuUsage();
        return (usage.user + usage.system) / 1000;
      }
    : () => performance.eventLoopUtilization().active;

function heapInUseMb(): number {
  const heap = getHeapStatistics();
  return (heap.used_heap_size + heap.external_memory) / (1024 * 1024);
}

function describeError(error: unknown): { errorType: string; errorMessage: string } {
  if (error instanceof Error) return { errorType: error.name || 'Error', errorMessage: error.message };
  return { errorType: 'Error', errorMessage: typeof error === 'string' ? error : (JSON.stringify(error) ?? String(error)) };
}

/** The export the reference names; a CommonJS module's exports object arrives as `default` when Node cannot list its names. */
function exportOf(loaded: Record<string, unknown>, name: string): unknown {
  if (name in loaded) return loaded[name];
  const commonJsExports = loaded.default as Record<string, unknown> | undefined;
  if (commonJsExports && (typeof commonJsExports === 'object' || typeof commonJsExports === 'function') && name in commonJsExports) return commonJsExports[name];
  return undefined;
}

async function loadHandler(): Promise<Handler | undefined> {
  const startedMs = performance.now();
  let loaded: Record<string, unknown>;
  const moduleUrl = pathToFileURL(init.modulePath).href;
  try {
    if (/\.[cm]?tsx?$/i.test(init.modulePath)) await registerTypeScriptLoaders();
    try {
      loaded = (await import(moduleUrl)) as Record<string, unknown>;
    } catch (error) {
      // ESM syntax in a .js file of a CommonJS folder: Node 22 and later (and Lambda's runtimes)
      // detect it, Node 20 does not; the TypeScript loader does, so the import is tried once more
      // with it (under another URL: the failed one stays failed in the module cache).
      if (!(error instanceof SyntaxError) || !/\.js$/i.test(init.modulePath)) throw error;
      await registerTypeScriptLoaders();
      loaded = (await import(`${moduleUrl}?module-syntax-detected`)) as Record<string, unknown>;
    }
  } catch (error) {
    post({ type: 'init-failed', errorType: 'Runtime.ImportModuleError', errorMessage: describeError(error).errorMessage });
    return undefined;
  }
  const handler = exportOf(loaded, init.exportName);
  if (typeof handler !== 'function') {
    const found = Object.keys(loaded).filter((key) => key !== 'default' || typeof loaded.default !== 'object');
    const commonJs = loaded.default && typeof loaded.default === 'object' ? Object.keys(loaded.default as object) : [];
    const names = [...new Set([...found, ...commonJs])].filter((key) => key !== 'module.exports');
    post({
      type: 'init-failed',
      errorType: 'Runtime.HandlerNotFound',
      errorMessage:
        handler === undefined
          ? `the module has no export named "${init.exportName}" (it exports ${names.length > 0 ? names.map((n) => `"${n}"`).join(', ') : 'nothing'})`
          : `the export "${init.exportName}" is ${handler === null ? 'null' : `a ${typeof handler}`}, not a function`,
    });
    return undefined;
  }
  post({ type: 'ready', initDurationMs: performance.now() - startedMs });
  return handler as Handler;
}

/**
 * Calls the handler as Lambda's Node.js runtime does: a returned promise decides the result;
 * otherwise a handler that takes a callback answers through it; a handler that does neither
 * answers null. https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html
 */
function callHandler(handler: Handler, event: unknown, context: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (error: unknown, value?: unknown) => {
      if (settled) return;
      settled = true;
      if (error !== undefined && error !== null) reject(error);
      else resolve(value);
    };
    const returned = handler(event, context, (error, value) => settle(error, value));
    if (returned !== null && typeof returned === 'object' && typeof (returned as PromiseLike<unknown>).then === 'function') {
      (returned as PromiseLike<unknown>).then(
        (value) => settle(undefined, value),
        (error) => settle(error ?? new Error('the handler rejected with no reason')),
      );
    } else if (handler.length < 3) {
      settle(undefined, undefined);
    }
  });
}

/**
 * The result as Lambda's runtime sends it back: JSON. A value JSON cannot hold (a cycle, a
 * BigInt, a bare Symbol or function) fails the invoke, as the runtime's own stringify does.
 */
function serialiseResult(value: unknown): { ok: true; payloadJson: string } | { ok: false; errorType: string; errorMessage: string } {
  if (value === undefined) return { ok: true, payloadJson: 'null' };
  try {
    const payloadJson = JSON.stringify(value);
    if (payloadJson === undefined) return { ok: false, errorType: 'Runtime.SerializationError', errorMessage: `Unable to stringify response body: a ${typeof value} has no JSON form` };
    return { ok: true, payloadJson };
  } catch (error) {
    return { ok: false, errorType: 'Runtime.SerializationError', errorMessage: `Unable to stringify response body: ${describeError(error).errorMessage}` };
  }
}

async function invoke(handler: Handler, message: Extract<ToEnvironment, { type: 'invoke' }>): Promise<void> {
  const remainingMs = () => Math.max(0, message.deadlineEpochMs - Date.now());
  const context = {
    awsRequestId: message.requestId,
    requestId: message.requestId,
    functionName: init.functionName,
    functionVersion: '$LATEST',
    memoryLimitInMB: String(init.memoryMb),
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: remainingMs,
    remainingMs,
  };
  let peakMemoryMb = heapInUseMb();
  // Sampled whenever the loop turns: a handler that allocates across awaits is seen at its peak.
  const sampler = setInterval(() => {
    peakMemoryMb = Math.max(peakMemoryMb, heapInUseMb());
  }, 5);
  const cpuStartMs = threadCpuMs();
  let outcome: { ok: true; payloadJson: string } | { ok: false; errorType: string; errorMessage: string };
  try {
    outcome = serialiseResult(await callHandler(handler, JSON.parse(message.eventJson), context));
  } catch (error) {
    outcome = { ok: false, ...describeError(error) };
  }
  clearInterval(sampler);
  const measures = { cpuMs: threadCpuMs() - cpuStartMs, peakMemoryMb: Math.max(peakMemoryMb, heapInUseMb()) };
  post(outcome.ok ? { type: 'result', id: message.id, ok: true, payloadJson: outcome.payloadJson, ...measures } : { type: 'result', id: message.id, ok: false, errorType: outcome.errorType, errorMessage: outcome.errorMessage, ...measures });
}

const handler = await loadHandler();
if (handler) {
  port.on('message', (message: ToEnvironment) => {
    if (message.type === 'invoke') void invoke(handler, message);
  });
}
