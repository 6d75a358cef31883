/**
 * The installation's identity: one id for every backend on the same database.
 * A poller keeps one identity per installation, so that it moves between the
 * instances of one installation as itself, and registers anew at a standby
 * installation with its own database.
 */
import type { Database } from './database.ts';

export async function readInstallationId(db: Database): Promise<string> {
  const [row] = (await db.manager.query(`SELECT id FROM installation`)) as { id: string }[];
  if (!row) throw new Error('the database has no installation id (migration 0006 did not run)');
  return row.id;
}
