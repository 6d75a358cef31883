import { setMaxListeners } from 'node:events';
import type { PollOutcome, PollTarget, ServiceMonitor } from './monitor.ts';
import { errorMessage } from './outcomes.ts';

/** The largest delay a Node timer honours; beyond it the timer fires after 1 ms. */
export const MAX_TIMEOUT_MS = 2_147_483_647;

/**
 * How long past its timeout a monitor may take to resolve before it is
 * abandoned: one that ignores its signal must not stall the poller's schedule.
 */
export const ABANDON_GRACE_MS = 1000;

/**
 * The deadline of the attempts that start in the same turn of the event loop
 * with the same timeout: they would each arm a timer for the same moment (a
 * timer counts from the loop's time at the start of the turn), so they share
 * one timer and one AbortSignal. A poller starts its due checks together, so
 * at thousands of checks a second most attempts join one another's deadline.
 * Why it matters: making an AbortSignal costs Node 20 several microseconds
 * (more than the rest of the attempt's own work), and a timer per attempt
 * another one; shared, each costs a fraction of that per check.
 *
 * At the timeout the signal aborts for the attempts still running; after
 * ABANDON_GRACE_MS more, those still running are abandoned (UNKNOWN). Once
 * every attempt has settled its timer is cleared, so a deadline whose
 * attempts all finished in time costs nothing more.
 */
class SharedDeadline {
  readonly #timeoutMs: number;
  readonly #controller = new AbortController();
  /** How each attempt still running settles. */
  readonly #running = new Set<(outcome: PollOutcome) => void>();
  #timer: NodeJS.Timeout;
  /** Every attempt settled: no attempt may join any more (its timer is gone). */
  closed = false;

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
    // Each running attempt's requests listen on the one signal: as many as run at once, not a leak.
    setMaxListeners(0, this.#controller.signal);
    this.#timer = setTimeout(() => this.#expire(), Math.min(timeoutMs, MAX_TIMEOUT_MS));
  }

  /** Polls `target` under this deadline. Resolves, never rejects. */
  attempt(monitor: ServiceMonitor, target: PollTarget): Promise<PollOutcome> {
    return new Promise<PollOutcome>((resolve) => {
      const settle = (outcome: PollOutcome): void => {
        // Once: the monitor's answer after it was abandoned is dropped.
        if (!this.#running.delete(settle)) return;
        resolve(outcome);
        if (this.#running.size === 0) {
          this.closed = true;
          clearTimeout(this.#timer);
        }
      };
      this.#running.add(settle);
      const failed = (err: unknown): void => settle({ status: 'UNKNOWN', reason: `monitor error: ${errorMessage(err)}` });
      try {
        monitor.poll(target, this.#controller.signal).then(settle, failed);
      } catch (err) {
        failed(err);
      }
    });
  }

  #expire(): void {
    this.#controller.abort(new DOMException(`timeout after ${this.#timeoutMs} ms`, 'TimeoutError'));
    if (this.#running.size === 0) return; // they all settled on the abort
    this.#timer = setTimeout(() => {
      const abandoned: PollOutcome = { status: 'UNKNOWN', reason: `monitor did not stop within ${ABANDON_GRACE_MS} ms of its timeout` };
      // A copy of its own for each: callers may add to the outcome they get.
      for (const settle of [...this.#running]) settle({ ...abandoned });
    }, ABANDON_GRACE_MS);
  }
}

/** The deadlines made in this turn, by timeout; forgotten at the end of the turn's synchronous run. */
const current = new Map<number, SharedDeadline>();
let forgetQueued = false;

const forget = (): void => {
  current.clear();
  forgetQueued = false;
};

/**
 * One attempt of `monitor` at `target`, aborted at `target.timeoutMs` and
 * abandoned ABANDON_GRACE_MS after that; see {@link SharedDeadline}.
 * Resolves, never rejects.
 */
export function attemptWithDeadline(monitor: ServiceMonitor, target: PollTarget): Promise<PollOutcome> {
  let deadline = current.get(target.timeoutMs);
  if (deadline === undefined || deadline.closed) {
    deadline = new SharedDeadline(target.timeoutMs);
    current.set(target.timeoutMs, deadline);
    if (!forgetQueued) {
      forgetQueued = true;
      // Attempts that start after this synchronous run (in a later microtask or turn) get a deadline of their own.
      queueMicrotask(forget);
    }
  }
  return deadline.attempt(monitor, target);
}
