/**
 * A location in `distribute` mode, over the protocol: its started monitors
 * poll disjoint shares that cover it; a monitor that pauses, stops,
 * disconnects or is deleted gives its share to the others, who learn it at
 * their next check-in (CONFIG_CHANGED), or at once by a hint over WebSocket;
 * when it comes back the split returns. A service's state moves with it
 * (the hand-off), results for a service that just moved away are accepted
 * but change nothing, and fewer members than min-online raise an alarm.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { formatAuthorization, Uei, type MonitorCredentials } from '@vantage/common';
import WebSocket from 'ws';
import { AlarmEntity, EventEntity, OutageEntity, PollResultEntity, ServiceStateEntity } from '../db/entities.ts';
import { adminFetch, registerApproved, startTestBackend, type TestBackend } from '../../testing/test-backend.ts';
import { HANDED_OFF_REASON } from './distributed-rebalance.ts';

const SERVICES = 40;
const ALL = Array.from({ length: SERVICES }, (_, i) => `n${i}/TCP`).sort();

// A long disconnect timeout: the test disconnects monitors itself, so the sweeper never does it behind its back.
const CONFIG = `<poller-configuration>
  <poller-settings check-in-interval="1000" disconnect-timeout="600000"/>
  <package name="web">
${Array.from({ length: SERVICES }, (_, i) => `    <specific node-label="n${i}">127.0.0.1</specific>`).join('\n')}
    <service name="TCP" interval="1000"><parameter key="port" value="1"/></service>
  </package>
  <monitor service="TCP" type="tcp"/>
  <location name="DC" mode="distribute" min-online="2"><polling-package name="web"/></location>
  <location name="RDU"><polling-package name="web"/></location>
</poller-configuration>`;

type Package = { version: string; package: { services: { serviceId: string }[] } };
type Monitor = MonitorCredentials & { seq: number; version: string };

let t: TestBackend;
let m1: Monitor;
let m2: Monitor;
/** The split of m1 and m2, as first seen. */
const split: Record<string, { version: string; services: string[] }> = {};

before(async () => {
  t = await startTestBackend(CONFIG);
  m1 = { ...(await registerApproved(t, 'DC', 'dc-1')), seq: 0, version: '' };
  m2 = { ...(await registerApproved(t, 'DC', 'dc-2')), seq: 0, version: '' };
  for (const m of [m1, m2]) assert.equal(((await t.call('pollerStarting', {}, m)).result as { status: string }).status, 'STARTED');
});
after(() => t.close());

async function fetchPackage(m: Monitor): Promise<string[]> {
  const answer = await t.call('getPollingPackage', {}, m);
  assert.equal(answer.error, undefined, JSON.stringify(answer.error));
  const result = answer.result as Package;
  m.version = result.version;
  return result.package.services.map((s) => s.serviceId).sort();
}

async function checkIn(m: Monitor): Promise<string> {
  const answer = await t.call('pollerCheckingIn', { configVersion: m.version }, m);
  assert.equal(answer.error, undefined, JSON.stringify(answer.error));
  return (answer.result as { status: string }).status;
}

async function report(m: Monitor, statuses: Record<string, 'UP' | 'DOWN'>): Promise<void> {
  const results = Object.entries(statuses).map(([serviceId, status]) => ({ seq: ++m.seq, serviceId, timestamp: Date.now(), status, reason: status === 'DOWN' ? 'refused' : undefined }));
  const answer = await t.call('reportResults', { results }, m);
  assert.equal(answer.error, undefined, JSON.stringify(answer.error));
}

const api = (path: string, init?: RequestInit) => adminFetch(`http://127.0.0.1:${t.backend.port}/api${path}`, init);
const administer = async (m: MonitorCredentials, action: 'pause' | 'resume') => assert.equal((await api(`/monitors/${m.monitorId}/${action}`, { method: 'POST' })).status, 200);
const events = (uei: string) => t.backend.db.manager.findBy(EventEntity, { uei });
const openAlarms = (uei: string) => t.backend.db.manager.findBy(AlarmEntity, { uei }).then((alarms) => alarms.filter((a) => a.clearedAt === null));

/** Both monitors are back on the split first seen: their next check-in says so, and they fetch exactly their old shares. */
async function assertSplitReturned(): Promise<void> {
  for (const [m, name] of [[m1, 'dc-1'], [m2, 'dc-2']] as const) {
    if ((await checkIn(m)) === 'CONFIG_CHANGED') await fetchPackage(m);
    assert.equal(m.version, split[name]!.version, `${name} is back on its first share`);
    assert.deepEqual(await fetchPackage(m), split[name]!.services);
  }
}

void test('two started monitors at a distribute location poll disjoint shares that cover the location', async () => {
  const one = await fetchPackage(m1);
  const two = await fetchPackage(m2);
  assert.ok(one.length > 0 && two.length > 0, `both poll something (${one.length} and ${two.length})`);
  assert.deepEqual(one.filter((id) => two.includes(id)), [], 'no service in both shares');
  assert.deepEqual([...one, ...two].sort(), ALL, 'together they poll every service of the location');
  assert.notEqual(m1.version, m2.version, 'each share has its own version');
  split['dc-1'] = { version: m1.version, services: one };
  split['dc-2'] = { version: m2.version, services: two };
  for (const m of [m1, m2]) assert.equal(await checkIn(m), 'STARTED', 'the share it holds is current');

  const locations = (await (await api('/locations')).json()) as { name: string; mode: string; minOnline: number | null; packageVersion: string; shares: Record<string, number> | null }[];
  const dc = locations.find((l) => l.name === 'DC')!;
  assert.equal(dc.mode, 'distribute');
  assert.equal(dc.minOnline, 2);
  assert.deepEqual(dc.shares, { [m1.monitorId]: one.length, [m2.monitorId]: two.length });
  assert.ok(![m1.version, m2.version].includes(dc.packageVersion));
  const services = (await (await api(`/monitors/${m1.monitorId}/services`)).json()) as { serviceId: string }[];
  assert.deepEqual(services.map((s) => s.serviceId).sort(), one, "a monitor's services are its share");

  // replicate stays the default: a monitor at RDU polls everything.
  const rdu = { ...(await registerApproved(t, 'RDU', 'rdu-1')), seq: 0, version: '' };
  await t.call('pollerStarting', {}, rdu);
  assert.deepEqual(await fetchPackage(rdu), ALL);
  assert.equal(locations.find((l) => l.name === 'RDU')!.shares, null);
});

void test("pausing one: the other's next check-in answers CONFIG_CHANGED and its package is the whole location; resuming brings the split back", async () => {
  await administer(m2, 'pause');
  assert.equal(await checkIn(m1), 'CONFIG_CHANGED');
  assert.deepEqual(await fetchPackage(m1), ALL);
  assert.equal(await checkIn(m1), 'STARTED');
  assert.equal(await checkIn(m2), 'PAUSED');
  assert.deepEqual(await fetchPackage(m2), [], 'a paused monitor polls nothing');

  await administer(m2, 'resume');
  assert.equal(await checkIn(m1), 'CONFIG_CHANGED');
  await assertSplitReturned();
});

void test('a monitor that stops, disconnects or is deleted gives its share to the others; back, it takes it again', async () => {
  // Stops cleanly.
  await t.call('pollerStopping', {}, m2);
  assert.equal(await checkIn(m1), 'CONFIG_CHANGED');
  assert.deepEqual(await fetchPackage(m1), ALL);
  await t.call('pollerStarting', {}, m2);
  await assertSplitReturned();

  // Misses its check-ins past the disconnect timeout (the failover delay): the sweeper declares it DISCONNECTED.
  await t.backend.db.manager.update('LocationMonitor', { id: m2.monitorId }, { lastCheckInAt: 1 });
  assert.equal(await t.backend.monitors.sweepDisconnected(), 1);
  assert.equal(await checkIn(m1), 'CONFIG_CHANGED');
  assert.deepEqual(await fetchPackage(m1), ALL);
  // Its next check-in reconnects it, and the share it kept polling meanwhile is its share again.
  assert.equal(await checkIn(m2), 'STARTED');
  await assertSplitReturned();

  // A third joins: it takes a third, from both; deleted, it gives it back.
  const m3: Monitor = { ...(await registerApproved(t, 'DC', 'dc-3')), seq: 0, version: '' };
  await t.call('pollerStarting', {}, m3);
  const three = await fetchPackage(m3);
  assert.ok(three.length > 0);
  for (const m of [m1, m2]) {
    assert.equal(await checkIn(m), 'CONFIG_CHANGED');
    const share = await fetchPackage(m);
    assert.deepEqual(share.filter((id) => three.includes(id)), []);
  }
  assert.equal((await api(`/monitors/${m3.monitorId}`, { method: 'DELETE' })).status, 200);
  await assertSplitReturned();
});

void test('results for a service that moved away a moment ago are accepted and stored, but change no state', async () => {
  const elsewhere = split['dc-2']!.services[0]!;
  const lostBefore = (await events(Uei.nodeLostService)).length;
  // m1 polled it before its share changed; the result arrives after.
  await report(m1, { [elsewhere]: 'DOWN' });
  const stored = await t.backend.db.manager.findOneBy(PollResultEntity, { monitorId: m1.monitorId, seq: m1.seq });
  assert.equal(stored?.serviceId, elsewhere, 'stored: it is a real observation');
  assert.equal(await t.backend.db.manager.countBy(ServiceStateEntity, { monitorId: m1.monitorId, serviceId: elsewhere }), 0, 'no state of it at m1');
  assert.equal(await t.backend.db.manager.countBy(OutageEntity, { monitorId: m1.monitorId, serviceId: elsewhere }), 0, 'no outage');
  assert.equal((await events(Uei.nodeLostService)).length, lostBefore, 'no lost-service event');
  // A service the location does not poll at all is still refused.
  const foreign = await t.call('reportResults', { results: [{ seq: m1.seq + 1, serviceId: 'elsewhere/SSH', timestamp: Date.now(), status: 'UP' }] }, m1);
  assert.equal(foreign.error?.code, -32003);
});

void test("a service's state moves with it: the monitor it left ends its outage and clears its alarm; the new holder announces what it sees", async () => {
  const service = split['dc-1']!.services[0]!;
  await report(m1, { [service]: 'DOWN' });
  const alarmOf = (m: MonitorCredentials) => t.backend.db.manager.findOneBy(AlarmEntity, { uei: Uei.nodeLostService, monitorId: m.monitorId, serviceId: service });
  assert.equal((await alarmOf(m1))?.clearedAt, null, 'm1 sees it down: alarm raised');

  await administer(m1, 'pause');
  const cleared = await alarmOf(m1);
  assert.ok(cleared?.clearedAt, "m1's alarm cleared: m1 no longer polls it");
  assert.equal(cleared.reason, HANDED_OFF_REASON);
  const outage = await t.backend.db.manager.findOneBy(OutageEntity, { monitorId: m1.monitorId, serviceId: service });
  assert.ok(outage?.endedAt, "m1's outage ended at the hand-off");
  assert.equal(await t.backend.db.manager.countBy(ServiceStateEntity, { monitorId: m1.monitorId }), 0, 'a paused monitor keeps no service state');

  assert.equal(await checkIn(m2), 'CONFIG_CHANGED');
  assert.deepEqual(await fetchPackage(m2), ALL);
  await report(m2, { [service]: 'DOWN' });
  assert.equal((await alarmOf(m2))?.clearedAt, null, 'm2 holds it now and announces it down');

  await administer(m1, 'resume');
  assert.ok((await alarmOf(m2))?.clearedAt, "back with m1: m2's alarm cleared");
  await assertSplitReturned();
  await report(m1, { [service]: 'UP' });
  assert.equal((await openAlarms(Uei.nodeLostService)).length, 0);
});

void test('fewer members than min-online: an alarm for the location, cleared when enough are back', async () => {
  // Since the backend started with no monitor at DC, then once per time below (earlier tests paused and stopped some).
  const [atStart] = await events(Uei.locationBelowMinimumOnline);
  assert.deepEqual([atStart?.location, atStart?.params.online, atStart?.params.minOnline], ['DC', '0', '2']);
  assert.equal((await openAlarms(Uei.locationBelowMinimumOnline)).length, 0, 'two online now: no alarm');
  const raisedBefore = (await events(Uei.locationBelowMinimumOnline)).length;
  const restoredBefore = (await events(Uei.locationMinimumOnlineRestored)).length;

  await administer(m2, 'pause');
  const below = (await events(Uei.locationBelowMinimumOnline)).at(-1)!;
  assert.equal((await events(Uei.locationBelowMinimumOnline)).length, raisedBefore + 1);
  assert.deepEqual([below.location, below.params.online, below.params.minOnline, below.severity], ['DC', '1', '2', 'Major']);
  const [alarm] = await openAlarms(Uei.locationBelowMinimumOnline);
  assert.equal(alarm?.location, 'DC');
  // Still below: not raised again.
  await t.call('pollerStopping', {}, m1);
  assert.equal((await events(Uei.locationBelowMinimumOnline)).length, raisedBefore + 1);

  await t.call('pollerStarting', {}, m1);
  await administer(m2, 'resume');
  assert.equal((await events(Uei.locationMinimumOnlineRestored)).length, restoredBefore + 1);
  assert.equal((await openAlarms(Uei.locationBelowMinimumOnline)).length, 0);
  await assertSplitReturned();
});

void test('a connected member is told at once (configurationChanged over WebSocket) when another leaves or joins', async () => {
  const ws = new WebSocket(`ws://127.0.0.1:${t.backend.port}/rpc`, { headers: { authorization: formatAuthorization(m1) } });
  const hints: { method: string; params: { version: string } }[] = [];
  ws.on('message', (data) => hints.push(JSON.parse(String(data)) as (typeof hints)[number]));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  try {
    await administer(m2, 'pause');
    const everything = await waitFor(() => hints.find((h) => h.method === 'configurationChanged'));
    await fetchPackage(m1);
    assert.equal(everything.params.version, m1.version, "the hint names m1's new version: the whole location");
    hints.length = 0;
    await administer(m2, 'resume');
    const back = await waitFor(() => hints.find((h) => h.method === 'configurationChanged'));
    assert.equal(back.params.version, split['dc-1']!.version);
  } finally {
    ws.close();
  }
  await assertSplitReturned();
});

async function waitFor<T>(probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`nothing within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
