/**
 * The backend instances serving one database. Each process registers itself
 * at start (an id made once per process, the host and port it serves) and
 * renews its heartbeat every {@link INSTANCE_HEARTBEAT_INTERVAL_MS}; an
 * instance whose heartbeat is older than {@link INSTANCE_EXPIRY_MS} counts
 * as gone, with every poller connection it held, and the next heartbeat of
 * any live instance deletes its rows. On the embedded PGlite there is one
 * process: the table holds one live row.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { PeriodicTask, type Logger } from '@vantage/runtime';
import type { Database } from '../db/database.ts';
import { DB_NOW_MS } from './db-time.ts';

/** How often an instance renews its heartbeat. */
export const INSTANCE_HEARTBEAT_INTERVAL_MS = 2_000;
/**
 * An instance whose heartbeat is older than this is gone, and its pollers
 * with it: five heartbeats missed, so a busy or briefly stalled instance is
 * not taken for dead, while a killed one's monitors stop being shown as
 * connected within 10 s of its last heartbeat.
 */
export const INSTANCE_EXPIRY_MS = 10_000;

/** Who this process is among the instances. */
export interface InstanceIdentity {
  /** `hostname:port:random`, made once per process: a restarted instance is a new one. */
  id: string;
  /** The host it serves (its listening address, or this machine's name when it listens on every address). */
  host: string;
  port: number;
  startedAt: number;
}

export function newInstanceIdentity(listenHost: string, port: number, startedAt = Date.now()): InstanceIdentity {
  const machine = hostname();
  const host = listenHost === '0.0.0.0' || listenHost === '::' ? machine : listenHost;
  return { id: `${machine}:${port}:${randomBytes(4).toString('hex')}`, host, port, startedAt };
}

/** An instance as GET /api/instances shows it. */
export interface InstanceView {
  id: string;
  host: string;
  port: number;
  startedAt: number;
  heartbeatAt: number;
  /** Its heartbeat is within the expiry bound. */
  alive: boolean;
  /** Poller connections it holds open. */
  connections: number;
  /** The periodic jobs it leads (cluster/leadership.ts), by name, sorted. */
  roles: string[];
}

export interface InstanceRegistryOptions {
  log: Logger;
  heartbeatIntervalMs?: number;
  expiryMs?: number;
  /** The embedded database: only this process can be using it, so every other row is stale at once. */
  exclusive?: boolean;
}

export class InstanceRegistry {
  readonly heartbeatIntervalMs: number;
  readonly expiryMs: number;
  private readonly log: Logger;
  private readonly task: PeriodicTask;
  private readonly registeredAgain: (() => Promise<void>)[] = [];

  constructor(
    private readonly db: Database,
    readonly identity: InstanceIdentity,
    private readonly options: InstanceRegistryOptions,
  ) {
    this.log = options.log;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? INSTANCE_HEARTBEAT_INTERVAL_MS;
    this.expiryMs = options.expiryMs ?? INSTANCE_EXPIRY_MS;
    if (!(this.expiryMs > this.heartbeatIntervalMs)) throw new RangeError(`the instance expiry (${this.expiryMs} ms) must be longer than the heartbeat interval (${this.heartbeatIntervalMs} ms)`);
    this.task = new PeriodicTask('instance heartbeat', this.heartbeatIntervalMs, () => this.beat(), this.log);
  }

  /** Registers this instance, removes those long gone, and starts the heartbeat. */
  async start(): Promise<void> {
    await this.db.transaction(async (manager) => {
      if (this.options.exclusive) await manager.query(`DELETE FROM instance WHERE id <> $1`, [this.identity.id]);
      await this.insert(manager);
    });
    await this.expireOthers();
    this.task.start();
  }

  /** Called after a heartbeat found this instance's row deleted (it had missed the bound) and put it back. */
  onRegisteredAgain(listener: () => Promise<void>): void {
    this.registeredAgain.push(listener);
  }

  /** One heartbeat: renew ours (or register again), then delete the instances whose heartbeat expired. */
  async beat(): Promise<void> {
    const renewed = await this.db.transaction(async (manager) => {
      const rows = (await manager.query(`WITH renewed AS (UPDATE instance SET heartbeat_at = ${DB_NOW_MS} WHERE id = $1 RETURNING id) SELECT id FROM renewed`, [
        this.identity.id,
      ])) as unknown[];
      if (rows.length > 0) return true;
      await this.insert(manager);
      return false;
    });
    if (!renewed) {
      this.log.warn(`this instance (${this.identity.id}) had missed its heartbeat for over ${this.expiryMs} ms and was taken for gone: registered again, with its connections`);
      for (const listener of this.registeredAgain) await listener();
    }
    await this.expireOthers();
  }

  /** Stops the heartbeat and deletes this instance, and so its connections: its pollers are shown as disconnected at once. */
  async stop(): Promise<void> {
    await this.task.stop();
    await this.db.transaction((manager) => manager.query(`DELETE FROM instance WHERE id = $1`, [this.identity.id]));
  }

  async list(): Promise<InstanceView[]> {
    const rows = (await this.db.manager.query(
      `SELECT i.id, i.host, i.port, i.started_at, i.heartbeat_at, i.heartbeat_at >= ${DB_NOW_MS} - $1 AS alive,
              (SELECT count(*) FROM poller_connection c WHERE c.instance_id = i.id)::int AS connections,
              (SELECT coalesce(string_agg(l.job, ',' ORDER BY l.job), '') FROM job_leader l WHERE l.instance_id = i.id AND l.expires_at >= ${DB_NOW_MS}) AS roles
         FROM instance i ORDER BY i.started_at, i.id`,
      [this.expiryMs],
    )) as { id: string; host: string; port: number; started_at: string | number; heartbeat_at: string | number; alive: boolean; connections: number; roles: string }[];
    return rows.map((r) => ({
      id: r.id,
      host: r.host,
      port: r.port,
      startedAt: Number(r.started_at),
      heartbeatAt: Number(r.heartbeat_at),
      alive: r.alive,
      connections: r.connections,
      roles: r.roles ? r.roles.split(',') : [],
    }));
  }

  private async insert(manager: Parameters<Parameters<Database['transaction']>[0]>[0]): Promise<void> {
    const { id, host, port, startedAt } = this.identity;
    await manager.query(
      `INSERT INTO instance (id, host, port, started_at, heartbeat_at) VALUES ($1, $2, $3, $4, ${DB_NOW_MS})
       ON CONFLICT (id) DO UPDATE SET heartbeat_at = EXCLUDED.heartbeat_at`,
      [id, host, port, startedAt],
    );
  }

  /** Any live instance may do it: the delete is the same whoever runs it, and cheap. */
  private async expireOthers(): Promise<void> {
    const gone = (await this.db.transaction((manager) =>
      manager.query(`WITH gone AS (DELETE FROM instance WHERE id <> $1 AND heartbeat_at < ${DB_NOW_MS} - $2 RETURNING id) SELECT id FROM gone`, [
        this.identity.id,
        this.expiryMs,
      ]),
    )) as { id: string }[];
    for (const { id } of gone) this.log.info(`instance ${id} missed its heartbeat for over ${this.expiryMs} ms: it and its poller connections are gone`);
  }
}
