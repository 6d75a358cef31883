/**
 * An outbox in memory, for the dispatcher's tests: nothing survives a restart.
 * The backend's real one is notifications/outbox-store.ts.
 */
import type { StoredEvent } from '@vantage/events';
import type { OutboxStore } from '../src/notifications/dispatcher.ts';
import type { Notification } from '../src/notifications/message.ts';

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
