/**
 * The embedded PGlite's one session: a long transaction lets the event loop
 * run (timers, sockets, other requests), and a query from outside it waits
 * for it to end rather than running inside it. PGlite only: on PostgreSQL
 * each transaction has its own connection.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Database } from './database.ts';

let db: Database;
before(async () => {
  db = await Database.open({ dataDir: 'memory://' });
  await db.transaction((m) => m.query(`CREATE TABLE note (id serial PRIMARY KEY, text text NOT NULL)`));
});
after(() => db.close());

/** Enough small queries to run well past one slice of the session, however fast the machine. */
async function manyQueries(m: { query(sql: string): Promise<unknown> }, count = 2_000): Promise<void> {
  for (let i = 0; i < count; i++) await m.query('SELECT 1');
}

void test('a timer set when a long transaction starts fires before it ends', async () => {
  const order: string[] = [];
  setTimeout(() => order.push('timer'), 0);
  await db.transaction(async (m) => {
    await manyQueries(m);
    order.push('transaction');
  });
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(order, ['timer', 'transaction']);
});

void test('a read from outside an open transaction waits for its commit, and a failing one does not abort it', async () => {
  const seen: { when: string; count?: number; error?: string }[] = [];
  let inserted = false;
  let committed = false;
  // Reads from elsewhere (their own async context, as a request's), issued once the transaction has written.
  const reads = new Promise<void>((resolve) => {
    const readWhenInserted = () => {
      if (!inserted) return void setImmediate(readWhenInserted);
      const when = () => (committed ? 'after commit' : 'inside');
      void Promise.all([
        db.manager.query(`SELECT count(*)::int AS n FROM note`).then(([row]: { n: number }[]) => seen.push({ when: when(), count: row!.n })),
        db.manager.query(`SELECT no_such_column FROM note`).catch((err: Error) => seen.push({ when: when(), error: err.message })),
      ]).then(() => resolve());
    };
    setImmediate(readWhenInserted);
  });
  await db.transaction(async (m) => {
    await m.query(`INSERT INTO note (text) VALUES ('uncommitted until the end')`);
    inserted = true;
    await manyQueries(m);
    await m.query(`INSERT INTO note (text) VALUES ('second')`);
    committed = true;
  });
  await reads;
  assert.deepEqual(
    seen.map((s) => s.when),
    ['after commit', 'after commit'],
  );
  assert.equal(seen.find((s) => s.count !== undefined)?.count, 2, 'both rows, committed');
  assert.match(seen.find((s) => s.error)?.error ?? '', /no_such_column/);
  assert.equal((await db.manager.query(`SELECT count(*)::int AS n FROM note`))[0].n, 2, 'the transaction was not aborted');
});
