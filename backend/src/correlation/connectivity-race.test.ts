/**
 * "The monitor lost its own connectivity" is decided only from observations
 * that overlap in time, and is re-evaluated as results arrive. Driven through
 * the real ResultIngest on a real database (PGlite, or PostgreSQL with
 * VANTAGE_TEST_PG_URL) and a fake clock, so every timestamp is exact.
 *
 * Each scenario has its own locations LON<i> and RDU<i> and its own
 * application Shop<i> (pay<i>/TCP and cart<i>/TCP). LON polls both services;
 * RDU polls pay only ("issue", as reported) or both ("both"). Services are
 * polled every minute; a location's first poll after the outage starts is
 * its detection, and the two locations detect `gap` seconds apart.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Uei } from '@vantage/common';
import { EventBus } from '@vantage/events';
import { monitors as monitorRegistry } from '@vantage/monitors';
import { FakeClock } from '@vantage/runtime';
import { ConfigHolder } from '../config/config-holder.ts';
import { parsePollingConfig } from '../config/parse-polling-config.ts';
import { availabilityMatrix, type MatrixCell } from '../availability/matrix.ts';
import { Database } from '../db/database.ts';
import { AlarmEntity, EventEntity, LocationMonitorEntity, type LocationMonitorRow } from '../db/entities.ts';
import { EventRecorder } from '../event-store/event-recorder.ts';
import { ResultIngest } from '../ingest/result-ingest.ts';
import { createTestStorage, type TestStorage } from '../../testing/test-database.ts';

const S = 1000;
const INTERVAL = 60 * S;
const GAPS_S = [0, 5, 15, 30];

type Kind = 'issue' | 'both';
type Status = 'UP' | 'DOWN';

let storage: TestStorage;
let db: Database;
const clock = new FakeClock();
let scenarios = 0;

before(async () => {
  storage = await createTestStorage();
  db = await Database.open({ url: storage.databaseUrl, dataDir: `${storage.dataDir}/db` });
});
after(async () => {
  await db.close();
  await storage.cleanup();
});

interface Monitor {
  row: LocationMonitorRow;
  seq: number;
  services: string[];
}

/** One scenario's configuration, monitors (lon, rdu) and ingest, on the shared database and clock. */
class Scenario {
  readonly configs: ConfigHolder;
  readonly ingest: ResultIngest;
  readonly pay: string;
  readonly cart: string;
  readonly application: string;
  readonly lonLocation: string;
  readonly rduLocation: string;
  lon!: Monitor;
  rdu!: Monitor;
  /** When the scenario started (the measured window starts here). */
  readonly startMs: number;

  constructor(
    readonly kind: Kind,
    readonly i = scenarios++,
  ) {
    this.pay = `pay${i}/TCP`;
    this.cart = `cart${i}/TCP`;
    this.application = `Shop${i}`;
    this.lonLocation = `LON${i}`;
    this.rduLocation = `RDU${i}`;
    const rduNodes = kind === 'issue' ? [`pay${i}`] : [`pay${i}`, `cart${i}`];
    const xml = `<poller-configuration>
      <package name="lon${i}">
        <specific node-label="pay${i}">127.0.0.1</specific>
        <specific node-label="cart${i}">127.0.0.2</specific>
        <service name="TCP" interval="${INTERVAL}"><parameter key="port" value="1"/></service>
      </package>
      <package name="rdu${i}">
        ${rduNodes.map((n, k) => `<specific node-label="${n}">127.0.0.${k + 1}</specific>`).join('\n')}
        <service name="TCP" interval="${INTERVAL}"><parameter key="port" value="1"/></service>
      </package>
      <monitor service="TCP" type="tcp"/>
      <location name="LON${i}"><polling-package name="lon${i}"/></location>
      <location name="RDU${i}"><polling-package name="rdu${i}"/></location>
      <application name="Shop${i}"><service package="lon${i}" node="pay${i}" name="TCP"/><service package="lon${i}" node="cart${i}" name="TCP"/></application>
    </poller-configuration>`;
    this.configs = new ConfigHolder(parsePollingConfig(xml, { fileName: `race-${i}.xml`, monitors: monitorRegistry }));
    this.ingest = new ResultIngest(db, this.configs, new EventBus(), new EventRecorder(() => [], () => clock.now()), () => clock.now());
    this.startMs = clock.now();
  }

  async start(): Promise<void> {
    this.lon = await this.addMonitor(this.lonLocation, `lon-${this.i}`, [this.pay, this.cart]);
    this.rdu = await this.addMonitor(this.rduLocation, `rdu-${this.i}`, this.kind === 'issue' ? [this.pay] : [this.pay, this.cart]);
  }

  private async addMonitor(location: string, name: string, services: string[]): Promise<Monitor> {
    const id = `${name}-id`;
    const now = clock.now();
    await db.transaction(async (m) => {
      await m.query(
        `INSERT INTO location_monitor (id, location, name, lifecycle, paused, connectivity_lost, secret_hash, registered_at, last_check_in_at)
         VALUES ($1, $2, $3, 'STARTED', false, false, 'x', $4, $4)`,
        [id, location, name, now],
      );
      await new EventRecorder().record(m, [{ uei: Uei.locationMonitorStarted, time: now, location, monitorId: id, params: { monitorName: name } }]);
    });
    const row = (await db.manager.findOneBy(LocationMonitorEntity, { id }))!;
    return { row, seq: 0, services };
  }

  /** The monitor polls every service it has at the clock's time and reports at once. */
  async poll(monitor: Monitor, status: Status): Promise<void> {
    await this.pollSome(monitor, Object.fromEntries(monitor.services.map((id) => [id, status])));
  }

  /** The monitor polls some of its services at the clock's time and reports at once. */
  async pollSome(monitor: Monitor, statuses: Record<string, Status>): Promise<void> {
    const results = Object.entries(statuses).map(([serviceId, status]) => ({
      seq: ++monitor.seq,
      serviceId,
      timestamp: clock.now(),
      status,
      reason: status === 'DOWN' ? 'connection refused' : undefined,
    }));
    await this.ingest.report(monitor.row, { results });
  }

  async connectivityLost(monitor: Monitor): Promise<boolean> {
    return (await db.manager.findOneBy(LocationMonitorEntity, { id: monitor.row.id }))!.connectivityLost;
  }

  async openLostServiceAlarms(monitor: Monitor): Promise<string[]> {
    const alarms = await db.manager.findBy(AlarmEntity, { uei: Uei.nodeLostService, monitorId: monitor.row.id });
    return alarms.filter((a) => a.clearedAt === null).map((a) => a.serviceId!).sort();
  }

  async applicationAlarm(): Promise<{ open: boolean; reason: string | null } | null> {
    const alarm = await db.manager.findOneBy(AlarmEntity, { uei: Uei.applicationDown, application: this.application });
    return alarm ? { open: alarm.clearedAt === null, reason: alarm.reason } : null;
  }

  async events(uei: string, monitor?: Monitor): Promise<{ time: number; params: Record<string, string> }[]> {
    const rows = await db.manager.findBy(EventEntity, { uei, ...(monitor ? { monitorId: monitor.row.id } : {}) });
    return rows.filter((e) => monitor || e.params.application === this.application).map((e) => ({ time: Number(e.time), params: e.params }));
  }

  /** The availability cell of the application at a location, measured from the scenario's start to now. */
  async cell(monitor: Monitor): Promise<MatrixCell> {
    const now = clock.now();
    const matrix = await availabilityMatrix(db, this.configs, { fromMs: this.startMs, toMs: now, nowMs: now, silenceBeforeDisconnectMs: 0 });
    const location = monitor === this.lon ? this.lonLocation : this.rduLocation;
    return matrix.applications.find((a) => a.name === this.application)!.cells.find((c) => c.location === location)!;
  }
}

/** Each scenario starts on a fresh minute, far from the previous one. */
async function newScenario(kind: Kind): Promise<Scenario> {
  await clock.advance(10 * INTERVAL);
  const scenario = new Scenario(kind);
  await scenario.start();
  return scenario;
}

for (const kind of ['issue', 'both'] as const) {
  for (const first of ['LON', 'RDU'] as const) {
    void describe(`a real outage, ${kind === 'issue' ? 'RDU polling one of LON’s two services' : 'both locations polling both services'}, ${first} detecting first`, () => {
      for (const gapS of GAPS_S) {
        void test(`${gapS} s between the locations: no connectivity loss, every DOWN alarmed, both cells Down`, async () => {
          const s = await newScenario(kind);
          const [early, late] = first === 'LON' ? [s.lon, s.rdu] : [s.rdu, s.lon];
          // Their last polls before the outage, one interval before each detection.
          const outageAt = clock.now() + INTERVAL;
          await clock.advanceTo(outageAt + 1 * S - INTERVAL);
          await s.poll(early, 'UP');
          await clock.advanceTo(outageAt + (1 + gapS) * S - INTERVAL);
          await s.poll(late, 'UP');

          await clock.advanceTo(outageAt + 1 * S);
          await s.poll(early, 'DOWN');
          assert.equal(await s.connectivityLost(early), false, 'the other location has not looked since the outage began');
          assert.deepEqual(await s.openLostServiceAlarms(early), [...early.services].sort(), 'every DOWN of the first location is alarmed');
          assert.equal((await s.cell(early)).state, 'down');

          await clock.advanceTo(outageAt + (1 + gapS) * S);
          await s.poll(late, 'DOWN');
          for (const m of [s.lon, s.rdu]) {
            assert.equal(await s.connectivityLost(m), false);
            assert.deepEqual(await s.openLostServiceAlarms(m), [...m.services].sort());
            assert.equal((await s.events(Uei.monitorConnectivityLost, m)).length, 0);
          }
          const applicationAlarm = await s.applicationAlarm();
          assert.equal(applicationAlarm?.open, true, 'the application is down from both locations');
          assert.equal(applicationAlarm?.reason, `down from 2 of 2 reporting locations (${s.lonLocation}, ${s.rduLocation}); at least 2 needed`);

          // Another round each: nothing changes.
          await clock.advanceTo(outageAt + 1 * S + INTERVAL);
          await s.poll(early, 'DOWN');
          await clock.advanceTo(outageAt + (1 + gapS) * S + INTERVAL);
          await s.poll(late, 'DOWN');
          for (const m of [s.lon, s.rdu]) {
            assert.equal(await s.connectivityLost(m), false);
            assert.deepEqual(await s.openLostServiceAlarms(m), [...m.services].sort());
            const cell = await s.cell(m);
            assert.equal(cell.state, 'down');
            assert.equal(cell.noDataMs, 0, 'a monitor that keeps reporting is never "no data"');
            assert.equal(cell.ownNetworkDown, 0);
            const detected = m === early ? outageAt + 1 * S : outageAt + (1 + gapS) * S;
            assert.equal(cell.downMs, clock.now() - detected, 'down from its own detection on');
          }
          assert.equal((await s.events(Uei.applicationDown)).length, 1);
        });
      }
    });
  }
}

void describe('a true local network failure at LON (RDU polling one of its two services)', () => {
  for (const gapS of GAPS_S) {
    void test(`RDU reaches the service ${gapS} s after LON saw everything fail: connectivity lost, LON's alarms explained, no data`, async () => {
      const s = await newScenario('issue');
      const failureAt = clock.now() + INTERVAL;
      await clock.advanceTo(failureAt + 1 * S - INTERVAL);
      await s.poll(s.lon, 'UP');
      await clock.advanceTo(failureAt + (1 + gapS) * S - INTERVAL);
      await s.poll(s.rdu, 'UP');

      await clock.advanceTo(failureAt + 1 * S);
      await s.poll(s.lon, 'DOWN');
      if (gapS > 0) {
        assert.equal(await s.connectivityLost(s.lon), false, "RDU's last UP is older than LON's DOWN: it proves nothing");
        assert.deepEqual(await s.openLostServiceAlarms(s.lon), [s.cart, s.pay].sort());
      }
      await clock.advanceTo(failureAt + (1 + gapS) * S);
      await s.poll(s.rdu, 'UP');

      assert.equal(await s.connectivityLost(s.lon), true, 'RDU reached pay after LON saw it fail');
      const [lost] = await s.events(Uei.monitorConnectivityLost, s.lon);
      assert.ok(lost, 'monitorConnectivityLost raised');
      assert.equal(lost.time, failureAt + 1 * S, 'dated from when LON saw every service fail');
      assert.equal(
        lost.params.reason,
        `lon-${s.i} cannot reach any of the 2 services it polls, while ${s.rduLocation} reached ${s.pay} at the same time or later: the problem is this monitor's network, not the services`,
      );
      assert.deepEqual(await s.openLostServiceAlarms(s.lon), [], "LON's lost-service alarms are explained by its connectivity");
      assert.equal((await s.applicationAlarm())?.open ?? false, false);
      const lonCell = await s.cell(s.lon);
      assert.equal(lonCell.state, 'no data');
      assert.equal(lonCell.ownNetworkDown, 1, 'not silent: its own network is down');
      assert.equal(lonCell.downMs, 0, 'LON saw its own network from the failure on, not the services');

      // LON's network comes back.
      await clock.advanceTo(failureAt + 1 * S + INTERVAL);
      await s.poll(s.lon, 'UP');
      assert.equal(await s.connectivityLost(s.lon), false);
      assert.equal((await s.events(Uei.monitorConnectivityRestored, s.lon)).length, 1);
      assert.equal((await s.cell(s.lon)).state, 'up');
    });
  }

  void test('a single service down at one location while another reaches it is that location’s outage, never a connectivity loss', async () => {
    const s = await newScenario('issue');
    await s.poll(s.lon, 'UP');
    await s.poll(s.rdu, 'UP');
    await clock.advance(INTERVAL);
    // RDU polls one service: "all down" says nothing about its network.
    await s.poll(s.rdu, 'DOWN');
    await clock.advance(5 * S);
    await s.poll(s.lon, 'UP');
    assert.equal(await s.connectivityLost(s.rdu), false);
    assert.deepEqual(await s.openLostServiceAlarms(s.rdu), [s.pay]);
    assert.equal((await s.cell(s.rdu)).state, 'down');
  });
});

void test('a connectivity loss that other locations then contradict is withdrawn: the DOWNs count, their alarms come back, the cell shows Down', async () => {
  const s = await newScenario('both');
  await s.poll(s.lon, 'UP');
  await s.poll(s.rdu, 'UP');
  await clock.advance(INTERVAL);
  await s.poll(s.lon, 'DOWN');
  await clock.advance(5 * S);
  await s.poll(s.rdu, 'UP');
  assert.equal(await s.connectivityLost(s.lon), true, 'RDU reached both services after LON saw them fail');
  assert.deepEqual(await s.openLostServiceAlarms(s.lon), []);

  // Then the services really fail: RDU sees them down too.
  await clock.advance(INTERVAL);
  const confirmedAt = clock.now();
  await s.poll(s.rdu, 'DOWN');
  assert.equal(await s.connectivityLost(s.lon), false, 'the outage is real');
  const [restored] = await s.events(Uei.monitorConnectivityRestored, s.lon);
  assert.equal(restored?.time, confirmedAt);
  assert.equal(restored?.params.reason, `${s.rduLocation} sees ${s.cart}, ${s.pay} down too: the outage is real, not this monitor's network`);
  assert.deepEqual(await s.openLostServiceAlarms(s.lon), [s.cart, s.pay].sort(), "LON's alarms are raised again");
  assert.equal((await s.applicationAlarm())?.open, true);
  const lonCell = await s.cell(s.lon);
  assert.equal(lonCell.state, 'down');
  await clock.advance(10 * S);
  assert.equal((await s.cell(s.lon)).downMs - lonCell.downMs, 10 * S, 'LON counts as down from the confirmation on');

  // RDU reaches both again while LON still cannot: LON's own network after all, from now on.
  await clock.advance(INTERVAL - 10 * S);
  const againAt = clock.now();
  await s.poll(s.rdu, 'UP');
  assert.equal(await s.connectivityLost(s.lon), true);
  const lost = await s.events(Uei.monitorConnectivityLost, s.lon);
  assert.equal(lost.length, 2);
  assert.equal(lost[1]!.time, againAt, 'not before the withdrawal it follows');
  const before = await s.cell(s.lon);
  assert.equal(before.state, 'no data');
  await clock.advance(10 * S);
  const later = await s.cell(s.lon);
  assert.equal(later.noDataMs - before.noDataMs, 10 * S, 'the history agrees: no data from the second loss on');
  assert.equal(later.downMs, before.downMs);
});

void test('another location that still sees a service down, however long since it last polled it, keeps the outage real', async () => {
  const s = await newScenario('both');
  await s.poll(s.lon, 'UP');
  await s.poll(s.rdu, 'UP');
  await clock.advance(INTERVAL);
  // RDU sees pay fail; a service that stays down may be polled far less often (a downtime model).
  await s.pollSome(s.rdu, { [s.pay]: 'DOWN' });
  for (let round = 0; round < 3; round++) {
    await clock.advance(INTERVAL);
    await s.pollSome(s.rdu, { [s.cart]: 'UP' });
  }
  await s.poll(s.lon, 'DOWN');
  await clock.advance(5 * S);
  await s.pollSome(s.rdu, { [s.cart]: 'UP' });
  assert.equal(await s.connectivityLost(s.lon), false, 'RDU reaches cart, but sees pay down: LON’s DOWNs may be real');
  assert.equal((await s.events(Uei.monitorConnectivityLost, s.lon)).length, 0, 'never decided');
  assert.deepEqual(await s.openLostServiceAlarms(s.lon), [s.cart, s.pay].sort());
});
