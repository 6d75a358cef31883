/**
 * Hints for pollers across instances, against a real PostgreSQL server: a
 * hint or a close given on one instance reaches the pollers connected there
 * and, through NOTIFY, those of another instance, each once (an instance
 * does not act again on its own NOTIFY); a malformed notification is logged
 * and ignored.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { NotificationName } from '@vantage/common';
import { createLogger } from '@vantage/runtime';
import { Database } from '../db/database.ts';
import type { PollerNotifier } from '../location-monitors/location-monitor-service.ts';
import { createTestStorage, type TestStorage } from '../../testing/test-database.ts';
import { waitFor } from '../../testing/notifications.ts';
import { PgNotifications } from './pg-notifications.ts';
import { ClusterPollerHints, POLLER_HINTS_CHANNEL } from './poller-hints.ts';

const ON_POSTGRES = process.env.VANTAGE_TEST_PG_URL ? false : 'needs PostgreSQL (VANTAGE_TEST_PG_URL): LISTEN/NOTIFY is for several instances on one server';

/** The pollers connected to one instance, as what they were sent. */
class RecordingPollers implements PollerNotifier {
  readonly sent: string[] = [];
  notify(monitorId: string, name: NotificationName, params: unknown): void {
    this.sent.push(`${monitorId} ${name} ${JSON.stringify(params)}`);
  }
  disconnect(monitorId: string, reason: string): void {
    this.sent.push(`${monitorId} closed: ${reason}`);
  }
}

let storage: TestStorage;
let db: Database;
const listens: PgNotifications[] = [];
const lines: string[] = [];
const log = createLogger('hints', 'debug', (line) => lines.push(line));

before(async () => {
  if (ON_POSTGRES !== false) return;
  storage = await createTestStorage();
  db = await Database.open({ url: storage.databaseUrl });
});

after(async () => {
  if (ON_POSTGRES !== false) return;
  for (const listen of listens) await listen.close();
  await db.close();
  await storage.cleanup();
});

async function instance(): Promise<{ hints: ClusterPollerHints; pollers: RecordingPollers }> {
  const listen = new PgNotifications(storage.databaseUrl!, log);
  listens.push(listen);
  const pollers = new RecordingPollers();
  const hints = new ClusterPollerHints(pollers, db, log);
  let listening!: () => void;
  const ready = new Promise<void>((resolve) => (listening = resolve));
  hints.attach(listen);
  listen.subscribe(POLLER_HINTS_CHANNEL, () => undefined, () => listening());
  listen.start();
  await ready;
  return { hints, pollers };
}

void test('a hint and a close given on one instance reach the pollers of both, each once; malformed ones are ignored', { skip: ON_POSTGRES }, async () => {
  const a = await instance();
  const b = await instance();
  a.hints.notify('m1', 'statusChanged', { status: 'PAUSED' });
  a.hints.disconnect('m2', 'credentials revoked by an administrator');
  const expected = ['m1 statusChanged {"status":"PAUSED"}', 'm2 closed: credentials revoked by an administrator'];
  await waitFor(() => b.pollers.sent.length >= 2, 'both at B');
  assert.deepEqual(b.pollers.sent, expected, 'the other instance hands them to its pollers');
  await db.manager.query(`SELECT pg_notify($1, $2)`, [POLLER_HINTS_CHANNEL, 'not json']);
  // A last hint from B: once it is heard at A, everything sent before has been too.
  b.hints.notify('m3', 'statusChanged', { status: 'STARTED' });
  await waitFor(() => a.pollers.sent.length >= 3, 'B’s hint at A');
  assert.deepEqual(a.pollers.sent, [...expected, 'm3 statusChanged {"status":"STARTED"}'], 'its own, once (not again from its own NOTIFY), then B’s');
  assert.equal(b.pollers.sent.length, 3);
  assert.ok(lines.some((line) => line.includes('ignoring a malformed poller hint')), lines.join('\n'));
});
