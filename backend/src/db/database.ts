/**
 * Opens the relational store: PostgreSQL through `pg` when a URL is given,
 * otherwise the embedded PGlite in a data folder. Both run the same
 * migrations, so one SQL dialect serves both.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { yieldToEventLoop } from '@vantage/runtime';
import { DataSource, type EntityManager } from 'typeorm';
import { PGliteDriver } from 'typeorm-pglite';
import { underStartLock } from '../cluster/start-lock.ts';
import { pendingAudit, writeAudit } from '../audit/audit-trail.ts';
import { ENTITIES } from './entities.ts';
import { lockDataFolder } from './data-folder-lock.ts';
import { pgliteWasmModule } from '../../pglite-preload.mjs';
import { embeddedStartParams, seedFromEmptyDatabase } from './embedded-database.ts';
import { ensureInstallationId } from './installation.ts';
import { MIGRATIONS } from './migrations/index.ts';

export interface DatabaseOptions {
  /** `postgres://…`; when absent the embedded PGlite is used. */
  url?: string;
  /** PGlite's data folder; `memory://` keeps it in memory (tests). */
  dataDir?: string;
}

export class Database {
  private writeQueue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly dataSource: DataSource,
    /** PGlite's one session: transactions must take turns or they interleave. Undefined on PostgreSQL. */
    private readonly session: PGliteSession | undefined,
    readonly description: string,
    /** Gives back the embedded database folder's lock (data-folder-lock.ts). */
    private readonly unlock: () => void = () => undefined,
  ) {}

  static async open(options: DatabaseOptions): Promise<Database> {
    const common = { entities: ENTITIES, migrations: MIGRATIONS, migrationsRun: false, synchronize: false, logging: false } as const;
    let dataSource: DataSource;
    let description: string;
    let session: PGliteSession | undefined;
    let unlock: () => void = () => undefined;
    if (options.url) {
      dataSource = new DataSource({ type: 'postgres', url: options.url, ...common });
      description = describePostgresUrl(options.url);
    } else {
      const dataDir = options.dataDir ?? './data/db';
      const inMemory = dataDir.startsWith('memory://');
      // Compiling since `npm start` began (pglite-preload.mjs), or from here on (tests).
      const wasmModule = await pgliteWasmModule();
      if (!inMemory) {
        mkdirSync(dirname(resolve(dataDir)), { recursive: true });
        unlock = lockDataFolder(dataDir);
        if (!seedFromEmptyDatabase(dataDir)) mkdirSync(dataDir, { recursive: true });
      }
      session = new PGliteSession();
      const pgliteOptions = { dataDir: inMemory ? undefined : dataDir, startParams: embeddedStartParams(), pgliteWasmModule: wasmModule };
      const driver = session.driver(new PGliteDriver(pgliteOptions).driver);
      // typeorm-pglite plugs in as the `pg` driver; the postgres type then does the rest.
      dataSource = new DataSource({ type: 'postgres', driver, ...common } as ConstructorParameters<typeof DataSource>[0]);
      description = dataDir.startsWith('memory://') ? 'embedded PGlite in memory' : `embedded PGlite in ${dataDir}`;
    }
    try {
      await dataSource.initialize();
    } catch (err) {
      unlock();
      throw new Error(`cannot open the database (${description}): ${(err as Error).message}`, { cause: err });
    }
    const db = new Database(dataSource, session, description, unlock);
    // Nothing else uses the connection yet, so migrations need no turn in the queue.
    try {
      await db.underStartLock(async () => {
        await dataSource.runMigrations({ transaction: 'all' });
        await ensureInstallationId(dataSource.manager);
      });
    } catch (err) {
      await db.close();
      throw err;
    }
    return db;
  }

  /**
   * Runs first-start work (migrations, seeding) in one instance at a time
   * among those starting on this database (cluster/start-lock.ts).
   */
  underStartLock<T>(work: () => Promise<T>): Promise<T> {
    return underStartLock(this.dataSource, this.session !== undefined, work);
  }

  get manager(): EntityManager {
    return this.dataSource.manager;
  }

  /**
   * Runs `work` in one transaction. Every write goes through here, so on
   * PGlite (a single connection) transactions run one after another and never
   * interleave; on PostgreSQL they run concurrently under row locks.
   */
  async transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const audited = withPendingAudit(work);
    const session = this.session;
    if (!session) return this.dataSource.transaction(audited);
    const run = this.writeQueue.then(() => session.exclusive(() => this.dataSource.transaction(audited)));
    this.writeQueue = run.catch(() => undefined);
    return run;
  }

  /**
   * One statement that is a transaction by itself (PostgreSQL commits a
   * statement sent alone): on PostgreSQL straight on a pooled connection,
   * without the BEGIN and COMMIT round trips of transaction(); on PGlite it
   * takes its turn like a transaction. A request with an audit entry still
   * to write goes through transaction(), which writes it.
   */
  async statement(sql: string, params: unknown[]): Promise<unknown[]> {
    if (this.session || pendingAudit()) return this.transaction((manager) => manager.query(sql, params) as Promise<unknown[]>);
    return (await this.dataSource.query(sql, params)) as unknown[];
  }

  /** The embedded PGlite: one session, and no autovacuum or checkpointer of its own (see embedded-maintenance.ts). */
  get embedded(): boolean {
    return this.session !== undefined;
  }

  /**
   * Runs a statement that PostgreSQL refuses inside a transaction (VACUUM,
   * CHECKPOINT). On PGlite it takes its turn in the write queue like a
   * transaction, so it never lands inside someone else's.
   */
  async runOutsideTransaction(sql: string): Promise<void> {
    const session = this.session;
    if (!session) {
      await this.dataSource.query(sql);
      return;
    }
    const run = this.writeQueue.then(() => session.exclusive(() => this.dataSource.query(sql)));
    this.writeQueue = run.catch(() => undefined);
    await run;
  }

  async close(): Promise<void> {
    await this.writeQueue;
    try {
      if (this.dataSource.isInitialized) await this.dataSource.destroy();
    } finally {
      this.unlock();
    }
  }
}

/**
 * What the logs and the signed-in API may say about a PostgreSQL URL: the
 * user, host, port and database, and nothing that could be a secret (the
 * password, and every query parameter: `?password=`, `sslkey=`, … are
 * dropped whole rather than guessed at).
 */
export function describePostgresUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'PostgreSQL (the URL does not parse, so it is not shown)';
  }
  const user = parsed.username ? `${decodeURIComponent(parsed.username)}@` : '';
  const where = `${parsed.protocol}//${user}${parsed.host}${parsed.pathname}`;
  return `PostgreSQL at ${where}${parsed.search ? ' (query parameters not shown)' : ''}`;
}

/** How long PGlite may run queries back to back before the event loop gets a turn. */
const PGLITE_SLICE_MS = 10;

/**
 * The embedded PGlite's one session, shared by every query of the process.
 *
 * PGlite runs in this process and answers each query within microtasks, so a
 * transaction of thousands of small queries (a batch of results that changes
 * many services, a rollup) would let no timer, socket or request in until it
 * ended: seconds, on a big batch. So queries give the event loop a turn once
 * they have run for PGLITE_SLICE_MS. A query from outside the open
 * transaction (a REST read on `db.manager`) then waits for that transaction
 * to end, as it did when nothing could run in between: it never runs inside
 * someone else's transaction, sees its uncommitted rows, or aborts it.
 */
class PGliteSession {
  private readonly owner = new AsyncLocalStorage<object>();
  private open: { owner: object; ended: Promise<void> } | undefined;
  private sliceStartedAt = performance.now();

  /** Runs one transaction (BEGIN to COMMIT) as the session's owner. */
  async exclusive<T>(transaction: () => Promise<T>): Promise<T> {
    const owner = {};
    let end = () => {};
    this.open = { owner, ended: new Promise<void>((resolve) => (end = resolve)) };
    try {
      return await this.owner.run(owner, transaction);
    } finally {
      this.open = undefined;
      end();
    }
  }

  /** Before every query: wait out another's transaction, and let the event loop in once a slice is used up. */
  async beforeQuery(): Promise<void> {
    for (;;) {
      const open = this.open;
      if (open && this.owner.getStore() !== open.owner) {
        await open.ended;
      } else if (performance.now() - this.sliceStartedAt >= PGLITE_SLICE_MS) {
        await yieldToEventLoop();
        this.sliceStartedAt = performance.now();
      } else {
        return;
      }
    }
  }

  /** typeorm-pglite's driver, with every query going through beforeQuery. */
  driver(base: PGliteDriver['driver']): PGliteDriver['driver'] {
    const beforeQuery = () => this.beforeQuery();
    class SessionPool extends base.Pool {
      override async query(...args: Parameters<InstanceType<PGliteDriver['driver']['Pool']>['query']>) {
        await beforeQuery();
        return super.query(...args);
      }
    }
    return Object.assign(class {}, { Pool: SessionPool });
  }
}

/**
 * `work`, followed in its transaction by the audit entry of the request it
 * runs for (audit/audit-trail.ts): the first transaction of a change writes
 * it, so the change and its record commit or roll back together.
 */
function withPendingAudit<T>(work: (manager: EntityManager) => Promise<T>): (manager: EntityManager) => Promise<T> {
  const pending = pendingAudit();
  if (!pending) return work;
  return async (manager) => {
    const result = await work(manager);
    // Another transaction of the same request may have got there first.
    if (pending.writtenId !== undefined || pending.writing || pending.closed) return result;
    pending.writing = true;
    try {
      pending.writtenId = await writeAudit(manager, pending, Date.now());
    } finally {
      pending.writing = false;
    }
    return result;
  };
}
