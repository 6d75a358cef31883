/**
 * Finding: an unauthenticated client queued 10,000 pending monitors in
 * 12.5 s and guessed registration tokens at 25,000 a second through batches.
 * Here the same attacks run against a real backend over POST /rpc, each from
 * its own source address (the backend trusts X-Forwarded-For, as behind a
 * reverse proxy, so one test machine can speak from many addresses), with the
 * production limits. Also: purging pending monitors, and the deny list.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ErrorCode, Uei, type MonitorCredentials } from '@vantage/common';
import { EventEntity, LocationMonitorEntity } from '../db/entities.ts';
import { adminFetch, startTestBackend, type RpcResponse, type TestBackend } from '../../testing/test-backend.ts';
import { MAX_PENDING_PER_ADDRESS, MAX_PENDING_PER_LOCATION, REGISTRATION_BURST_PER_ADDRESS } from './registration-limits.ts';

const CONFIG = `<poller-configuration>
  <package name="web">
    <specific node-label="web1">127.0.0.1</specific>
    <service name="TCP" interval="60000"><parameter key="port" value="1"/></service>
  </package>
  <monitor service="TCP" type="tcp"/>
  <location name="RDU"><polling-package name="web"/></location>
  <location name="CROWD"><polling-package name="web"/></location>
  <location name="NYC" registration-token="nyc-secret-token"><polling-package name="web"/></location>
</poller-configuration>`;

let t: TestBackend;
let api: string;
before(async () => {
  t = await startTestBackend(CONFIG, { trustProxy: true });
  api = `http://127.0.0.1:${t.backend.port}/api`;
});
after(() => t.close());

let nextId = 1;
/** One JSON-RPC call from `address`. */
async function callFrom(address: string, method: string, params: unknown, credentials?: MonitorCredentials): Promise<RpcResponse> {
  const [answer] = await batchFrom(address, [{ method, params }], credentials);
  return answer!;
}
/** A JSON-RPC batch from `address`; the answers in the order of the calls. */
async function batchFrom(address: string, calls: { method: string; params: unknown }[], credentials?: MonitorCredentials): Promise<RpcResponse[]> {
  const requests = calls.map((c) => ({ jsonrpc: '2.0', id: nextId++, ...c }));
  const headers: Record<string, string> = { 'x-forwarded-for': address };
  if (credentials) headers.authorization = `Bearer ${credentials.monitorId}.${credentials.secret}`;
  const { body } = await t.post(JSON.stringify(requests.length === 1 ? requests[0] : requests), headers);
  const answers = (Array.isArray(body) ? body : [body]) as (RpcResponse & { id: number })[];
  return requests.map((r) => answers.find((a) => a.id === r.id)!);
}
const pendingAt = (location: string) => t.backend.db.manager.countBy(LocationMonitorEntity, { location, lifecycle: 'PENDING' });
const codes = (answers: RpcResponse[]) => answers.map((a) => a.error?.code ?? 'ok');
const count = <T>(values: T[], value: T) => values.filter((v) => v === value).length;

void test(`an unauthenticated flood from one address leaves at most ${MAX_PENDING_PER_ADDRESS} monitors pending`, async () => {
  const answers: RpcResponse[] = [];
  for (let i = 0; i < 40; i++) answers.push(await callFrom('198.51.100.1', 'registerLocationMonitor', { location: 'RDU', name: `flood-${i}` }));
  assert.equal(await pendingAt('RDU'), MAX_PENDING_PER_ADDRESS);
  assert.equal(count(codes(answers), 'ok'), MAX_PENDING_PER_ADDRESS);
  const refused = answers.filter((a) => a.error);
  assert.ok(refused.every((a) => a.error!.code === ErrorCode.Overloaded), JSON.stringify(refused[0]));
  assert.ok(refused.every((a) => ((a.error!.data as { retryAfterMs?: number })?.retryAfterMs ?? 0) > 0), 'every refusal says when to retry');
  assert.match(refused[0]!.error!.message, /waiting for approval/);
  const listed = (await (await adminFetch(`${api}/monitors?location=RDU`)).json()) as unknown[];
  assert.equal(listed.length, MAX_PENDING_PER_ADDRESS);
});

void test(`batches cannot multiply the rate: 1,000 token registrations from one address get at most ${REGISTRATION_BURST_PER_ADDRESS} through`, async () => {
  const answers: RpcResponse[] = [];
  // In batches of 50, which stay within any bound on batch size.
  for (let b = 0; b < 20; b++) {
    const calls = Array.from({ length: 50 }, (_, i) => ({ method: 'registerLocationMonitor', params: { location: 'NYC', name: `batch-${b}-${i}`, token: 'nyc-secret-token' } }));
    answers.push(...(await batchFrom('198.51.100.2', calls)));
  }
  assert.equal(answers.length, 1_000);
  const through = count(codes(answers), 'ok');
  assert.ok(through >= 1 && through <= REGISTRATION_BURST_PER_ADDRESS, `${through} registrations got through`);
  assert.equal(count(codes(answers), ErrorCode.Overloaded), 1_000 - through);
  assert.equal(await t.backend.db.manager.countBy(LocationMonitorEntity, { location: 'NYC' }), through);
});

void test('guessing tokens: after a wrong one the address backs off, a batch checks one guess, and other addresses are not locked out', async () => {
  const guesses = Array.from({ length: 50 }, (_, i) => ({ method: 'registerLocationMonitor', params: { location: 'NYC', name: 'guesser', token: `guess-${i}-xxxx` } }));
  const answers = await batchFrom('198.51.100.3', guesses);
  assert.equal(count(codes(answers), ErrorCode.Forbidden), 1, 'one guess was checked');
  assert.equal(count(codes(answers), ErrorCode.Overloaded), 49, 'the others were refused unchecked');
  // Even the right token waits out the back-off from that address...
  const right = await callFrom('198.51.100.3', 'registerLocationMonitor', { location: 'NYC', name: 'guesser', token: 'nyc-secret-token' });
  assert.equal(right.error?.code, ErrorCode.Overloaded);
  assert.ok((right.error!.data as { retryAfterMs: number }).retryAfterMs > 0);
  // ...while another address registers at once.
  const other = await callFrom('198.51.100.4', 'registerLocationMonitor', { location: 'NYC', name: 'honest', token: 'nyc-secret-token' });
  assert.equal((other.result as { status: string })?.status, 'REGISTERED', JSON.stringify(other));
});

void test(`at most ${MAX_PENDING_PER_LOCATION} monitors wait for approval at a location, whatever their addresses`, async () => {
  // All at once: on PostgreSQL the registrations run concurrently, and counting must not race inserting.
  const answers = await Promise.all(
    Array.from({ length: MAX_PENDING_PER_LOCATION + 10 }, (_, i) => callFrom(`203.0.113.${i + 1}`, 'registerLocationMonitor', { location: 'CROWD', name: `crowd-${i}` })),
  );
  assert.equal(await pendingAt('CROWD'), MAX_PENDING_PER_LOCATION);
  const refused = answers.filter((a) => a.error);
  assert.equal(refused.length, 10);
  assert.ok(refused.every((a) => a.error!.code === ErrorCode.Overloaded));
  assert.match(refused[0]!.error!.message, /CROWD.*waiting for approval/);
});

void test('an administrator purges the pending monitors of a location in one call', async () => {
  const before = (await t.backend.monitors.list('CROWD')).filter((m) => m.lifecycle === 'PENDING');
  assert.ok(before.length > 0);
  const response = await adminFetch(`${api}/locations/CROWD/purge-pending`, { method: 'POST' });
  assert.equal(response.status, 200, await response.clone().text());
  assert.deepEqual(await response.json(), { location: 'CROWD', purged: before.length });
  assert.equal(await pendingAt('CROWD'), 0);
  assert.equal(await pendingAt('RDU'), MAX_PENDING_PER_ADDRESS, 'other locations keep theirs');
  const events = await t.backend.db.manager.findBy(EventEntity, { uei: Uei.pendingMonitorsPurged, location: 'CROWD' });
  assert.equal(events.length, 1);
  assert.equal(events[0]!.params.count, String(before.length));
  assert.equal(events[0]!.params.by, 'admin');
  // A purged monitor is deleted: its poller is told to register again, and the location takes new ones.
  const fresh = await callFrom('203.0.113.200', 'registerLocationMonitor', { location: 'CROWD', name: 'after-purge' });
  assert.equal((fresh.result as { status: string })?.status, 'PENDING', JSON.stringify(fresh));
  assert.equal((await adminFetch(`${api}/locations/Atlantis/purge-pending`, { method: 'POST' })).status, 404);
});

void test('a denied monitor stays denied: it cannot be deleted into registering again, nor purged', async () => {
  const reg = await callFrom('198.51.100.10', 'registerLocationMonitor', { location: 'RDU', name: 'unwanted' });
  const creds = reg.result as MonitorCredentials;
  assert.equal((await adminFetch(`${api}/monitors/${creds.monitorId}/deny`, { method: 'POST' })).status, 200);
  const deleted = await adminFetch(`${api}/monitors/${creds.monitorId}`, { method: 'DELETE' });
  assert.equal(deleted.status, 409);
  assert.match(((await deleted.json()) as { error: string }).error, /denied/);
  await adminFetch(`${api}/locations/RDU/purge-pending`, { method: 'POST' });
  for (const [method, params] of [
    ['pollerStarting', {}],
    ['pollerCheckingIn', { configVersion: '' }],
  ] as const) {
    const answer = await callFrom('198.51.100.10', method, params, creds);
    assert.equal(answer.error?.code, ErrorCode.Forbidden, `${method}: ${JSON.stringify(answer)}`);
  }
  assert.equal((await t.backend.monitors.get(creds.monitorId)).lifecycle, 'DENIED');
});

interface BlockedAddress {
  address: string;
  reason: string | null;
  monitorId: string | null;
  createdBy: string;
}

void test('deny and block address: a new registration from that address is refused until the block is lifted', async () => {
  const address = '198.51.100.20';
  const reg = await callFrom(address, 'registerLocationMonitor', { location: 'RDU', name: 'intruder' });
  const { monitorId } = reg.result as MonitorCredentials;
  const denied = await adminFetch(`${api}/monitors/${monitorId}/deny`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ blockAddress: true }),
  });
  assert.equal(denied.status, 200, await denied.clone().text());
  const blocked = (await (await adminFetch(`${api}/blocked-addresses`)).json()) as BlockedAddress[];
  assert.deepEqual(
    blocked.map((b) => [b.address, b.monitorId, b.createdBy]),
    [[address, monitorId, 'admin']],
  );
  for (const params of [
    { location: 'RDU', name: 'intruder' },
    { location: 'NYC', name: 'intruder', token: 'nyc-secret-token' },
  ]) {
    const again = await callFrom(address, 'registerLocationMonitor', params);
    assert.equal(again.error?.code, ErrorCode.Forbidden, JSON.stringify(again));
    assert.match(again.error!.message, /registrations from 198\.51\.100\.20 are blocked by an administrator/);
  }
  const elsewhere = await callFrom('198.51.100.21', 'registerLocationMonitor', { location: 'NYC', name: 'intruder', token: 'nyc-secret-token' });
  assert.equal((elsewhere.result as { status: string })?.status, 'REGISTERED');

  assert.equal((await adminFetch(`${api}/blocked-addresses/${address}`, { method: 'DELETE' })).status, 200);
  const lifted = await callFrom(address, 'registerLocationMonitor', { location: 'NYC', name: 'intruder', token: 'nyc-secret-token' });
  assert.equal((lifted.result as { status: string })?.status, 'REGISTERED', JSON.stringify(lifted));
});

void test('blocked addresses over REST: add one by hand, refuse what is not an address, remove it', async () => {
  const add = (body: unknown) =>
    adminFetch(`${api}/blocked-addresses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const bad = await add({ address: 'not-an-address' });
  assert.equal(bad.status, 400);
  assert.match(((await bad.json()) as { error: string }).error, /address must be an IPv4 or IPv6 address, got "not-an-address"/);
  assert.equal((await add({})).status, 400);
  const added = await add({ address: '2001:db8::7', reason: 'scanner' });
  assert.equal(added.status, 200, await added.clone().text());
  assert.equal(((await added.json()) as BlockedAddress).reason, 'scanner');
  const refused = await callFrom('2001:db8::7', 'registerLocationMonitor', { location: 'RDU', name: 'x' });
  assert.equal(refused.error?.code, ErrorCode.Forbidden);
  assert.equal((await adminFetch(`${api}/blocked-addresses/${encodeURIComponent('2001:db8::7')}`, { method: 'DELETE' })).status, 200);
  assert.equal((await adminFetch(`${api}/blocked-addresses/${encodeURIComponent('2001:db8::7')}`, { method: 'DELETE' })).status, 404);
});
