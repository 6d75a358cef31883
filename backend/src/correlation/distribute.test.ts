/**
 * Correlation with a location in `distribute` mode, driven by real results
 * through a backend: the location is one perspective whose view of a
 * service is what the monitor holding it reports, it counts once towards an
 * application's threshold, and the connectivity heuristic judges each of its
 * monitors on its own share against the other locations.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Uei, type MonitorCredentials } from '@vantage/common';
import { AlarmEntity, EventEntity } from '../db/entities.ts';
import { holderOf } from '../packages/rendezvous.ts';
import { adminFetch, registerApproved, startTestBackend, type TestBackend } from '../../testing/test-backend.ts';

/** Enough services that each of two monitors holds several (it takes two for the connectivity heuristic). */
const SERVICES = Array.from({ length: 30 }, (_, i) => `n${i}/TCP`);
const WWW = 'n0/TCP';
const DB = 'n1/TCP';

const CONFIG = `<poller-configuration>
  <poller-settings check-in-interval="1000" disconnect-timeout="600000"/>
  <package name="shop">
${SERVICES.map((id) => `    <specific node-label="${id.split('/')[0]}">127.0.0.1</specific>`).join('\n')}
    <service name="TCP" interval="1000"><parameter key="port" value="1"/></service>
  </package>
  <monitor service="TCP" type="tcp"/>
  <location name="A"><polling-package name="shop"/></location>
  <location name="B"><polling-package name="shop"/></location>
  <location name="D" mode="distribute"><polling-package name="shop"/></location>
  <application name="Shop" down-threshold="2"><service package="shop" node="n0" name="TCP"/><service package="shop" node="n1" name="TCP"/></application>
</poller-configuration>`;

type Monitor = MonitorCredentials & { seq: number };
let t: TestBackend;
const monitors: Record<string, Monitor> = {};
/** D's two monitors: the one holding WWW, and the other. */
let holder: Monitor;
let other: Monitor;
const shareOf = (m: Monitor) => SERVICES.filter((id) => holderOf(id, [monitors.d1!.monitorId, monitors.d2!.monitorId]) === m.monitorId);

before(async () => {
  t = await startTestBackend(CONFIG);
  for (const [name, location] of [['a', 'A'], ['b', 'B'], ['d1', 'D'], ['d2', 'D']] as const) {
    const creds = await registerApproved(t, location, name);
    await t.call('pollerStarting', {}, creds);
    monitors[name] = { ...creds, seq: 0 };
  }
  const www = holderOf(WWW, [monitors.d1!.monitorId, monitors.d2!.monitorId]);
  [holder, other] = www === monitors.d1!.monitorId ? [monitors.d1!, monitors.d2!] : [monitors.d2!, monitors.d1!];
  await report(monitors.a!, Object.fromEntries(SERVICES.map((id) => [id, 'UP'])));
  await report(monitors.b!, Object.fromEntries(SERVICES.map((id) => [id, 'UP'])));
  for (const m of [holder, other]) await report(m, Object.fromEntries(shareOf(m).map((id) => [id, 'UP'])));
});
after(() => t.close());

async function report(m: Monitor, statuses: Record<string, 'UP' | 'DOWN'>): Promise<void> {
  const results = Object.entries(statuses).map(([serviceId, status]) => ({ seq: ++m.seq, serviceId, timestamp: Date.now(), status, reason: status === 'DOWN' ? 'connection refused' : undefined }));
  const answer = await t.call('reportResults', { results }, m);
  assert.equal(answer.error, undefined, JSON.stringify(answer.error));
}

async function application(): Promise<{ status: string; downLocations: string[]; reportingLocations: string[] }> {
  const response = await adminFetch(`http://127.0.0.1:${t.backend.port}/api/applications`);
  return ((await response.json()) as { name: string; status: string; downLocations: string[]; reportingLocations: string[] }[]).find((a) => a.name === 'Shop')!;
}

async function cell(location: string): Promise<{ state: string; distributed: boolean }> {
  const response = await adminFetch(`http://127.0.0.1:${t.backend.port}/api/availability?window=24h`);
  const matrix = (await response.json()) as { applications: { name: string; cells: { location: string; state: string; distributed: boolean }[] }[] };
  return matrix.applications.find((a) => a.name === 'Shop')!.cells.find((c) => c.location === location)!;
}

const events = (uei: string) => t.backend.db.manager.findBy(EventEntity, { uei });

void test("a service down at the monitor holding it is down for the location, whatever another of its monitors sent a moment earlier", async () => {
  await report(holder, { [WWW]: 'DOWN' });
  // The other monitor polled it before its share changed; its result arrives now.
  await report(other, { [WWW]: 'UP' });
  const view = await application();
  assert.deepEqual(view.downLocations, ['D']);
  assert.equal(view.status, 'partial', 'one location of three, below the threshold of 2');
  assert.deepEqual(view.reportingLocations, ['A', 'B', 'D']);
  const d = await cell('D');
  assert.deepEqual([d.state, d.distributed], ['down', true], 'the availability matrix says the same now');
  assert.equal((await events(Uei.applicationDown)).length, 0);
});

void test('a distributed location counts once towards the threshold, however many monitors it has', async () => {
  // Both of D's monitors see a service of the application down (each the one it holds): still one location.
  const dbHolder = holderOf(DB, [holder.monitorId, other.monitorId]) === holder.monitorId ? holder : other;
  await report(dbHolder, { [DB]: 'DOWN' });
  assert.deepEqual((await application()).downLocations, ['D']);
  assert.equal((await events(Uei.applicationDown)).length, 0, 'D alone is one location: below the threshold of 2');

  await report(monitors.a!, { [WWW]: 'DOWN' });
  const [down] = await events(Uei.applicationDown);
  assert.ok(down, 'two locations: applicationDown');
  assert.equal(down.params.downLocations, 'A, D');
  assert.equal(down.params.reportingLocations, 'A, B, D');

  await report(monitors.a!, { [WWW]: 'UP' });
  await report(holder, { [WWW]: 'UP' });
  await report(dbHolder, { [DB]: 'UP' });
  assert.equal((await application()).status, 'up');
  assert.equal((await events(Uei.applicationUp)).length, 1);
});

void test("the connectivity heuristic judges a monitor of a distributed location on its own share, against other locations", async () => {
  const share = shareOf(other);
  assert.ok(share.length >= 2, `the other monitor holds ${share.length} services`);
  // Every service it polls is down from it, then A and B reach them: its own network, not the services.
  await report(other, Object.fromEntries(share.map((id) => [id, 'DOWN'])));
  assert.equal((await events(Uei.monitorConnectivityLost)).length, 0, 'the other locations have not looked since');
  await report(monitors.a!, Object.fromEntries(share.map((id) => [id, 'UP'])));
  await report(monitors.b!, Object.fromEntries(share.map((id) => [id, 'UP'])));
  const [lost] = await events(Uei.monitorConnectivityLost);
  assert.ok(lost, 'monitorConnectivityLost raised');
  assert.equal(lost.monitorId, other.monitorId);
  assert.equal(lost.location, 'D');
  assert.match(lost.params.reason ?? '', new RegExp(`cannot reach any of the ${share.length} services it polls, while A reached`));
  const open = await t.backend.db.manager.findBy(AlarmEntity, { uei: Uei.nodeLostService, monitorId: other.monitorId });
  assert.ok(open.length > 0 && open.every((a) => a.clearedAt !== null), 'its lost-service alarms are explained');

  await report(other, { [share[0]!]: 'UP' });
  assert.equal((await events(Uei.monitorConnectivityRestored)).length, 1);
  await report(other, Object.fromEntries(share.map((id) => [id, 'UP'])));
});
