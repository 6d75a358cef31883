/**
 * GET /api/alarms/count: the open alarms, counted as GET /api/alarms would
 * list them (cleared ones not counted), and only for a signed-in user.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { adminFetch, registerApproved, startTestBackend, type TestBackend } from '../../testing/test-backend.ts';
import type { MonitorCredentials } from '@vantage/common';

let t: TestBackend;
let api: string;
let creds: MonitorCredentials;
let seq = 0;

before(async () => {
  t = await startTestBackend();
  api = `http://127.0.0.1:${t.backend.port}`;
  creds = await registerApproved(t);
  await t.call('pollerStarting', {}, creds);
});
after(() => t.close());

const report = (serviceId: string, status: 'UP' | 'DOWN') =>
  t.call('reportResults', { results: [{ seq: ++seq, serviceId, timestamp: Date.now(), status, reason: status === 'DOWN' ? 'refused' : undefined }] }, creds);
const count = async () => {
  const response = await adminFetch(`${api}/api/alarms/count`);
  assert.equal(response.status, 200);
  return (await response.json()) as unknown;
};
const openListed = async () => ((await (await adminFetch(`${api}/api/alarms?state=open`)).json()) as unknown[]).length;

void test('counts the open alarms: raised ones in, cleared ones out, as the open list has them', async () => {
  assert.deepEqual(await count(), { open: 0 });
  await report('web1/HTTP', 'DOWN');
  await report('web1/TCP', 'DOWN');
  assert.deepEqual(await count(), { open: 2 });
  assert.equal(await openListed(), 2);

  await report('web1/HTTP', 'UP');
  assert.deepEqual(await count(), { open: 1 }, 'a cleared alarm is not counted');
  assert.equal(await openListed(), 1);

  const [open] = (await (await adminFetch(`${api}/api/alarms?state=open`)).json()) as { id: number }[];
  const cleared = await adminFetch(`${api}/api/alarms/${open!.id}/clear`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(cleared.status, 200);
  assert.deepEqual(await count(), { open: 0 }, 'nor one cleared by hand');
});

void test('needs a signed-in user', async () => {
  assert.equal((await fetch(`${api}/api/alarms/count`)).status, 401);
});
