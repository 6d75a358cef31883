/**
 * Carries stored events between the instances that share one PostgreSQL
 * database, so every instance's bus (and so /api/live and every page) sees
 * every event, whichever instance recorded it.
 *
 * The instance that records events publishes them on its own bus after
 * commit, as a single backend does. Inside the same transaction the relay
 * issues a NOTIFY on {@link EVENTS_CHANNEL} with their ids (delivered at
 * commit, never for a rollback). Every other instance's relay reads those
 * events by id and publishes them on its bus. No event goes twice on one
 * bus: the ids recorded here, and those already relayed, are skipped.
 *
 * While the LISTEN connection is up nothing is lost. After it reconnects,
 * the relay catches up from the highest id it saw, looking
 * {@link CATCH_UP_LOOKBACK_IDS} further back, because transactions commit
 * in any order and a lower id can become visible after a higher one.
 */
import type { EventBus, StoredEvent } from '@vantage/events';
import type { Logger } from '@vantage/runtime';
import type { EntityManager } from 'typeorm';
import { MAX_NOTIFY_PAYLOAD_BYTES, type PgNotifications } from '../cluster/pg-notifications.ts';
import type { Database } from '../db/database.ts';
import { decodeEventIds, encodeEventIds } from './event-id-list.ts';
import type { EventAnnouncer } from './event-recorder.ts';
import { eventsByIds } from './event-store.ts';

/** The NOTIFY channel that carries the ids of committed events. */
export const EVENTS_CHANNEL = 'vantage_events';
/** After a reconnection, ids up to this far below the highest one seen are looked at again (a late commit of a lower id). */
export const CATCH_UP_LOOKBACK_IDS = 1_000;
/** A catch-up after a long outage publishes at most the newest this many events: the live views reload their lists anyway. */
export const MAX_CATCH_UP_EVENTS = 10_000;
/** Ids recorded here whose transaction never committed (rolled back) are forgotten after this long. */
export const RECORDED_HERE_FORGET_MS = 10 * 60_000;
/** Events read by id in one query. */
const FETCH_CHUNK = 1_000;

export class EventRelay implements EventAnnouncer {
  /** Ids this instance recorded (published on its bus by whoever recorded them), with when. */
  private readonly recordedHere = new Map<number, number>();
  /** Ids on this bus within the catch-up window: true for those this relay published, false for ours once committed. */
  private readonly onBus = new Map<number, boolean>();
  private highestSeen = 0;
  /** Ids at or below it were stored before this instance first listened: history, never relayed by a catch-up. */
  private floor: number | undefined;
  private work: Promise<void> = Promise.resolve();
  private readonly firstListen: Promise<void>;
  private resolveFirstListen!: () => void;

  constructor(
    private readonly db: Database,
    private readonly bus: EventBus,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.firstListen = new Promise((resolve) => (this.resolveFirstListen = resolve));
  }

  /** In the recording transaction: remember the ids as ours, and tell the others at commit. */
  async announce(manager: EntityManager, stored: readonly StoredEvent[]): Promise<void> {
    const at = this.now();
    for (const event of stored) this.recordedHere.set(event.id, at);
    for (const payload of encodeEventIds(stored.map((e) => e.id), MAX_NOTIFY_PAYLOAD_BYTES)) {
      await manager.query(`SELECT pg_notify($1, $2)`, [EVENTS_CHANNEL, payload]);
    }
  }

  /** Listens through `notifications`; returns the function that stops. */
  attach(notifications: PgNotifications): () => void {
    return notifications.subscribe(
      EVENTS_CHANNEL,
      (payload) => this.enqueue('relaying notified events', () => this.received(payload)),
      () => this.enqueue('catching up after the LISTEN connection came back', () => this.listening()),
    );
  }

  /** Resolves once the channel is listened to for the first time, or after `timeoutMs`, whichever comes first. */
  async listeningWithin(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    try {
      return await Promise.race([this.firstListen.then(() => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Resolves once every notification received so far has been handled (tests). */
  async settled(): Promise<void> {
    let seen: Promise<void>;
    do {
      seen = this.work;
      await seen;
    } while (seen !== this.work);
  }

  /** Whether this relay published the event (it was recorded by another instance). */
  isRelayed(eventId: number): boolean {
    return this.onBus.get(eventId) === true;
  }

  private enqueue(what: string, task: () => Promise<void>): void {
    this.work = this.work.then(task).catch((err: unknown) => this.log.error(`event relay: ${what} failed: ${(err as Error)?.stack ?? String(err)}`));
  }

  private async received(payload: string): Promise<void> {
    let ids: number[];
    try {
      ids = decodeEventIds(payload);
    } catch (err) {
      this.log.error(`event relay: a notification on ${EVENTS_CHANNEL} is not a list of event ids (${(err as Error).message}): ignored`);
      return;
    }
    await this.publish(this.notYetOnBus(ids));
    this.forget();
  }

  private async listening(): Promise<void> {
    if (this.floor === undefined) {
      const [row] = (await this.db.manager.query(`SELECT coalesce(max(id), 0) AS id FROM event`)) as { id: string | number }[];
      this.floor = Number(row!.id);
      this.highestSeen = Math.max(this.highestSeen, this.floor);
      this.resolveFirstListen();
      return;
    }
    const from = Math.max(this.floor, this.highestSeen - CATCH_UP_LOOKBACK_IDS);
    const rows = (await this.db.manager.query(`SELECT id FROM event WHERE id > $1 ORDER BY id DESC LIMIT $2`, [from, MAX_CATCH_UP_EVENTS + CATCH_UP_LOOKBACK_IDS])) as {
      id: string | number;
    }[];
    const missed = this.notYetOnBus(rows.reverse().map((row) => Number(row.id)));
    const published = missed.slice(-MAX_CATCH_UP_EVENTS);
    if (missed.length > published.length) this.log.warn(`event relay: ${missed.length - published.length} older events missed while the LISTEN connection was down are not published live`);
    if (published.length > 0) this.log.info(`event relay: ${published.length} event${published.length === 1 ? '' : 's'} stored by other instances while the LISTEN connection was down`);
    await this.publish(published);
    this.forget();
  }

  /** The ids neither recorded here nor relayed already; ours are now known to be committed. */
  private notYetOnBus(ids: readonly number[]): number[] {
    const fresh: number[] = [];
    for (const id of ids) {
      this.highestSeen = Math.max(this.highestSeen, id);
      if (this.recordedHere.delete(id)) this.onBus.set(id, false);
      else if (!this.onBus.has(id)) fresh.push(id);
    }
    return fresh;
  }

  private async publish(ids: readonly number[]): Promise<void> {
    for (let i = 0; i < ids.length; i += FETCH_CHUNK) {
      const events = await eventsByIds(this.db, ids.slice(i, i + FETCH_CHUNK));
      for (const event of events) this.onBus.set(event.id, true);
      this.bus.publish(events);
    }
  }

  /** Keeps the sets small: ids below the catch-up window, and ours that never committed. */
  private forget(): void {
    const below = this.highestSeen - CATCH_UP_LOOKBACK_IDS;
    for (const id of this.onBus.keys()) if (id <= below) this.onBus.delete(id);
    const before = this.now() - RECORDED_HERE_FORGET_MS;
    for (const [id, at] of this.recordedHere) if (at < before) this.recordedHere.delete(id);
  }
}
