/**
 * The audit entry and the change it records share one transaction: both
 * commit, or neither does (the change failing, or the entry failing to be
 * written). Only the request's first transaction writes it, and nothing is
 * written once the request is answered.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Database } from '../db/database.ts';
import { createTestStorage, type TestStorage } from '../../testing/test-database.ts';
import { runWithAudit, type PendingAudit } from './audit-trail.ts';

let storage: TestStorage;
let db: Database;
before(async () => {
  storage = await createTestStorage();
  db = await Database.open({ url: storage.databaseUrl, dataDir: `${storage.dataDir}/db` });
});
after(async () => {
  await db.close();
  await storage.cleanup();
});

const pending = (action: string): PendingAudit => ({ user: 'tester', action, target: null, details: {} });
const addUser = (username: string) => db.transaction((m) => m.query(`INSERT INTO app_user (username, password_hash, created_at) VALUES ($1, 'x', 0)`, [username]));
const userExists = async (username: string) => ((await db.manager.query(`SELECT 1 FROM app_user WHERE username = $1`, [username])) as unknown[]).length === 1;
const entries = async (action: string) => ((await db.manager.query(`SELECT id FROM audit_entry WHERE action = $1`, [action])) as unknown[]).length;

void test('a change and its entry commit together', async () => {
  await runWithAudit(pending('test.commit'), () => addUser('committed'));
  assert.equal(await userExists('committed'), true);
  assert.equal(await entries('test.commit'), 1);
});

void test('a change that fails leaves no entry', async () => {
  await addUser('taken');
  await assert.rejects(runWithAudit(pending('test.failed-change'), () => addUser('taken')));
  assert.equal(await entries('test.failed-change'), 0);
});

void test('an entry that cannot be written takes the change back with it', async () => {
  // A NOT NULL column left null: the entry's INSERT fails inside the change's transaction.
  await assert.rejects(runWithAudit(pending(null as unknown as string), () => addUser('unrecorded')));
  assert.equal(await userExists('unrecorded'), false, 'no change without its record');
});

void test('only the first transaction of a request writes the entry, and none after the answer', async () => {
  const request = pending('test.once');
  await runWithAudit(request, async () => {
    await addUser('first');
    await addUser('second');
  });
  assert.equal(await entries('test.once'), 1);
  const answered = pending('test.closed');
  answered.closed = true;
  await runWithAudit(answered, () => addUser('later'));
  assert.equal(await entries('test.closed'), 0);
});
