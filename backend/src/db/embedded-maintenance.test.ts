/**
 * The embedded database's own upkeep: PGlite runs no autovacuum and no
 * checkpointer, so the backend vacuums what retention deleted and checkpoints.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createLogger } from '@vantage/runtime';
import { Database } from './database.ts';
import { EmbeddedMaintenance } from './embedded-maintenance.ts';

let db: Database;
before(async () => {
  db = await Database.open({ dataDir: 'memory://' });
});
after(() => db.close());

const HOUR_MS = 60 * 60_000;

async function stats(table: string): Promise<{ dead: number; vacuumed: boolean; analyzed: boolean }> {
  const [row] = (await db.manager.query(`SELECT n_dead_tup, last_vacuum, last_analyze FROM pg_stat_user_tables WHERE relname = $1`, [table])) as {
    n_dead_tup: string;
    last_vacuum: Date | null;
    last_analyze: Date | null;
  }[];
  return { dead: Number(row!.n_dead_tup), vacuumed: row!.last_vacuum !== null, analyzed: row!.last_analyze !== null };
}

const checkpointAt = async () => String(((await db.manager.query(`SELECT checkpoint_time FROM pg_control_checkpoint()`)) as { checkpoint_time: Date }[])[0]!.checkpoint_time);

void test('rows retention deleted are vacuumed, the table analysed, and a checkpoint taken; the next pass within the hour only checkpoints', async () => {
  assert.ok(db.embedded);
  await db.transaction(async (m) => {
    await m.query(`CREATE TABLE sample (id int PRIMARY KEY, body text)`);
    await m.query(`INSERT INTO sample SELECT i, repeat('x', 200) FROM generate_series(1, 5000) i`);
    await m.query(`DELETE FROM sample WHERE id <= 4000`);
  });
  assert.equal((await stats('sample')).vacuumed, false);
  const before = await checkpointAt();
  await new Promise((resolve) => setTimeout(resolve, 1_100)); // checkpoint times have whole seconds

  const maintenance = new EmbeddedMaintenance(db, createLogger('test', { level: 'warn' }));
  const first = await maintenance.runOnce(10 * HOUR_MS);
  assert.ok(first.vacuumed.includes('sample'), `vacuumed ${first.vacuumed.join(', ')}`);
  const after = await stats('sample');
  assert.deepEqual(after, { dead: 0, vacuumed: true, analyzed: true });
  assert.notEqual(await checkpointAt(), before, 'a checkpoint was taken');

  const soon = await maintenance.runOnce(10 * HOUR_MS + 5 * 60_000);
  assert.deepEqual(soon, { vacuumed: [], checkpointed: true });
  const later = await maintenance.runOnce(11 * HOUR_MS);
  assert.ok(later.vacuumed.includes('sample'));
});
