/**
 * The batch statements that may be planned once: named prepared statements
 * on PostgreSQL (node-postgres, as TypeORM loaded it), plain queries on the
 * embedded database.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { createTestStorage } from '../../testing/test-database.ts';
import { Database } from '../db/database.ts';
import { lockMonitors } from './ingest-statements.ts';

void test('a batch statement is a named prepared statement on PostgreSQL and a plain query on the embedded database', { timeout: 120_000 }, async () => {
  const storage = await createTestStorage();
  try {
    const db = await Database.open({ url: storage.databaseUrl, dataDir: join(storage.dataDir, 'db') });
    try {
      const prepared = await db.transaction(async (manager) => {
        assert.deepEqual(await lockMonitors(manager, ['no-such-monitor']), { monitors: new Map(), watchers: [] });
        // The same connection: the transaction holds it.
        return (await manager.query(`SELECT name FROM pg_prepared_statements`)) as { name: string }[];
      });
      assert.deepEqual(prepared.map((row) => row.name), storage.databaseUrl ? ['ingest-lock-monitors'] : []);
    } finally {
      await db.close();
    }
  } finally {
    await storage.cleanup();
  }
});
