/**
 * Opens the relational store: PostgreSQL through `pg` when a URL is given,
 * otherwise the embedded PGlite in a data folder. Both run the same
 * migrations, so one SQL dialect serves both.
 */
import { mkdirSync } from 'node:fs';
import { DataSource, type EntityManager } from 'typeorm';
import { PGliteDriver } from 'typeorm-pglite';
import { ENTITIES } from './entities.ts';
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
    /** PGlite has one connection: transactions must take turns or they interleave. */
    private readonly serializeTransactions: boolean,
    readonly description: string,
  ) {}

  static async open(options: DatabaseOptions): Promise<Database> {
    const common = { entities: ENTITIES, migrations: MIGRATIONS, migrationsRun: false, synchronize: false, logging: false } as const;
    let dataSource: DataSource;
    let description: string;
    if (options.url) {
      dataSource = new DataSource({ type: 'postgres', url: options.url, ...common });
      description = describePostgresUrl(options.url);
    } else {
      const dataDir = options.dataDir ?? './data/db';
      if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
      const driver = new PGliteDriver({ dataDir: dataDir.startsWith('memory://') ? undefined : dataDir }).driver;
      // typeorm-pglite plugs in as the `pg` driver; the postgres type then does the rest.
      dataSource = new DataSource({ type: 'postgres', driver, ...common } as ConstructorParameters<typeof DataSource>[0]);
      description = dataDir.startsWith('memory://') ? 'embedded PGlite in memory' : `embedded PGlite in ${dataDir}`;
    }
    try {
      await dataSource.initialize();
    } catch (err) {
      throw new Error(`cannot open the database (${description}): ${(err as Error).message}`, { cause: err });
    }
    const db = new Database(dataSource, !options.url, description);
    // Nothing else uses the connection yet, so migrations need no turn in the queue.
    await dataSource.runMigrations({ transaction: 'all' });
    return db;
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
    if (!this.serializeTransactions) return this.dataSource.transaction(work);
    const run = this.writeQueue.then(() => this.dataSource.transaction(work));
    this.writeQueue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    await this.writeQueue;
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
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
