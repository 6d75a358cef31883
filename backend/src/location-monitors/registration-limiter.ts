/**
 * The per-address limits of registerLocationMonitor (registration-limits.ts):
 * a token bucket of calls, and for calls that present a registration token,
 * one check at a time and an exponential back-off after each wrong one.
 * Everything here is synchronous, so concurrent calls of one JSON-RPC batch
 * are counted one by one, in order.
 *
 * The state lives in this process's memory. That is enough for one backend;
 * when several backends share a database (DESIGN.md, "Scale-out") each will
 * allow its own share, so the limits then need a shared store (a table, or
 * PostgreSQL advisory counters) to stay what they say.
 */
import type { RegistrationLimits } from './registration-limits.ts';
import { limiterKey } from './source-address.ts';

/** What a refused call is told: when to try again, and why. */
export interface Refusal {
  retryAfterMs: number;
  reason: string;
}

/**
 * A token check under way from one address; say how it went, exactly once:
 * a refused token starts (or lengthens) the back-off; `unchecked` (the check
 * itself failed, say the database was away) counts as nothing.
 */
export interface TokenCheck {
  finish(outcome: 'accepted' | 'refused' | 'unchecked'): void;
}

interface Bucket {
  tokens: number;
  updatedAtMs: number;
}

interface Failures {
  count: number;
  lastFailureMs: number;
  blockedUntilMs: number;
}

export class RegistrationLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly failures = new Map<string, Failures>();
  private readonly checking = new Set<string>();

  constructor(
    private readonly limits: RegistrationLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one call from the address's allowance; a refusal says when the next one is due. */
  takeCall(address: string): Refusal | null {
    const key = limiterKey(address);
    const nowMs = this.now();
    const bucket = this.refilled(key, nowMs);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      this.touch(this.buckets, key, bucket);
      return null;
    }
    const perMs = this.limits.perMinutePerAddress / 60_000;
    return {
      retryAfterMs: Math.max(1, Math.ceil((1 - bucket.tokens) / perMs)),
      reason: `too many registrations from ${address} (at most ${this.limits.burstPerAddress} at once, then ${this.limits.perMinutePerAddress} a minute)`,
    };
  }

  /**
   * Before a registration token is checked: refused while the address backs
   * off after a wrong token, or while another check from it is under way.
   */
  beginTokenCheck(address: string): TokenCheck | Refusal {
    const key = limiterKey(address);
    const nowMs = this.now();
    const failed = this.currentFailures(key, nowMs);
    if (failed && failed.blockedUntilMs > nowMs) {
      return {
        retryAfterMs: failed.blockedUntilMs - nowMs,
        reason: `${failed.count} wrong registration token${failed.count === 1 ? '' : 's'} from ${address}; the next may be presented in ${failed.blockedUntilMs - nowMs} ms`,
      };
    }
    if (this.checking.has(key)) {
      return { retryAfterMs: Math.max(1, this.limits.failedTokenFirstBackoffMs), reason: `a registration token from ${address} is being checked; one at a time` };
    }
    this.checking.add(key);
    let finished = false;
    return {
      finish: (outcome) => {
        if (finished) return;
        finished = true;
        this.checking.delete(key);
        if (outcome === 'refused') this.recordFailure(key);
      },
    };
  }

  /** How many addresses the limiter holds state for (bounded by maxTrackedAddresses). */
  get trackedAddresses(): number {
    return new Set([...this.buckets.keys(), ...this.failures.keys()]).size;
  }

  private recordFailure(key: string): void {
    const nowMs = this.now();
    const count = (this.currentFailures(key, nowMs)?.count ?? 0) + 1;
    const backoffMs = Math.min(this.limits.failedTokenFirstBackoffMs * 2 ** (count - 1), this.limits.failedTokenMaxBackoffMs);
    this.touch(this.failures, key, { count, lastFailureMs: nowMs, blockedUntilMs: nowMs + backoffMs });
  }

  private currentFailures(key: string, nowMs: number): Failures | undefined {
    const failed = this.failures.get(key);
    if (failed && nowMs - failed.lastFailureMs > this.limits.failedTokenForgetAfterMs) {
      this.failures.delete(key);
      return undefined;
    }
    return failed;
  }

  private refilled(key: string, nowMs: number): Bucket {
    const bucket = this.buckets.get(key) ?? { tokens: this.limits.burstPerAddress, updatedAtMs: nowMs };
    const elapsedMs = Math.max(0, nowMs - bucket.updatedAtMs);
    bucket.tokens = Math.min(this.limits.burstPerAddress, bucket.tokens + (elapsedMs * this.limits.perMinutePerAddress) / 60_000);
    bucket.updatedAtMs = nowMs;
    return bucket;
  }

  /** Stores an entry as the most recently used, keeping the maps within maxTrackedAddresses. */
  private touch<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key);
    map.set(key, value);
    if (map.size > this.limits.maxTrackedAddresses) this.prune();
  }

  /**
   * Drops what carries no information first (full buckets, forgotten or
   * expired failures), then the least recently used. An address pushed out
   * starts afresh, which takes ten thousand other addresses (or /64s) to do.
   */
  private prune(): void {
    const nowMs = this.now();
    for (const key of this.buckets.keys()) {
      if (this.refilled(key, nowMs).tokens >= this.limits.burstPerAddress) this.buckets.delete(key);
    }
    for (const [key, failed] of this.failures) {
      if (nowMs - failed.lastFailureMs > this.limits.failedTokenForgetAfterMs) this.failures.delete(key);
    }
    const target = Math.floor(this.limits.maxTrackedAddresses * 0.9);
    for (const map of [this.buckets, this.failures] as Map<string, unknown>[]) {
      for (const key of map.keys()) {
        if (map.size <= target) break;
        map.delete(key);
      }
    }
  }
}
