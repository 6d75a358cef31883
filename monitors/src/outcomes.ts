// The wording every monitor shares for the outcomes of a check: timeouts,
// network failures, and the time a check took.
import { NETWORK_ERROR_WORDS } from '@vantage/common';
import { errorMessage } from '@vantage/runtime';
import type { PollOutcome } from './monitor.ts';

/** The message of anything thrown, Error or not (the runtime's, where the monitors look for it). */
export { errorMessage };

/** The reason every monitor gives when the caller's signal ran out. */
export function timeoutReason(timeoutMs: number): string {
  return `timeout after ${timeoutMs} ms`;
}

/**
 * The DOWN outcome for a failed connection or request. Once `signal` has
 * aborted, whatever error the socket reports is a consequence of the abort,
 * so the reason is the timeout rather than that error.
 */
export function networkFailure(err: unknown, signal: AbortSignal, timeoutMs: number): PollOutcome {
  if (signal.aborted) return { status: 'DOWN', reason: timeoutReason(timeoutMs) };
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const message = errorMessage(err);
  const known = code === undefined ? undefined : Object.hasOwn(NETWORK_ERROR_WORDS, code) ? NETWORK_ERROR_WORDS[code] : undefined;
  return { status: 'DOWN', reason: known ?? (code ? `${code}: ${message}` : message) };
}

/** Milliseconds since `start` (a `performance.now()` reading), kept to the microsecond. */
export function elapsedMs(start: number): number {
  return Math.round((performance.now() - start) * 1000) / 1000;
}
