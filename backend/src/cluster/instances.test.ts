/**
 * The instance registry and the poller connections in the database: a live
 * instance's connections are shown with it and since when; an instance whose
 * heartbeat stopped is gone after the expiry bound, with its connections, and
 * its rows are deleted; one taken for gone comes back with its connections at
 * its next heartbeat; a clean stop removes it at once; on the embedded
 * database the only instance replaces every other row at start.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createLogger } from '@vantage/runtime';
import { Database } from '../db/database.ts';
import { createTestStorage, type TestStorage } from '../../testing/test-database.ts';
import { InstanceRegistry, newInstanceIdentity } from './instances.ts';
import { monitorConnections, PollerConnectionStore } from './poller-connections.ts';

/** Short bounds so the test sees an expiry; the production ones are in instances.ts. */
const HEARTBEAT_MS = 200;
const EXPIRY_MS = 3_000;

let storage: TestStorage;
let db: Database;
const lines: string[] = [];
const log = createLogger('instances', 'debug', (line) => lines.push(line));

before(async () => {
  storage = await createTestStorage();
  db = await Database.open({ url: storage.databaseUrl, dataDir: 'memory://' });
});

after(async () => {
  await db.close();
  await storage.cleanup();
});

const connectionsNow = () => monitorConnections(db, EXPIRY_MS);
const instanceIds = async () => ((await db.manager.query(`SELECT id FROM instance ORDER BY id`)) as { id: string }[]).map((r) => r.id);
const connectionRows = async (instanceId: string) =>
  ((await db.manager.query(`SELECT count(*)::int AS n FROM poller_connection WHERE instance_id = $1`, [instanceId])) as { n: number }[])[0]!.n;

void test('connections of live instances are shown; a silent instance is gone after the bound, with its connections, and comes back at its next heartbeat', async () => {
  const live = new InstanceRegistry(db, newInstanceIdentity('127.0.0.1', 1001), { log, heartbeatIntervalMs: HEARTBEAT_MS, expiryMs: EXPIRY_MS });
  // Registered, then silent: its heartbeat would come only after a minute (a killed process never beats).
  const silent = new InstanceRegistry(db, newInstanceIdentity('127.0.0.1', 1002), { log, heartbeatIntervalMs: 60_000, expiryMs: 60_001 });
  await live.start();
  await silent.start();
  const liveConnections = new PollerConnectionStore(db, live.identity.id, log);
  const silentConnections = new PollerConnectionStore(db, silent.identity.id, log);
  silent.onRegisteredAgain(() => silentConnections.reassert());
  try {
    const before = Date.now();
    const closeM1 = liveConnections.opened('m1', 'websocket');
    silentConnections.opened('m2', 'local');
    await liveConnections.flush();
    await silentConnections.flush();
    const shown = await connectionsNow();
    assert.equal(shown.get('m1')?.instance, live.identity.id);
    assert.equal(shown.get('m2')?.instance, silent.identity.id);
    assert.ok(shown.get('m1')!.connectedSince >= before && shown.get('m1')!.connectedSince <= Date.now());
    assert.deepEqual((await monitorConnections(db, EXPIRY_MS, ['m2', 'm3'])).size, 1, 'only the monitors asked for');

    const deadline = Date.now() + 30_000;
    while ((await connectionsNow()).has('m2')) {
      assert.ok(Date.now() < deadline, "the silent instance's connection is still shown");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal((await connectionsNow()).get('m1')?.instance, live.identity.id, "the live instance's connection stays");
    // The live instance's heartbeat deletes the silent one, and its connections with it.
    while ((await instanceIds()).includes(silent.identity.id)) {
      assert.ok(Date.now() < deadline, 'the silent instance was never deleted');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(await connectionRows(silent.identity.id), 0);
    assert.ok(lines.some((l) => l.includes(`instance ${silent.identity.id} missed its heartbeat`)));

    // It was only slow: its next heartbeat registers it again, with the connections it holds.
    await silent.beat();
    assert.equal((await connectionsNow()).get('m2')?.instance, silent.identity.id);
    assert.ok(lines.some((l) => l.includes('registered again, with its connections')));

    closeM1();
    await liveConnections.flush();
    assert.equal((await connectionsNow()).has('m1'), false, 'a closed connection is no longer shown');
  } finally {
    await liveConnections.close();
    await silentConnections.close();
    await live.stop();
    await silent.stop();
  }
});

void test('a clean stop removes the instance and its connections at once; GET /api/instances lists the live ones', async () => {
  const one = new InstanceRegistry(db, newInstanceIdentity('0.0.0.0', 1003), { log, heartbeatIntervalMs: HEARTBEAT_MS, expiryMs: EXPIRY_MS });
  const other = new InstanceRegistry(db, newInstanceIdentity('127.0.0.1', 1004), { log, heartbeatIntervalMs: HEARTBEAT_MS, expiryMs: EXPIRY_MS });
  await one.start();
  await other.start();
  const store = new PollerConnectionStore(db, one.identity.id, log);
  store.opened('m5', 'websocket');
  store.opened('m6', 'websocket');
  await store.flush();
  const listed = await other.list();
  const mine = listed.find((i) => i.id === one.identity.id);
  assert.deepEqual(
    mine && { host: mine.host, port: mine.port, alive: mine.alive, connections: mine.connections },
    { host: one.identity.host, port: 1003, alive: true, connections: 2 },
  );
  assert.notEqual(one.identity.host, '0.0.0.0', 'an instance listening on every address is named by its host');
  assert.match(one.identity.id, /^[^:]+:1003:[0-9a-f]{8}$/);
  await store.close();
  await one.stop();
  assert.equal((await connectionsNow()).has('m5'), false);
  assert.deepEqual(await instanceIds(), [other.identity.id]);
  await other.stop();
});

void test('on the embedded database the one instance replaces every row left by an earlier run', async () => {
  const earlier = new InstanceRegistry(db, newInstanceIdentity('127.0.0.1', 1005), { log, heartbeatIntervalMs: 60_000, expiryMs: 60_001 });
  await earlier.start();
  const earlierConnections = new PollerConnectionStore(db, earlier.identity.id, log);
  earlierConnections.opened('m7', 'local');
  await earlierConnections.close();
  // The process was killed: nothing stopped it. The next start on the same embedded database:
  const next = new InstanceRegistry(db, newInstanceIdentity('127.0.0.1', 1005), { log, exclusive: true });
  await next.start();
  assert.deepEqual(await instanceIds(), [next.identity.id]);
  assert.equal((await connectionsNow()).has('m7'), false);
  await next.stop();
});
