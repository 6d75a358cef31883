/**
 * The event relay between two instances on one PostgreSQL database (two
 * connection pools, two buses, two LISTEN connections, as two processes have):
 * events recorded by one reach the other's bus once and its own bus only by
 * its own publish; a rolled-back transaction announces nothing; a transaction
 * of thousands of events arrives whole; and events stored while a LISTEN
 * connection was down arrive after it reconnects, once.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Uei } from '@vantage/common';
import { EventBus, type NewEvent, type StoredEvent } from '@vantage/events';
import { createLogger } from '@vantage/runtime';
import { PgNotifications } from '../cluster/pg-notifications.ts';
import { Database } from '../db/database.ts';
import { createTestStorage, type TestStorage } from '../../testing/test-database.ts';
import { waitFor } from '../../testing/notifications.ts';
import { EventRecorder } from './event-recorder.ts';
import { EventRelay } from './event-relay.ts';

const ON_POSTGRES = process.env.VANTAGE_TEST_PG_URL ? false : 'needs PostgreSQL (VANTAGE_TEST_PG_URL): events travel between instances by LISTEN/NOTIFY';

interface Side {
  db: Database;
  bus: EventBus;
  relay: EventRelay;
  listen: PgNotifications;
  recorder: EventRecorder;
  /** Every event its bus delivered, in order. */
  seen: StoredEvent[];
  lines: string[];
}

let storage: TestStorage;
let a: Side;
let b: Side;

async function side(name: string): Promise<Side> {
  const lines: string[] = [];
  const log = createLogger(name, 'debug', (line) => lines.push(line));
  const db = await Database.open({ url: storage.databaseUrl });
  const bus = new EventBus();
  const relay = new EventRelay(db, bus, log.child('relay'));
  const listen = new PgNotifications(storage.databaseUrl!, log.child('listen'));
  relay.attach(listen);
  listen.start();
  const seen: StoredEvent[] = [];
  bus.subscribe('test', (event) => void seen.push(event));
  return { db, bus, relay, listen, recorder: new EventRecorder(() => [], Date.now, relay), seen, lines };
}

before(async () => {
  if (ON_POSTGRES !== false) return;
  storage = await createTestStorage();
  a = await side('a');
  b = await side('b');
  assert.ok(await a.relay.listeningWithin(10_000));
  assert.ok(await b.relay.listeningWithin(10_000));
});

after(async () => {
  if (ON_POSTGRES !== false) return;
  for (const s of [a, b]) {
    await s.listen.close();
    await s.db.close();
  }
  await storage.cleanup();
});

function events(count: number, reason: string): NewEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    uei: Uei.nodeLostService,
    time: Date.now(),
    location: 'RDU',
    monitorId: 'm1',
    serviceId: `web${i}/HTTP`,
    params: { reason },
  }));
}

/** Records in one transaction and publishes on the recorder's own bus after commit, as the backend's services do. */
async function record(at: Side, list: NewEvent[]): Promise<StoredEvent[]> {
  const stored = await at.db.transaction((manager) => at.recorder.record(manager, list));
  at.bus.publish(stored);
  return stored;
}

const ids = (list: StoredEvent[], reason: string) => list.filter((e) => e.params.reason === reason).map((e) => e.id);

/** Waits until `at` has seen an event recorded now at the other side: whatever that side committed before has reached `at` too. */
async function barrier(from: Side, at: Side, name: string): Promise<void> {
  const [event] = await record(from, events(1, name));
  await waitFor(() => at.seen.some((e) => e.id === event!.id), `barrier ${name}`, 15_000);
}

void test('events recorded at one instance reach the other bus once, and their own bus only by their own publish', { skip: ON_POSTGRES }, async () => {
  const fromA = await record(a, events(3, 'from-a'));
  const fromB = await record(b, events(2, 'from-b'));
  await barrier(a, b, 'after-a');
  await barrier(b, a, 'after-b');
  assert.deepEqual(ids(b.seen, 'from-a'), fromA.map((e) => e.id));
  assert.deepEqual(ids(a.seen, 'from-b'), fromB.map((e) => e.id));
  assert.deepEqual(ids(a.seen, 'from-a'), fromA.map((e) => e.id), 'once on the bus of the instance that recorded them');
  assert.deepEqual(ids(b.seen, 'from-b'), fromB.map((e) => e.id));
  const relayed = b.seen.find((e) => e.params.reason === 'from-a')!;
  assert.deepEqual(relayed, fromA[0], 'the stored event, as its recorder published it');
  assert.equal(b.relay.isRelayed(relayed.id), true);
  assert.equal(a.relay.isRelayed(relayed.id), false);
});

void test('a rolled-back transaction announces nothing; thousands of events in one transaction arrive whole', { skip: ON_POSTGRES }, async () => {
  await assert.rejects(
    a.db.transaction(async (manager) => {
      await a.recorder.record(manager, events(2, 'rolled-back'));
      throw new Error('the change failed after its events were recorded');
    }),
  );
  const many = await record(a, events(3_000, 'many'));
  await barrier(a, b, 'after-many');
  assert.deepEqual(ids(b.seen, 'rolled-back'), []);
  assert.deepEqual(ids(b.seen, 'many'), many.map((e) => e.id));
});

void test('events stored while the LISTEN connection was down arrive after it reconnects, once', { skip: ON_POSTGRES }, async () => {
  // The server ends b's LISTEN connection (the pid whose last statement was its LISTEN);
  // pg_terminate_backend waits until it is gone, so what a records next is not delivered to it.
  const pids = (await b.db.manager.query(
    `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%' ORDER BY backend_start`,
  )) as { pid: number }[];
  assert.equal(pids.length, 2, 'one LISTEN connection per instance');
  const bListenPid = await listenPidOf(b);
  await a.db.manager.query(`SELECT pg_terminate_backend($1, 5000)`, [bListenPid]);
  const missed = await record(a, events(5, 'while-down'));
  await waitFor(() => ids(b.seen, 'while-down').length === 5, 'the missed events after the reconnection', 20_000);
  await barrier(a, b, 'after-catch-up');
  await barrier(b, a, 'after-catch-up-b');
  assert.deepEqual(ids(b.seen, 'while-down'), missed.map((e) => e.id));
  assert.ok(b.lines.some((l) => l.includes('5 events stored by other instances while the LISTEN connection was down')), b.lines.join('\n'));
  const counts = new Map<number, number>();
  for (const s of [a, b]) {
    counts.clear();
    for (const e of s.seen) counts.set(e.id, (counts.get(e.id) ?? 0) + 1);
    assert.deepEqual([...counts].filter(([, n]) => n > 1), [], 'no event twice on one bus');
  }
});

/** The LISTEN connection of one side: the one that goes when its PgNotifications closes. */
async function listenPidOf(s: Side): Promise<number> {
  // Ask the server which backend is listening for this side by having it listen on a channel only it knows.
  let marked = false;
  const channel = `vantage_mark_${Math.random().toString(36).slice(2, 8)}`;
  s.listen.subscribe(channel, () => undefined, () => (marked = true));
  await waitFor(() => marked, 'the marker LISTEN', 10_000);
  const [row] = (await s.db.manager.query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = $1`, [`LISTEN "${channel}"`])) as { pid: number }[];
  assert.ok(row, 'the marker LISTEN is the last statement of the side’s LISTEN connection');
  return row.pid;
}
