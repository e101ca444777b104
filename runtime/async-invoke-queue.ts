import type { Clock, TimerHandle } from '../core/clock.ts';
import type { LambdaFunction } from './lambda-function.ts';
import type { HandlerEvent } from './handler.ts';
import { ConcurrencyThrottleError, FunctionError } from './errors.ts';
import { awsDefaults } from '../core/aws-defaults.ts';

/**
 * The function's asynchronous invocation settings (what `PutFunctionEventInvokeConfig`
 * sets on AWS), plus the retry delays, which AWS fixes and sluice lets a scenario shorten.
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-configuring.html
 */
export interface AsyncInvokeSettings {
  /** Retries after a function error: 0–2 (AWS default 2). */
  maximumRetryAttempts: number;
  /** How long an event may stay in the queue, retries included: 60 s–6 h (default 6 h). */
  maximumEventAgeMs: number;
  /**
   * Wait before retry n after a function error (index n − 1); the last value repeats.
   * AWS: 1 minute, then 2 minutes.
   */
  errorRetryDelaysMs: readonly number[];
  /** First wait after a throttle; doubles on each further throttle of the same event (AWS: 1 s). */
  throttleRetryInitialMs: number;
  /** Cap of the throttle wait (AWS: 5 minutes). */
  throttleRetryMaxMs: number;
}

/** AWS's defaults, from the table in core/aws-defaults.ts. */
export const defaultAsyncInvokeSettings: AsyncInvokeSettings = {
  maximumRetryAttempts: awsDefaults.asyncInvokeMaximumRetryAttempts.value,
  maximumEventAgeMs: awsDefaults.asyncInvokeMaximumEventAgeMs.value,
  errorRetryDelaysMs: awsDefaults.asyncInvokeErrorRetryDelaysMs.value,
  throttleRetryInitialMs: awsDefaults.asyncInvokeThrottleRetryInitialMs.value,
  throttleRetryMaxMs: awsDefaults.asyncInvokeThrottleRetryMaxMs.value,
};

/** Why an event left the queue without success; the name AWS writes in the destination record's `condition`. */
export type AsyncFailureCondition = 'RetriesExhausted' | 'EventAgeExceeded';

/** One event in the queue. `meta` is the caller's (event ids, the source's record). */
export interface AsyncInvocation<Meta> {
  /** Sequence number in this queue. */
  readonly seq: number;
  readonly payload: HandlerEvent;
  readonly meta: Meta;
  /** When the event entered the queue: its age counts from here, retries included. */
  readonly enqueuedAtMs: number;
  /** Invokes started (throttled attempts excluded). */
  attempts: number;
  functionErrors: number;
  throttles: number;
  lastError?: Error;
}

export interface AsyncInvokeObserver<Meta> {
  /** An invoke of the event started; `ageMs` is its async event age at this moment. */
  onInvokeStart?(item: AsyncInvocation<Meta>, ageMs: number): void;
  onSuccess?(item: AsyncInvocation<Meta>, result: unknown): void;
  /** The handler failed; the event is retried unless `willRetry` is false. */
  onFunctionError?(item: AsyncInvocation<Meta>, error: Error, willRetry: boolean): void;
  onThrottle?(item: AsyncInvocation<Meta>, error: ConcurrencyThrottleError): void;
  /** The event is given up: hand it to the on-failure destination (DLQ). */
  onFailure?(item: AsyncInvocation<Meta>, condition: AsyncFailureCondition): void;
}

export interface AsyncInvokeQueueOptions<Meta> {
  fn: LambdaFunction;
  clock: Clock;
  settings?: Partial<AsyncInvokeSettings>;
  observer?: AsyncInvokeObserver<Meta>;
}

export interface AsyncInvokeStats {
  enqueued: number;
  invocations: number;
  succeeded: number;
  functionErrors: number;
  throttles: number;
  retriesScheduled: number;
  retriesExhausted: number;
  eventAgeExceeded: number;
}

/** A FIFO with O(1) push and shift (Array#shift is O(n) once a backlog builds). */
class Fifo<T> {
  private items: Array<T | undefined> = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head += 1;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Removes and returns every item `drop` selects, keeping the order of the rest. */
  removeWhere(drop: (item: T) => boolean): T[] {
    const kept: T[] = [];
    const dropped: T[] = [];
    for (let i = this.head; i < this.items.length; i += 1) {
      const item = this.items[i] as T;
      (drop(item) ? dropped : kept).push(item);
    }
    this.items = kept;
    this.head = 0;
    return dropped;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = this.head; i < this.items.length; i += 1) yield this.items[i] as T;
  }
}

/**
 * Lambda's internal queue for asynchronous invokes (EventBridge, S3 and every
 * `InvocationType: Event` call), written once against an injected clock.
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html
 *
 * - Events wait in the queue and are invoked as the function's concurrency allows: the
 *   queue reads an event only while an environment is free, which is AWS's "reduces the
 *   rate at which it reads events from the queue" when the function is at its limit.
 * - An invoke refused anyway (burst scaling, a synchronous caller took the slot) is a
 *   throttle: the event goes back with a wait that doubles from 1 s to 5 min, and is
 *   retried for as long as its age allows.
 *   https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
 * - A function error (handler error or timeout) is retried up to `maximumRetryAttempts`
 *   times, after 1 min and then 2 min on AWS (configurable here).
 * - An event older than `maximumEventAgeMs`, or out of retries, goes to the on-failure
 *   destination (`onFailure`).
 * - Async event age is the time from enqueue to invoke; {@link takeAgeMsMax} reports the
 *   highest age seen since its last call, including events still waiting.
 *
 * @example
 * const queue = new AsyncInvokeQueue({ fn, clock, observer: { onFailure: (item) => dlq.send(item) } });
 * queue.enqueue(event, { ids: [17] });
 */
export class AsyncInvokeQueue<Meta> {
  private readonly settings: AsyncInvokeSettings;
  private readonly ready = new Fifo<AsyncInvocation<Meta>>();
  private readonly delayed = new Map<number, { item: AsyncInvocation<Meta>; timer: TimerHandle }>();
  private readonly inFlight = new Map<number, Promise<void>>();
  private nextSeq = 0;
  private stopped = false;
  private sweepTimer: TimerHandle | undefined;
  private invokedAgeMsMax = 0;
  private readonly counters: AsyncInvokeStats = {
    enqueued: 0,
    invocations: 0,
    succeeded: 0,
    functionErrors: 0,
    throttles: 0,
    retriesScheduled: 0,
    retriesExhausted: 0,
    eventAgeExceeded: 0,
  };

  constructor(private readonly options: AsyncInvokeQueueOptions<Meta>) {
    this.settings = { ...defaultAsyncInvokeSettings, ...options.settings };
    const problems = validateAsyncInvokeSettings(this.settings);
    if (problems.length > 0) throw new RangeError(`invalid asynchronous invoke settings: ${problems.join('; ')}`);
  }

  /** Puts an event in the queue (Lambda answered the Event invoke with 202). */
  enqueue(payload: HandlerEvent, meta: Meta): AsyncInvocation<Meta> {
    const item: AsyncInvocation<Meta> = { seq: this.nextSeq++, payload, meta, enqueuedAtMs: this.options.clock.nowMs(), attempts: 0, functionErrors: 0, throttles: 0 };
    this.counters.enqueued += 1;
    this.ready.push(item);
    this.pump();
    return item;
  }

  /** Events held: waiting, waiting for a retry, or being invoked. */
  get size(): number {
    return this.ready.length + this.delayed.size + this.inFlight.size;
  }

  get waitingCount(): number {
    return this.ready.length;
  }

  get retryingCount(): number {
    return this.delayed.size;
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Every event not yet invoked successfully nor given up (for the end-of-run accounting). */
  *held(): IterableIterator<AsyncInvocation<Meta>> {
    yield* this.ready;
    for (const { item } of this.delayed.values()) yield item;
  }

  stats(): AsyncInvokeStats {
    return { ...this.counters };
  }

  /**
   * The highest async event age since the last call: ages of the events invoked since then,
   * and the current age of every event still held. Meant for a once-a-second gauge.
   */
  takeAgeMsMax(nowMs = this.options.clock.nowMs()): number {
    let ageMs = this.invokedAgeMsMax;
    for (const item of this.held()) ageMs = Math.max(ageMs, nowMs - item.enqueuedAtMs);
    this.invokedAgeMsMax = 0;
    return ageMs;
  }

  /** Stops invoking; invokes in flight finish. Held events stay held (counted as pending). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.sweepTimer) this.options.clock.clearTimer(this.sweepTimer);
    this.sweepTimer = undefined;
    for (const { timer } of this.delayed.values()) this.options.clock.clearTimer(timer);
    await Promise.allSettled([...this.inFlight.values()]);
  }

  /** Invokes waiting events while the function has a free environment. */
  private pump(): void {
    const { fn, clock } = this.options;
    while (!this.stopped && this.ready.length > 0 && fn.hasCapacity()) {
      const item = this.ready.shift()!;
      if (clock.nowMs() - item.enqueuedAtMs >= this.settings.maximumEventAgeMs) {
        this.fail(item, 'EventAgeExceeded');
        continue;
      }
      // An invoke refused at once (burst scaling): stop reading until something changes.
      if (!this.invoke(item)) break;
    }
    this.armSweep();
  }

  /** Starts one invoke; false when the function refused it at once (a throttle). */
  private invoke(item: AsyncInvocation<Meta>): boolean {
    const { fn, clock, observer } = this.options;
    const ageMs = clock.nowMs() - item.enqueuedAtMs;
    // The runtime takes an environment synchronously, so a started invoke shows in its
    // concurrency at once; a throttle rejects without taking one.
    const busyBefore = fn.concurrency;
    const running = fn.invoke(item.payload, 'async');
    const started = fn.concurrency > busyBefore;
    const settled: Promise<void> = running.then(
      (result) => {
        this.inFlight.delete(item.seq);
        this.counters.succeeded += 1;
        observer?.onSuccess?.(item, result);
        this.pump();
      },
      (error: unknown) => {
        this.inFlight.delete(item.seq);
        if (error instanceof ConcurrencyThrottleError) {
          // No pump here: reading on would only throttle the next event too.
          this.throttled(item, error);
          return;
        }
        this.functionFailed(item, error instanceof Error ? error : new FunctionError(String(error), 'Unhandled'));
        this.pump();
      },
    );
    this.inFlight.set(item.seq, settled);
    if (started) {
      item.attempts += 1;
      this.counters.invocations += 1;
      this.invokedAgeMsMax = Math.max(this.invokedAgeMsMax, ageMs);
      observer?.onInvokeStart?.(item, ageMs);
    }
    return started;
  }

  private throttled(item: AsyncInvocation<Meta>, error: ConcurrencyThrottleError): void {
    item.throttles += 1;
    item.lastError = error;
    this.counters.throttles += 1;
    this.options.observer?.onThrottle?.(item, error);
    const delayMs = Math.min(this.settings.throttleRetryMaxMs, this.settings.throttleRetryInitialMs * 2 ** (item.throttles - 1));
    this.retryLater(item, delayMs);
  }

  private functionFailed(item: AsyncInvocation<Meta>, error: Error): void {
    item.functionErrors += 1;
    item.lastError = error;
    this.counters.functionErrors += 1;
    const willRetry = item.functionErrors <= this.settings.maximumRetryAttempts;
    this.options.observer?.onFunctionError?.(item, error, willRetry);
    if (!willRetry) {
      this.fail(item, 'RetriesExhausted');
      return;
    }
    const delays = this.settings.errorRetryDelaysMs;
    const delayMs = delays.length === 0 ? 0 : delays[Math.min(item.functionErrors, delays.length) - 1];
    this.retryLater(item, delayMs);
  }

  /**
   * Holds the event until its retry is due — or until its age runs out, whichever comes
   * first, so an event whose next retry lies beyond its maximum age reaches the
   * destination when it expires, not minutes later.
   */
  private retryLater(item: AsyncInvocation<Meta>, delayMs: number): void {
    const { clock } = this.options;
    if (this.stopped) {
      // No retry after stop: the event stays held (pending at the end), with no timer to clear.
      this.delayed.set(item.seq, { item, timer: { id: -1 } });
      return;
    }
    const expiresAtMs = item.enqueuedAtMs + this.settings.maximumEventAgeMs;
    const dueAtMs = Math.min(clock.nowMs() + delayMs, expiresAtMs);
    this.counters.retriesScheduled += 1;
    const timer = clock.setTimer(() => {
      this.delayed.delete(item.seq);
      if (clock.nowMs() >= expiresAtMs) {
        this.fail(item, 'EventAgeExceeded');
        return;
      }
      this.ready.push(item);
      this.pump();
    }, dueAtMs - clock.nowMs());
    this.delayed.set(item.seq, { item, timer });
  }

  private fail(item: AsyncInvocation<Meta>, condition: AsyncFailureCondition): void {
    if (condition === 'RetriesExhausted') this.counters.retriesExhausted += 1;
    else this.counters.eventAgeExceeded += 1;
    this.options.observer?.onFailure?.(item, condition);
  }

  /**
   * While events wait for concurrency, a check once a second gives up those past their
   * maximum age — they would otherwise only be noticed when a slot frees up.
   */
  private armSweep(): void {
    if (this.stopped || this.sweepTimer || this.ready.length === 0) return;
    this.sweepTimer = this.options.clock.setTimer(() => {
      this.sweepTimer = undefined;
      const nowMs = this.options.clock.nowMs();
      const expired = this.ready.removeWhere((item) => nowMs - item.enqueuedAtMs >= this.settings.maximumEventAgeMs);
      for (const item of expired) this.fail(item, 'EventAgeExceeded');
      this.pump();
    }, 1000);
  }
}

/** Every problem with a settings object, in words a scenario author understands. */
export function validateAsyncInvokeSettings(settings: AsyncInvokeSettings): string[] {
  const problems: string[] = [];
  const [minAgeMs, maxAgeMs] = awsDefaults.asyncInvokeMaximumEventAgeRangeMs.value;
  if (!Number.isInteger(settings.maximumRetryAttempts) || settings.maximumRetryAttempts < 0 || settings.maximumRetryAttempts > 2) {
    problems.push(`maximumRetryAttempts must be 0, 1 or 2 (got ${settings.maximumRetryAttempts})`);
  }
  if (!(settings.maximumEventAgeMs >= minAgeMs && settings.maximumEventAgeMs <= maxAgeMs)) {
    problems.push(`maximumEventAge must be between 60 s and 6 h (got ${settings.maximumEventAgeMs} ms)`);
  }
  if (settings.errorRetryDelaysMs.some((delayMs) => !(delayMs >= 0))) problems.push('errorRetryDelays must not be negative');
  if (!(settings.throttleRetryInitialMs > 0) || !(settings.throttleRetryMaxMs >= settings.throttleRetryInitialMs)) {
    problems.push('throttle retry delays must be positive, the maximum at least the initial one');
  }
  return problems;
}
