/**
 * The poller connections of every instance, in the database: one row per
 * open connection (monitor, instance, since when, transport), so every
 * instance answers "which monitors are connected, to which instance, since
 * when" alike. A connection counts only while its instance's heartbeat is
 * within the expiry bound; an expired instance's rows go with it.
 *
 * Opening and closing a connection must not wait for the database (the
 * WebSocket upgrade and the in-process local poller are synchronous), so
 * writes are queued and flushed in batches, one transaction each; a failed
 * flush is kept and tried again.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '@vantage/runtime';
import type { Database } from '../db/database.ts';
import { DB_NOW_MS } from './db-time.ts';

/** How a poller is connected: a WebSocket, or the built-in poller in the backend's process. */
export type PollerTransport = 'websocket' | 'local';

/** A monitor's connection as the REST API shows it. */
export interface MonitorConnection {
  /** The instance it is connected to. */
  instance: string;
  connectedSince: number;
}

/** What the in-memory connection registry tells the store. */
export interface ConnectionTracker {
  /** A connection opened; returns the function to call when it closes. */
  opened(monitorId: string, transport: PollerTransport): () => void;
}

/** A write that failed (the database away) is tried again after this long, and at every change meanwhile. */
export const CONNECTION_WRITE_RETRY_MS = 2_000;

interface OpenConnection {
  monitorId: string;
  transport: PollerTransport;
  since: number;
}

export class PollerConnectionStore implements ConnectionTracker {
  private readonly open = new Map<string, OpenConnection>();
  private readonly toInsert = new Set<string>();
  private readonly toDelete = new Set<string>();
  private flushing: Promise<void> | undefined;
  private flushAgain = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly db: Database,
    private readonly instanceId: string,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  opened(monitorId: string, transport: PollerTransport): () => void {
    const id = randomUUID();
    this.open.set(id, { monitorId, transport, since: this.now() });
    this.toInsert.add(id);
    this.kick();
    let closed = false;
    return () => {
      if (closed) return;
      closed = true;
      this.open.delete(id);
      // Never written: nothing to delete.
      if (!this.toInsert.delete(id)) this.toDelete.add(id);
      this.kick();
    };
  }

  /** Writes every change queued so far (and tried again any that failed); resolves once written or failed. */
  async flush(): Promise<void> {
    this.kick();
    while (this.flushing) await this.flushing;
  }

  /** This instance's row was deleted and put back: write every open connection again. */
  async reassert(): Promise<void> {
    for (const id of this.open.keys()) this.toInsert.add(id);
    await this.flush();
  }

  /** Writes what is queued one last time and stops retrying. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    clearTimeout(this.retryTimer);
  }

  private kick(): void {
    if (this.closed) return;
    if (this.flushing) {
      this.flushAgain = true;
      return;
    }
    this.flushing = this.flushLoop().finally(() => (this.flushing = undefined));
  }

  private async flushLoop(): Promise<void> {
    do {
      this.flushAgain = false;
      const deletes = [...this.toDelete];
      const inserts = [...this.toInsert].flatMap((id) => {
        const c = this.open.get(id);
        return c ? [{ id, ...c }] : [];
      });
      if (deletes.length === 0 && inserts.length === 0) return;
      this.toDelete.clear();
      this.toInsert.clear();
      try {
        await this.db.transaction(async (manager) => {
          if (deletes.length > 0) await manager.query(`DELETE FROM poller_connection WHERE id = ANY($1::text[])`, [deletes]);
          if (inserts.length > 0) {
            await manager.query(
              `INSERT INTO poller_connection (id, monitor_id, instance_id, connected_since, transport)
               SELECT c.id, c.monitor_id, $1, c.since, c.transport
                 FROM unnest($2::text[], $3::text[], $4::bigint[], $5::text[]) AS c(id, monitor_id, since, transport)
               ON CONFLICT (id) DO NOTHING`,
              [this.instanceId, inserts.map((c) => c.id), inserts.map((c) => c.monitorId), inserts.map((c) => c.since), inserts.map((c) => c.transport)],
            );
          }
        });
      } catch (err) {
        // Kept for the next try; a connection closed meanwhile is no longer inserted.
        for (const id of deletes) this.toDelete.add(id);
        for (const c of inserts) if (this.open.has(c.id)) this.toInsert.add(c.id);
        this.log.error(`cannot record ${inserts.length} opened and ${deletes.length} closed poller connections: ${(err as Error).message} (trying again in ${CONNECTION_WRITE_RETRY_MS} ms)`);
        if (!this.closed && !this.retryTimer) {
          this.retryTimer = setTimeout(() => {
            this.retryTimer = undefined;
            this.kick();
          }, CONNECTION_WRITE_RETRY_MS).unref();
        }
        return;
      }
    } while (this.flushAgain);
  }
}

/**
 * Which monitors are connected, to which instance, since when: the newest
 * connection of each (a poller that moved may briefly have two), counting only
 * instances whose heartbeat is within `expiryMs`. All monitors, or those listed.
 */
export async function monitorConnections(db: Database, expiryMs: number, monitorIds?: readonly string[]): Promise<Map<string, MonitorConnection>> {
  const rows = (await db.manager.query(newestConnections(monitorIds ? 'AND c.monitor_id = ANY($2::text[])' : ''), monitorIds ? [expiryMs, monitorIds] : [expiryMs])) as {
    monitor_id: string;
    instance_id: string;
    connected_since: string | number;
  }[];
  return new Map(rows.map((r) => [r.monitor_id, { instance: r.instance_id, connectedSince: Number(r.connected_since) }]));
}

/** How many monitors are connected, by location and instance, by the same rule as {@link monitorConnections}. */
export async function connectedMonitorCounts(db: Database, expiryMs: number): Promise<{ location: string; instance: string; monitors: number }[]> {
  const rows = (await db.manager.query(
    `SELECT m.location, c.instance_id, count(*)::int AS monitors
       FROM (${newestConnections('')}) c JOIN location_monitor m ON m.id = c.monitor_id
      GROUP BY m.location, c.instance_id`,
    [expiryMs],
  )) as { location: string; instance_id: string; monitors: number }[];
  return rows.map((r) => ({ location: r.location, instance: r.instance_id, monitors: r.monitors }));
}

/** Each monitor's newest connection to a live instance (heartbeat within $1); `and` narrows it further. */
function newestConnections(and: string): string {
  return `SELECT DISTINCT ON (c.monitor_id) c.monitor_id, c.instance_id, c.connected_since
       FROM poller_connection c JOIN instance i ON i.id = c.instance_id
      WHERE i.heartbeat_at >= ${DB_NOW_MS} - $1 ${and}
      ORDER BY c.monitor_id, c.connected_since DESC, c.id`;
}
