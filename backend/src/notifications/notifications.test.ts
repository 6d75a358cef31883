/**
 * Notifications end to end: a lost service, raised by a real result through
 * the backend, reaches a real webhook receiver that fails the first attempts
 * (delivered after retries with its configured header); one that always
 * fails ends as a dead letter, listed by the REST API with its last error.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { formatAuthorization, Uei, type MonitorCredentials } from '@vantage/common';
import type { Backend } from '../server.ts';
import { adminFetch, bootTestBackend } from '../../testing/test-backend.ts';
import { createTestStorage, type TestStorage } from '../../testing/test-database.ts';

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: { uei: string; serviceId: string | null; location: string | null; severity: string; params: Record<string, string> };
  answered: number;
}

let storage: TestStorage;
let backend: Backend;
let receiver: Server;
const received: Received[] = [];
let hookCalls = 0;
let creds: MonitorCredentials;

before(async () => {
  receiver = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk));
    req.on('end', () => {
      // /hook fails twice, then accepts; /always-503 never does.
      const answered = req.url === '/hook' && ++hookCalls > 2 ? 200 : 503;
      received.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(text), answered });
      res.writeHead(answered).end(answered === 200 ? 'ok' : 'busy');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const port = (receiver.address() as { port: number }).port;
  storage = await createTestStorage();
  const configPath = join(storage.dataDir, 'polling-config.xml');
  await writeFile(
    configPath,
    `<poller-configuration>
      <package name="web">
        <specific node-label="web1">127.0.0.1</specific>
        <service name="HTTP" interval="1000"><parameter key="port" value="1"/></service>
      </package>
      <monitor service="HTTP" type="http"/>
      <location name="RDU"><polling-package name="web"/></location>
      <webhook name="ops" url="http://127.0.0.1:${port}/hook" timeout="2000"><header name="X-Token" value="s3cret"/></webhook>
      <webhook name="black-hole" url="http://127.0.0.1:${port}/always-503"/>
      <notification name="lost services" ueis="uei.opennms.org/remote/nodes/nodeLostService" min-severity="Minor" sinks="ops"/>
      <notification name="every service event" ueis="uei.opennms.org/remote/nodes/*" min-severity="Normal" locations="RDU" sinks="black-hole"/>
    </poller-configuration>`,
  );
  backend = await bootTestBackend({ storage, configPath, notificationRetry: { maxAttempts: 3, initialMs: 50, maxMs: 200 } });
  const api = `http://127.0.0.1:${backend.port}`;
  const call = async (method: string, params: unknown, credentials?: MonitorCredentials) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (credentials) headers.authorization = formatAuthorization(credentials);
    const response = await adminFetch(`${api}/rpc`, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
    return ((await response.json()) as { result: unknown }).result;
  };
  creds = (await call('registerLocationMonitor', { location: 'RDU', name: 'notifier' })) as MonitorCredentials;
  await backend.monitors.administer(creds.monitorId, 'approve');
  await call('pollerStarting', {}, creds);
  await call('reportResults', { results: [{ seq: 1, serviceId: 'web1/HTTP', timestamp: Date.now(), status: 'DOWN', reason: 'connection refused' }] }, creds);
});

after(async () => {
  await backend.close();
  await new Promise((resolve) => receiver.close(resolve));
  await storage.cleanup();
});

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

void test('a lost service reaches the webhook after two failed attempts, with its configured header', async () => {
  const delivered = await waitFor('the delivery', () => received.find((r) => r.path === '/hook' && r.answered === 200));
  const attempts = received.filter((r) => r.path === '/hook');
  assert.deepEqual(
    attempts.map((r) => r.answered),
    [503, 503, 200],
  );
  assert.equal(delivered.headers['x-token'], 's3cret');
  assert.equal(delivered.body.uei, Uei.nodeLostService);
  assert.equal(delivered.body.serviceId, 'web1/HTTP');
  assert.equal(delivered.body.location, 'RDU');
  assert.equal(delivered.body.params.reason, 'connection refused');
  // Only what the rules ask for: the monitor's lifecycle events went nowhere.
  assert.ok(received.every((r) => r.body.uei.includes('/nodes/')));
  const [row] = (await (await adminFetch(`http://127.0.0.1:${backend.port}/api/notifications?state=delivered`)).json()) as { sink: string; attempts: number }[];
  assert.equal(row?.sink, 'ops');
  assert.equal(row?.attempts, 3);
});

void test('a sink that keeps failing ends as a dead letter with its last error', async () => {
  const dead = await waitFor('the dead letter', async () => {
    const rows = (await (await adminFetch(`http://127.0.0.1:${backend.port}/api/notifications?state=dead`)).json()) as { sink: string; attempts: number; lastError: string }[];
    return rows[0];
  });
  assert.equal(dead.sink, 'black-hole');
  assert.equal(dead.attempts, 3);
  assert.match(dead.lastError, /HTTP 503 from http:\/\/127\.0\.0\.1:\d+\/always-503/);
  assert.equal(received.filter((r) => r.path === '/always-503').length, 3);
});
