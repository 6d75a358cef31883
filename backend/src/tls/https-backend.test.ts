/**
 * The backend with `tls: self-signed` on its one port: HTTPS for the REST
 * API and the web UI, WSS and POST /rpc for pollers, the register panel's
 * command with wss:// and the certificate's fingerprint, and a Secure
 * session cookie. Clients pin the certificate with the poller's own
 * verification, as a remote poller does.
 */
import assert from 'node:assert/strict';
import https from 'node:https';
import tls from 'node:tls';
import { after, before, test } from 'node:test';
import { formatFingerprint } from '@vantage/common';
import { openHttpTransport, openWsTransport, VerifyingHttpsAgent, type ServerVerification } from '@vantage/frontend-poller';
import { ADMIN_AUTHORIZATION, startTestBackend, type TestBackend } from '../../testing/test-backend.ts';

let t: TestBackend;
let origin: string;
let pin: ServerVerification;
let agent: VerifyingHttpsAgent;

before(async () => {
  t = await startTestBackend(undefined, { tls: { selfSigned: true, names: ['localhost', '127.0.0.1'] } });
  origin = `https://127.0.0.1:${t.backend.port}`;
  pin = { mode: 'fingerprint', fingerprint: t.backend.tls!.fingerprint };
  agent = new VerifyingHttpsAgent(pin);
});
after(async () => {
  agent.destroy();
  await t.close();
});

/** One request over HTTPS, accepting only the backend's pinned certificate. */
function request(path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }>((resolve, reject) => {
    const req = https.request(`${origin}${path}`, { method: init.method ?? 'GET', headers: init.headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

void test('the one port serves HTTPS with the certificate whose fingerprint the backend reports', async () => {
  assert.equal(t.backend.url, origin);
  assert.equal(t.backend.tls!.selfSigned, true);
  assert.match(t.backend.tls!.fingerprint, /^sha256:([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  const socket = tls.connect({ host: '127.0.0.1', port: t.backend.port, rejectUnauthorized: false });
  await new Promise((resolve) => socket.once('secureConnect', resolve));
  assert.equal(formatFingerprint(socket.getPeerCertificate().fingerprint256), t.backend.tls!.fingerprint);
  socket.destroy();
  const health = await request('/api/health');
  assert.equal(health.status, 200);
  assert.equal((await request('/')).status, 200, 'the web UI');
  // Plain HTTP on the TLS port gets nowhere near the API.
  await assert.rejects(fetch(`http://127.0.0.1:${t.backend.port}/api/health`));
});

void test('the register panel gives wss://, the fingerprint to pin, and the token in the environment', async () => {
  const nyc = JSON.parse((await request('/api/locations/NYC/registration', { headers: { authorization: ADMIN_AUTHORIZATION } })).text) as Record<string, unknown>;
  const { port } = t.backend;
  const fingerprint = t.backend.tls!.fingerprint;
  const { downloadCommand, ...rest } = nyc;
  // Over HTTPS with a self-signed certificate curl cannot verify the server (-k): the digest guards the download.
  if (downloadCommand !== null) {
    assert.match(String(downloadCommand), new RegExp(`^curl -fsSkL -o vantage-poller\\.mjs https://127\\.0\\.0\\.1:${port}/downloads/vantage-poller\\.mjs && echo '[0-9a-f]{64}  vantage-poller\\.mjs' \\| sha256sum -c --quiet - && VANTAGE_TOKEN='nyc-secret-token' node vantage-poller\\.mjs --server wss://127\\.0\\.0\\.1:${port}/rpc --fingerprint ${fingerprint} --location NYC --name nyc-1$`));
  }
  assert.deepEqual(rest, {
    location: 'NYC',
    admission: 'token',
    token: 'nyc-secret-token',
    fingerprint,
    command: `VANTAGE_TOKEN='nyc-secret-token' npx vantage-poller --server wss://127.0.0.1:${port}/rpc --fingerprint ${fingerprint} --location NYC --name nyc-1`,
  });
  const rdu = JSON.parse((await request('/api/locations/RDU/registration', { headers: { authorization: ADMIN_AUTHORIZATION } })).text) as { command: string };
  assert.equal(rdu.command, `npx vantage-poller --server wss://127.0.0.1:${port}/rpc --fingerprint ${fingerprint} --location RDU --name rdu-1`);
});

void test('over HTTPS the session cookie is Secure', async () => {
  const response = await request('/api/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: 'test-admin-password' }),
  });
  assert.equal(response.status, 200, response.text);
  const cookie = [response.headers['set-cookie']].flat().find((c) => c?.startsWith('vantage_session='));
  assert.ok(cookie, JSON.stringify(response.headers));
  assert.match(cookie, /;\s*Secure/i);
  assert.match(cookie, /;\s*HttpOnly/i);
});

void test('pollers register and call over WSS and over POST /rpc on HTTPS, pinning the certificate', async () => {
  const ws = await openWsTransport({ url: `wss://127.0.0.1:${t.backend.port}/rpc`, verification: pin });
  const registered = (await ws.call('registerLocationMonitor', { location: 'NYC', name: 'over-wss', token: 'nyc-secret-token' })) as { monitorId: string; secret: string; status: string };
  await ws.close();
  assert.equal(registered.status, 'REGISTERED');

  const credentials = { monitorId: registered.monitorId, secret: registered.secret };
  const overWss = await openWsTransport({ url: `wss://127.0.0.1:${t.backend.port}/rpc`, credentials, verification: pin });
  assert.equal(((await overWss.call('pollerStarting', {})) as { status: string }).status, 'STARTED');
  await overWss.close();

  const overHttps = openHttpTransport({ url: `https://localhost:${t.backend.port}/rpc`, credentials, verification: pin });
  assert.equal(((await overHttps.call('pollerCheckingIn', { configVersion: '' })) as { status: string }).status, 'CONFIG_CHANGED');
  await overHttps.close();
});
