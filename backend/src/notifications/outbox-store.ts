/**
 * The notification outbox in the database, for the dispatcher. Rows are
 * written by EventRecorder in the transaction that stores their event.
 *
 * A claim is a lease with an owner: `claimed_by` (the instance), until
 * `lease_expires_at` (the database's clock, so instances' clocks may differ),
 * under `lease_seq` (the claim's number). Claiming takes the due pending rows
 * and the in-flight rows whose lease expired, with SKIP LOCKED so two
 * instances never take the same row; an expired claim is taken over by the
 * claim itself, so no release job (and no leader to run it) is needed, and a
 * claim whose holder is alive (renewing) is never taken. Renewals and outcomes
 * apply only where the row is still in flight under the holder's own lease.
 */
import type { ClaimedNotification, OutboxStore } from './dispatcher.ts';
import type { Notification } from './message.ts';
import { DB_NOW_MS } from '../cluster/db-time.ts';
import type { Database } from '../db/database.ts';
import { NotificationEntity, type NotificationRow } from '../db/entities.ts';

/**
 * How long a claim holds without renewal. A delivery renews it every quarter
 * of it (LEASE_RENEWALS_PER_LEASE), so only an instance that stopped (killed,
 * or stalled for most of this) loses a claim; a dead instance's notifications
 * are delivered again by another within this bound (plus a dispatcher poll).
 */
export const NOTIFICATION_LEASE_MS = 20_000;

export interface DbOutboxOptions {
  /** The instance that claims: the owner written in its claims. */
  claimant: string;
  leaseMs?: number;
  now?: () => number;
  /** Told of each claim taken over from another holder (or a former run of this one) whose lease expired. */
  onTakeover?: (notification: ClaimedNotification, formerClaimant: string | null) => void;
}

type ClaimedRow = {
  id: string | number;
  sink: string;
  event: Notification['event'];
  attempts: number;
  next_attempt_at: string | number;
  last_error: string | null;
  lease_seq: number;
  was_state: string;
  was_claimed_by: string | null;
};

export class DbOutboxStore implements OutboxStore {
  readonly leaseMs: number;
  readonly claimant: string;
  private readonly now: () => number;

  constructor(
    private readonly db: Database,
    private readonly options: DbOutboxOptions,
  ) {
    this.claimant = options.claimant;
    this.leaseMs = options.leaseMs ?? NOTIFICATION_LEASE_MS;
    if (!(this.leaseMs > 0) || !Number.isFinite(this.leaseMs)) throw new RangeError(`the notification lease must be a positive number of milliseconds, not ${this.leaseMs}`);
    this.now = options.now ?? Date.now;
  }

  async claimDue(nowMs: number, limit: number): Promise<ClaimedNotification[]> {
    const rows = await this.db.transaction(
      async (manager) =>
        // As a CTE the statement is a SELECT, so both drivers hand back plain rows. FOR UPDATE
        // re-checks a row's state under its lock, so a claim renewed or finished meanwhile is not taken.
        (await manager.query(
          `WITH due AS (
             SELECT id, state AS was_state, claimed_by AS was_claimed_by FROM notification
              WHERE (state = 'pending' AND next_attempt_at <= $1)
                 OR (state = 'inflight' AND (lease_expires_at IS NULL OR lease_expires_at < ${DB_NOW_MS}))
              ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED),
           claimed AS (
             UPDATE notification n SET state = 'inflight', claimed_by = $3, lease_seq = n.lease_seq + 1, lease_expires_at = ${DB_NOW_MS} + $4
               FROM due WHERE n.id = due.id
             RETURNING n.id, n.sink, n.event, n.attempts, n.next_attempt_at, n.last_error, n.lease_seq, due.was_state, due.was_claimed_by)
           SELECT * FROM claimed`,
          [nowMs, limit, this.claimant, this.leaseMs],
        )) as ClaimedRow[],
    );
    const claims = rows
      .map((r) => ({
        claim: {
          id: Number(r.id),
          sink: r.sink,
          event: r.event,
          attempts: r.attempts,
          nextAttemptAt: Number(r.next_attempt_at),
          lease: r.lease_seq,
          ...(r.last_error !== null ? { lastError: r.last_error } : {}),
        } satisfies ClaimedNotification,
        takenOverFrom: r.was_state === 'inflight' ? r.was_claimed_by : undefined,
      }))
      .sort((a, b) => a.claim.nextAttemptAt - b.claim.nextAttemptAt || a.claim.id - b.claim.id);
    for (const { claim, takenOverFrom } of claims) if (takenOverFrom !== undefined) this.options.onTakeover?.(claim, takenOverFrom);
    return claims.map((c) => c.claim);
  }

  async renewLease(claim: ClaimedNotification): Promise<boolean> {
    return this.updateHeld(claim, `lease_expires_at = ${DB_NOW_MS} + $4`, [this.leaseMs]);
  }

  async markDelivered(claim: ClaimedNotification): Promise<boolean> {
    return this.updateHeld(claim, `state = 'delivered', attempts = attempts + 1, finished_at = $4, lease_expires_at = NULL`, [this.now()]);
  }

  async markFailed(claim: ClaimedNotification, error: string, nextAttemptAt: number): Promise<boolean> {
    return this.updateHeld(claim, `state = 'pending', attempts = attempts + 1, last_error = $4, next_attempt_at = $5, lease_expires_at = NULL`, [error, nextAttemptAt]);
  }

  async markDead(claim: ClaimedNotification, error: string): Promise<boolean> {
    return this.updateHeld(claim, `state = 'dead', attempts = attempts + 1, last_error = $4, finished_at = $5, lease_expires_at = NULL`, [error, this.now()]);
  }

  list(state: NotificationRow['state'] | undefined, limit: number): Promise<NotificationRow[]> {
    return listNotifications(this.db, state, limit);
  }

  /** Applies `set` ($4, $5… are `values`) where the row is still this holder's claim under the same lease; true when it was. */
  private async updateHeld(claim: ClaimedNotification, set: string, values: unknown[]): Promise<boolean> {
    const rows = (await this.db.transaction((manager) =>
      manager.query(
        `WITH held AS (
           UPDATE notification SET ${set}
            WHERE id = $1 AND state = 'inflight' AND claimed_by = $2 AND lease_seq = $3
            RETURNING id)
         SELECT id FROM held`,
        [claim.id, this.claimant, claim.lease, ...values],
      ),
    )) as unknown[];
    return rows.length === 1;
  }
}

/** The outbox's rows, newest first, in one state or all (what GET /api/notifications shows). */
export function listNotifications(db: Database, state: NotificationRow['state'] | undefined, limit: number): Promise<NotificationRow[]> {
  return db.manager.find(NotificationEntity, { where: state ? { state } : {}, order: { id: 'DESC' }, take: limit });
}

/** Reading the outbox, for the REST API. */
export interface NotificationList {
  list(state: NotificationRow['state'] | undefined, limit: number): Promise<NotificationRow[]>;
}
