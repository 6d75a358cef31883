/**
 * The availability matrix on a real database (PGlite, or PostgreSQL with
 * VANTAGE_TEST_PG_URL), with monitors, lifecycle events and outages written
 * with SQL so every timestamp is exact. Times are minutes (M) after T0; the
 * window is [T0, T0 + 100 M) and now is its end. The disconnect timeout is 1 M.
 *
 * Location A, monitors a1 and a2:
 *   a1 reporting [0, 49) and [75, 100) (disconnected at 50, its last minute silent; reconnected at 75)
 *   a2 reporting [20, 70) and [80, 100) (started at 20, paused at 70, resumed at 80)
 *   no data [70, 75)
 *   www/TCP: a1 [10, 30) → down [10, 20) (a2 sees it up from 20); a2 [68, 72) → down [68, 70), then no data;
 *            a2 open since 98 → a1 still reaches it (partial now)
 *   db/TCP:  a2 [40, 55) → down [49, 55) (a1 silent); a1 open since 90, a2 open since 95 → down [95, 100)
 * Location B, monitors b1 and b2 (deleted):
 *   b1 reporting [0, 30) and [40, 80) (stopped at 30, started at 40, connectivity lost at 80)
 *   b2 was started before the window, deleted after its last check-in at 10, with an open www/TCP outage
 *   www/TCP: b1 [20, 50) → down [20, 30) and [40, 50)
 * Location C polls another package: only the Mail application is seen from there, with no monitor.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Uei } from '@vantage/common';
import { monitors } from '@vantage/monitors';
import { ConfigHolder } from '../config/config-holder.ts';
import { parsePollingConfig } from '../config/parse-polling-config.ts';
import { Database } from '../db/database.ts';
import { createTestStorage, type TestStorage } from '../../testing/test-database.ts';
import { availabilityMatrix, presetWindow, type AvailabilityMatrix } from './matrix.ts';
import { loadAvailabilityInputs, loadLocationTimelines, RESUMED_REASON } from './reporting-periods.ts';

const CONFIG = `<poller-configuration>
  <poller-settings check-in-interval="20000" disconnect-timeout="60000"/>
  <package name="shop">
    <specific node-label="www">127.0.0.1</specific>
    <specific node-label="db">127.0.0.2</specific>
    <service name="TCP" interval="1000"><parameter key="port" value="1"/></service>
  </package>
  <package name="office">
    <specific node-label="mail">127.0.0.3</specific>
    <service name="TCP" interval="1000"><parameter key="port" value="1"/></service>
  </package>
  <monitor service="TCP" type="tcp"/>
  <location name="A"><polling-package name="shop"/></location>
  <location name="B"><polling-package name="shop"/></location>
  <location name="C"><polling-package name="office"/></location>
  <application name="Shop"><service package="shop" node="www" name="TCP"/><service package="shop" node="db" name="TCP"/></application>
  <application name="Web"><service package="shop" node="www" name="TCP"/></application>
  <application name="Mail"><service package="office" node="mail" name="TCP"/></application>
</poller-configuration>`;

const M = 60_000;
const T0 = 1_700_000_000_000;
const at = (minute: number) => T0 + minute * M;
const NOW = at(100);

let storage: TestStorage;
let db: Database;
const configs = new ConfigHolder(parsePollingConfig(CONFIG, { fileName: 'matrix-test.xml', monitors }));

async function monitor(id: string, location: string, row: { lifecycle: string; paused?: boolean; connectivityLost?: boolean; lastCheckIn?: number }) {
  await db.transaction((m) =>
    m.query(
      `INSERT INTO location_monitor (id, location, name, lifecycle, paused, connectivity_lost, secret_hash, registered_at, last_check_in_at)
       VALUES ($1, $2, $1, $3, $4, $5, 'x', $6, $7)`,
      [id, location, row.lifecycle, row.paused ?? false, row.connectivityLost ?? false, at(-1000), row.lastCheckIn ?? NOW],
    ),
  );
}

async function event(monitorId: string, location: string, minute: number, uei: string, params: Record<string, string> = {}) {
  await db.transaction((m) =>
    m.query(`INSERT INTO event (time, uei, severity, location, monitor_id, params) VALUES ($1, $2, 'Normal', $3, $4, $5)`, [
      at(minute),
      uei,
      location,
      monitorId,
      JSON.stringify({ monitorName: monitorId, ...params }),
    ]),
  );
}

async function outage(monitorId: string, location: string, serviceId: string, from: number, to: number | null) {
  await db.transaction((m) =>
    m.query(`INSERT INTO outage (monitor_id, location, service_id, started_at, ended_at, reason) VALUES ($1, $2, $3, $4, $5, 'connection refused')`, [
      monitorId,
      location,
      serviceId,
      at(from),
      to === null ? null : at(to),
    ]),
  );
}

before(async () => {
  storage = await createTestStorage();
  db = await Database.open({ url: storage.databaseUrl, dataDir: `${storage.dataDir}/db` });

  await monitor('a1', 'A', { lifecycle: 'STARTED' });
  await event('a1', 'A', -1000, Uei.locationMonitorRegistered);
  await event('a1', 'A', -900, Uei.locationMonitorStarted);
  await event('a1', 'A', 50, Uei.locationMonitorDisconnected);
  await event('a1', 'A', 75, Uei.locationMonitorReconnected);
  await event('a1', 'A', 75, Uei.locationMonitorStarted);
  await monitor('a2', 'A', { lifecycle: 'STARTED' });
  await event('a2', 'A', -10, Uei.locationMonitorRegistered);
  await event('a2', 'A', 20, Uei.locationMonitorStarted);
  await event('a2', 'A', 70, Uei.locationMonitorPaused);
  await event('a2', 'A', 80, Uei.locationMonitorStarted, { reason: RESUMED_REASON });
  await outage('a1', 'A', 'www/TCP', -30, -20);
  await outage('a1', 'A', 'www/TCP', 10, 30);
  await outage('a2', 'A', 'www/TCP', 68, 72);
  await outage('a2', 'A', 'www/TCP', 98, null);
  await outage('a2', 'A', 'db/TCP', 40, 55);
  await outage('a1', 'A', 'db/TCP', 90, null);
  await outage('a2', 'A', 'db/TCP', 95, null);

  await monitor('b1', 'B', { lifecycle: 'STARTED', connectivityLost: true });
  await event('b1', 'B', -600, Uei.locationMonitorRegistered);
  await event('b1', 'B', -500, Uei.locationMonitorStarted);
  await event('b1', 'B', 30, Uei.locationMonitorStopped);
  await event('b1', 'B', 40, Uei.locationMonitorStarted);
  await event('b1', 'B', 80, Uei.monitorConnectivityLost);
  await outage('b1', 'B', 'www/TCP', 20, 50);
  await monitor('b2', 'B', { lifecycle: 'DELETED', lastCheckIn: at(10) });
  await event('b2', 'B', -200, Uei.locationMonitorRegistered);
  await event('b2', 'B', -100, Uei.locationMonitorStarted);
  await outage('b2', 'B', 'www/TCP', -5, null);
  // Another location's monitor and events never leak into A or B.
  await monitor('c1', 'C', { lifecycle: 'STOPPED' });
  await event('c1', 'C', -100, Uei.locationMonitorRegistered);
  await outage('c1', 'C', 'www/TCP', 0, 100);
});

after(async () => {
  await db?.close();
  await storage?.cleanup();
});

const minutes = (intervals: readonly { startMs: number; endMs: number }[]) => intervals.map((i) => [(i.startMs - T0) / M, (i.endMs - T0) / M]);
const cell = (matrix: AvailabilityMatrix, application: string, location: string) =>
  matrix.applications.find((a) => a.name === application)?.cells.find((c) => c.location === location);
const inMinutes = (c: ReturnType<typeof cell>) =>
  c && { ...c, upMs: c.upMs / M, downMs: c.downMs / M, noDataMs: c.noDataMs / M };

void test('reporting intervals come from the lifecycle events, with the disconnect timeout cut before each disconnection', async () => {
  const timelines = await loadLocationTimelines(db, {
    location: 'A',
    window: { fromMs: at(0), toMs: at(100) },
    nowMs: NOW,
    serviceIds: ['www/TCP', 'db/TCP'],
    silenceBeforeDisconnectMs: M,
  });
  assert.deepEqual(
    timelines.monitors.map((m) => [m.monitorId, minutes(m.reporting)]),
    [
      ['a1', [[0, 49], [75, 100]]],
      ['a2', [[20, 70], [80, 100]]],
    ],
  );
  assert.equal(timelines.outages.length, 6, 'the outage before the window is not read');
  assert.deepEqual(
    timelines.current.map((m) => [m.monitorId, m.reporting, [...m.downServices].sort()]),
    [
      ['a1', true, ['db/TCP']],
      ['a2', true, ['db/TCP', 'www/TCP']],
    ],
  );

  const b = await loadLocationTimelines(db, { location: 'B', window: { fromMs: at(0), toMs: at(100) }, nowMs: NOW, serviceIds: ['www/TCP'] });
  assert.deepEqual(
    b.monitors.map((m) => [m.monitorId, minutes(m.reporting)]),
    [
      ['b1', [[0, 30], [40, 80]]],
      ['b2', [[0, 10]]],
    ],
    'b1 stopped, then lost its connectivity; b2 was deleted after its last check-in',
  );
  assert.deepEqual(
    b.current.map((m) => [m.monitorId, m.reporting]),
    [
      ['b1', false],
      ['b2', false],
    ],
  );
});

void test('loadAvailabilityInputs gives one application at one location', async () => {
  const application = configs.config.applications.get('Web')!;
  const inputs = await loadAvailabilityInputs(db, { location: 'A', application, window: { fromMs: at(0), toMs: at(100) }, nowMs: NOW });
  assert.deepEqual(inputs.members, ['www/TCP']);
  assert.ok(inputs.outages.every((o) => o.serviceId === 'www/TCP'));
  assert.equal(inputs.outages.length, 3);
});

void test('the matrix: every application × every location that polls it, with availability, coverage and state', async () => {
  const matrix = await availabilityMatrix(db, configs, { fromMs: at(0), toMs: at(100), nowMs: NOW });
  assert.deepEqual(matrix.window, { fromMs: at(0), toMs: at(100), nowMs: NOW, measuredFromMs: at(0), measuredToMs: at(100) });
  assert.deepEqual(
    matrix.applications.map((a) => [a.name, a.cells.map((c) => c.location)]),
    [
      ['Shop', ['A', 'B']],
      ['Web', ['A', 'B']],
      ['Mail', ['C']],
    ],
  );
  // Shop at A: down [10, 20) + [49, 55) + [68, 70) + [95, 100) = 23; no data [70, 75) = 5.
  assert.deepEqual(inMinutes(cell(matrix, 'Shop', 'A')), {
    location: 'A',
    availability: 72 / 95,
    coverage: 0.95,
    upMs: 72,
    downMs: 23,
    noDataMs: 5,
    state: 'down',
    distributed: false,
    ownNetworkDown: 0,
  });
  // Web at A: www only: down [10, 20) + [68, 70) = 12; a2 sees www down now, a1 does not.
  assert.deepEqual(inMinutes(cell(matrix, 'Web', 'A')), {
    location: 'A',
    availability: 83 / 95,
    coverage: 0.95,
    upMs: 83,
    downMs: 12,
    noDataMs: 5,
    state: 'partial',
    distributed: false,
    ownNetworkDown: 0,
  });
  // B: reporting 70 minutes, down [20, 30) + [40, 50) = 20; b1's connectivity is lost now, b2 is deleted.
  for (const application of ['Shop', 'Web']) {
    assert.deepEqual(inMinutes(cell(matrix, application, 'B')), {
      location: 'B',
      availability: 50 / 70,
      coverage: 0.7,
      upMs: 50,
      downMs: 20,
      noDataMs: 30,
      state: 'no data',
      distributed: false,
      ownNetworkDown: 1,
    });
  }
  assert.deepEqual(inMinutes(cell(matrix, 'Mail', 'C')), {
    location: 'C',
    availability: null,
    coverage: 0,
    upMs: 0,
    downMs: 0,
    noDataMs: 100,
    state: 'no data',
    distributed: false,
    ownNetworkDown: 0,
  });
});

void test('a window reaching past now gives the same figures; a past window ends where it ends', async () => {
  const future = await availabilityMatrix(db, configs, { fromMs: at(0), toMs: at(200), nowMs: NOW });
  assert.equal(future.window.measuredToMs, NOW);
  assert.deepEqual(cell(future, 'Shop', 'A'), cell(await availabilityMatrix(db, configs, { fromMs: at(0), toMs: at(100), nowMs: NOW }), 'Shop', 'A'));

  // [0, 50): a1's disconnection at 50 still cuts its last minute; down [10, 20) + [49, 50) = 11.
  const past = await availabilityMatrix(db, configs, { fromMs: at(0), toMs: at(50), nowMs: NOW });
  assert.deepEqual(inMinutes(cell(past, 'Shop', 'A')), {
    location: 'A',
    availability: 39 / 50,
    coverage: 1,
    upMs: 39,
    downMs: 11,
    noDataMs: 0,
    state: 'down',
    distributed: false,
    ownNetworkDown: 0,
  });
});

void test('a window that starts inside the history folds the earlier events into the state at its start', async () => {
  // From 72: a2 paused (since 70), a1 disconnected (since 50): no data until 75.
  const matrix = await availabilityMatrix(db, configs, { fromMs: at(72), toMs: at(100), nowMs: NOW });
  const shop = inMinutes(cell(matrix, 'Shop', 'A'))!;
  assert.deepEqual([shop.noDataMs, shop.downMs, shop.upMs], [3, 5, 20]);
});

void test('windows are checked; presets end now', async () => {
  await assert.rejects(availabilityMatrix(db, configs, { fromMs: at(10), toMs: at(10), nowMs: NOW }), RangeError);
  await assert.rejects(availabilityMatrix(db, configs, { fromMs: Number.NaN, toMs: at(10), nowMs: NOW }), RangeError);
  assert.deepEqual(presetWindow('24h', NOW), { fromMs: NOW - 24 * 60 * M, toMs: NOW });
  assert.deepEqual(presetWindow('7d', NOW), { fromMs: NOW - 7 * 24 * 60 * M, toMs: NOW });
  assert.deepEqual(presetWindow('30d', NOW), { fromMs: NOW - 30 * 24 * 60 * M, toMs: NOW });
});
