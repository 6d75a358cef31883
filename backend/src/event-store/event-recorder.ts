/**
 * Records events inside the transaction of the change that raised them:
 * stores them, applies them to alarms, and puts the notifications they call
 * for in the outbox. So an event, its alarm and its notifications exist
 * together or not at all; delivery happens after commit.
 */
import type { NewEvent, StoredEvent } from '@vantage/events';
import type { EntityManager } from 'typeorm';
import { applyEventsToAlarms } from '../alarms/alarm-store.ts';
import { NotificationEntity } from '../db/entities.ts';
import { insertEvents } from './event-store.ts';

/** Which notification sinks an event goes to (the configured rules). */
export type NotificationRouting = (event: StoredEvent) => string[];

/**
 * Tells the other instances, inside the transaction, which events it stored
 * (PostgreSQL delivers a NOTIFY at commit, and not at all on rollback).
 */
export interface EventAnnouncer {
  announce(manager: EntityManager, stored: readonly StoredEvent[]): Promise<void>;
}

export class EventRecorder {
  constructor(
    /** Read at every event, so a reloaded configuration's rules apply at once. */
    private readonly routing: NotificationRouting = () => [],
    private readonly now: () => number = Date.now,
    /** Several instances on one database: the relay that carries events to the others' buses. */
    private readonly announcer?: EventAnnouncer,
  ) {}

  async record(manager: EntityManager, events: readonly NewEvent[]): Promise<StoredEvent[]> {
    const stored = await insertEvents(manager, events);
    if (stored.length === 0) return stored;
    await applyEventsToAlarms(manager, stored);
    const now = this.now();
    const notifications = stored.flatMap((event) =>
      this.routing(event).map((sink) => ({ sink, eventId: event.id, event, state: 'pending' as const, attempts: 0, nextAttemptAt: now, lastError: null, createdAt: now, finishedAt: null, claimedBy: null, leaseExpiresAt: null, leaseSeq: 0 })),
    );
    if (notifications.length > 0) await manager.insert(NotificationEntity, notifications);
    await this.announcer?.announce(manager, stored);
    return stored;
  }
}
