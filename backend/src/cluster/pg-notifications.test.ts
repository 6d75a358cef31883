/**
 * The LISTEN connection against a real PostgreSQL server: notifications reach
 * their channel's handlers; when the server ends the connection, it comes back
 * with the backoff, listens again and says so; unsubscribed handlers hear
 * nothing more.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createLogger } from '@vantage/runtime';
import pg from 'pg';
import { createTestStorage, type TestStorage } from '../../testing/test-database.ts';
import { waitFor } from '../../testing/notifications.ts';
import { PgNotifications } from './pg-notifications.ts';

const ON_POSTGRES = process.env.VANTAGE_TEST_PG_URL ? false : 'needs PostgreSQL (VANTAGE_TEST_PG_URL): LISTEN/NOTIFY is for several instances on one server';

let storage: TestStorage;
let listener: PgNotifications;
let sender: pg.Client;
const lines: string[] = [];

before(async () => {
  if (ON_POSTGRES !== false) return;
  storage = await createTestStorage();
  listener = new PgNotifications(storage.databaseUrl!, createLogger('listen', 'debug', (line) => lines.push(line)));
  sender = new pg.Client({ connectionString: storage.databaseUrl });
  await sender.connect();
});

after(async () => {
  if (ON_POSTGRES !== false) return;
  await listener.close();
  await sender.end();
  await storage.cleanup();
});

const notify = (channel: string, payload: string) => sender.query(`SELECT pg_notify($1, $2)`, [channel, payload]);

void test('notifications reach the handlers of their channel; a lost connection is listened on again', { skip: ON_POSTGRES }, async () => {
  const heard: string[] = [];
  const other: string[] = [];
  let listened = 0;
  listener.subscribe('vantage_test', (payload) => heard.push(payload), () => listened++);
  listener.subscribe('vantage_other', (payload) => other.push(payload));
  listener.start();
  await waitFor(() => listened === 1, 'the first LISTEN', 10_000);
  await notify('vantage_test', 'one');
  await notify('vantage_other', 'elsewhere');
  await waitFor(() => heard.length === 1 && other.length === 1, 'both notifications', 10_000);
  assert.deepEqual(heard, ['one']);

  // The server ends the connection (a restart, a failover, an administrator).
  const { ended } = (
    await sender.query(
      `SELECT count(*)::int AS ended FROM (SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND query ILIKE 'LISTEN%') t`,
    )
  ).rows[0] as { ended: number };
  assert.equal(ended, 1, 'one LISTEN connection per process');
  await waitFor(() => listened === 2, 'LISTEN again after the reconnection', 20_000);
  await notify('vantage_test', 'two');
  await waitFor(() => heard.length === 2, 'a notification after the reconnection', 10_000);
  assert.deepEqual(heard, ['one', 'two']);
  assert.ok(lines.some((l) => l.includes('the LISTEN connection to PostgreSQL was lost')));
});

void test('a channel subscribed while connected is listened to at once; an unsubscribed handler hears nothing more', { skip: ON_POSTGRES }, async () => {
  const heard: string[] = [];
  let listening = false;
  const unsubscribe = listener.subscribe('vantage_late', (payload) => heard.push(payload), () => (listening = true));
  await waitFor(() => listening, 'LISTEN on the new channel', 10_000);
  await notify('vantage_late', 'a');
  await waitFor(() => heard.length === 1, 'the notification', 10_000);
  unsubscribe();
  await notify('vantage_late', 'b');
  // A barrier sent after "b" on the same connection: once it arrives, so would have "b".
  const barrier: string[] = [];
  let barrierListened = false;
  listener.subscribe('vantage_barrier', (payload) => barrier.push(payload), () => (barrierListened = true));
  await waitFor(() => barrierListened, 'LISTEN on the barrier channel', 10_000);
  await notify('vantage_barrier', 'x');
  await waitFor(() => barrier.length === 1, 'the barrier', 10_000);
  assert.deepEqual(heard, ['a']);
});
