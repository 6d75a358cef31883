/**
 * The delivery side of the notification outbox. The backend stores each
 * notification in the transaction that stores its event; the dispatcher claims
 * the due ones, hands each to its sink, and records the outcome: delivered, failed
 * (tried again later, with exponential backoff), or dead (the dead-letter record).
 *
 * A claim is a lease: while a delivery lasts longer than a part of it, the
 * dispatcher renews it, so no other instance takes the notification over while
 * this one is alive; if this instance dies, the lease expires and another
 * claims the notification again. An outcome is recorded only under the lease
 * it was claimed with.
 */
import { backoffDelayMs, systemClock, type BackoffOptions, type Clock, type Logger, type TimerHandle } from '@vantage/runtime';
import type { Notification } from './message.ts';
import { errorMessage } from './sinks/delivery-errors.ts';
import type { NotificationSink } from './sinks/sink.ts';

/** A notification as claimed from the outbox: by this claimant, under one lease. */
export interface ClaimedNotification extends Notification {
  /** Which claim of the notification this is: one taken over gets a new lease, and the former holder's outcomes no longer count. */
  lease: number;
}

/**
 * The outbox, as the dispatcher needs it. Every failed or dead outcome counts
 * one attempt. Outcomes and renewals hold only for the claim's holder under the
 * same lease: they resolve false, changing nothing, once it was lost.
 */
export interface OutboxStore {
  /** How long a claim holds unless renewed; Infinity for a store whose claims never expire (one process). */
  readonly leaseMs: number;
  /**
   * Up to `limit` notifications with `nextAttemptAt <= nowMs` that are not in flight
   * (or whose claim expired), oldest due first, marked in flight under a new lease
   * so no other claim returns them while it holds.
   */
  claimDue(nowMs: number, limit: number): Promise<ClaimedNotification[]>;
  /** The delivery goes on: the lease holds for another `leaseMs`. */
  renewLease(claim: ClaimedNotification): Promise<boolean>;
  /** Delivered: it leaves the outbox. */
  markDelivered(claim: ClaimedNotification): Promise<boolean>;
  /** This attempt failed: one more attempt, `error` kept, not in flight, due again at `nextAttemptAt`. */
  markFailed(claim: ClaimedNotification, error: string, nextAttemptAt: number): Promise<boolean>;
  /** Given up (the last attempt failed, or its sink does not exist): kept as a dead letter with `error`. */
  markDead(claim: ClaimedNotification, error: string): Promise<boolean>;
}

/** A delivery renews its lease this many times per lease: a renewal can fail or come late thrice before the lease runs out. */
export const LEASE_RENEWALS_PER_LEASE = 4;

export interface DispatcherOptions {
  /** Attempts before a notification is dead. Default 8. */
  maxAttempts?: number;
  backoff?: BackoffOptions;
  /** Deliveries at once. Default 4. */
  concurrency?: number;
  /** How often the outbox is looked at; {@link NotificationDispatcher.wake} looks at once. Default 1000. */
  pollIntervalMs?: number;
  clock?: Clock;
  /** Defaults to `clock.now`. */
  now?: () => number;
  /** For the jitter; [0, 1). Default Math.random. */
  random?: () => number;
  log?: DispatcherLogger;
}

/** Delivery retries: 1 s doubling to 10 min, up to a fifth taken off at random so failed sends spread out. */
export const DELIVERY_BACKOFF: Required<Pick<BackoffOptions, 'initialMs' | 'maxMs' | 'jitter'>> = { initialMs: 1000, maxMs: 10 * 60_000, jitter: 0.2 };

/** The logger methods the dispatcher uses; any {@link Logger} fits. */
export type DispatcherLogger = Pick<Logger, 'error' | 'warn' | 'info' | 'debug'>;

const consoleLog: DispatcherLogger = {
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
  private readonly backoff: BackoffOptions;
  private readonly concurrency: number;
  private readonly pollIntervalMs: number;
  private readonly clock: Clock;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly log: DispatcherLogger;

  private readonly deliveries = new Set<Promise<void>>();
  private pass: Promise<void> | undefined;
  private passAgain = false;
  /** The last claim filled every free slot, so more may be due once one frees up. */
  private backlog = false;
  private timer: TimerHandle | undefined;
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
    this.backoff = { ...DELIVERY_BACKOFF, ...options.backoff };
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
  private async deliver(notification: ClaimedNotification): Promise<void> {
    const renewal = this.renewWhileDelivering(notification);
    try {
      await this.attempt(notification);
    } finally {
      renewal.stop();
    }
  }

  /** Renews the lease every part of it until stopped; says so once if the lease was lost. */
  private renewWhileDelivering(claim: ClaimedNotification): { stop(): void } {
    if (!Number.isFinite(this.store.leaseMs)) return { stop: () => undefined };
    const everyMs = Math.max(1, Math.floor(this.store.leaseMs / LEASE_RENEWALS_PER_LEASE));
    let timer: TimerHandle | undefined;
    let stopped = false;
    const schedule = () => {
      timer = this.clock.setTimer(() => void renew(), everyMs);
      (timer as { unref?: () => void } | null)?.unref?.();
    };
    const renew = async () => {
      timer = undefined;
      try {
        if (!(await this.store.renewLease(claim))) {
          this.log.warn(`${describe(claim)}: its lease expired and another claim took it over while this delivery went on; this outcome will not be recorded`);
          return;
        }
      } catch (err) {
        // The next renewal may get through before the lease runs out.
        this.log.error(`${describe(claim)}: renewing its lease failed: ${errorMessage(err)}`);
      }
      if (!stopped) schedule();
    };
    schedule();
    return {
      stop: () => {
        stopped = true;
        if (timer !== undefined) this.clock.clearTimer(timer);
      },
    };
  }

  private async attempt(notification: ClaimedNotification): Promise<void> {
    const attempt = notification.attempts + 1;
    const recorded = (held: boolean) => {
      if (!held) this.log.warn(`${describe(notification)}: the outcome of attempt ${attempt} was not recorded: the claim's lease was lost to another claim`);
    };
    try {
      const sink = this.sinks.get(notification.sink);
      if (!sink) {
        const error = `no notification sink named "${notification.sink}" is configured`;
        this.log.warn(`${describe(notification)} is dead: ${error}`);
        recorded(await this.store.markDead(notification, error));
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
        recorded(await this.store.markDelivered(notification));
        return;
      }
      if (attempt >= this.maxAttempts) {
        this.log.warn(`${describe(notification)} is dead after ${attempt} attempts: ${failure}`);
        recorded(await this.store.markDead(notification, failure));
        return;
      }
      const delayMs = backoffDelayMs(attempt, this.backoff, this.random);
      const nextAttemptAt = this.now() + delayMs;
      this.log.info(`${describe(notification)} failed (attempt ${attempt} of ${this.maxAttempts}), again in ${delayMs} ms: ${failure}`);
      recorded(await this.store.markFailed(notification, failure, nextAttemptAt));
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
