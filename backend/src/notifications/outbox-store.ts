/**
 * The notification outbox in the database, for the dispatcher in `events`.
 * Rows are written by EventRecorder in the transaction that stores their
 * event; claiming uses SKIP LOCKED so several backends never deliver the
 * same notification at once.
 */
import type { OutboxStore } from './dispatcher.ts';
import type { Notification } from './message.ts';
import type { Database } from '../db/database.ts';
import { NotificationEntity, type NotificationRow } from '../db/entities.ts';

export class DbOutboxStore implements OutboxStore {
  constructor(
    private readonly db: Database,
    private readonly now: () => number = Date.now,
  ) {}

  /** A backend that died mid-delivery left claims behind: they are due again. */
  async releaseStaleClaims(): Promise<number> {
    return this.db.transaction(async (manager) => {
      const result = await manager.update(NotificationEntity, { state: 'inflight' }, { state: 'pending' });
      return result.affected ?? 0;
    });
  }

  async claimDue(nowMs: number, limit: number): Promise<Notification[]> {
    return this.db.transaction(async (manager) => {
      // As a CTE the statement is a SELECT, so both drivers hand back plain rows.
      const list = (await manager.query(
        `WITH claimed AS (
           UPDATE notification SET state = 'inflight'
            WHERE id IN (SELECT id FROM notification WHERE state = 'pending' AND next_attempt_at <= $1
                          ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)
            RETURNING id, sink, event, attempts, next_attempt_at, last_error)
         SELECT * FROM claimed`,
        [nowMs, limit],
      )) as { id: string | number; sink: string; event: Notification['event']; attempts: number; next_attempt_at: string | number; last_error: string | null }[];
      return list
        .map((r) => ({
          id: Number(r.id),
          sink: r.sink,
          event: r.event,
          attempts: r.attempts,
          nextAttemptAt: Number(r.next_attempt_at),
          ...(r.last_error !== null ? { lastError: r.last_error } : {}),
        }))
        .sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || a.id - b.id);
    });
  }

  async markDelivered(id: number): Promise<void> {
    await this.db.transaction((manager) =>
      manager.query(`UPDATE notification SET state = 'delivered', attempts = attempts + 1, finished_at = $2 WHERE id = $1`, [id, this.now()]),
    );
  }

  async markFailed(id: number, error: string, nextAttemptAt: number): Promise<void> {
    await this.db.transaction((manager) =>
      manager.query(`UPDATE notification SET state = 'pending', attempts = attempts + 1, last_error = $2, next_attempt_at = $3 WHERE id = $1`, [id, error, nextAttemptAt]),
    );
  }

  async markDead(id: number, error: string): Promise<void> {
    await this.db.transaction((manager) =>
      manager.query(`UPDATE notification SET state = 'dead', attempts = attempts + 1, last_error = $2, finished_at = $3 WHERE id = $1`, [id, error, this.now()]),
    );
  }

  async list(state: NotificationRow['state'] | undefined, limit: number): Promise<NotificationRow[]> {
    return this.db.manager.find(NotificationEntity, { where: state ? { state } : {}, order: { id: 'DESC' }, take: limit });
  }
}
