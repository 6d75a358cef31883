/**
 * An administrator revokes a monitor's secret: from that moment every call
 * with it answers -32006 (credentials revoked), which a poller takes as
 * final, and a WebSocket it holds open is closed. Deleting the monitor later
 * does not turn the old secret back into a "register again".
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ErrorCode, formatAuthorization, Uei } from '@vantage/common';
import WebSocket from 'ws';
import { EventEntity } from '../db/entities.ts';
import { adminFetch, registerApproved, startTestBackend, type TestBackend } from '../../testing/test-backend.ts';

let t: TestBackend;
let api: string;
before(async () => {
  t = await startTestBackend();
  api = `http://127.0.0.1:${t.backend.port}/api`;
});
after(() => t.close());

void test('a revoked secret answers -32006 at once, on every method, even after the monitor is deleted', async () => {
  const creds = await registerApproved(t, 'RDU', 'to-revoke');
  assert.ok((await t.call('pollerStarting', {}, creds)).result);
  const response = await adminFetch(`${api}/monitors/${creds.monitorId}/revoke`, { method: 'POST' });
  assert.equal(response.status, 200, await response.clone().text());
  assert.equal(((await response.json()) as { status: string }).status, 'REVOKED');

  for (const [method, params] of [
    ['pollerCheckingIn', { configVersion: '' }],
    ['getPollingPackage', {}],
    ['reportResults', { results: [] }],
    ['pollerStarting', {}],
    ['pollerStopping', {}],
  ] as const) {
    const answer = await t.call(method, params, creds);
    assert.equal(answer.error?.code, ErrorCode.CredentialsRevoked, `${method}: ${JSON.stringify(answer)}`);
    assert.match(answer.error!.message, /credentials of this monitor were revoked by an administrator/);
  }
  const events = await t.backend.db.manager.findBy(EventEntity, { uei: Uei.monitorCredentialsRevoked, monitorId: creds.monitorId });
  assert.equal(events.length, 1);
  assert.equal(events[0]!.params.by, 'admin');

  assert.equal((await adminFetch(`${api}/monitors/${creds.monitorId}/revoke`, { method: 'POST' })).status, 409, 'revoked once');
  assert.equal((await adminFetch(`${api}/monitors/${creds.monitorId}`, { method: 'DELETE' })).status, 200);
  const afterDelete = await t.call('pollerCheckingIn', { configVersion: '' }, creds);
  assert.equal(afterDelete.error?.code, ErrorCode.CredentialsRevoked, 'not DELETED, which would make the poller register again');
  assert.equal((await adminFetch(`${api}/monitors/no-such-monitor/revoke`, { method: 'POST' })).status, 404);
});

void test('a revoked monitor connected over WebSocket is disconnected', async () => {
  const creds = await registerApproved(t, 'RDU', 'connected');
  const ws = new WebSocket(`ws://127.0.0.1:${t.backend.port}/rpc`, { headers: { authorization: formatAuthorization(creds) } });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  assert.equal((await adminFetch(`${api}/monitors/${creds.monitorId}/revoke`, { method: 'POST' })).status, 200);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('the connection stayed open after the revocation')), 15_000)));
  const { code, reason } = await Promise.race([closed, timeout]).finally(() => clearTimeout(timer));
  assert.equal(code, 1008);
  assert.match(reason, /credentials revoked/);
});
