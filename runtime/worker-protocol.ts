/** The messages between the run's thread and one execution environment (a worker thread). */

/** What an environment is started with (its workerData). */
export interface EnvironmentInit {
  /** Absolute path of the user's module. */
  modulePath: string;
  exportName: string;
  functionName: string;
  memoryMb: number;
}

export type ToEnvironment = {
  type: 'invoke';
  id: number;
  requestId: string;
  /** The event as JSON, as Lambda's Runtime API hands it to the runtime. */
  eventJson: string;
  /** Wall-clock deadline (Date.now() scale) for `context.getRemainingTimeInMillis()`. */
  deadlineEpochMs: number;
};

/** What the handler cost during one invoke, measured inside its thread. */
export interface InvokeMeasures {
  /** CPU time of the environment's thread during the invoke. */
  cpuMs: number;
  /** Highest V8 heap in use (used heap + external memory) of the environment's isolate during the invoke. */
  peakMemoryMb: number;
}

export type FromEnvironment =
  | { type: 'ready'; initDurationMs: number }
  | { type: 'init-failed'; errorType: string; errorMessage: string }
  | ({ type: 'result'; id: number; ok: true; payloadJson: string } & InvokeMeasures)
  | ({ type: 'result'; id: number; ok: false; errorType: string; errorMessage: string } & InvokeMeasures);
