/**
 * Answers that are costly to compute and change slowly, kept a few seconds:
 * the services list and the availability matrix summarise a window of hours
 * or days of results for every service, some 50 ms of database work for a
 * few hundred services, and every page load, reload and viewer asks for
 * them again. An answer is reused while it is younger than its maximum age
 * and nothing an operator would see change has happened since it was
 * computed: an event (a status change, a monitor that connects, pauses or
 * moves; every instance's bus carries every event, event-relay.ts), results
 * that gave a service its first status (no event says so), a configuration
 * reload. Only the window's counts (uptime, the status bars, response times)
 * may lag, by up to the maximum age. Requests that arrive while an answer is
 * being computed share that computation.
 *
 * An answer asked for in the last few minutes is kept warm: computed again
 * in the background as it ages out, and a moment after a change cleared it,
 * so that the next page finds it ready instead of waiting for it (a few
 * hundred services take 50-100 ms, on the same two cores as the browser
 * opening the page). Nobody's answer is older for it: the rules above still
 * decide which answer a request gets.
 */
import type { EventBus } from '@vantage/events';
import type { FastifyInstance } from 'fastify';
import { errorMessage, type Logger } from '@vantage/runtime';
import type { ResultIngest } from '../ingest/result-ingest.ts';

/**
 * How long a summary of a window (the services list, the availability
 * matrix of a preset window) is reused when no event comes: the window's
 * counts lag by at most this.
 */
export const SUMMARY_MAX_AGE_MS = 10_000;

/** How long after its last request an answer is kept warm (a page left open asks again every 30-60 s). */
export const KEEP_WARM_MS = 5 * 60_000;

/**
 * How long after a change an answer kept warm is computed again: the events
 * of one outage come in a burst, and cost one computation, not one each.
 */
export const REWARM_AFTER_CHANGE_MS = 1_000;

/**
 * The share of the time an answer kept warm may take: the next computation
 * ahead of a request waits at least this many times as long as the last one
 * took (an answer of 100 ms, a second; of 5 s for tens of thousands of
 * services, 50 s), however often things change.
 */
export const KEEP_WARM_SPACING = 10;

export interface AnswerCacheOptions {
  now?: () => number;
  /** Keeps answers asked for within this long computed ahead (0: never). */
  keepWarmMs?: number;
  rewarmAfterChangeMs?: number;
  /** Where a computation made in the background says it failed (a request would have been told). */
  log?: Pick<Logger, 'warn'>;
  /** What the answers are, for that message. */
  name?: string;
}

/** What tells an answer cache that its answers are out of date. */
export interface AnswerChanges {
  /** Where the answers computed ahead say they failed (as `answers`). */
  log: Pick<Logger, 'child'>;
  bus: EventBus;
  ingest: Pick<ResultIngest, 'onStatusesChanged'>;
  /** ConfigHolder's: called after every configuration reload. */
  configs: { onReplaced(listener: () => void): void };
}

interface Entry<T> {
  /** When the computation started: the answer reflects the data of about then. */
  at: number;
  answer: Promise<T>;
}

/** A key asked for lately: when, and how its answer is made. */
interface Wanted<T> {
  askedAt: number;
  compute: () => Promise<T>;
  /** The next computation ahead of a request, and when it is due. */
  timer?: NodeJS.Timeout;
  dueAt?: number;
  /** When the last computation ended, and how long it took. */
  doneAt?: number;
  tookMs?: number;
}

export class AnswerCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly wanted = new Map<string, Wanted<T>>();
  private readonly now: () => number;
  private readonly keepWarmMs: number;
  private readonly rewarmAfterChangeMs: number;
  private stopped = false;

  constructor(
    private readonly maxAgeMs: number,
    private readonly options: AnswerCacheOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.keepWarmMs = options.keepWarmMs ?? 0;
    this.rewarmAfterChangeMs = options.rewarmAfterChangeMs ?? REWARM_AFTER_CHANGE_MS;
  }

  /** The answer for `key`: the kept one while it is fresh, else `compute()`'s (kept unless it fails or an event comes first). */
  get(key: string, compute: () => Promise<T>): Promise<T> {
    if (this.keepWarmMs > 0 && !this.stopped) {
      const wanted = this.wanted.get(key);
      if (wanted) Object.assign(wanted, { askedAt: this.now(), compute });
      else this.wanted.set(key, { askedAt: this.now(), compute });
    }
    return this.answer(key, compute);
  }

  private answer(key: string, compute: () => Promise<T>): Promise<T> {
    const kept = this.entries.get(key);
    if (kept && this.now() - kept.at < this.maxAgeMs) return kept.answer;
    const entry: Entry<T> = { at: this.now(), answer: compute() };
    this.entries.set(key, entry);
    // A failure is not kept: the next request tries again. Only this entry is removed, not a newer one.
    entry.answer.then(
      () => {
        const wanted = this.wanted.get(key);
        if (wanted) Object.assign(wanted, { doneAt: this.now(), tookMs: this.now() - entry.at });
        // Computed again as it ages out, if still wanted then.
        if (this.entries.get(key) === entry) this.rewarm(key, entry.at + this.maxAgeMs - this.now());
      },
      () => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    return entry.answer;
  }

  /** Computes `key`'s answer in `delayMs` if it was asked for lately; an earlier computation already due stays. */
  private rewarm(key: string, delayMs: number): void {
    const wanted = this.wanted.get(key);
    if (!wanted || this.stopped) return;
    if (this.now() - wanted.askedAt > this.keepWarmMs) {
      this.wanted.delete(key);
      return;
    }
    // Never sooner than the last computation's time, KEEP_WARM_SPACING times over, after it.
    if (wanted.doneAt !== undefined && wanted.tookMs !== undefined) delayMs = Math.max(delayMs, wanted.doneAt + KEEP_WARM_SPACING * wanted.tookMs - this.now());
    const dueAt = this.now() + Math.max(0, delayMs);
    if (wanted.timer && wanted.dueAt !== undefined && wanted.dueAt <= dueAt) return;
    clearTimeout(wanted.timer);
    wanted.dueAt = dueAt;
    wanted.timer = setTimeout(() => {
      wanted.timer = undefined;
      wanted.dueAt = undefined;
      if (this.stopped || this.now() - wanted.askedAt > this.keepWarmMs) {
        this.wanted.delete(key);
        return;
      }
      // Made meanwhile (a request after a change): due again when it ages out.
      const kept = this.entries.get(key);
      if (kept && this.now() - kept.at < this.maxAgeMs) {
        this.rewarm(key, kept.at + this.maxAgeMs - this.now());
        return;
      }
      this.answer(key, wanted.compute).catch((err: unknown) =>
        this.options.log?.warn(`computing ${this.options.name ?? 'an answer'} (${key}) ahead of the next request failed; the next request tries again: ${errorMessage(err)}`),
      );
    }, Math.max(0, delayMs));
    // Never what keeps the process alive.
    wanted.timer.unref();
  }

  /**
   * Forgets every kept answer, including one being computed (it may have read the data from before the change);
   * those asked for lately are computed again shortly.
   */
  clear(): void {
    this.entries.clear();
    for (const key of this.wanted.keys()) this.rewarm(key, this.rewarmAfterChangeMs);
  }

  /** No more computations ahead of requests (the server is closing). */
  stop(): void {
    this.stopped = true;
    for (const wanted of this.wanted.values()) clearTimeout(wanted.timer);
    this.wanted.clear();
  }

  /**
   * The answers kept for `app`'s routes, `name`d (in the log, and as the bus's subscriber), cleared at every event on the
   * bus, every status changed by results here, every configuration reload, and kept warm until the server closes.
   */
  static forRoutes<T>(app: Pick<FastifyInstance, 'addHook'>, changes: AnswerChanges, name: string): AnswerCache<T> {
    const cache = new AnswerCache<T>(SUMMARY_MAX_AGE_MS, { keepWarmMs: KEEP_WARM_MS, log: changes.log.child('answers'), name });
    cache.clearOnChanges(changes, name);
    app.addHook('onClose', async () => cache.stop());
    return cache;
  }

  /** Clears the answers at every event on the bus (subscribed as `name`), every status changed by results here, every configuration reload. */
  clearOnChanges(changes: Omit<AnswerChanges, 'log'>, name: string): void {
    changes.bus.subscribe(name, () => this.clear());
    changes.ingest.onStatusesChanged(() => this.clear());
    changes.configs.onReplaced(() => this.clear());
  }
}
