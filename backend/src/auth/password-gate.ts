/**
 * The one gate every password passes through: the sign-in form, HTTP Basic
 * and the current password of a password change.
 *
 * - Per (username, client address): the first {@link FREE_FAILURES} wrong
 *   passwords cost only their hash; after that each try waits, 1 s doubling
 *   up to 15 min (answered 429 with Retry-After). The key includes the
 *   address, so an attacker elsewhere never locks out the administrator, and
 *   a right password clears its own key.
 * - Per client address: at most {@link MAX_PENDING_PER_ADDRESS} tries in
 *   progress at once, whatever the usernames.
 * - Overall: at most {@link MAX_CONCURRENT_HASHES} scrypt hashes at once and
 *   a short queue; beyond it the answer is "busy" (503), so a flood of
 *   guesses cannot take the thread pool from static files and health checks.
 *
 * A try is counted (as pending) before its hash starts, synchronously, so
 * parallel tries see each other: sixty at once cannot all be checked.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { backoffDelayMs, type Logger } from '@vantage/runtime';
import { HashSlots } from './hash-slots.ts';

/** Wrong passwords per (username, address) before tries have to wait (the sign-in form allowed 10 a minute before). */
export const FREE_FAILURES = 10;
/** The wait after the first wrong password beyond the free ones; it doubles with each further one. */
export const FIRST_WAIT_MS = 1_000;
/** The longest wait between tries: at most about 100 guesses a day per username and address once reached. */
export const MAX_WAIT_MS = 15 * 60_000;
/** Wrong passwords are forgotten after this long without another try (and at once after a right one). */
export const FORGET_FAILURES_AFTER_MS = 24 * 3_600_000;
/** Tries in progress (hashing or queued) at once from one client address; beyond, 429. */
export const MAX_PENDING_PER_ADDRESS = 4;
/** scrypt hashes at once: libuv has 4 threads by default, and file reads and DNS need the others. */
export const MAX_CONCURRENT_HASHES = 2;
/** Tries waiting for a hash slot; beyond, "busy". At about 100 ms a hash, the last in line waits under 2 s. */
export const MAX_QUEUED_HASHES = 32;
/** (username, address) pairs remembered; the oldest quiet ones are dropped beyond this, so memory stays bounded. */
export const MAX_TRACKED_KEYS = 10_000;
/** Retry-After for "busy" and for too many tries at once from one address. */
export const BUSY_RETRY_AFTER_MS = 1_000;
/** Usernames are keyed by their first characters: longer ones are no one's, and need not cost memory. */
const USERNAME_KEY_CHARS = 128;
/** "Password checks are saturated" is logged at most this often. */
const BUSY_LOG_INTERVAL_MS = 60_000;

export interface PasswordGateLimits {
  freeFailures: number;
  firstWaitMs: number;
  maxWaitMs: number;
  forgetFailuresAfterMs: number;
  maxPendingPerAddress: number;
  maxConcurrentHashes: number;
  maxQueuedHashes: number;
  maxTrackedKeys: number;
}

export const DEFAULT_GATE_LIMITS: Readonly<PasswordGateLimits> = {
  freeFailures: FREE_FAILURES,
  firstWaitMs: FIRST_WAIT_MS,
  maxWaitMs: MAX_WAIT_MS,
  forgetFailuresAfterMs: FORGET_FAILURES_AFTER_MS,
  maxPendingPerAddress: MAX_PENDING_PER_ADDRESS,
  maxConcurrentHashes: MAX_CONCURRENT_HASHES,
  maxQueuedHashes: MAX_QUEUED_HASHES,
  maxTrackedKeys: MAX_TRACKED_KEYS,
};

/**
 * What became of a try: `accepted` (with what `verify` returned), `rejected`
 * (wrong password), `wait` (too many wrong ones, or too many at once from
 * this address: 429) or `busy` (the server is checking all it can: 503).
 */
export type GateOutcome<T> =
  | { kind: 'accepted'; user: T }
  | { kind: 'rejected' }
  | { kind: 'wait'; retryAfterMs: number }
  | { kind: 'busy'; retryAfterMs: number };

interface KeyState {
  /** Wrong passwords since the last right one (or since they were forgotten). */
  failures: number;
  lastFailureAtMs: number;
  /** Tries admitted and not finished yet; they count as failures until they prove otherwise. */
  pending: number;
}

export class PasswordGate {
  private readonly limits: PasswordGateLimits;
  private readonly keys = new Map<string, KeyState>();
  private readonly pendingByAddress = new Map<string, number>();
  private readonly slots: HashSlots;
  private readonly now: () => number;
  private readonly log?: Logger;
  private lastBusyLogMs = -Infinity;

  constructor(options: { limits?: Partial<PasswordGateLimits>; now?: () => number; log?: Logger } = {}) {
    this.limits = { ...DEFAULT_GATE_LIMITS, ...options.limits };
    this.slots = new HashSlots(this.limits.maxConcurrentHashes, this.limits.maxQueuedHashes);
    this.now = options.now ?? Date.now;
    this.log = options.log;
  }

  /**
   * Runs `verify` (which hashes the password: a user, or null when it is
   * wrong) if this try may go ahead. An exception from `verify` counts as no
   * try and is passed on.
   */
  async attempt<T>(username: string, address: string, verify: () => Promise<T | null>): Promise<GateOutcome<T>> {
    const client = addressKey(address);
    const key = `${client} ${username.slice(0, USERNAME_KEY_CHARS)}`;
    const state = this.stateOf(key);
    const waitMs = this.waitMs(state);
    if (waitMs > 0) return { kind: 'wait', retryAfterMs: waitMs };
    const pendingHere = this.pendingByAddress.get(client) ?? 0;
    if (pendingHere >= this.limits.maxPendingPerAddress) return { kind: 'wait', retryAfterMs: BUSY_RETRY_AFTER_MS };

    // Counted before the first await, so tries running in parallel see each other.
    if (this.keys.get(key) !== state) {
      this.makeRoom();
      this.keys.set(key, state);
    }
    state.pending++;
    this.pendingByAddress.set(client, pendingHere + 1);
    let verdict: 'accepted' | 'rejected' | 'not tried' = 'not tried';
    try {
      const release = await this.slots.acquire();
      if (!release) {
        this.logBusy();
        return { kind: 'busy', retryAfterMs: BUSY_RETRY_AFTER_MS };
      }
      try {
        const user = await verify();
        verdict = user === null ? 'rejected' : 'accepted';
        return user === null ? { kind: 'rejected' } : { kind: 'accepted', user };
      } finally {
        release();
      }
    } finally {
      this.settle(key, client, state, verdict, username, address);
    }
  }

  /** (username, address) pairs remembered now (bounded by `maxTrackedKeys`). */
  get trackedKeys(): number {
    return this.keys.size;
  }

  /** The (username, address) key's state; a new one (not stored yet) when it has none or its failures are old enough to forget. */
  private stateOf(key: string): KeyState {
    const known = this.keys.get(key);
    if (known && (known.pending > 0 || this.now() - known.lastFailureAtMs < this.limits.forgetFailuresAfterMs)) return known;
    if (known) this.keys.delete(key);
    return { failures: 0, lastFailureAtMs: 0, pending: 0 };
  }

  /** How long a new try on this key must wait: none within the free failures, then the backoff after the last one. */
  private waitMs(state: KeyState): number {
    const tries = state.failures + state.pending;
    if (tries < this.limits.freeFailures) return 0;
    // Tries in flight decide first; the next one waits at least what their failure would cost.
    if (state.pending > 0) return this.waitAfter(tries);
    return Math.max(0, state.lastFailureAtMs + this.waitAfter(state.failures) - this.now());
  }

  private waitAfter(failures: number): number {
    if (failures < this.limits.freeFailures) return 0;
    return backoffDelayMs(failures - this.limits.freeFailures + 1, { initialMs: this.limits.firstWaitMs, maxMs: this.limits.maxWaitMs, jitter: 0 });
  }

  private settle(key: string, client: string, state: KeyState, verdict: 'accepted' | 'rejected' | 'not tried', username: string, address: string): void {
    state.pending--;
    const pendingHere = (this.pendingByAddress.get(client) ?? 1) - 1;
    if (pendingHere > 0) this.pendingByAddress.set(client, pendingHere);
    else this.pendingByAddress.delete(client);

    if (verdict === 'accepted') state.failures = 0;
    if (verdict === 'rejected') {
      state.failures++;
      state.lastFailureAtMs = this.now();
      // Most recently failed last, so the oldest quiet keys are the ones dropped when the table is full.
      this.keys.delete(key);
      this.keys.set(key, state);
      if (state.failures === this.limits.freeFailures) {
        this.log?.warn(
          `${state.failures} wrong passwords for user ${JSON.stringify(username.slice(0, USERNAME_KEY_CHARS))} from ${address}: ` +
            `each further try from there waits, ${this.limits.firstWaitMs} ms doubling up to ${this.limits.maxWaitMs} ms`,
        );
      }
    }
    if (state.failures === 0 && state.pending === 0 && this.keys.get(key) === state) this.keys.delete(key);
  }

  /** Drops forgotten keys, then the oldest quiet ones, until a new key fits. */
  private makeRoom(): void {
    if (this.keys.size < this.limits.maxTrackedKeys) return;
    const now = this.now();
    for (const [key, state] of this.keys) {
      if (state.pending === 0 && now - state.lastFailureAtMs >= this.limits.forgetFailuresAfterMs) this.keys.delete(key);
    }
    for (const [key, state] of this.keys) {
      if (this.keys.size < this.limits.maxTrackedKeys) return;
      if (state.pending === 0) this.keys.delete(key);
    }
  }

  private logBusy(): void {
    const now = this.now();
    if (now - this.lastBusyLogMs < BUSY_LOG_INTERVAL_MS) return;
    this.lastBusyLogMs = now;
    this.log?.warn(
      `password checks are saturated (${this.limits.maxConcurrentHashes} hashing, ${this.limits.maxQueuedHashes} waiting): ` +
        'further sign-ins are answered 503 until the queue drains; many wrong passwords at once may be an attack',
    );
  }
}

/**
 * The client part of a key: an IPv4 address as it is (also when written as
 * IPv4-mapped IPv6), an IPv6 address by its /64, which one host usually has
 * all of.
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (isIPv4(address) || !isIPv6(address.split('%')[0]!)) return address;
  const [head = '', tail = ''] = address.split('%')[0]!.toLowerCase().split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  // A dotted IPv4 part at the end stands for two groups.
  const width = (groups: string[]) => groups.reduce((n, g) => n + (g.includes('.') ? 2 : 1), 0);
  const groups = address.includes('::') ? [...headGroups, ...Array<string>(8 - width(headGroups) - width(tailGroups)).fill('0'), ...tailGroups] : headGroups;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
