/**
 * The delivery side of the notification outbox. The backend stores each
 * notification in the transaction that stores its event; the dispatcher claims
 * the due ones, hands each to its sink, and records the outcome: delivered, failed
 * (tried again later, with exponential backoff), or dead (the dead-letter record).
 */
import type { StoredEvent } from '../event.ts';
import type { Notification } from './notification.ts';
import { errorMessage, type NotificationSink } from './sinks.ts';

/** The outbox, as the dispatcher needs it. Every failed or dead outcome counts one attempt. */
export interface OutboxStore {
  /**
   * Up to `limit` notifications with `nextAttemptAt <= nowMs` that are not in flight,
   * oldest due first, marked in flight so no other claim returns them.
   */
  claimDue(nowMs: number, limit: number): Promise<Notification[]>;
  /** Delivered: it leaves the outbox. */
  markDelivered(id: number): Promise<void>;
  /** This attempt failed: one more attempt, `error` kept, not in flight, due again at `nextAttemptAt`. */
  markFailed(id: number, error: string, nextAttemptAt: number): Promise<void>;
  /** Given up (the last attempt failed, or its sink does not exist): kept as a dead letter with `error`. */
  markDead(id: number, error: string): Promise<void>;
}

/** Time and one-shot timers; the poller's `Clock` fits. Timers with an `unref()` are unref'd. */
export interface DispatcherClock {
  now(): number;
  setTimer(callback: () => void, delayMs: number): unknown;
  clearTimer(handle: unknown): void;
}

/** The part of the shared logger the dispatcher uses. */
export interface DispatcherLog {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
}

export interface BackoffOptions {
  /** Wait after the first failure. Default 1 s. */
  initialMs?: number;
  /** Longest wait; it doubles up to this. Default 10 min. */
  maxMs?: number;
  /** Up to this fraction is taken off each wait at random, so failed sends spread out. Default 0.2. */
  jitter?: number;
}

export interface DispatcherOptions {
  /** Attempts before a notification is dead. Default 8. */
  maxAttempts?: number;
  backoff?: BackoffOptions;
  /** Deliveries at once. Default 4. */
  concurrency?: number;
  /** How often the outbox is looked at; {@link NotificationDispatcher.wake} looks at once. Default 1000. */
  pollIntervalMs?: number;
  clock?: DispatcherClock;
  /** Defaults to `clock.now`. */
  now?: () => number;
  /** For the jitter; [0, 1). Default Math.random. */
  random?: () => number;
  log?: DispatcherLog;
}

const DEFAULT_BACKOFF: Required<BackoffOptions> = { initialMs: 1000, maxMs: 10 * 60_000, jitter: 0.2 };

/** The wait after the `failures`-th failed attempt: initialMs · 2^(failures−1), at most maxMs, less up to `jitter` of it. */
export function backoffDelayMs(failures: number, backoff: BackoffOptions = {}, random: () => number = Math.random): number {
  const { initialMs, maxMs, jitter } = { ...DEFAULT_BACKOFF, ...backoff };
  const base = Math.min(maxMs, initialMs * 2 ** Math.max(0, failures - 1));
  return Math.round(base * (1 - Math.min(1, Math.max(0, jitter)) * random()));
}

const systemClock: DispatcherClock = {
  now: () => Date.now(),
  setTimer: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

const consoleLog: DispatcherLog = {
  error: (m) => console.error(m),
  warn: (m) => console.warn(m),
  info: () => undefined,
  debug: () => undefined,
};

function describe(n: Notification): string {
  return `notification ${n.id} (event ${n.event.id} ${n.event.uei}) to "${n.sink}"`;
}

/**
 * Claims due notifications from the outbox and delivers them, at most
 * `concurrency` at a time. One pass at a time: a timer every `pollIntervalMs`,
 * sooner when a retry falls due, at once on {@link wake}; a pass asked for while
 * one runs runs right after it. Timers are unref'd: the dispatcher alone does
 * not keep the process alive. Never throws from its timers: store and sink
 * errors are logged.
 */
export class NotificationDispatcher {
  private sinks = new Map<string, NotificationSink>();
  private readonly maxAttempts: number;
  private readonly backoff: Required<BackoffOptions>;
  private readonly concurrency: number;
  private readonly pollIntervalMs: number;
  private readonly clock: DispatcherClock;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly log: DispatcherLog;

  private readonly deliveries = new Set<Promise<void>>();
  private pass: Promise<void> | undefined;
  private passAgain = false;
  /** The last claim filled every free slot, so more may be due once one frees up. */
  private backlog = false;
  private timer: unknown;
  private timerDueAt = Infinity;
  private started = false;
  private closed = false;

  constructor(
    private readonly store: OutboxStore,
    sinks: Iterable<NotificationSink>,
    options: DispatcherOptions = {},
  ) {
    this.setSinks(sinks);
    this.maxAttempts = positiveInteger('maxAttempts', options.maxAttempts ?? 8);
    this.concurrency = positiveInteger('concurrency', options.concurrency ?? 4);
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    if (!(this.pollIntervalMs > 0)) throw new RangeError(`pollIntervalMs must be positive, not ${this.pollIntervalMs}`);
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.clock = options.clock ?? systemClock;
    const clock = this.clock;
    this.now = options.now ?? (() => clock.now());
    this.random = options.random ?? Math.random;
    this.log = options.log ?? consoleLog;
  }

  /** Replaces the sinks (a configuration reload); deliveries under way finish with the old ones. */
  setSinks(sinks: Iterable<NotificationSink>): void {
    const byName = new Map<string, NotificationSink>();
    for (const sink of sinks) {
      if (byName.has(sink.name)) throw new Error(`duplicate notification sink "${sink.name}"`);
      byName.set(sink.name, sink);
    }
    this.sinks = byName;
  }

  /** Starts the first pass now and the timer after it. */
  start(): void {
    if (this.closed) throw new Error('the notification dispatcher is closed');
    if (this.started) return;
    this.started = true;
    this.runPass();
  }

  /** Looks at the outbox now, e.g. after the backend enqueued notifications. A no-op before start and after close. */
  wake(): void {
    if (this.started && !this.closed) this.runPass();
  }

  /** Deliveries under way. */
  get inFlight(): number {
    return this.deliveries.size;
  }

  /** Stops claiming and waits for the pass and the deliveries under way to finish and be recorded. */
  async close(): Promise<void> {
    this.closed = true;
    this.clearTimer();
    await this.pass;
    while (this.deliveries.size > 0) await Promise.all([...this.deliveries]);
  }

  private runPass(): void {
    if (this.pass) {
      this.passAgain = true;
      return;
    }
    this.pass = this.passLoop().finally(() => {
      this.pass = undefined;
      // Asked for between the loop's last check and here.
      if (this.passAgain && !this.closed) this.runPass();
      else this.scheduleAt(this.now() + this.pollIntervalMs);
    });
  }

  private async passLoop(): Promise<void> {
    do {
      this.passAgain = false;
      try {
        await this.claimAndDeliver();
      } catch (err) {
        this.log.error(`notification outbox: claiming due notifications failed: ${errorMessage(err)}`);
        this.passAgain = false; // the timer tries again
        return;
      }
    } while (this.passAgain && !this.closed);
  }

  private async claimAndDeliver(): Promise<void> {
    while (!this.closed) {
      const free = this.concurrency - this.deliveries.size;
      if (free <= 0) {
        this.backlog = true;
        return;
      }
      const batch = await this.store.claimDue(this.now(), free);
      // Claimed means in flight in the store: deliver even if close() came meanwhile.
      for (const notification of batch) this.track(this.deliver(notification));
      if (batch.length < free) {
        this.backlog = false;
        return;
      }
    }
  }

  private track(delivery: Promise<void>): void {
    this.deliveries.add(delivery);
    void delivery.finally(() => {
      this.deliveries.delete(delivery);
      if (this.backlog && !this.closed) this.runPass();
    });
  }

  /** Never rejects: every outcome is recorded or logged. */
  private async deliver(notification: Notification): Promise<void> {
    const attempt = notification.attempts + 1;
    try {
      const sink = this.sinks.get(notification.sink);
      if (!sink) {
        const error = `no notification sink named "${notification.sink}" is configured`;
        this.log.warn(`${describe(notification)} is dead: ${error}`);
        await this.store.markDead(notification.id, error);
        return;
      }
      let failure: string | undefined;
      try {
        await sink.deliver(notification);
      } catch (err) {
        failure = errorMessage(err) || 'delivery failed';
      }
      if (failure === undefined) {
        this.log.debug(`${describe(notification)} delivered on attempt ${attempt}`);
        await this.store.markDelivered(notification.id);
        return;
      }
      if (attempt >= this.maxAttempts) {
        this.log.warn(`${describe(notification)} is dead after ${attempt} attempts: ${failure}`);
        await this.store.markDead(notification.id, failure);
        return;
      }
      const delayMs = backoffDelayMs(attempt, this.backoff, this.random);
      const nextAttemptAt = this.now() + delayMs;
      this.log.info(`${describe(notification)} failed (attempt ${attempt} of ${this.maxAttempts}), again in ${delayMs} ms: ${failure}`);
      await this.store.markFailed(notification.id, failure, nextAttemptAt);
      this.scheduleAt(nextAttemptAt);
    } catch (err) {
      this.log.error(`${describe(notification)}: recording the outcome of attempt ${attempt} failed: ${errorMessage(err)}`);
    }
  }

  /** Makes sure a pass runs by `dueMs`: keeps an earlier timer, replaces a later one. */
  private scheduleAt(dueMs: number): void {
    if (!this.started || this.closed) return;
    if (this.timer !== undefined && this.timerDueAt <= dueMs) return;
    this.clearTimer();
    this.timerDueAt = dueMs;
    const handle = this.clock.setTimer(
      () => {
        if (this.timer !== handle) return;
        this.timer = undefined;
        this.timerDueAt = Infinity;
        // Node's timers run off a cached loop time and can fire a little before
        // Date.now() reaches dueMs; a pass then would not find the retry due yet.
        if (this.now() < dueMs) this.scheduleAt(dueMs);
        else this.runPass();
      },
      Math.max(0, dueMs - this.now()),
    );
    (handle as { unref?: () => void } | null)?.unref?.();
    this.timer = handle;
  }

  private clearTimer(): void {
    if (this.timer === undefined) return;
    this.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.timerDueAt = Infinity;
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, not ${value}`);
  return value;
}

/** A dead letter as {@link InMemoryOutboxStore} keeps it. */
export interface DeadLetter {
  notification: Notification;
  error: string;
  diedAt: number;
}

/**
 * An {@link OutboxStore} in memory, for tests and for trying things out: nothing
 * survives a restart. `claimDue` returns copies, as a database would.
 */
export class InMemoryOutboxStore implements OutboxStore {
  private nextId = 1;
  private readonly rows = new Map<number, { notification: Notification; inFlight: boolean }>();
  readonly delivered: Notification[] = [];
  readonly dead: DeadLetter[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  /** Adds a notification for `event` to `sink`, due at `dueAt` (now by default). */
  enqueue(sink: string, event: StoredEvent, dueAt: number = this.now()): Notification {
    const notification: Notification = { id: this.nextId++, sink, event, attempts: 0, nextAttemptAt: dueAt };
    this.rows.set(notification.id, { notification, inFlight: false });
    return { ...notification };
  }

  /** Notifications not yet delivered or dead, in flight or not. */
  get pending(): Notification[] {
    return [...this.rows.values()].map((row) => ({ ...row.notification }));
  }

  /** Notifications claimed and not yet marked. */
  get inFlight(): number {
    return [...this.rows.values()].filter((row) => row.inFlight).length;
  }

  claimDue(nowMs: number, limit: number): Promise<Notification[]> {
    const due = [...this.rows.values()]
      .filter((row) => !row.inFlight && row.notification.nextAttemptAt <= nowMs)
      .sort((a, b) => a.notification.nextAttemptAt - b.notification.nextAttemptAt || a.notification.id - b.notification.id)
      .slice(0, Math.max(0, limit));
    for (const row of due) row.inFlight = true;
    return Promise.resolve(due.map((row) => ({ ...row.notification })));
  }

  markDelivered(id: number): Promise<void> {
    const row = this.take(id);
    this.delivered.push({ ...row.notification });
    return Promise.resolve();
  }

  markFailed(id: number, error: string, nextAttemptAt: number): Promise<void> {
    const row = this.row(id);
    row.notification = { ...row.notification, attempts: row.notification.attempts + 1, lastError: error, nextAttemptAt };
    row.inFlight = false;
    return Promise.resolve();
  }

  markDead(id: number, error: string): Promise<void> {
    const row = this.take(id);
    const notification = { ...row.notification, attempts: row.notification.attempts + 1, lastError: error };
    this.dead.push({ notification, error, diedAt: this.now() });
    return Promise.resolve();
  }

  private row(id: number): { notification: Notification; inFlight: boolean } {
    const row = this.rows.get(id);
    if (!row) throw new Error(`no notification ${id} in the outbox`);
    if (!row.inFlight) throw new Error(`notification ${id} is not in flight`);
    return row;
  }

  private take(id: number): { notification: Notification; inFlight: boolean } {
    const row = this.row(id);
    this.rows.delete(id);
    return row;
  }
}
