/**
 * Time as the scaling rules see it. The rules take a Clock instead of calling Date.now or
 * setTimeout, so the same code runs live (the real clock) and deterministically in tests
 * or predictions (a virtual clock that jumps from timer to timer).
 */
export interface Clock {
  nowMs(): number;
  setTimer(callback: () => void, delayMs: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
  /** Resolves after `delayMs`, or rejects with the signal's reason when it aborts first. */
  sleep(delayMs: number, signal?: AbortSignal): Promise<void>;
}

export interface TimerHandle {
  readonly id: number;
}

/** What code that only reads the time needs (token buckets, quotas): any `Clock` satisfies it. */
export type NowClock = Pick<Clock, 'nowMs'>;

/** What a polling wait needs (read the time, sleep between polls): any `Clock` satisfies it. */
export type SleepClock = Pick<Clock, 'nowMs' | 'sleep'>;

/**
 * A monotonic clock for rate limits in live runs: `performance.now()` never jumps when the
 * wall clock is adjusted, so a token bucket can neither refill early nor stall. Its zero is
 * the process start, so it is for intervals, not for timestamps.
 */
export const monotonicClock: NowClock = { nowMs: () => performance.now() };

class RealClock implements Clock {
  private nextId = 1;
  private readonly timers = new Map<number, NodeJS.Timeout>();

  nowMs(): number {
    return Date.now();
  }

  setTimer(callback: () => void, delayMs: number): TimerHandle {
    const id = this.nextId++;
    this.timers.set(
      id,
      setTimeout(() => {
        this.timers.delete(id);
        callback();
      }, Math.max(0, delayMs)),
    );
    return { id };
  }

  clearTimer(handle: TimerHandle): void {
    const timer = this.timers.get(handle.id);
    if (timer) clearTimeout(timer);
    this.timers.delete(handle.id);
  }

  sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, delayMs, signal);
  }
}

function sleepOn(clock: Clock, delayMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clock.clearTimer(handle);
      reject(signal?.reason);
    };
    const handle = clock.setTimer(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, delayMs);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export const realClock: Clock = new RealClock();

/**
 * A clock that only moves when told to. `advanceBy` fires due timers in time order and lets
 * the promise jobs they start settle before moving on, so async rule code runs as it would
 * live, only without waiting.
 *
 * @example
 * const clock = new VirtualClock();
 * const done = clock.sleep(1000);
 * await clock.advanceBy(1000); // `done` is now resolved
 */
export class VirtualClock implements Clock {
  private currentMs: number;
  private nextId = 1;
  /** Timers in firing order; a cleared one stays, marked, until it comes up. */
  private readonly heap: DueTimer[] = [];
  private liveCount = 0;
  private readonly settle: () => Promise<void>;
  /** Timers fired so far (a prediction reports it). */
  firedTimers = 0;

  /**
   * `settleTurns`: how the clock lets promise jobs run after each timer. Left out, it waits
   * one macrotask turn (setImmediate), which drains every chain of jobs whatever its depth but
   * costs an event-loop iteration per timer. Given a number, it waits that many microtask
   * hops instead: the job queue is first in, first out, so every chain of jobs that is at most
   * that many hops deep when the timer fires has finished — enough for the rules' await chains
   * (an invoke, a sleep, a receive are a few hops each), at a small part of the cost. A chain
   * deeper than that still runs, only after later timers of the same instant.
   */
  constructor(startMs = 0, options: { settleTurns?: number } = {}) {
    this.currentMs = startMs;
    const turns = options.settleTurns;
    this.settle = turns === undefined ? settle : () => settleMicrotasks(turns);
  }

  nowMs(): number {
    return this.currentMs;
  }

  setTimer(callback: () => void, delayMs: number): TimerHandle {
    return this.schedule(callback, delayMs, laterAtTheInstant);
  }

  /**
   * A timer that fires before every {@link setTimer} timer due at the same instant, whenever
   * those were set. Live, two things are never due at exactly the same time; on a virtual
   * clock they are whenever their delays add up alike, and the order must be chosen: a
   * prediction's arrivals are written first, so a record due on a poller's beat is in that read
   * instead of waiting a whole poll interval for the next.
   */
  setTimerFirst(callback: () => unknown, delayMs: number): TimerHandle {
    return this.schedule(callback, delayMs, firstAtTheInstant);
  }

  private schedule(callback: () => unknown, delayMs: number, rank: number): TimerHandle {
    // The timer is its own handle: clearing it marks it, with no lookup by id.
    const timer: DueTimer = { id: this.nextId++, atMs: this.currentMs + Math.max(0, delayMs), rank, callback, cleared: false };
    heapPush(this.heap, timer);
    this.liveCount += 1;
    return timer;
  }

  clearTimer(handle: TimerHandle): void {
    // Left in the heap and skipped when it comes up: removal from the middle of a heap costs
    // more than it saves. Its callback is let go at once, though: a receive's 20 s wait timer,
    // cleared when a message answers it, would otherwise hold the receive (its promise, its
    // messages) for 20 simulated seconds, into the old generation the collector sweeps slowly.
    const timer = handle as DueTimer;
    if (timer.cleared === false) {
      timer.cleared = true;
      timer.callback = doNothing;
      this.liveCount -= 1;
      // Mostly cleared timers: rebuilt from the live ones, so the heap is as deep as what can still fire.
      if (this.heap.length > compactAtTimers && this.liveCount < this.heap.length / 4) this.compact();
    }
  }

  private compact(): void {
    const live = this.heap.filter((timer) => !timer.cleared);
    this.heap.length = 0;
    for (const timer of live) heapPush(this.heap, timer);
  }

  sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, delayMs, signal);
  }

  /** Moves time forward by `deltaMs`, firing every timer that falls due on the way. */
  async advanceBy(deltaMs: number): Promise<void> {
    await this.advanceTo(this.currentMs + deltaMs);
  }

  /** Moves time forward to `targetMs` (never back), firing every timer due by then. */
  async advanceTo(targetMs: number): Promise<void> {
    const settleJobs = this.settle;
    await settleJobs();
    for (;;) {
      const next = this.earliest();
      if (!next || next.atMs > targetMs) break;
      heapPop(this.heap);
      next.cleared = true;
      this.liveCount -= 1;
      this.currentMs = Math.max(this.currentMs, next.atMs);
      this.firedTimers += 1;
      if (next.callback() !== startedNoJobs) await settleJobs();
    }
    this.currentMs = Math.max(this.currentMs, targetMs);
    await settleJobs();
  }

  /** When the next live timer is due, if any. */
  nextDueMs(): number | undefined {
    return this.earliest()?.atMs;
  }

  get pendingTimers(): number {
    return this.liveCount;
  }

  /** The next live timer: earliest due, and of those the lowest rank, first set. */
  private earliest(): DueTimer | undefined {
    while (this.heap.length > 0 && this.heap[0]!.cleared) heapPop(this.heap);
    return this.heap[0];
  }
}

const doNothing = (): void => undefined;

/** A heap this long whose timers are mostly cleared is rebuilt from the live ones. */
const compactAtTimers = 4096;

/** Ranks of timers due at the same instant: the lower fires first. */
const firstAtTheInstant = 0;
const laterAtTheInstant = 1;

/**
 * What a {@link VirtualClock} timer's callback may return when it started no promise jobs
 * (it resolved nothing and called nothing async): the clock then fires the next timer at once,
 * without the hops that let jobs run, as there are none it made. A prediction's arrivals into a
 * stream are such timers, most of a Kinesis prediction's.
 */
export const startedNoJobs: unique symbol = Symbol('startedNoJobs');

interface DueTimer {
  id: number;
  atMs: number;
  rank: number;
  callback: () => unknown;
  /** Cleared, or fired: skipped when it comes up, and a clearTimer after it does nothing. */
  cleared: boolean;
}

/** Fires before `b`: due earlier, or due together and of a lower rank, or of the same and set first (ids grow with each timer). */
function firesBefore(a: DueTimer, b: DueTimer): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && (a.rank < b.rank || (a.rank === b.rank && a.id < b.id)));
}

function heapPush(heap: DueTimer[], timer: DueTimer): void {
  heap.push(timer);
  let index = heap.length - 1;
  while (index > 0) {
    const parent = (index - 1) >> 1;
    if (!firesBefore(heap[index]!, heap[parent]!)) break;
    [heap[index], heap[parent]] = [heap[parent]!, heap[index]!];
    index = parent;
  }
}

function heapPop(heap: DueTimer[]): DueTimer | undefined {
  const top = heap[0];
  const last = heap.pop();
  if (heap.length === 0 || !last) return top;
  heap[0] = last;
  let index = 0;
  for (;;) {
    const left = index * 2 + 1;
    const right = left + 1;
    let first = index;
    if (left < heap.length && firesBefore(heap[left]!, heap[first]!)) first = left;
    if (right < heap.length && firesBefore(heap[right]!, heap[first]!)) first = right;
    if (first === index) return top;
    [heap[index], heap[first]] = [heap[first]!, heap[index]!];
    index = first;
  }
}

/**
 * Lets queued promise jobs run: the microtask queue drains completely (chained awaits
 * included) before the next macrotask, so one macrotask turn is enough.
 */
async function settle(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Lets `turns` microtask hops pass: every job chain at most that deep when it started has run. */
async function settleMicrotasks(turns: number): Promise<void> {
  for (let turn = 0; turn < turns; turn += 1) await undefined;
}

/**
 * A deadline to race against work (an invoke's timeout, an integration's): settles with
 * `onTimeout()` (or its throw) after `delayMs` unless cancelled first. A timer rather than a
 * sleep with an AbortController, whose abort() builds a DOMException each time: the largest
 * single cost of an invoke on simulated time.
 *
 * @example
 * const deadline = deadlineTimer(clock, 3000, () => 'timeout' as const);
 * const how = await Promise.race([work, deadline.promise]);
 * deadline.cancel();
 */
export function deadlineTimer<T>(clock: Clock, delayMs: number, onTimeout: () => T): { promise: Promise<T>; cancel(): void } {
  let handle: TimerHandle | undefined;
  const promise = new Promise<T>((resolve, reject) => {
    handle = clock.setTimer(() => {
      try {
        resolve(onTimeout());
      } catch (error) {
        reject(error);
      }
    }, delayMs);
  });
  return { promise, cancel: () => clock.clearTimer(handle!) };
}
