/**
 * The installation's identity: one id for every backend on the same database.
 * A poller keeps one identity per installation, so that it moves between the
 * instances of one installation as itself, and registers anew at a standby
 * installation with its own database.
 */
import type { EntityManager } from 'typeorm';
import type { Database } from './database.ts';

export async function readInstallationId(db: Database): Promise<string> {
  const [row] = (await db.manager.query(`SELECT id FROM installation`)) as { id: string }[];
  if (!row) throw new Error('the database has no installation id (migration 0006 did not run)');
  return row.id;
}

/**
 * Gives the database its installation id when it has none. Migration 0006
 * made one, but the embedded database built ahead with every migration
 * applied (database-template.ts) has its row removed, or each installation
 * copied from it would share one id. Runs at every start, under the start lock.
 */
export async function ensureInstallationId(manager: EntityManager): Promise<void> {
  await manager.query(
    `INSERT INTO installation (id, created_at)
     SELECT gen_random_uuid()::text, (extract(epoch from now()) * 1000)::bigint
     WHERE NOT EXISTS (SELECT 1 FROM installation)`,
  );
}

/**
 * What a database built ahead for every installation must not hold: the rows
 * unique to one installation. Removed from it by the build.
 */
export async function forgetInstallationId(manager: EntityManager): Promise<void> {
  await manager.query(`DELETE FROM installation`);
}
