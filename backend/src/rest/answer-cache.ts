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
 */
import type { EventBus } from '@vantage/events';
import type { ResultIngest } from '../ingest/result-ingest.ts';

/**
 * How long a summary of a window (the services list, the availability
 * matrix of a preset window) is reused when no event comes: the window's
 * counts lag by at most this.
 */
export const SUMMARY_MAX_AGE_MS = 10_000;

/** What tells an answer cache that its answers are out of date. */
export interface AnswerChanges {
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

export class AnswerCache<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The answer for `key`: the kept one while it is fresh, else `compute()`'s (kept unless it fails or an event comes first). */
  get(key: string, compute: () => Promise<T>): Promise<T> {
    const kept = this.entries.get(key);
    if (kept && this.now() - kept.at < this.maxAgeMs) return kept.answer;
    const entry: Entry<T> = { at: this.now(), answer: compute() };
    this.entries.set(key, entry);
    // A failure is not kept: the next request tries again. Only this entry is removed, not a newer one.
    entry.answer.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    return entry.answer;
  }

  /** Forgets every kept answer, including one being computed (it may have read the data from before the change). */
  clear(): void {
    this.entries.clear();
  }

  /** Clears the answers at every event on the bus (subscribed as `name`), every status changed by results here, every configuration reload. */
  clearOnChanges(changes: AnswerChanges, name: string): void {
    changes.bus.subscribe(name, () => this.clear());
    changes.ingest.onStatusesChanged(() => this.clear());
    changes.configs.onReplaced(() => this.clear());
  }
}
