import { Worker } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { transformSync } from 'esbuild';
import { SluiceError } from '../core/sluice-error.ts';
import type { EnvironmentInit, FromEnvironment, InvokeMeasures, ToEnvironment } from './worker-protocol.ts';

/**
 * Lambda's Init phase is limited to 10 seconds: an import that takes longer (or never
 * finishes) is a failed init, both in the check before a run and at a cold start.
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html#runtimes-lifecycle-ib
 */
export const handlerInitLimitMs = 10_000;

/**
 * The most a synchronous invoke may answer: 6 MB (request and response, synchronous).
 * https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
 */
export const syncResponseLimitBytes = 6 * 1024 * 1024;

/** Lambda's error types for an init that failed, plus sluice's for one that ran out of time. */
export type HandlerLoadErrorType = 'Runtime.ImportModuleError' | 'Runtime.HandlerNotFound' | 'Runtime.InitTimeout' | 'Runtime.ExitError' | 'Runtime.OutOfMemory';

const loadHints: Record<HandlerLoadErrorType, string> = {
  'Runtime.ImportModuleError': 'The module failed to import: fix the error above (run the file with `node` or `npx tsx` to see it in full), or correct the path, which is relative to the scenario file.',
  'Runtime.HandlerNotFound': 'Export the handler under the name after "#" (export const handler = async (event) => …, or exports.handler = …), or change the name in the reference.',
  'Runtime.InitTimeout': `Lambda gives the init phase ${handlerInitLimitMs / 1000} s: move slow work (connections, large downloads) out of module scope or make it finish, and make sure no top-level await waits forever.`,
  'Runtime.ExitError': 'The module ended its thread while loading (process.exit or an uncaught exception): remove that from module scope.',
  'Runtime.OutOfMemory': "The module ran out of memory while loading: raise the scenario's function.memoryMb, or load less at module scope.",
};

/**
 * A handler module that did not load into an execution environment: the import threw or
 * never finished, or the named export is missing or not a function.
 */
export class HandlerLoadError extends SluiceError<'SLUICE_HANDLER_LOAD'> {
  constructor(
    readonly errorType: HandlerLoadErrorType,
    message: string,
  ) {
    super('SLUICE_HANDLER_LOAD', message, loadHints[errorType]);
  }
}

/** How one invoke in an environment ended. `environmentDied` means the environment is gone and must not be reused. */
export type EnvironmentInvokeResult =
  | ({ ok: true; value: unknown } & InvokeMeasures)
  | ({ ok: false; errorType: string; errorMessage: string; environmentDied: boolean } & Partial<InvokeMeasures>);

export interface EnvironmentInvoke {
  requestId: string;
  deadlineEpochMs: number;
  /** A synchronous invoke's answer is held to the 6 MB response limit. */
  synchronous: boolean;
}

const workerEntry = new URL('./handler-worker.mjs', import.meta.url);

let environmentLogic: string | undefined;

/**
 * The environment's logic (handler-worker.ts) as JavaScript, compiled once per process, so a
 * thread needs no TypeScript loader of its own to run it (see handler-worker.mjs).
 */
function compiledEnvironmentLogic(): string {
  const sourceUrl = new URL('./handler-worker.ts', import.meta.url);
  environmentLogic ??= transformSync(readFileSync(sourceUrl, 'utf8'), { loader: 'ts', format: 'esm', target: 'node20', sourcefile: sourceUrl.pathname }).code;
  return environmentLogic;
}

/**
 * One execution environment of a module handler: a worker thread with its own event loop
 * and V8 heap (old generation capped at the function's memoryMb), so whatever the handler
 * does — block, leak, crash, exit — happens to it and not to the load generator.
 *
 * @example
 * const environment = await WorkerEnvironment.start({ modulePath, exportName: 'handler', functionName: 'orders', memoryMb: 128 });
 * const result = await environment.invoke({ Records: [] }, { requestId, deadlineEpochMs: Date.now() + 3000, synchronous: false });
 * await environment.terminate();
 */
export class WorkerEnvironment {
  private nextInvokeId = 1;
  private pending?: { id: number; synchronous: boolean; resolve: (result: EnvironmentInvokeResult) => void };
  private deathReason?: { errorType: string; errorMessage: string };
  private exited = false;

  private constructor(
    private readonly worker: Worker,
    /** The import's own time inside the thread; the cold start a caller sees also holds the thread's start. */
    readonly importDurationMs: number,
  ) {
    worker.on('message', (message: FromEnvironment) => {
      if (message.type !== 'result' || !this.pending || this.pending.id !== message.id) return;
      const { resolve, synchronous } = this.pending;
      this.pending = undefined;
      resolve(resultOf(message, synchronous));
    });
    worker.on('error', (error: Error & { code?: string }) => {
      this.deathReason = deathOf(error);
    });
    worker.on('exit', (exitCode) => {
      this.exited = true;
      const reason = this.deathReason ?? { errorType: 'Runtime.ExitError', errorMessage: `Runtime exited with error: exit status ${exitCode}` };
      const pending = this.pending;
      this.pending = undefined;
      pending?.resolve({ ok: false, ...reason, environmentDied: true });
    });
  }

  /**
   * Starts a worker thread and imports the module in it (Lambda's init phase). Rejects with
   * {@link HandlerLoadError} when the module does not load within `initLimitMs`; the thread
   * is ended then.
   */
  static start(init: EnvironmentInit, initLimitMs = handlerInitLimitMs): Promise<WorkerEnvironment> {
    const worker = new Worker(workerEntry, {
      workerData: { ...init, environmentLogic: compiledEnvironmentLogic() },
      // The user's module gets a clean Node, not the flags of the process that runs sluice (a test runner's, say).
      execArgv: [],
      resourceLimits: { maxOldGenerationSizeMb: init.memoryMb },
    });
    // An idle environment must not keep the run's process alive; a pending invoke keeps it alive by its timeout timer.
    worker.unref();
    return new Promise((resolve, reject) => {
      let deathReason: { errorType: string; errorMessage: string } | undefined;
      const stopListening = () => {
        clearTimeout(limit);
        worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      };
      const fail = (error: HandlerLoadError) => {
        stopListening();
        worker.on('error', () => undefined);
        void worker.terminate();
        reject(error);
      };
      const limit = setTimeout(
        () => fail(new HandlerLoadError('Runtime.InitTimeout', `the import did not finish within ${initLimitMs / 1000} s (Lambda's init limit)`)),
        initLimitMs,
      );
      const onMessage = (message: FromEnvironment) => {
        if (message.type === 'init-failed') fail(new HandlerLoadError(message.errorType as HandlerLoadErrorType, message.errorMessage));
        if (message.type === 'ready') {
          stopListening();
          resolve(new WorkerEnvironment(worker, message.initDurationMs));
        }
      };
      const onError = (error: Error & { code?: string }) => {
        deathReason = deathOf(error);
      };
      const onExit = (exitCode: number) => {
        // Exit status 13 is Node's "unsettled top-level await": the import waits on a promise nothing can settle any more.
        if (!deathReason && exitCode === 13) {
          fail(new HandlerLoadError('Runtime.InitTimeout', 'the import never finishes: a top-level await waits on a promise that nothing will settle'));
          return;
        }
        const reason = deathReason ?? { errorType: 'Runtime.ExitError', errorMessage: `the module ended its thread while loading (exit status ${exitCode})` };
        fail(new HandlerLoadError(reason.errorType === 'Runtime.OutOfMemory' ? 'Runtime.OutOfMemory' : 'Runtime.ExitError', reason.errorMessage));
      };
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    });
  }

  /** Whether the thread still runs (a dead environment is discarded, the next invoke is a cold start). */
  get alive(): boolean {
    return !this.exited;
  }

  /** Runs one invoke; never rejects (a handler's failure and the environment's death are results). */
  invoke(event: unknown, options: EnvironmentInvoke): Promise<EnvironmentInvokeResult> {
    if (this.exited || this.pending) {
      return Promise.resolve({ ok: false, errorType: 'Runtime.ExitError', errorMessage: this.exited ? 'the execution environment has ended' : 'the execution environment is busy', environmentDied: this.exited });
    }
    let eventJson: string;
    try {
      eventJson = JSON.stringify(event) ?? 'null';
    } catch (error) {
      return Promise.resolve({ ok: false, errorType: 'Runtime.SerializationError', errorMessage: `the event has no JSON form: ${(error as Error).message}`, environmentDied: false });
    }
    const id = this.nextInvokeId++;
    return new Promise((resolve) => {
      this.pending = { id, synchronous: options.synchronous, resolve };
      // Referenced while an invoke runs, so a run waiting only on a handler does not exit under it.
      this.worker.ref();
      const message: ToEnvironment = { type: 'invoke', id, requestId: options.requestId, eventJson, deadlineEpochMs: options.deadlineEpochMs };
      this.worker.postMessage(message);
    }).finally(() => {
      if (!this.exited) this.worker.unref();
    }) as Promise<EnvironmentInvokeResult>;
  }

  /** Ends the thread (idle reclaim, a timeout, the run's end). An invoke still running ends as a dead environment. */
  async terminate(): Promise<void> {
    if (this.exited) return;
    if (!this.deathReason) this.deathReason = { errorType: 'Runtime.ExitError', errorMessage: 'the execution environment was shut down' };
    await this.worker.terminate();
  }
}

function deathOf(error: Error & { code?: string }): { errorType: string; errorMessage: string } {
  if (error.code === 'ERR_WORKER_OUT_OF_MEMORY') return { errorType: 'Runtime.OutOfMemory', errorMessage: `Runtime exited with error: out of memory (${error.message})` };
  return { errorType: 'Runtime.ExitError', errorMessage: `Runtime exited with error: ${error.name}: ${error.message}` };
}

function resultOf(message: Extract<FromEnvironment, { type: 'result' }>, synchronous: boolean): EnvironmentInvokeResult {
  const measures = { cpuMs: message.cpuMs, peakMemoryMb: message.peakMemoryMb };
  if (!message.ok) return { ok: false, errorType: message.errorType, errorMessage: message.errorMessage, environmentDied: false, ...measures };
  const sizeBytes = synchronous ? Buffer.byteLength(message.payloadJson) : 0;
  if (sizeBytes > syncResponseLimitBytes) {
    return {
      ok: false,
      errorType: 'Function.ResponseSizeTooLarge',
      errorMessage: `Response payload size (${sizeBytes} bytes) exceeded maximum allowed payload size (${syncResponseLimitBytes} bytes).`,
      environmentDied: false,
      ...measures,
    };
  }
  return { ok: true, value: JSON.parse(message.payloadJson), ...measures };
}
