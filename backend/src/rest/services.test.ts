/**
 * GET /api/services and GET /api/services/NODE/SERVICE against a real
 * backend: every configured service with its state per location (paused,
 * stopped and no data told apart), filters and sorting, the status history
 * and response times from real results, and the service page's one answer.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { MonitorCredentials } from '@vantage/common';
import { adminFetch, registerApproved, startTestBackend, type TestBackend } from '../../testing/test-backend.ts';
import { locationState, overallState } from './service-states.ts';

const CONFIG = `<?xml version="1.0"?>
<poller-configuration>
  <poller-settings check-in-interval="1000" disconnect-timeout="600000"/>
  <package name="shop">
    <specific node-label="shop-web">127.0.0.1</specific>
    <specific node-label="shop-db">127.0.0.2</specific>
    <service name="HTTP" interval="30000"><parameter key="port" value="1"/></service>
  </package>
  <package name="mail">
    <specific node-label="mail">127.0.0.3</specific>
    <service name="SMTP" interval="30000"><parameter key="port" value="1"/></service>
  </package>
  <monitor service="HTTP" type="http"/>
  <monitor service="SMTP" type="tcp"/>
  <location name="LON"><polling-package name="shop"/><polling-package name="mail"/></location>
  <location name="RDU"><polling-package name="shop"/></location>
  <location name="SYD"><polling-package name="mail"/></location>
  <application name="Shop"><service package="shop" node="shop-web" name="HTTP"/><service package="shop" node="shop-db" name="HTTP"/></application>
  <application name="Mail"><service package="mail" node="mail" name="SMTP"/></application>
</poller-configuration>`;

interface ServiceSummary {
  id: string;
  node: string;
  service: string;
  monitorType: string;
  applications: string[];
  state: string;
  uptime: number | null;
  avgResponseMs: number | null;
  locations: { location: string; state: string; monitors: number; checking: number }[];
  history: string;
  responseMs: (number | null)[];
}
interface ServiceList {
  window: { periods: number; stepMs: number };
  total: number;
  services: ServiceSummary[];
}

let t: TestBackend;
let api: string;
let lon: MonitorCredentials;
let rdu: MonitorCredentials;
let report: (m: MonitorCredentials, serviceId: string, status: 'UP' | 'DOWN', ageMs: number, responseTimeMs?: number) => Promise<void>;
const get = async <T>(path: string) => {
  const response = await adminFetch(`${api}${path}`);
  assert.equal(response.status, 200, `${path}: ${await response.clone().text()}`);
  return (await response.json()) as T;
};

before(async () => {
  t = await startTestBackend(CONFIG);
  api = `http://127.0.0.1:${t.backend.port}/api`;
  lon = await registerApproved(t, 'LON', 'lon-1');
  rdu = await registerApproved(t, 'RDU', 'rdu-1');
  const syd = await registerApproved(t, 'SYD', 'syd-1');
  for (const m of [lon, rdu, syd]) assert.ok((await t.call('pollerStarting', {}, m)).result);
  let seq = 0;
  report = async (m, serviceId, status, ageMs, responseTimeMs) => {
    const answer = await t.call('reportResults', { results: [{ seq: ++seq, serviceId, timestamp: Date.now() - ageMs, status, responseTimeMs, reason: status === 'DOWN' ? 'connection refused' : undefined }] }, m);
    assert.ok(answer.result, JSON.stringify(answer.error));
  };
  // shop-web is up from both; shop-db down from LON, up from RDU; mail up from LON. SYD is paused.
  await report(lon, 'shop-web/HTTP', 'UP', 90 * 60_000, 40);
  await report(lon, 'shop-web/HTTP', 'UP', 60_000, 60);
  await report(rdu, 'shop-web/HTTP', 'UP', 60_000, 120);
  await report(lon, 'shop-db/HTTP', 'DOWN', 30_000);
  await report(rdu, 'shop-db/HTTP', 'UP', 30_000, 10);
  await report(lon, 'mail/SMTP', 'UP', 30_000, 5);
  assert.equal((await adminFetch(`${api}/monitors/${syd.monitorId}/pause`, { method: 'POST' })).status, 200);
});
after(() => t?.close());

void test('every configured service is listed with its node, type, applications and state per location', async () => {
  const list = await get<ServiceList>('/services');
  assert.equal(list.total, 3);
  assert.deepEqual(
    list.services.map((s) => s.id),
    ['mail/SMTP', 'shop-db/HTTP', 'shop-web/HTTP'],
  );
  const web = list.services.find((s) => s.id === 'shop-web/HTTP')!;
  assert.deepEqual([web.node, web.service, web.monitorType, web.applications], ['shop-web', 'HTTP', 'http', ['Shop']]);
  assert.deepEqual(
    web.locations.map((l) => [l.location, l.state, l.checking]),
    [
      ['LON', 'up', 1],
      ['RDU', 'up', 1],
    ],
  );
  assert.equal(web.state, 'up');
  assert.equal(web.uptime, 1);
  assert.ok(web.avgResponseMs !== null && Math.abs(web.avgResponseMs - (40 + 60 + 120) / 3) < 0.1, `mean response ${web.avgResponseMs}`);
  // 24 hours in 30-minute periods: the results of the last minutes are in the last period(s), the one 90 minutes ago earlier.
  assert.equal(list.window.stepMs, 30 * 60_000);
  assert.equal(web.history.length, list.window.periods);
  assert.equal(web.responseMs.length, list.window.periods);
  assert.match(web.history, /^[u-]+$/, 'only up periods, or none');
  assert.ok((web.history.match(/u/g) ?? []).length >= 2, `history ${web.history}`);

  const db = list.services.find((s) => s.id === 'shop-db/HTTP')!;
  assert.deepEqual(
    db.locations.map((l) => l.state),
    ['down', 'up'],
  );
  assert.equal(db.state, 'partial', 'down from one of the two locations that see it');
  assert.equal(db.uptime, 0.5);
  assert.match(db.history, /p-*$|d-*$|p$/);

  const mail = list.services.find((s) => s.id === 'mail/SMTP')!;
  assert.deepEqual(
    mail.locations.map((l) => [l.location, l.state]),
    [
      ['LON', 'up'],
      ['SYD', 'paused'],
    ],
    'a paused location reads paused, not no data',
  );
});

void test('the list filters by words, state, location and application, and sorts', async () => {
  const ids = async (query: string) => (await get<ServiceList>(`/services?${query}`)).services.map((s) => s.id);
  assert.deepEqual(await ids('q=shop'), ['shop-db/HTTP', 'shop-web/HTTP']);
  assert.deepEqual(await ids('q=smtp%20mail'), ['mail/SMTP'], 'every word must match');
  assert.deepEqual(await ids('q=tcp'), ['mail/SMTP'], 'the monitor type is searched');
  assert.deepEqual(await ids('state=down'), ['shop-db/HTTP'], 'down somewhere');
  assert.deepEqual(await ids('state=paused'), ['mail/SMTP']);
  assert.deepEqual(await ids('location=RDU'), ['shop-db/HTTP', 'shop-web/HTTP']);
  assert.deepEqual(await ids('application=Mail'), ['mail/SMTP']);
  assert.deepEqual(await ids('sort=-name'), ['shop-web/HTTP', 'shop-db/HTTP', 'mail/SMTP']);
  assert.deepEqual(await ids('sort=state'), ['shop-db/HTTP', 'mail/SMTP', 'shop-web/HTTP'], 'worst first');
  assert.deepEqual(await ids('sort=-response'), ['shop-web/HTTP', 'shop-db/HTTP', 'mail/SMTP']);

  for (const [query, problem] of [
    ['state=sideways', /state must be one of/],
    ['location=Atlantis', /no location "Atlantis"/],
    ['application=Nope', /no application "Nope"/],
    ['sort=colour', /sort must be one of/],
    ['window=2y', /window must be one of/],
    ['colour=red', /unknown parameter "colour"/],
  ] as const) {
    const response = await adminFetch(`${api}/services?${query}`);
    assert.equal(response.status, 400, query);
    assert.match(((await response.json()) as { error: string }).error, problem);
  }
});

void test("one request answers everything the service page shows", async () => {
  const page = await get<{
    service: ServiceSummary;
    locations: { location: string; state: string; history: string }[];
    monitors: { name: string; location: string; status: string; seen: { status: string; reason: string | null } | null }[];
    responseTimes: { location: string; points: { t: number; avg: number | null }[] }[];
    outages: { location: string; endedAt: number | null }[];
  }>('/services/shop-db/HTTP');
  assert.equal(page.service.id, 'shop-db/HTTP');
  assert.deepEqual(
    page.locations.map((l) => [l.location, l.state]),
    [
      ['LON', 'down'],
      ['RDU', 'up'],
    ],
  );
  assert.match(page.locations[0]!.history, /d-*$/);
  assert.match(page.locations[1]!.history, /u-*$/);
  assert.deepEqual(
    page.monitors.map((m) => [m.name, m.location, m.status, m.seen?.status, m.seen?.reason]),
    [
      ['lon-1', 'LON', 'STARTED', 'DOWN', 'connection refused'],
      ['rdu-1', 'RDU', 'STARTED', 'UP', null],
    ],
  );
  assert.deepEqual(
    page.responseTimes.map((s) => [s.location, s.points.map((p) => p.avg)]),
    [
      ['LON', [null]],
      ['RDU', [10]],
    ],
  );
  assert.deepEqual(
    page.outages.map((o) => [o.location, o.endedAt]),
    [['LON', null]],
  );
  // An unknown service is a 404 that says what a service id is.
  const missing = await adminFetch(`${api}/services/nowhere/HTTP`);
  assert.equal(missing.status, 404);
  assert.match(((await missing.json()) as { error: string }).error, /no service "nowhere\/HTTP".*NODE-LABEL\/SERVICE-NAME/);
});

void test('a location with no monitor checking says why: paused, stopped, disconnected, or no data', () => {
  const m = (status: string, seen: 'UP' | 'DOWN' | null = null) => ({ status, seen: seen ? { status: seen, lastResultAt: 1 } : null });
  const cases: [Parameters<typeof locationState>[0], string][] = [
    [[], 'no data'],
    [[m('PAUSED', 'UP')], 'paused'],
    [[m('STOPPED', 'UP')], 'stopped'],
    [[m('DISCONNECTED', 'UP'), m('PAUSED')], 'disconnected'],
    [[m('STOPPED'), m('PAUSED')], 'stopped'],
    [[m('REGISTERED')], 'no data'],
    [[m('STARTED')], 'no data'],
    [[m('STARTED', 'UP'), m('PAUSED', 'DOWN')], 'up'],
    [[m('STARTED', 'UP'), m('STARTED', 'DOWN')], 'partial'],
    [[m('STARTED', 'DOWN'), m('STARTED', 'DOWN')], 'down'],
  ];
  for (const [monitors, expected] of cases) assert.equal(locationState(monitors, false), expected, JSON.stringify(monitors));
  assert.equal(overallState(['paused', 'paused']), 'paused');
  assert.equal(overallState(['paused', 'stopped']), 'no data');
  assert.equal(overallState(['down', 'paused']), 'down');
  assert.equal(overallState(['up', 'down']), 'partial');
});

void test('the services list and the availability matrix are reused for seconds when only results came, and made again at the next event', async () => {
  type Availability = { window: { nowMs: number } };
  const list = () => get<ServiceList & { window: { toMs: number } }>('/services?window=1h');
  const shopWebMs = (answer: ServiceList) => answer.services.find((s) => s.id === 'shop-web/HTTP')!.avgResponseMs;
  const before = await list();
  const matrixBefore = await get<Availability>('/availability?window=24h');

  // shop-web was up from LON already: another UP is stored without an event, and moves its mean a lot.
  await report(lon, 'shop-web/HTTP', 'UP', 1_000, 5_000);
  const reused = await list();
  assert.equal(reused.window.toMs, before.window.toMs, 'the same answer, computed once');
  assert.equal(shopWebMs(reused), shopWebMs(before));
  assert.equal((await get<Availability>('/availability?window=24h')).window.nowMs, matrixBefore.window.nowMs);
  // A filter is applied to the kept answer, not a reason to compute it again.
  assert.equal((await get<ServiceList & { window: { toMs: number } }>('/services?window=1h&location=RDU')).window.toMs, before.window.toMs);

  // An event (RDU's monitor paused, then resumed) makes the next answer new, with the result stored meanwhile.
  for (const action of ['pause', 'resume']) assert.equal((await adminFetch(`${api}/monitors/${rdu.monitorId}/${action}`, { method: 'POST' })).status, 200);
  const after = await list();
  assert.ok(after.window.toMs > before.window.toMs, 'computed again after the event');
  assert.ok(shopWebMs(after)! > shopWebMs(before)!, `the new result counts: ${shopWebMs(before)} → ${shopWebMs(after)} ms`);
  assert.ok((await get<Availability>('/availability?window=24h')).window.nowMs > matrixBefore.window.nowMs, 'the matrix is made again too');
});

void test('results that give a service its first status at a monitor (no event says so) make the next services list new', async () => {
  const rdu2 = await registerApproved(t, 'RDU', 'rdu-2');
  assert.ok((await t.call('pollerStarting', {}, rdu2)).result);
  const list = () => get<ServiceList & { window: { toMs: number } }>('/services?window=1h');
  const before = await list();
  const shopWeb = (answer: ServiceList) => answer.services.find((s) => s.id === 'shop-web/HTTP')!;
  // rdu-2's first result for shop-web: a status where it had none, announced by no event.
  const answer = await t.call('reportResults', { results: [{ seq: 1, serviceId: 'shop-web/HTTP', timestamp: Date.now() - 500, status: 'UP', responseTimeMs: 9_000 }] }, rdu2);
  assert.ok(answer.result, JSON.stringify(answer.error));
  const after = await list();
  assert.ok(after.window.toMs > before.window.toMs, 'computed again');
  assert.ok(shopWeb(after).avgResponseMs! > shopWeb(before).avgResponseMs!, `the first result counts: ${shopWeb(before).avgResponseMs} → ${shopWeb(after).avgResponseMs} ms`);
});
