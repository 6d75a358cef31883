/**
 * The poller protocol against a real backend on loopback, as a third-party
 * poller would see it: over POST /rpc and over WebSocket, with bad input of
 * every documented kind. Each bad call gets its documented error and stores
 * nothing.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ErrorCode, formatAuthorization, Uei, type MonitorCredentials } from '@vantage/common';
import WebSocket from 'ws';
import { EventEntity, LocationMonitorEntity, PollResultEntity } from '../db/entities.ts';
import { registerApproved, startTestBackend, TEST_CONFIG, type TestBackend } from '../../testing/test-backend.ts';

let t: TestBackend;
let approved: MonitorCredentials;

before(async () => {
  // Every call comes from 127.0.0.1, wrong token included: without back-off, so each case stands alone
  // (registration-limits.test.ts tests the limits).
  // No check-ins come here: a short disconnect timeout would let the sweeper record events while
  // a test counts what a refused call stored.
  t = await startTestBackend(TEST_CONFIG.replace('disconnect-timeout="3000"', 'disconnect-timeout="600000"'), { registrationLimits: { failedTokenFirstBackoffMs: 0, burstPerAddress: 100 } });
  approved = await registerApproved(t);
  const started = await t.call('pollerStarting', {}, approved);
  assert.equal((started.result as { status: string }).status, 'STARTED');
});
after(() => t.close());

async function counts() {
  const m = t.backend.db.manager;
  return { monitors: await m.count(LocationMonitorEntity), results: await m.count(PollResultEntity), events: await m.count(EventEntity) };
}

const result = (seq: number, serviceId = 'web1/HTTP', status = 'UP') => ({ seq, serviceId, timestamp: Date.now(), status, responseTimeMs: 1.5 });

const badCalls: {
  name: string;
  method: string;
  params: () => unknown;
  credentials?: () => MonitorCredentials;
  code: number;
  message: RegExp;
}[] = [
  { name: 'unknown method', method: 'pollerDancing', params: () => ({}), code: ErrorCode.MethodNotFound, message: /method not found/i },
  {
    name: 'missing field',
    method: 'registerLocationMonitor',
    params: () => ({ name: 'x' }),
    code: ErrorCode.InvalidParams,
    message: /^invalid params: params\.location: /,
  },
  {
    name: 'wrong type',
    method: 'registerLocationMonitor',
    params: () => ({ location: 42, name: 'x' }),
    code: ErrorCode.InvalidParams,
    message: /params\.location: .*expected string/,
  },
  {
    name: 'wrong type deep in a batch of results',
    method: 'reportResults',
    params: () => ({ results: [result(1), { ...result(2), seq: 'two' }] }),
    credentials: () => approved,
    code: ErrorCode.InvalidParams,
    message: /params\.results\[1\]\.seq: .*expected number/,
  },
  {
    name: 'a status outside UP/DOWN/UNKNOWN',
    method: 'reportResults',
    params: () => ({ results: [result(1, 'web1/HTTP', 'SIDEWAYS')] }),
    credentials: () => approved,
    code: ErrorCode.InvalidParams,
    message: /params\.results\[0\]\.status/,
  },
  {
    name: 'unknown location',
    method: 'registerLocationMonitor',
    params: () => ({ location: 'Atlantis', name: 'x' }),
    code: ErrorCode.NoSuchLocation,
    message: /no such location "Atlantis"/,
  },
  {
    name: 'wrong token',
    method: 'registerLocationMonitor',
    params: () => ({ location: 'NYC', name: 'x', token: 'not-the-token' }),
    code: ErrorCode.Forbidden,
    message: /wrong registration token for location "NYC"/,
  },
  {
    name: 'no credentials',
    method: 'pollerStarting',
    params: () => ({}),
    code: ErrorCode.NotAuthenticated,
    message: /needs credentials/,
  },
  {
    name: 'wrong secret',
    method: 'pollerCheckingIn',
    params: () => ({ configVersion: '' }),
    credentials: () => ({ monitorId: approved.monitorId, secret: 'wrong' }),
    code: ErrorCode.NotAuthenticated,
    message: /unknown monitor or wrong secret/,
  },
  {
    name: 'unknown monitor id',
    method: 'getPollingPackage',
    params: () => ({}),
    credentials: () => ({ monitorId: 'no-such-monitor', secret: approved.secret }),
    code: ErrorCode.NotAuthenticated,
    message: /unknown monitor or wrong secret/,
  },
  // Every string, map and number is bounded; NUL and lone surrogates are refused by name, never stored.
  {
    name: 'a NUL character in a name',
    method: 'registerLocationMonitor',
    params: () => ({ location: 'RDU', name: 'evil\u0000name' }),
    code: ErrorCode.InvalidParams,
    message: /params\.name: must not contain NUL characters or unpaired surrogates/,
  },
  {
    name: 'a lone surrogate in a detail',
    method: 'registerLocationMonitor',
    params: () => ({ location: 'RDU', name: 'x', details: { hostname: 'host\ud800' } }),
    code: ErrorCode.InvalidParams,
    message: /params\.details\.hostname: must not contain NUL characters or unpaired surrogates/,
  },
  {
    name: 'a NUL character in a detail name',
    method: 'registerLocationMonitor',
    params: () => ({ location: 'RDU', name: 'x', details: { 'host\u0000name': 'h' } }),
    code: ErrorCode.InvalidParams,
    message: /params\.details.*must not contain NUL characters or unpaired surrogates/,
  },
  {
    name: 'details of 100 keys at registration',
    method: 'registerLocationMonitor',
    params: () => ({ location: 'RDU', name: 'x', details: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, 'v'])) }),
    code: ErrorCode.InvalidParams,
    message: /params\.details: at most 32 entries/,
  },
  {
    name: 'details of 10,000 keys of 1 KB',
    method: 'pollerStarting',
    params: () => ({ details: Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, 'v'.repeat(1024)])) }),
    credentials: () => approved,
    code: ErrorCode.InvalidParams,
    message: /params\.details: at most 32 entries/,
  },
  {
    name: 'a detail of 1 KB',
    method: 'pollerStarting',
    params: () => ({ details: { hostname: 'h'.repeat(1024) } }),
    credentials: () => approved,
    code: ErrorCode.InvalidParams,
    message: /params\.details\.hostname: .*at most 256 characters/,
  },
  {
    name: 'check-in stats of 10,000 keys',
    method: 'pollerCheckingIn',
    params: () => ({ configVersion: '', stats: Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`s${'x'.repeat(1000)}${i}`, i])) }),
    credentials: () => approved,
    code: ErrorCode.InvalidParams,
    message: /params\.stats: at most 64 entries/,
  },
  {
    name: 'a check-in stat beyond 10^15',
    method: 'pollerCheckingIn',
    params: () => ({ configVersion: '', stats: { spooled: 1e300 } }),
    credentials: () => approved,
    code: ErrorCode.InvalidParams,
    message: /params\.stats\.spooled: /,
  },
  {
    name: 'a config version of 10 KB',
    method: 'pollerCheckingIn',
    params: () => ({ configVersion: 'v'.repeat(10_000) }),
    credentials: () => approved,
    code: ErrorCode.InvalidParams,
    message: /params\.configVersion: .*at most 128 characters/,
  },
  {
    name: 'a registration token of 10 KB',
    method: 'registerLocationMonitor',
    params: () => ({ location: 'NYC', name: 'x', token: 't'.repeat(10_000) }),
    code: ErrorCode.InvalidParams,
    message: /params\.token: .*at most 256 characters/,
  },
  {
    name: 'a seq beyond 2^48',
    method: 'reportResults',
    params: () => ({ results: [{ ...result(1), seq: Number.MAX_SAFE_INTEGER }] }),
    credentials: () => approved,
    code: ErrorCode.InvalidParams,
    message: /params\.results\[0\]\.seq: .*281474976710656/,
  },
  {
    name: 'a NUL character in a reason',
    method: 'reportResults',
    params: () => ({ results: [{ ...result(1), status: 'DOWN', reason: 'banner \u0000\u0000' }] }),
    credentials: () => approved,
    code: ErrorCode.InvalidParams,
    message: /params\.results\[0\]\.reason: must not contain NUL characters or unpaired surrogates/,
  },
  {
    name: 'result details of 1,000 keys',
    method: 'reportResults',
    params: () => ({ results: [{ ...result(1), details: Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`m${i}Ms`, i])) }] }),
    credentials: () => approved,
    code: ErrorCode.InvalidParams,
    message: /params\.results\[0\]\.details: at most 16 entries/,
  },
  {
    name: 'a response time of 10^300 ms',
    method: 'reportResults',
    params: () => ({ results: [{ ...result(1), responseTimeMs: 1e300 }] }),
    credentials: () => approved,
    code: ErrorCode.InvalidParams,
    message: /params\.results\[0\]\.responseTimeMs: /,
  },
  {
    name: 'a result a year in the future',
    method: 'reportResults',
    params: () => ({ results: [result(1), { ...result(2), timestamp: Date.now() + 365 * 86_400_000 }] }),
    credentials: () => approved,
    code: ErrorCode.InvalidParams,
    message: /params\.results\[1\]\.timestamp: .* ahead of the backend's clock by more than 300000 ms \(the clock skew tolerance\)/,
  },
  {
    name: 'a result at timestamp 0',
    method: 'reportResults',
    params: () => ({ results: [{ ...result(1), timestamp: 0 }] }),
    credentials: () => approved,
    code: ErrorCode.InvalidParams,
    message: /params\.results\[0\]\.timestamp: .* older than the spool's maximum age/,
  },
  {
    name: 'results for a service not in the package',
    method: 'reportResults',
    params: () => ({ results: [result(1), result(2, 'elsewhere/SSH')] }),
    credentials: () => approved,
    code: ErrorCode.Forbidden,
    message: /not in this monitor's package: elsewhere\/SSH/,
  },
];

for (const bad of badCalls) {
  void test(`bad call over POST /rpc: ${bad.name}`, async () => {
    const before = await counts();
    const answer = await t.call(bad.method, bad.params(), bad.credentials?.());
    assert.equal(answer.error?.code, bad.code, JSON.stringify(answer));
    assert.match(answer.error!.message, bad.message);
    assert.deepEqual(await counts(), before, 'nothing is stored');
  });
}

void test('results outside the clock window are refused by seq in error.data, and the rest is then stored', async () => {
  const creds = await registerApproved(t, 'RDU', 'skewed');
  const now = Date.now();
  const batch = [
    { ...result(1), timestamp: now - 2 * 86_400_000 },
    result(2),
    { ...result(3), timestamp: now + 3_600_000 },
    result(4),
  ];
  const refused = await t.call('reportResults', { results: batch }, creds);
  assert.equal(refused.error?.code, ErrorCode.InvalidParams);
  assert.deepEqual(refused.error?.data, { seqs: [1, 3] });
  assert.equal(await t.backend.db.manager.countBy(PollResultEntity, { monitorId: creds.monitorId }), 0, 'nothing of a refused batch is stored');
  const rest = await t.call('reportResults', { results: [batch[1], batch[3]] }, creds);
  assert.deepEqual(rest.result, { ackedSeq: 4 });
});

void test('a refused batch names the foreign services in error.data', async () => {
  const answer = await t.call('reportResults', { results: [result(1, 'nowhere/HTTP')] }, approved);
  assert.deepEqual(answer.error?.data, { serviceIds: ['nowhere/HTTP'] });
});

void test('malformed JSON is a parse error and an empty batch an invalid request', async () => {
  const parse = await t.post('{"jsonrpc": "2.0", "method": ');
  assert.equal((parse.body as { error: { code: number } }).error.code, ErrorCode.ParseError);
  const invalid = await t.post(JSON.stringify({ jsonrpc: '2.0', id: 1 }));
  assert.equal((invalid.body as { error: { code: number } }).error.code, ErrorCode.InvalidRequest);
});

void test('a batch of calls is answered as a batch', async () => {
  const { body } = await t.post(
    JSON.stringify([
      { jsonrpc: '2.0', id: 1, method: 'getPollingPackage', params: {} },
      { jsonrpc: '2.0', id: 2, method: 'nope', params: {} },
    ]),
    { authorization: formatAuthorization(approved) },
  );
  const answers = body as { id: number; result?: { package: { services: unknown[] } }; error?: { code: number } }[];
  assert.equal(answers.length, 2);
  assert.equal(answers.find((a) => a.id === 1)?.result?.package.services.length, 2);
  assert.equal(answers.find((a) => a.id === 2)?.error?.code, ErrorCode.MethodNotFound);
});

void test('a pending monitor gets -32005 on every call but registration, and a denied one -32003', async () => {
  const reg = await t.call('registerLocationMonitor', { location: 'RDU', name: 'waiting' });
  const pending = reg.result as MonitorCredentials & { status: string };
  assert.equal(pending.status, 'PENDING');
  for (const [method, params] of [
    ['pollerStarting', {}],
    ['getPollingPackage', {}],
    ['pollerCheckingIn', { configVersion: '' }],
    ['reportResults', { results: [] }],
    ['pollerStopping', {}],
  ] as const) {
    const answer = await t.call(method, params, pending);
    assert.equal(answer.error?.code, ErrorCode.MonitorPending, method);
  }
  await t.backend.monitors.administer(pending.monitorId, 'deny');
  const denied = await t.call('pollerStarting', {}, pending);
  assert.equal(denied.error?.code, ErrorCode.Forbidden);
  assert.match(denied.error!.message, /denied/);
});

void test('the right registration token registers at once', async () => {
  const answer = await t.call('registerLocationMonitor', { location: 'NYC', name: 'nyc-1', token: 'nyc-secret-token' });
  assert.equal((answer.result as { status: string }).status, 'REGISTERED');
  const events = await t.backend.db.manager.findBy(EventEntity, { uei: Uei.locationMonitorRegistered, location: 'NYC' });
  assert.equal(events.length, 1);
});

void test('a deleted monitor is told DELETED at check-in and -32004 elsewhere', async () => {
  const creds = await registerApproved(t, 'RDU', 'doomed');
  await t.backend.monitors.administer(creds.monitorId, 'delete');
  const checkIn = await t.call('pollerCheckingIn', { configVersion: '' }, creds);
  assert.equal((checkIn.result as { status: string }).status, 'DELETED');
  const pkg = await t.call('getPollingPackage', {}, creds);
  assert.equal(pkg.error?.code, ErrorCode.MonitorDeleted);
});

void test('packages carry a version and answer notModified when it is current', async () => {
  const first = (await t.call('getPollingPackage', {}, approved)).result as { version: string; package: { services: { serviceId: string }[] } };
  assert.deepEqual(
    first.package.services.map((s) => s.serviceId),
    ['web1/HTTP', 'web1/TCP'],
  );
  const again = (await t.call('getPollingPackage', { knownVersion: first.version }, approved)).result;
  assert.deepEqual(again, { version: first.version, notModified: true });
  const checkIn = (await t.call('pollerCheckingIn', { configVersion: 'stale' }, approved)).result as { status: string };
  assert.equal(checkIn.status, 'CONFIG_CHANGED');
  const current = (await t.call('pollerCheckingIn', { configVersion: first.version }, approved)).result as { status: string };
  assert.equal(current.status, 'STARTED');
});

void test('a paused monitor gets an empty package with its own version, and its old one back on resume', async () => {
  const creds = await registerApproved(t, 'RDU', 'pausable');
  await t.call('pollerStarting', {}, creds);
  const running = (await t.call('getPollingPackage', {}, creds)).result as { version: string };
  await t.backend.monitors.administer(creds.monitorId, 'pause');
  const checkIn = (await t.call('pollerCheckingIn', { configVersion: running.version }, creds)).result as { status: string };
  assert.equal(checkIn.status, 'PAUSED');
  const paused = (await t.call('getPollingPackage', { knownVersion: running.version }, creds)).result as { version: string; package: { services: unknown[] } };
  assert.equal(paused.package.services.length, 0);
  assert.notEqual(paused.version, running.version);
  await t.backend.monitors.administer(creds.monitorId, 'resume');
  const resumed = (await t.call('pollerCheckingIn', { configVersion: paused.version }, creds)).result as { status: string };
  assert.equal(resumed.status, 'CONFIG_CHANGED');
  const back = (await t.call('getPollingPackage', { knownVersion: paused.version }, creds)).result as { version: string };
  assert.equal(back.version, running.version);
});

function wsConnect(headers: Record<string, string>): Promise<{ ws?: WebSocket; status?: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${t.backend.port}/rpc`, { headers });
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode });
      ws.terminate();
    });
    ws.once('error', () => undefined);
  });
}

void test('a WebSocket upgrade with wrong credentials is refused with 401', async () => {
  const wrong = await wsConnect({ authorization: formatAuthorization({ monitorId: approved.monitorId, secret: 'nope' }) });
  assert.equal(wrong.status, 401);
  const malformed = await wsConnect({ authorization: 'Basic Zm9vOmJhcg==' });
  assert.equal(malformed.status, 401);
});

void test('over WebSocket: calls, errors and a statusChanged hint', async () => {
  const creds = await registerApproved(t, 'RDU', 'ws-user');
  const { ws } = await wsConnect({ authorization: formatAuthorization(creds) });
  assert.ok(ws);
  const inbox: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  ws.on('message', (data) => {
    inbox.push(JSON.parse(data.toString()));
    waiters.splice(0).forEach((w) => w());
  });
  const next = async (match: (m: Record<string, unknown>) => boolean) => {
    for (;;) {
      const found = inbox.find(match);
      if (found) return found;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'pollerStarting', params: {} }));
  assert.equal(((await next((m) => m.id === 1)).result as { status: string }).status, 'STARTED');
  ws.send(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'reportResults', params: { results: [{ seq: 'x' }] } }));
  assert.equal(((await next((m) => m.id === 2)).error as { code: number }).code, ErrorCode.InvalidParams);
  ws.send('not json');
  assert.equal(((await next((m) => m.id === null)).error as { code: number }).code, ErrorCode.ParseError);
  await t.backend.monitors.administer(creds.monitorId, 'pause');
  const hint = await next((m) => m.method === 'statusChanged');
  assert.deepEqual(hint.params, { status: 'PAUSED' });
  ws.close();
});

void test('a check-in of a started monitor notes the time, its stats and its server, and keeps the stats when it sends none', async () => {
  const creds = await registerApproved(t, 'RDU', 'checker');
  // Approved but not started: the check-in answers as it is and notes nothing of the usual kind.
  const registered = await t.call('pollerCheckingIn', { configVersion: '' }, creds);
  assert.equal((registered.result as { status: string }).status, 'REGISTERED');
  assert.equal((await t.call('pollerStarting', {}, creds)).error, undefined);
  const read = () => t.backend.db.manager.findOneByOrFail(LocationMonitorEntity, { id: creds.monitorId });
  const before = await read();
  const first = await t.call('pollerCheckingIn', { configVersion: '', stats: { spooled: 7 }, connection: { server: 'wss://home.example/rpc', role: 'home' } }, creds);
  assert.equal(first.error, undefined, JSON.stringify(first.error));
  let row = await read();
  assert.equal(row.lifecycle, 'STARTED');
  assert.ok(row.lastCheckInAt! >= before.lastCheckInAt!);
  assert.deepEqual(row.lastStats, { spooled: 7 });
  assert.equal(row.serverUrl, 'wss://home.example/rpc');
  assert.equal(row.serverRole, 'home');
  const second = await t.call('pollerCheckingIn', { configVersion: '' }, creds);
  assert.equal(second.error, undefined, JSON.stringify(second.error));
  row = await read();
  assert.deepEqual(row.lastStats, { spooled: 7 });
  assert.equal(row.serverUrl, 'wss://home.example/rpc');
  // A paused monitor is told so by the same path.
  await t.backend.monitors.administer(creds.monitorId, 'pause');
  const paused = await t.call('pollerCheckingIn', { configVersion: '' }, creds);
  assert.equal((paused.result as { status: string }).status, 'PAUSED');
});
