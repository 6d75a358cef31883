/**
 * The embedded database a new data folder starts as a copy of, made by the
 * build: PGlite's initdb and every migration run here, once, in the build's
 * process, so that a first start only copies files (then runs just the
 * migrations newer than the copy, as on any existing folder). What must be
 * unique per installation is left out and made at the first start: the
 * installation id (installation.ts); the admin user, the self-signed
 * certificate and every secret are made at start, never by a migration.
 *
 * The template databases template0 and template1 are dropped: they serve
 * only CREATE DATABASE, which the embedded database never runs (PGlite opens
 * `postgres`, the one database left), and they were more than half of the
 * folder's files (1,112 → 512), which a first start copies one by one.
 */
import { rm } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { Database } from './database.ts';
import { forgetInstallationId } from './installation.ts';

const UNUSED_TEMPLATE_DATABASES = ['template0', 'template1'];

export async function makeDatabaseTemplate(dataDir: string): Promise<void> {
  await rm(dataDir, { recursive: true, force: true });
  // initdb here, not through Database.open: it would copy the template this build replaces.
  const initdb = await PGlite.create({ dataDir });
  await initdb.close();
  const db = await Database.open({ dataDir });
  try {
    await forgetInstallationId(db.manager);
    for (const template of UNUSED_TEMPLATE_DATABASES) {
      // A template database cannot be dropped until it is no longer marked as one.
      await db.runOutsideTransaction(`ALTER DATABASE ${template} IS_TEMPLATE false`);
      await db.runOutsideTransaction(`DROP DATABASE ${template}`);
    }
    // The copy then starts with nothing to vacuum and no WAL to replay.
    await db.runOutsideTransaction('VACUUM');
    await db.runOutsideTransaction('CHECKPOINT');
  } finally {
    await db.close();
  }
}
