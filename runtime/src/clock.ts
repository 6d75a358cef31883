/**
 * Time and timers behind an interface, so the scheduler can be driven by a
 * fake clock in tests instead of waiting out real intervals.
 */
import { MinHeap } from './min-heap.ts';

declare const timerHandleBrand: unique symbol;

/** A timer set by a {@link Clock}; only that same clock can clear it. */
export interface TimerHandle {
  readonly [timerHandleBrand]: true;
}

/** Wall-clock time and one-shot timers. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Calls `callback` once, `delayMs` from now. */
  setTimer(callback: () => void, delayMs: number): TimerHandle;
  /** Cancels a timer that has not fired yet; a no-op for one that has. */
  clearTimer(handle: TimerHandle): void;
}

/**
 * The real clock. Its timers are not unref'd: between checks the scheduler's
 * one timer is what keeps a poller process alive.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer: (callback, delayMs) => setTimeout(callback, delayMs) as unknown as TimerHandle,
  clearTimer: (handle) => clearTimeout(handle as unknown as ReturnType<typeof setTimeout>),
};

interface FakeTimer {
  readonly dueMs: number;
  readonly callback: () => void;
}

/** Lets promise continuations queued by a timer callback run before the next timer fires. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A clock for tests: time stands still until `advance` or `advanceTo` moves it.
 * Do not run two advances at once.
 */
export class FakeClock implements Clock {
  private current: number;
  private readonly live = new Set<FakeTimer>();
  // Cleared timers stay in the heap and are skipped when they reach the top.
  private queue = new MinHeap<FakeTimer>((timer) => timer.dueMs);

  /** Starts at `startMs` (epoch ms); a fixed instant by default so tests are repeatable. */
  constructor(startMs = Date.UTC(2025, 0, 1)) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimer(callback: () => void, delayMs: number): TimerHandle {
    const timer: FakeTimer = { dueMs: this.current + Math.max(0, delayMs), callback };
    this.live.add(timer);
    this.queue.push(timer);
    return timer as unknown as TimerHandle;
  }

  clearTimer(handle: TimerHandle): void {
    this.live.delete(handle as unknown as FakeTimer);
    // Keeps a clock whose timers are mostly cleared, never fired, from growing without bound.
    if (this.queue.size > 64 && this.queue.size > 2 * this.live.size) {
      this.queue = new MinHeap<FakeTimer>((timer) => timer.dueMs, this.live);
    }
  }

  /** Timers set and neither fired nor cleared. */
  get pendingTimers(): number {
    return this.live.size;
  }

  /**
   * Moves time forward by `ms`, firing due timers in time order (equal times in
   * the order they were set), timers set by those callbacks included if they fall
   * within the window. Pending promise continuations run after each firing.
   */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new RangeError(`cannot advance by ${ms} ms`);
    await this.advanceTo(this.current + ms);
  }

  /** Moves time forward to `targetMs` (epoch ms), as {@link FakeClock.advance} does. */
  async advanceTo(targetMs: number): Promise<void> {
    if (!(targetMs >= this.current)) throw new RangeError(`cannot go back from ${this.current} to ${targetMs}`);
    await settle();
    for (;;) {
      const timer = this.nextLive();
      if (timer === undefined || timer.dueMs > targetMs) break;
      this.queue.pop();
      this.live.delete(timer);
      this.current = Math.max(this.current, timer.dueMs);
      timer.callback();
      await settle();
    }
    this.current = targetMs;
    await settle();
  }

  private nextLive(): FakeTimer | undefined {
    for (;;) {
      const timer = this.queue.peek();
      if (timer === undefined || this.live.has(timer)) return timer;
      this.queue.pop();
    }
  }
}
