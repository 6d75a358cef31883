/**
 * First-start work (migrations, the admin user, the configuration's
 * registration tokens) must run in one instance at a time when several start
 * at once on one PostgreSQL database: two migrations at once collide on the
 * catalogue, and two "is there a user yet?" checks both say no. A session
 * advisory lock on a connection of its own serialises them; the second
 * instance then finds the work done. The lock goes with the connection, so
 * an instance killed while holding it does not block the others.
 */
import type { DataSource } from 'typeorm';

/** The advisory lock key of starting instances ("vant" in ASCII): any fixed number no other lock of ours uses. */
export const START_LOCK_KEY = 0x76616e74;

/**
 * Runs `work` while holding the start lock. On the embedded PGlite (`exclusive`)
 * there is one process and nothing to wait for, so `work` just runs.
 */
export async function underStartLock<T>(dataSource: DataSource, exclusive: boolean, work: () => Promise<T>): Promise<T> {
  if (exclusive) return work();
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [START_LOCK_KEY]);
    try {
      return await work();
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [START_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}
