/**
 * Exponential backoff with jitter, written once for every retry loop: the
 * poller's reconnection, notification delivery, the InfluxDB writer.
 *
 * The wait after the n-th consecutive failure is `initialMs · 2^(n−1)`, capped
 * at `maxMs`, less a random part of up to `jitter` of it. `jitter: 1` is AWS's
 * "full jitter" (anywhere from `minMs` to the ceiling), which keeps a thousand
 * clients that failed together from coming back together.
 */
export interface BackoffOptions {
  /** Wait after the first failure. Default 1000 ms. */
  initialMs?: number;
  /** Longest wait; it doubles up to this. Default 60000 ms. */
  maxMs?: number;
  /** Up to this fraction of each wait is taken off at random, 0 to 1. Default 0.2. */
  jitter?: number;
  /** No wait is shorter than this, jitter or not. Default 0. */
  minMs?: number;
}

const DEFAULTS: Required<BackoffOptions> = { initialMs: 1000, maxMs: 60_000, jitter: 0.2, minMs: 0 };

/** The wait after the `failures`-th consecutive failure (1 for the first). */
export function backoffDelayMs(failures: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const { initialMs, maxMs, jitter, minMs } = { ...DEFAULTS, ...options };
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(Math.max(0, failures - 1), 40));
  const delay = ceiling * (1 - Math.min(1, Math.max(0, jitter)) * random());
  return Math.round(Math.max(Math.min(minMs, ceiling), delay));
}

/** The same, counting the failures itself: `next()` after each failure, `reset()` after a success. */
export class Backoff {
  private failures = 0;

  constructor(
    private readonly options: BackoffOptions = {},
    private readonly random: () => number = Math.random,
  ) {}

  /** Counts one more failure and returns how long to wait before trying again. */
  next(): number {
    this.failures++;
    return backoffDelayMs(this.failures, this.options, this.random);
  }

  reset(): void {
    this.failures = 0;
  }

  /** Consecutive failures since the last reset. */
  get consecutiveFailures(): number {
    return this.failures;
  }
}
