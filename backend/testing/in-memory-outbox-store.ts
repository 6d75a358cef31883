/**
 * An outbox in memory, for the dispatcher's tests: nothing survives a restart.
 * The backend's real one is notifications/outbox-store.ts.
 */
import type { StoredEvent } from '@vantage/events';
import type { ClaimedNotification, OutboxStore } from '../src/notifications/dispatcher.ts';
import type { Notification } from '../src/notifications/message.ts';

/** A dead letter as {@link InMemoryOutboxStore} keeps it. */
export interface DeadLetter {
  notification: Notification;
  error: string;
  diedAt: number;
}

/**
 * An {@link OutboxStore} in memory, for tests and for trying things out: nothing
 * survives a restart. `claimDue` returns copies, as a database would. One
 * process holds it, so its claims never expire; outcomes count only under the
 * lease they were claimed with.
 */
export class InMemoryOutboxStore implements OutboxStore {
  readonly leaseMs = Infinity;
  private nextId = 1;
  private nextLease = 1;
  private readonly rows = new Map<number, Row>();
  readonly delivered: Notification[] = [];
  readonly dead: DeadLetter[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  /** Adds a notification for `event` to `sink`, due at `dueAt` (now by default). */
  enqueue(sink: string, event: StoredEvent, dueAt: number = this.now()): Notification {
    const notification: Notification = { id: this.nextId++, sink, event, attempts: 0, nextAttemptAt: dueAt };
    this.rows.set(notification.id, { notification });
    return { ...notification };
  }

  /** Notifications not yet delivered or dead, in flight or not. */
  get pending(): Notification[] {
    return [...this.rows.values()].map((row) => ({ ...row.notification }));
  }

  /** Notifications claimed and not yet marked. */
  get inFlight(): number {
    return [...this.rows.values()].filter((row) => row.lease !== undefined).length;
  }

  claimDue(nowMs: number, limit: number): Promise<ClaimedNotification[]> {
    const due = [...this.rows.values()]
      .filter((row) => row.lease === undefined && row.notification.nextAttemptAt <= nowMs)
      .sort((a, b) => a.notification.nextAttemptAt - b.notification.nextAttemptAt || a.notification.id - b.notification.id)
      .slice(0, Math.max(0, limit));
    for (const row of due) row.lease = this.nextLease++;
    return Promise.resolve(due.map((row) => ({ ...row.notification, lease: row.lease! })));
  }

  renewLease(claim: ClaimedNotification): Promise<boolean> {
    return Promise.resolve(this.held(claim) !== undefined);
  }

  markDelivered(claim: ClaimedNotification): Promise<boolean> {
    const row = this.take(claim);
    if (row) this.delivered.push({ ...row.notification });
    return Promise.resolve(row !== undefined);
  }

  markFailed(claim: ClaimedNotification, error: string, nextAttemptAt: number): Promise<boolean> {
    const row = this.held(claim);
    if (row) {
      row.notification = { ...row.notification, attempts: row.notification.attempts + 1, lastError: error, nextAttemptAt };
      row.lease = undefined;
    }
    return Promise.resolve(row !== undefined);
  }

  markDead(claim: ClaimedNotification, error: string): Promise<boolean> {
    const row = this.take(claim);
    if (row) {
      const notification = { ...row.notification, attempts: row.notification.attempts + 1, lastError: error };
      this.dead.push({ notification, error, diedAt: this.now() });
    }
    return Promise.resolve(row !== undefined);
  }

  /** The row while `claim` holds it. */
  private held(claim: ClaimedNotification): Row | undefined {
    const row = this.rows.get(claim.id);
    return row && row.lease === claim.lease ? row : undefined;
  }

  private take(claim: ClaimedNotification): Row | undefined {
    const row = this.held(claim);
    if (row) this.rows.delete(claim.id);
    return row;
  }
}

interface Row {
  notification: Notification;
  /** The lease of the claim holding it; undefined when not in flight. */
  lease?: number;
}
