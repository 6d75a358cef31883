import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import type { PollOutcome } from './monitor.ts';
import { parseCertificateDate, sslCertMonitor } from './ssl-cert.ts';
import { makeCertificate } from '../testing/certificates.ts';
import { closedPort, parseAndPoll, pollLocal, start, startSilentServer, type RunningServer } from '../testing/servers.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const HOUR_MS = 60 * 60 * 1000;

// ---------------------------------------------------------------------------
// Self-signed certificates with chosen validity dates, made in process.

interface KeyPair {
  key: string;
  cert: string;
}

/** A self-signed certificate for `cn` (CN and DNS subjectAltName), valid from notBefore to notAfter. */
async function certificate(cn: string, notBefore: number, notAfter: number): Promise<KeyPair> {
  const { key, cert } = await makeCertificate({
    commonName: cn,
    altNames: [cn],
    notBefore: new Date(notBefore),
    notAfter: new Date(notAfter),
  });
  return { key, cert };
}

/** A TLS server that completes the handshake and closes; SNI names pick other certificates. */
function startTlsServer(pair: KeyPair, byName: Record<string, KeyPair> = {}): Promise<RunningServer> {
  const contexts = new Map(Object.entries(byName).map(([name, p]) => [name, tls.createSecureContext(p)]));
  const server = tls.createServer(
    { ...pair, SNICallback: (name, cb) => cb(null, contexts.get(name)) },
    (socket) => {
      socket.on('error', () => {});
      socket.end();
    },
  );
  return start(server);
}

const NOW = Date.now();
let certs: Record<'ok' | 'soon' | 'hours' | 'expired' | 'future', KeyPair>;
const servers: Record<string, RunningServer> = {};

before(async () => {
  certs = {
    // An hour past the whole days, so that daysLeft is exact while the tests run.
    ok: await certificate('ok.test', NOW - DAY_MS, NOW + 400 * DAY_MS + HOUR_MS),
    soon: await certificate('soon.test', NOW - DAY_MS, NOW + 3 * DAY_MS + HOUR_MS),
    hours: await certificate('hours.test', NOW - DAY_MS, NOW + 5 * HOUR_MS),
    expired: await certificate('expired.test', Date.UTC(2020, 0, 1), Date.UTC(2020, 1, 1)),
    future: await certificate('future.test', Date.UTC(2040, 0, 1), Date.UTC(2041, 0, 1)),
  };
  servers.ok = await startTlsServer(certs.ok, { 'soon.test': certs.soon });
  servers.soon = await startTlsServer(certs.soon);
  servers.hours = await startTlsServer(certs.hours);
  servers.expired = await startTlsServer(certs.expired);
  servers.future = await startTlsServer(certs.future);
  // Not TLS: answers the client's hello with plain text, or hangs up at once.
  servers.plain = await start(net.createServer((socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n')));
  servers.hangup = await start(net.createServer((socket) => socket.destroy()));
});

after(async () => {
  await Promise.all(Object.values(servers).map((s) => s.close()));
});

const poll = (server: string, params: Record<string, string> = {}, timeoutMs?: number): Promise<PollOutcome> =>
  pollLocal(sslCertMonitor, { port: String(servers[server]?.port), ...params }, timeoutMs);


// ---------------------------------------------------------------------------

const upCases: Array<{ name: string; server: string; params?: Record<string, string>; daysLeft: number }> = [
  { name: 'certificate valid for 400 days, default days 7', server: 'ok', daysLeft: 400 },
  { name: 'days 400 still met', server: 'ok', params: { days: '400' }, daysLeft: 400 },
  { name: '3 days left with days 3', server: 'soon', params: { days: '3' }, daysLeft: 3 },
  { name: 'hours left with days 0 (only expiry counts)', server: 'hours', params: { days: '0' }, daysLeft: 0 },
  {
    name: 'untrusted self-signed certificate by default',
    server: 'ok',
    params: { 'verify-server-certificate': 'false' },
    daysLeft: 400,
  },
];

for (const { name, server, params, daysLeft: expectedDays } of upCases) {
  void test(`ssl-cert: UP, ${name}`, async () => {
    const outcome = await poll(server, params);
    assert.equal(outcome.status, 'UP', outcome.reason);
    assert.equal(outcome.reason, undefined);
    const ms = outcome.responseTimeMs ?? -1;
    assert.ok(ms >= 0 && ms < 2000, `responseTimeMs ${outcome.responseTimeMs}`);
    assert.deepEqual(outcome.details, { daysLeft: expectedDays });
  });
}

const iso = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString();
const downCases: Array<{
  name: string;
  server: string;
  params?: Record<string, string>;
  reason: () => string | RegExp;
  daysLeft?: number;
}> = [
  {
    name: 'expires within the default 7 days',
    server: 'soon',
    // X.509 keeps whole seconds.
    reason: () => `certificate CN=soon.test expires in 3 days (${iso(NOW + 3 * DAY_MS + HOUR_MS)})`,
    daysLeft: 3,
  },
  {
    name: 'expires within days 401',
    server: 'ok',
    params: { days: '401' },
    reason: () => /^certificate CN=ok\.test expires in 400 days \(\d{4}-\d\d-\d\dT[\d:.]+Z\)$/,
    daysLeft: 400,
  },
  {
    name: 'expires in hours',
    server: 'hours',
    reason: () => /^certificate CN=hours\.test expires in less than a day \(/,
    daysLeft: 0,
  },
  {
    name: 'already expired',
    server: 'expired',
    reason: () => {
      const days = Math.floor((Date.now() - Date.UTC(2020, 1, 1)) / DAY_MS);
      return `certificate CN=expired.test expired ${days} days ago (2020-02-01T00:00:00.000Z)`;
    },
  },
  {
    name: 'not yet valid',
    server: 'future',
    reason: () => 'certificate CN=future.test is not valid before 2040-01-01T00:00:00.000Z',
  },
  {
    name: 'server-name sent as SNI picks the expiring certificate',
    server: 'ok',
    params: { 'server-name': 'soon.test' },
    reason: () => /^certificate CN=soon\.test expires in 3 days \(/,
    daysLeft: 3,
  },
  {
    name: 'verify-server-certificate refuses a self-signed certificate',
    server: 'ok',
    params: { 'verify-server-certificate': 'true' },
    reason: () => 'certificate CN=ok.test not trusted: self-signed certificate',
    daysLeft: 400,
  },
  {
    name: 'not a TLS server',
    server: 'plain',
    reason: () => 'TLS handshake failed: wrong version number',
  },
  {
    name: 'connection closed during the handshake',
    server: 'hangup',
    reason: () => /^TLS handshake failed: connection (reset|closed by the peer)$/,
  },
];

for (const { name, server, params, reason, daysLeft: expectedDays } of downCases) {
  void test(`ssl-cert: DOWN, ${name}`, async () => {
    const outcome = await poll(server, params);
    assert.equal(outcome.status, 'DOWN');
    const expected = reason();
    if (typeof expected === 'string') assert.equal(outcome.reason, expected);
    else assert.match(outcome.reason ?? '', expected);
    assert.equal(outcome.responseTimeMs, undefined);
    if (expectedDays !== undefined) assert.equal(outcome.details?.daysLeft, expectedDays);
  });
}

void test('ssl-cert: DOWN "connection refused" when nothing listens', async () => {
  const port = await closedPort();
  assert.deepEqual(await pollLocal(sslCertMonitor, { port: String(port) }), {
    status: 'DOWN',
    reason: 'connection refused',
  });
});

void test('ssl-cert: DOWN with the timeout reason when the server never answers the hello', async (t) => {
  const silent = await startSilentServer();
  t.after(() => silent.close());
  const started = performance.now();
  assert.deepEqual(await pollLocal(sslCertMonitor, { port: String(silent.port) }, 300), {
    status: 'DOWN',
    reason: 'timeout after 300 ms',
  });
  assert.ok(performance.now() - started < 1500);

  const target = { host: '127.0.0.1', params: { port: String(silent.port) }, timeoutMs: 1234 };
  assert.deepEqual(await parseAndPoll(sslCertMonitor, target, AbortSignal.abort()), {
    status: 'DOWN',
    reason: 'timeout after 1234 ms',
  });
});

const badParams: Array<{ params: Record<string, string>; reason: string }> = [
  { params: { port: '0' }, reason: 'parameter "port" must be an integer from 1 to 65535, got "0"' },
  { params: { days: '-1' }, reason: 'parameter "days" must be an integer from 0 to 36500, got "-1"' },
  { params: { days: 'seven' }, reason: 'parameter "days" must be an integer from 0 to 36500, got "seven"' },
  {
    params: { 'server-name': 'bad name' },
    reason: 'parameter "server-name" must be a host name (SNI takes no addresses), got "bad name"',
  },
  {
    params: { 'server-name': '192.0.2.1' },
    reason: 'parameter "server-name" must be a host name (SNI takes no addresses), got "192.0.2.1"',
  },
  {
    params: { 'verify-server-certificate': 'yes' },
    reason: 'parameter "verify-server-certificate" must be "true" or "false", got "yes"',
  },
];

for (const { params, reason } of badParams) {
  void test(`ssl-cert: UNKNOWN for ${JSON.stringify(params)}`, async () => {
    assert.deepEqual(await pollLocal(sslCertMonitor, params), { status: 'UNKNOWN', reason });
  });
}

void test('ssl-cert: parseCertificateDate', () => {
  const cases: Array<[string, number | undefined]> = [
    ['Nov 26 12:00:00 2026 GMT', Date.UTC(2026, 10, 26, 12)],
    ['Feb  1 00:00:00 2020 GMT', Date.UTC(2020, 1, 1)],
    ['Jan  1 00:00:00.5 2040 GMT', Date.UTC(2040, 0, 1)],
    ['2026-11-26T12:00:00Z', undefined],
    ['Foo 26 12:00:00 2026 GMT', undefined],
  ];
  for (const [text, expected] of cases) assert.equal(parseCertificateDate(text), expected, text);
});
