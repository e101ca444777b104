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
  private readonly due = new Map<number, { atMs: number; callback: () => void; order: number }>();

  constructor(startMs = 0) {
    this.currentMs = startMs;
  }

  nowMs(): number {
    return this.currentMs;
  }

  setTimer(callback: () => void, delayMs: number): TimerHandle {
    const id = this.nextId++;
    this.due.set(id, { atMs: this.currentMs + Math.max(0, delayMs), callback, order: id });
    return { id };
  }

  clearTimer(handle: TimerHandle): void {
    this.due.delete(handle.id);
  }

  sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, delayMs, signal);
  }

  /** Moves time forward by `deltaMs`, firing every timer that falls due on the way. */
  async advanceBy(deltaMs: number): Promise<void> {
    const targetMs = this.currentMs + deltaMs;
    await settle();
    for (;;) {
      const next = this.earliest();
      if (!next || next.atMs > targetMs) break;
      this.due.delete(next.id);
      this.currentMs = Math.max(this.currentMs, next.atMs);
      next.callback();
      await settle();
    }
    this.currentMs = targetMs;
    await settle();
  }

  get pendingTimers(): number {
    return this.due.size;
  }

  private earliest(): { id: number; atMs: number; callback: () => void } | undefined {
    let best: { id: number; atMs: number; callback: () => void; order: number } | undefined;
    for (const [id, timer] of this.due) {
      if (!best || timer.atMs < best.atMs || (timer.atMs === best.atMs && timer.order < best.order)) best = { id, ...timer };
    }
    return best;
  }
}

/**
 * Lets queued promise jobs run: the microtask queue drains completely (chained awaits
 * included) before the next macrotask, so one macrotask turn is enough.
 */
async function settle(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
}
