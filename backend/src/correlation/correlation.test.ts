/**
 * Correlation across locations, driven by real results through a backend:
 * one of three locations sees a service down → partial, no application
 * event; two of three → applicationDown (an alarm), cleared by applicationUp;
 * one monitor sees all its services down while others reach them at the
 * same time or later → a connectivity event for its location, its
 * lost-service alarms cleared as explained.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Uei, type MonitorCredentials } from '@vantage/common';
import { AlarmEntity, EventEntity } from '../db/entities.ts';
import { adminFetch, registerApproved, startTestBackend, type TestBackend } from '../../testing/test-backend.ts';

const CONFIG = `<poller-configuration>
  <package name="shop">
    <specific node-label="www">127.0.0.1</specific>
    <specific node-label="db">127.0.0.2</specific>
    <service name="TCP" interval="1000"><parameter key="port" value="1"/></service>
  </package>
  <monitor service="TCP" type="tcp"/>
  <location name="A"><polling-package name="shop"/></location>
  <location name="B"><polling-package name="shop"/></location>
  <location name="C"><polling-package name="shop"/></location>
  <application name="Shop"><service package="shop" node="www" name="TCP"/><service package="shop" node="db" name="TCP"/></application>
</poller-configuration>`;

let t: TestBackend;
const monitors: Record<string, MonitorCredentials & { seq: number }> = {};

before(async () => {
  t = await startTestBackend(CONFIG);
  for (const location of ['A', 'B', 'C']) {
    const creds = await registerApproved(t, location, `m-${location}`);
    await t.call('pollerStarting', {}, creds);
    monitors[location] = { ...creds, seq: 0 };
  }
  for (const location of ['A', 'B', 'C']) await report(location, { 'www/TCP': 'UP', 'db/TCP': 'UP' });
});
after(() => t.close());

async function report(location: string, statuses: Record<string, 'UP' | 'DOWN'>): Promise<void> {
  const m = monitors[location]!;
  const results = Object.entries(statuses).map(([serviceId, status]) => ({ seq: ++m.seq, serviceId, timestamp: Date.now(), status, reason: status === 'DOWN' ? 'connection refused' : undefined }));
  const answer = await t.call('reportResults', { results }, m);
  assert.equal(answer.error, undefined, JSON.stringify(answer.error));
}

async function application(): Promise<{ status: string; downLocations: string[] }> {
  const response = await adminFetch(`http://127.0.0.1:${t.backend.port}/api/applications`);
  return ((await response.json()) as { name: string; status: string; downLocations: string[] }[]).find((a) => a.name === 'Shop')!;
}
const events = (uei: string) => t.backend.db.manager.findBy(EventEntity, { uei });
const openAlarms = (uei: string) => t.backend.db.manager.findBy(AlarmEntity, { uei }).then((alarms) => alarms.filter((a) => a.clearedAt === null));

void test('one location of three sees a service down: a partial outage, no application event', async () => {
  await report('A', { 'www/TCP': 'DOWN' });
  assert.deepEqual(await application(), { ...(await application()), status: 'partial', downLocations: ['A'] });
  assert.equal((await events(Uei.applicationDown)).length, 0);
  assert.equal((await openAlarms(Uei.nodeLostService)).length, 1, 'the lost service itself is alarmed, per monitor');
});

void test('two locations of three: applicationDown and its alarm; back under the threshold: applicationUp clears it', async () => {
  await report('B', { 'www/TCP': 'DOWN' });
  const [down] = await events(Uei.applicationDown);
  assert.ok(down, 'applicationDown raised');
  assert.equal(down.params.application, 'Shop');
  assert.equal(down.params.downLocations, 'A, B');
  assert.equal(down.severity, 'Major');
  assert.equal((await application()).status, 'down');
  const [alarm] = await openAlarms(Uei.applicationDown);
  assert.equal(alarm?.application, 'Shop');

  await report('B', { 'www/TCP': 'UP' });
  assert.equal((await events(Uei.applicationUp)).length, 1);
  assert.equal((await openAlarms(Uei.applicationDown)).length, 0, 'applicationUp cleared the alarm');
  assert.equal((await application()).status, 'partial');
  await report('A', { 'www/TCP': 'UP' });
  assert.equal((await application()).status, 'up');
});

void test('one monitor sees all its services down while others reach them afterwards: a connectivity event, its alarms explained', async () => {
  await report('C', { 'www/TCP': 'DOWN', 'db/TCP': 'DOWN' });
  assert.equal((await events(Uei.monitorConnectivityLost)).length, 0, "A's and B's UPs are older than C's DOWNs: they prove nothing yet");
  assert.equal((await openAlarms(Uei.nodeLostService)).filter((a) => a.monitorId === monitors.C!.monitorId).length, 2, 'the DOWNs are alarmed meanwhile');
  await report('A', { 'www/TCP': 'UP', 'db/TCP': 'UP' });
  await report('B', { 'www/TCP': 'UP', 'db/TCP': 'UP' });
  const [connectivity] = await events(Uei.monitorConnectivityLost);
  assert.ok(connectivity, 'monitorConnectivityLost raised');
  assert.equal(connectivity.location, 'C');
  assert.equal(connectivity.monitorId, monitors.C!.monitorId);
  assert.equal(connectivity.params.reason, "m-C cannot reach any of the 2 services it polls, while A reached db/TCP, www/TCP at the same time or later: the problem is this monitor's network, not the services");
  assert.equal((await openAlarms(Uei.nodeLostService)).filter((a) => a.monitorId === monitors.C!.monitorId).length, 0, 'explained by its connectivity');
  assert.equal((await openAlarms(Uei.monitorConnectivityLost)).length, 1);
  assert.equal((await application()).status, 'up', "C's view is set aside while its connectivity is lost");

  // Still down: nothing more. A service up again: connectivity restored, its alarm cleared.
  await report('C', { 'www/TCP': 'DOWN', 'db/TCP': 'DOWN' });
  assert.equal((await events(Uei.monitorConnectivityLost)).length, 1);
  await report('C', { 'www/TCP': 'UP', 'db/TCP': 'UP' });
  assert.equal((await events(Uei.monitorConnectivityRestored)).length, 1);
  assert.equal((await openAlarms(Uei.monitorConnectivityLost)).length, 0);
  assert.equal((await events(Uei.nodeRegainedService)).filter((e) => e.monitorId === monitors.C!.monitorId).length, 0, 'nothing to regain: nothing was announced lost');
});

void test('services going down one by one: the first is alarmed, then the connectivity explains and clears it', async () => {
  await report('C', { 'www/TCP': 'DOWN' });
  const mine = async () => (await openAlarms(Uei.nodeLostService)).filter((a) => a.monitorId === monitors.C!.monitorId);
  assert.equal((await mine()).length, 1);
  await report('C', { 'db/TCP': 'DOWN' });
  assert.equal((await mine()).length, 2);
  await report('A', { 'www/TCP': 'UP', 'db/TCP': 'UP' });
  assert.equal((await mine()).length, 0);
  const explained = await t.backend.db.manager.findOneBy(AlarmEntity, { uei: Uei.nodeLostService, monitorId: monitors.C!.monitorId, serviceId: 'www/TCP' });
  assert.equal(explained?.reason, "explained by the monitor's own connectivity");
  assert.equal((await events(Uei.monitorConnectivityLost)).length, 2);
  await report('C', { 'www/TCP': 'UP', 'db/TCP': 'UP' });
});

void test('GET /api/availability gives the applications × locations matrix the home page shows', async () => {
  const api = `http://127.0.0.1:${t.backend.port}/api/availability`;
  const matrix = (await (await adminFetch(`${api}?window=24h`)).json()) as {
    window: { fromMs: number; toMs: number };
    applications: { name: string; cells: { location: string; availability: number | null; coverage: number; state: string }[] }[];
  };
  assert.equal(matrix.window.toMs - matrix.window.fromMs, 24 * 3_600_000);
  const shop = matrix.applications.find((a) => a.name === 'Shop')!;
  assert.deepEqual(
    shop.cells.map((c) => c.location),
    ['A', 'B', 'C'],
  );
  for (const cell of shop.cells) {
    assert.ok(cell.availability !== null && cell.availability > 0 && cell.availability <= 1, JSON.stringify(cell));
    assert.ok(cell.coverage > 0 && cell.coverage <= 1);
    assert.equal(cell.state, 'up');
  }
  assert.ok(shop.cells.find((c) => c.location === 'A')!.availability! < 1, 'A saw www down for a while');
  assert.equal((await adminFetch(`${api}?window=1y`)).status, 400);
  assert.equal((await adminFetch(`${api}?from=10`)).status, 400);
  assert.equal((await adminFetch(`${api}?from=10&to=5`)).status, 400);
});

void test("GET /api/availability/APPLICATION/LOCATION answers a cell's whole detail in one request", async () => {
  const api = `http://127.0.0.1:${t.backend.port}/api/availability`;
  const now = Date.now();
  const response = await adminFetch(`${api}/Shop/A?from=${now - 3_600_000}&to=${now + 1000}`);
  assert.equal(response.status, 200, await response.clone().text());
  const detail = (await response.json()) as {
    serviceIds: string[];
    monitors: { id: string; name: string }[];
    pending: number;
    seen: { monitorId: string; services: { serviceId: string; status: string | null }[] }[];
    outages: { serviceId: string; location: string; startedAt: number }[];
    responseTimes: { service: string; series: { monitorId: string }[] }[];
  };
  assert.deepEqual(detail.serviceIds, ['www/TCP', 'db/TCP']);
  assert.deepEqual(
    detail.monitors.map((m) => m.name),
    ['m-A'],
  );
  assert.equal(detail.pending, 0);
  assert.deepEqual(
    detail.seen.map((s) => [s.monitorId, s.services.map((x) => x.serviceId).sort()]),
    [[monitors.A!.monitorId, ['db/TCP', 'www/TCP']]],
  );
  assert.ok(detail.seen[0]!.services.every((s) => s.status !== null), 'what the monitor last saw');
  assert.ok(detail.outages.length > 0 && detail.outages.every((o) => o.location === 'A' && o.serviceId === 'www/TCP'), 'A saw www down for a while');
  assert.deepEqual(
    detail.responseTimes.map((r) => r.service),
    ['www/TCP', 'db/TCP'],
  );
  assert.equal((await adminFetch(`${api}/Nothing/A`)).status, 404);
  assert.equal((await adminFetch(`${api}/Shop/Z`)).status, 404);
  assert.equal((await adminFetch(`${api}/Shop/A?from=10&to=5`)).status, 400);
});
