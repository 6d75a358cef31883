/**
 * Alarms and outages from real results and lifecycle events through a
 * backend: reduction by key, clearing by the resolution event, raising again,
 * acknowledgement and manual clearing over REST, deletion of cleared alarms
 * after the retention, and outages opened and closed with their times.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { formatAuthorization, Uei, type MonitorCredentials } from '@vantage/common';
import type { Backend } from '../server.ts';
import { createTestStorage, type TestStorage } from '../../testing/test-database.ts';
import { adminFetch, bootTestBackend, TEST_CONFIG } from '../../testing/test-backend.ts';

let storage: TestStorage;
let backend: Backend;
let api: string;
let creds: MonitorCredentials;
let seq = 0;

const RETENTION_MS = 1_500;

before(async () => {
  storage = await createTestStorage();
  const configPath = join(storage.dataDir, 'polling-config.xml');
  await writeFile(configPath, TEST_CONFIG);
  backend = await bootTestBackend({ storage, configPath, clearedAlarmRetentionMs: RETENTION_MS });
  api = `http://127.0.0.1:${backend.port}`;
  const registered = await rpc('registerLocationMonitor', { location: 'RDU', name: 'alarmed' });
  creds = registered as MonitorCredentials;
  await backend.monitors.administer(creds.monitorId, 'approve');
  await rpc('pollerStarting', {}, creds);
});
after(async () => {
  await backend.close();
  await storage.cleanup();
});

async function rpc(method: string, params: unknown, credentials?: MonitorCredentials): Promise<unknown> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (credentials) headers.authorization = formatAuthorization(credentials);
  const response = await adminFetch(`${api}/rpc`, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  const body = (await response.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(body.error.message);
  return body.result;
}
const report = (status: 'UP' | 'DOWN', serviceId = 'web1/HTTP') =>
  rpc('reportResults', { results: [{ seq: ++seq, serviceId, timestamp: Date.now(), status, reason: status === 'DOWN' ? 'HTTP 503, expected 200-399' : undefined }] }, creds);

interface AlarmView {
  id: number;
  uei: string;
  count: number;
  severity: string;
  clearedAt: number | null;
  reason: string | null;
  acknowledgedBy: string | null;
  monitorId: string;
  serviceId: string | null;
}
const alarms = async (query = 'state=all') => (await (await adminFetch(`${api}/api/alarms?${query}`)).json()) as AlarmView[];
const lostAlarm = async () => (await alarms()).find((a) => a.uei === Uei.nodeLostService && a.serviceId === 'web1/HTTP');
const post = (path: string, body?: unknown) =>
  adminFetch(`${api}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });

void test('a lost service raises an alarm; regained clears it; lost again raises it again with the count up', async () => {
  await report('DOWN');
  let alarm = await lostAlarm();
  assert.equal(alarm?.count, 1);
  assert.equal(alarm?.severity, 'Minor');
  assert.equal(alarm?.clearedAt, null);
  assert.equal(alarm?.reason, 'HTTP 503, expected 200-399');
  assert.equal((await alarms('state=open')).length, 1);

  await report('DOWN'); // still down: no new event, nothing to reduce
  assert.equal((await lostAlarm())?.count, 1);

  await report('UP');
  alarm = await lostAlarm();
  assert.equal(alarm?.severity, 'Cleared');
  assert.ok(alarm?.clearedAt);
  assert.equal((await alarms('state=open')).length, 0);

  await report('DOWN');
  alarm = await lostAlarm();
  assert.equal(alarm?.count, 2, 'reduced into the same alarm');
  assert.equal(alarm?.clearedAt, null, 'raised again');
});

void test('operators acknowledge, unacknowledge and clear alarms over REST', async () => {
  const alarm = (await lostAlarm())!;
  const acked = (await (await post(`/api/alarms/${alarm.id}/acknowledge`, { user: 'someone-else' })).json()) as AlarmView;
  assert.equal(acked.acknowledgedBy, 'admin', 'the signed-in user, whatever the body says');
  const unacked = (await (await post(`/api/alarms/${alarm.id}/unacknowledge`)).json()) as AlarmView;
  assert.equal(unacked.acknowledgedBy, null);
  const cleared = (await (await post(`/api/alarms/${alarm.id}/clear`)).json()) as AlarmView;
  assert.equal(cleared.severity, 'Cleared');
  assert.equal(cleared.reason, 'cleared by admin');
  assert.equal((await post('/api/alarms/999999/acknowledge')).status, 404);
  assert.equal((await post('/api/alarms/abc/acknowledge')).status, 400);
  assert.equal((await adminFetch(`${api}/api/alarms?state=sideways`)).status, 400);
});

void test('outages open and close with their times and reason', async () => {
  const outages = async () =>
    (await (await adminFetch(`${api}/api/outages?monitor=${creds.monitorId}&service=web1/HTTP`)).json()) as { startedAt: number; endedAt: number | null; reason: string | null }[];
  const open = (await outages()).filter((o) => o.endedAt === null);
  assert.equal(open.length, 1, 'the service is down: one open outage');
  assert.equal(open[0]!.reason, 'HTTP 503, expected 200-399');
  await report('UP');
  const all = await outages();
  assert.equal(all.length, 2, 'down twice in this file: two outages');
  assert.ok(all.every((o) => o.endedAt !== null && o.endedAt >= o.startedAt));
  const openNow = (await (await adminFetch(`${api}/api/outages?open=true&monitor=${creds.monitorId}`)).json()) as unknown[];
  assert.equal(openNow.length, 0);
});

void test('cleared alarms are deleted after the retention', async () => {
  assert.ok((await alarms('state=cleared')).length >= 1);
  const deadline = Date.now() + 10_000;
  while ((await alarms('state=cleared')).length > 0) {
    assert.ok(Date.now() < deadline, 'cleared alarms still there after 10 s');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await report('DOWN');
  assert.equal((await lostAlarm())?.count, 1, 'a new alarm after the old one was deleted');
});
