/**
 * The embedded database of a small installation: a new data folder starts
 * as a copy of the empty database the build made (no initdb in the backend),
 * and PostgreSQL runs with the small memory settings, not a server's.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Database } from './database.ts';
import { EMBEDDED_SETTINGS, seedFromEmptyDatabase } from './embedded-database.ts';

const scratch = mkdtempSync(join(tmpdir(), 'vantage-embedded-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

void test('a new data folder is a copy of the empty database; one holding anything is left alone', () => {
  const template = join(scratch, 'template');
  mkdirSync(join(template, 'base'), { recursive: true });
  writeFileSync(join(template, 'PG_VERSION'), '18\n');
  writeFileSync(join(template, 'base', 'file'), 'x');

  const fresh = join(scratch, 'data', 'db');
  assert.equal(seedFromEmptyDatabase(fresh, template), true);
  assert.deepEqual(readdirSync(fresh).sort(), ['PG_VERSION', 'base']);
  assert.equal(seedFromEmptyDatabase(fresh, template), false, 'a database is there already');

  const occupied = join(scratch, 'occupied');
  mkdirSync(occupied);
  writeFileSync(join(occupied, 'notes.txt'), 'mine');
  assert.equal(seedFromEmptyDatabase(occupied, template), false);
  assert.deepEqual(readdirSync(occupied), ['notes.txt']);

  assert.equal(seedFromEmptyDatabase(join(scratch, 'no-template'), join(scratch, 'missing')), false, 'without a build, PGlite makes it');
});

void test('the backend opens a new folder from the built empty database, with the small settings', async () => {
  const built = spawnSync(process.execPath, [fileURLToPath(new URL('../../bundle-files.mjs', import.meta.url))], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  assert.equal(built.status, 0, `${built.stdout}${built.stderr}`);
  const dataDir = join(scratch, 'backend', 'db');
  const db = await Database.open({ dataDir });
  try {
    assert.ok(existsSync(join(dataDir, 'PG_VERSION')));
    for (const [name, value] of Object.entries(EMBEDDED_SETTINGS)) {
      const [row] = (await db.manager.query(`SELECT current_setting($1) AS value`, [name])) as { value: string }[];
      assert.equal(row!.value, value, name);
    }
  } finally {
    await db.close();
  }
});
