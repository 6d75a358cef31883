/** The migration that gave users roles: users from before it could do everything, so they become administrators. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DataSource } from 'typeorm';
import { PGliteDriver } from 'typeorm-pglite';
import { createTestStorage } from '../../../testing/test-database.ts';
import { Database } from '../database.ts';
import { MIGRATIONS } from './index.ts';

const ROLES_MIGRATION = MIGRATIONS.findIndex((m) => m.name.startsWith('RolesAndAudit'));

void test('users that existed before roles become administrators', async () => {
  assert.ok(ROLES_MIGRATION > 0, 'the roles migration is registered');
  const storage = await createTestStorage();
  const common = { migrationsRun: false, synchronize: false, logging: false, migrations: MIGRATIONS.slice(0, ROLES_MIGRATION) } as const;
  const before = storage.databaseUrl
    ? new DataSource({ type: 'postgres', url: storage.databaseUrl, ...common })
    : new DataSource({ type: 'postgres', driver: new PGliteDriver({ dataDir: `${storage.dataDir}/db` }).driver, ...common } as ConstructorParameters<typeof DataSource>[0]);
  try {
    await before.initialize();
    await before.runMigrations({ transaction: 'all' });
    await before.query(`INSERT INTO app_user (username, password_hash, created_at) VALUES ('admin', 'x', 0), ('second', 'x', 0)`);
    await before.destroy();
    const db = await Database.open({ url: storage.databaseUrl, dataDir: `${storage.dataDir}/db` });
    try {
      assert.deepEqual(await db.manager.query(`SELECT username, role FROM app_user ORDER BY username`), [
        { username: 'admin', role: 'admin' },
        { username: 'second', role: 'admin' },
      ]);
    } finally {
      await db.close();
    }
  } finally {
    await storage.cleanup();
  }
});
