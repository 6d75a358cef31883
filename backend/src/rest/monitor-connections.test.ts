/**
 * What GET /api/monitors says of a monitor's connection: connected, to which
 * instance, since when, from the connections in the database; and GET
 * /api/instances, the instances on the database (here the one). The same on
 * PGlite and PostgreSQL; e2e/cluster-view.test.ts has two instances.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { formatAuthorization, type MonitorCredentials } from '@vantage/common';
import WebSocket from 'ws';
import { adminFetch, registerApproved, startTestBackend, type TestBackend } from '../../testing/test-backend.ts';

interface MonitorView {
  connected: boolean;
  instance: string | null;
  connectedSince: number | null;
}

let t: TestBackend;
let creds: MonitorCredentials;

before(async () => {
  t = await startTestBackend();
  creds = await registerApproved(t);
});

after(() => t.close());

/** Asks for the monitor until `wanted` holds, failing after `timeoutMs`. */
async function viewOnce(wanted: (m: MonitorView) => boolean, what: string, timeoutMs = 10_000): Promise<MonitorView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const shown = await view();
    if (wanted(shown)) return shown;
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}: ${JSON.stringify(shown)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function view(): Promise<MonitorView> {
  const response = await adminFetch(`${t.backend.url}/api/monitors/${creds.monitorId}`);
  assert.equal(response.status, 200);
  return (await response.json()) as MonitorView;
}

void test('a WebSocket connection shows the monitor connected to this instance since it opened, until it closes', async () => {
  const before = await view();
  assert.deepEqual([before.connected, before.instance, before.connectedSince], [false, null, null]);
  const openedAfter = Date.now();
  const ws = new WebSocket(`ws://127.0.0.1:${t.backend.port}/rpc`, { headers: { authorization: formatAuthorization(creds) } });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const shown = await viewOnce((m) => m.connected, 'the monitor shown as connected');
  assert.equal(shown.instance, t.backend.instance.id);
  assert.match(shown.instance!, new RegExp(`:${t.backend.port}:`));
  assert.ok(shown.connectedSince! >= openedAfter && shown.connectedSince! <= Date.now());
  const listed = ((await (await adminFetch(`${t.backend.url}/api/monitors`)).json()) as (MonitorView & { id: string })[]).find((m) => m.id === creds.monitorId);
  assert.deepEqual(listed && { connected: listed.connected, instance: listed.instance, connectedSince: listed.connectedSince }, {
    connected: true,
    instance: shown.instance,
    connectedSince: shown.connectedSince,
  });

  ws.close();
  const gone = await viewOnce((m) => !m.connected, 'the monitor shown as disconnected');
  assert.deepEqual([gone.instance, gone.connectedSince], [null, null]);
});

void test('GET /api/instances lists this instance, alive, as the one answering', async () => {
  const response = await adminFetch(`${t.backend.url}/api/instances`);
  assert.equal(response.status, 200);
  const [only, ...others] = (await response.json()) as { id: string; port: number; alive: boolean; self: boolean; startedAt: number; heartbeatAt: number }[];
  assert.deepEqual(others, []);
  assert.deepEqual([only!.id, only!.port, only!.alive, only!.self], [t.backend.instance.id, t.backend.port, true, true]);
  assert.ok(only!.heartbeatAt >= only!.startedAt - 60_000);
});
