/**
 * The embedded database the build makes with every migration applied: a
 * data folder copied from it must be the same database as one migrated from
 * scratch, and each copy must become an installation of its own.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { createTestStorage } from '../../testing/test-database.ts';
import { Database } from './database.ts';
import { makeDatabaseTemplate } from './database-template.ts';
import { seedFromEmptyDatabase } from './embedded-database.ts';
import { readInstallationId } from './installation.ts';

const scratch = mkdtempSync(join(tmpdir(), 'vantage-template-'));
const template = join(scratch, 'template');
before(() => makeDatabaseTemplate(template), { timeout: 120_000 });
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Opens a new data folder made from the template, as a first start does. */
async function openCopy(name: string): Promise<Database> {
  const dataDir = join(scratch, name, 'db');
  assert.equal(seedFromEmptyDatabase(dataDir, template), true);
  return Database.open({ dataDir });
}

/**
 * Everything in the public schema that migrations make, as text: columns with
 * their types, defaults and nullability; constraints; indexes; sequences;
 * views, functions and triggers; and which migrations are recorded as run.
 */
async function describeSchema(db: Database): Promise<Record<string, unknown[]>> {
  const q = (sql: string) => db.manager.query(sql) as Promise<unknown[]>;
  return {
    columns: await q(`SELECT table_name, column_name, ordinal_position, data_type, udt_name, is_nullable, column_default, character_maximum_length, numeric_precision
                      FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`),
    constraints: await q(`SELECT c.conrelid::regclass::text AS table_name, c.conname, c.contype, pg_get_constraintdef(c.oid) AS definition
                          FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'public' ORDER BY 1, 2`),
    indexes: await q(`SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY tablename, indexname`),
    sequences: await q(`SELECT sequencename, data_type, start_value, increment_by, max_value FROM pg_sequences WHERE schemaname = 'public' ORDER BY sequencename`),
    relations: await q(`SELECT c.relname, c.relkind, c.relpersistence FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' ORDER BY c.relname`),
    views: await q(`SELECT viewname, definition FROM pg_views WHERE schemaname = 'public' ORDER BY viewname`),
    functions: await q(`SELECT p.proname, pg_get_functiondef(p.oid) AS definition FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' ORDER BY 1`),
    triggers: await q(`SELECT tgrelid::regclass::text AS table_name, tgname, pg_get_triggerdef(oid) AS definition FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1, 2`),
    migrations: await q(`SELECT timestamp, name FROM migrations ORDER BY id`),
  };
}

/** What `open` gives, described, and the database closed again: an embedded one is one PGlite per process, so one at a time. */
async function describeClosed(open: () => Promise<Database>): Promise<Record<string, unknown[]>> {
  const db = await open();
  try {
    return await describeSchema(db);
  } finally {
    await db.close();
  }
}

/** The installation id of a new data folder made from the template, closed again. */
async function idOfCopy(name: string): Promise<string> {
  const db = await openCopy(name);
  try {
    return await readInstallationId(db);
  } finally {
    await db.close();
  }
}

void test('a data folder copied from the template has exactly the schema of one migrated from scratch', { timeout: 120_000 }, async () => {
  const copied = await describeClosed(() => openCopy('copied'));
  const migrated = await describeClosed(() => Database.open({ dataDir: 'memory://' }));
  assert.ok(migrated.columns!.length > 50 && migrated.migrations!.length > 10, 'the description covers the whole schema');
  assert.deepEqual(copied, migrated);
});

void test('the template holds no installation id, and two installations made from it get different ones', { timeout: 120_000 }, async () => {
  // Read from a copy: opening the template itself would change it.
  const looked = join(scratch, 'looked');
  cpSync(template, looked, { recursive: true });
  const pg = await PGlite.create({ dataDir: looked });
  try {
    assert.deepEqual((await pg.query(`SELECT id FROM installation`)).rows, []);
  } finally {
    await pg.close();
  }

  const [a, b] = [await idOfCopy('first'), await idOfCopy('second')];
  assert.match(a, /^[0-9a-f-]{36}$/);
  assert.match(b, /^[0-9a-f-]{36}$/);
  assert.notEqual(a, b);
});

void test('the template holds only the database PGlite opens, without template0 and template1, and a copy of it still works', { timeout: 120_000 }, async () => {
  // One folder per database under base/: what a first start copies.
  assert.equal(readdirSync(join(template, 'base')).length, 1);
  const db = await openCopy('without-templates');
  try {
    assert.deepEqual(await db.manager.query(`SELECT datname FROM pg_database ORDER BY datname`), [{ datname: 'postgres' }]);
    // What a start does beyond the migrations: write, read back, vacuum (embedded-maintenance.ts).
    await db.transaction((m) => m.query(`INSERT INTO app_user (username, password_hash, created_at, role) VALUES ('someone', 'x', 0, 'viewer')`));
    assert.deepEqual(await db.manager.query(`SELECT username FROM app_user`), [{ username: 'someone' }]);
    await db.runOutsideTransaction('VACUUM');
    await db.runOutsideTransaction('CHECKPOINT');
  } finally {
    await db.close();
  }
});

void test('a database migrated from scratch keeps the one installation id its migration made, start after start', { timeout: 120_000 }, async () => {
  const storage = await createTestStorage();
  try {
    const options = { url: storage.databaseUrl, dataDir: join(storage.dataDir, 'db') };
    let db = await Database.open(options);
    const id = await readInstallationId(db);
    await db.close();
    db = await Database.open(options);
    try {
      assert.equal(await readInstallationId(db), id);
      assert.deepEqual(await db.manager.query(`SELECT count(*)::int AS count FROM installation`), [{ count: 1 }]);
    } finally {
      await db.close();
    }
  } finally {
    await storage.cleanup();
  }
});
