/**
 * Every registered route, tried without credentials in every form a request
 * target can take (percent-encoded, `%2F` for slashes, double slashes, dot
 * segments, absolute-form, trailing slash, other case, empty query,
 * fragment): a route that needs a signed-in user answers 401, 400 (a target
 * that is not origin-form) or a plain 404 (a form the router does not match),
 * never anything its handler would say. The public routes stay public.
 * Path parameters are real (a monitor, an alarm, a location), so a request
 * that slipped past sign-in would reach a handler and show it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import type { MonitorCredentials } from '@vantage/common';
import { ADMIN_AUTHORIZATION, TEST_CONFIG, adminFetch, startTestBackend, type TestBackend } from '../../testing/test-backend.ts';
import { rawHttp, type RawHttpResponse } from '../../testing/raw-http.ts';
import { PUBLIC_ROUTES } from '../../testing/public-routes.ts';


/** An address on the block list, for the route that unblocks one. */
const BLOCKED = '192.0.2.77';
const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

let t: TestBackend;
let port: number;
let pendingMonitorId: string;
let alarmId: number;

before(async () => {
  // The download routes are public; they have something to serve once the poller is built.
  const build = spawnSync(process.execPath, ['--import', 'tsx', 'frontend-poller/build.ts', '--if-stale'], { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.equal(build.status, 0, build.stderr);
  // With an application, for the availability cell's route.
  t = await startTestBackend(TEST_CONFIG.replace('</poller-configuration>', '<application name="Shop"><service package="web" node="web1" name="TCP"/></application>\n</poller-configuration>'));
  port = t.backend.port;
  pendingMonitorId = ((await t.call('registerLocationMonitor', { location: 'RDU', name: 'waiting' })).result as MonitorCredentials).monitorId;
  // A monitor that saw a service go down, so there is a real alarm to try the alarm routes on.
  const creds = (await t.call('registerLocationMonitor', { location: 'RDU', name: 'alarmed' })).result as MonitorCredentials;
  await t.backend.monitors.administer(creds.monitorId, 'approve');
  await t.call('pollerStarting', {}, creds);
  await t.call('reportResults', { results: [{ seq: 1, serviceId: 'web1/HTTP', timestamp: Date.now(), status: 'DOWN', reason: 'refused' }] }, creds);
  const alarms = (await (await adminFetch(`http://127.0.0.1:${port}/api/alarms`)).json()) as { id: number }[];
  assert.equal(alarms.length, 1, 'the test needs one alarm');
  alarmId = alarms[0]!.id;
  const blocked = await adminFetch(`http://127.0.0.1:${port}/api/blocked-addresses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ address: BLOCKED }) });
  assert.equal(blocked.status, 200, await blocked.text());
});
after(() => t.close());

/** A registered route ("METHOD /path/:param") as a request with real values in place of its parameters. */
function concrete(route: string): { method: string; path: string; query: string } {
  const [method, pattern] = route.split(' ') as [string, string];
  const path = pattern
    .replace(/^\/api\/monitors\/:id/, `/api/monitors/${pendingMonitorId}`)
    .replace(/^\/api\/alarms\/:id/, `/api/alarms/${alarmId}`)
    .replace(/^\/api\/locations\/:name/, '/api/locations/NYC')
    .replace(/^\/api\/services\/:node\/:service$/, '/api/services/web1/HTTP')
    .replace(/^\/api\/availability\/:application\/:location$/, '/api/availability/Shop/NYC')
    .replace(/^\/api\/blocked-addresses\/:address/, `/api/blocked-addresses/${BLOCKED}`)
    .replace(/^\/api\/users\/:username/, '/api/users/admin')
    .replace(/^\/vendor\/:name$/, '/vendor/preact.mjs')
    .replace(/^\/ui\/\*$/, '/ui/app.js')
    .replace(/^\/services\/\*$/, '/services/web1%2FHTTP');
  assert.doesNotMatch(path, /[:*]/, `${route}: the test has no real value for its parameter; add one to concrete()`);
  // Routes with a required query parameter get it, so that only sign-in stands in the way.
  const query = path === '/api/response-times' ? '?service=web1%2FHTTP' : '';
  return { method, path, query };
}

/** Every way of writing `path` as a request target, by name. */
function requestForms(path: string, query: string): [string, string][] {
  const authority = `127.0.0.1:${port}`;
  const segments = path.split('/').slice(1);
  const hex = (c: string) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  const encodeFirst = (upper: boolean) => '/' + segments.map((s) => (s ? (upper ? hex(s[0]!).toUpperCase() : hex(s[0]!)) + s.slice(1) : s)).join('/');
  const encodeAll = '/' + segments.map((s) => [...s].map(hex).join('')).join('/');
  return [
    ['canonical', path + query],
    ['percent-encoded first letters', encodeFirst(false) + query],
    ['percent-encoded, upper-case hex', encodeFirst(true) + query],
    ['every character percent-encoded', encodeAll + query],
    ['slashes as %2F', '/' + segments.join('%2F') + query],
    ['slashes as %2f', '/' + segments.join('%2f') + query],
    ['leading double slash', '/' + path + query],
    ['every slash doubled', path.replaceAll('/', '//') + query],
    ['dot segment in front', '/.' + path + query],
    ['dot-dot segment in front', '/x/..' + path + query],
    ['encoded dot segments', '/%2e' + path + query],
    ['encoded dot-dot segment', '/x/%2e%2e' + path + query],
    ['dot segment inside', path.replace(/^(\/[^/]+)/, '$1/.') + query],
    ['absolute-form', `http://${authority}${path}${query}`],
    ['absolute-form, upper-case scheme', `HTTP://${authority}${path}${query}`],
    ['absolute-form, foreign host', `http://example.com${path}${query}`],
    ['absolute-form, https', `https://${authority}${path}${query}`],
    ['trailing slash', path + '/' + query],
    ['upper case', path.toUpperCase() + query],
    ['first segment upper case', path.replace(/^\/[^/]+/, (s) => s.toUpperCase()) + query],
    ['empty query', path + (query || '?')],
    ['fragment', path + query + '#x'],
    ['path parameter', path + ';x' + query],
    ['trailing %00', path + '%00' + query],
    ['bad percent-encoding', path + '%E0%A4%A' + query],
    ['backslashes', path.replaceAll('/', '\\') + query],
  ];
}

/** What a refused request may answer, and nothing from a handler. */
function assertRefused(what: string, method: string, response: RawHttpResponse): void {
  assert.ok([400, 401, 404].includes(response.status), `${what}: answered ${response.status} ${response.body.slice(0, 200)}`);
  if (method === 'HEAD') return;
  const error = (JSON.parse(response.body) as { error: string }).error;
  if (response.status === 401) assert.match(error, /^sign in first/, what);
  if (response.status === 404) assert.equal(error, 'not found', what);
  // Refused by us, or earlier by Node's HTTP parser (a target with characters HTTP does not allow).
  if (response.status === 400) assert.match(error, /^bad request target|^Bad Request$/, what);
}

void test('the routes that need a signed-in user are found with real parameters', async () => {
  for (const route of t.backend.routes) {
    if (PUBLIC_ROUTES.has(route) || !route.startsWith('GET ')) continue;
    const { path, query } = concrete(route);
    const response = await rawHttp(port, { method: 'GET', target: path + query, headers: { authorization: ADMIN_AUTHORIZATION } });
    assert.equal(response.status, 200, `${route} signed in: ${response.status} ${response.body.slice(0, 200)}`);
  }
});

void test('no route needing sign-in answers without it, whatever form the request target takes', async () => {
  const tried: string[] = [];
  for (const route of t.backend.routes) {
    if (PUBLIC_ROUTES.has(route)) continue;
    const { method, path, query } = concrete(route);
    const methods = method === 'GET' ? ['GET', 'HEAD'] : [method];
    for (const m of methods) {
      for (const [form, target] of requestForms(path, query)) {
        const response = await rawHttp(port, { method: m, target, headers: { 'content-type': 'application/json' }, body: m === 'GET' || m === 'HEAD' ? undefined : '{}' });
        assertRefused(`${m} ${target} (${route}, ${form})`, m, response);
        tried.push(`${m} ${target}`);
      }
    }
  }
  assert.ok(tried.length > 500, `tried ${tried.length} requests`);
  // Nothing changed on the way.
  const waiting = await t.backend.monitors.get(pendingMonitorId);
  assert.deepEqual([waiting.lifecycle, waiting.paused], ['PENDING', false]);
  const alarms = (await (await adminFetch(`http://127.0.0.1:${port}/api/alarms?state=all`)).json()) as { id: number; acknowledgedBy: string | null; clearedAt: number | null }[];
  // (The alarmed monitor's disconnection may have raised another alarm meanwhile; this one is what the requests named.)
  const triedOn = alarms.find((a) => a.id === alarmId);
  assert.deepEqual([triedOn?.acknowledgedBy, triedOn?.clearedAt], [null, null]);
});

void test('requests that are not origin-form are refused, whatever the route', async () => {
  for (const [method, target] of [
    ['GET', '*'],
    ['OPTIONS', '*'],
    ['HEAD', '*'],
    ['GET', `http://127.0.0.1:${port}/`],
    ['GET', `HTTP://127.0.0.1:${port}/api/health`],
    ['POST', `http://127.0.0.1:${port}/api/session`],
    ['GET', `http://127.0.0.1:${port}/ui/app.js`],
  ] as const) {
    const response = await rawHttp(port, { method, target });
    assert.equal(response.status, 400, `${method} ${target}: ${response.status} ${response.body.slice(0, 200)}`);
    if (method !== 'HEAD') assert.match((JSON.parse(response.body) as { error: string }).error, /^bad request target/);
  }
});

void test('the public routes stay public', async () => {
  for (const route of PUBLIC_ROUTES) assert.ok(t.backend.routes.includes(route), `${route} is not registered`);
  for (const route of PUBLIC_ROUTES) {
    const { method, path, query } = concrete(route);
    for (const m of method === 'GET' ? ['GET', 'HEAD'] : [method]) {
      const response = await rawHttp(port, { method: m, target: path + query, headers: { 'content-type': 'application/json' }, body: m === 'POST' ? '{}' : undefined });
      const expected = route === 'GET /api/session' ? 401 : m === 'POST' ? [400, 200] : 200;
      // GET /api/session answers "not signed in" itself; POST /api/session wants a username; POST /rpc answers JSON-RPC.
      assert.ok([expected].flat().includes(response.status), `${m} ${path}: ${response.status} ${response.body.slice(0, 200)}`);
      if (route === 'GET /api/session' && m === 'GET') assert.equal((JSON.parse(response.body) as { error: string }).error, 'not signed in');
    }
  }
});

void test('a request that matches no route is a plain 404', async () => {
  for (const target of ['/nothing', '/api/nothing', '/api/monitors/x/y/z', '/rpc/x']) {
    const response = await rawHttp(port, { method: 'GET', target });
    assert.equal(response.status, 404, target);
    assert.deepEqual(JSON.parse(response.body), { error: 'not found' }, target);
  }
});
