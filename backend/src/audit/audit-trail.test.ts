/**
 * The audit trail over REST against a real backend: each change records the
 * user who made it, in the change's transaction (a change that fails records
 * nothing), a change outside the database (a configuration reload) when it
 * succeeds; the pause event names who paused; GET /api/audit filters, and
 * only operators and administrators read it.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Uei, type MonitorCredentials } from '@vantage/common';
import { adminFetch, registerApproved, startTestBackend, type TestBackend } from '../../testing/test-backend.ts';
import { createUser, TEST_USER_PASSWORD, userFetch } from '../../testing/users.ts';
import type { AuditEntry } from './audit-trail.ts';

let t: TestBackend;
let base: string;
let monitor: MonitorCredentials;
before(async () => {
  t = await startTestBackend();
  base = t.backend.url;
  await createUser(base, 'otto', 'operator');
  await createUser(base, 'vera', 'viewer');
  monitor = await registerApproved(t, 'RDU', 'audited');
});
after(() => t.close());

const audit = async (query = '', as = 'admin'): Promise<AuditEntry[]> => {
  const response = as === 'admin' ? await adminFetch(`${base}/api/audit${query}`) : await userFetch(as, `${base}/api/audit${query}`);
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()) as AuditEntry[];
};
const post = (as: string, path: string, body?: unknown) =>
  userFetch(as, `${base}${path}`, body === undefined ? { method: 'POST' } : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

void test('an operator\'s pause is recorded with the user, and the pause event names who paused', async () => {
  const paused = await post('otto', `/api/monitors/${monitor.monitorId}/pause`);
  assert.equal(paused.status, 200);
  const [entry] = await audit('?action=monitor.pause');
  assert.deepEqual([entry?.user, entry?.action, entry?.target, entry?.details], ['otto', 'monitor.pause', monitor.monitorId, { monitor: 'audited', location: 'RDU' }]);
  const events = (await (await adminFetch(`${base}/api/events?uei=${encodeURIComponent(Uei.locationMonitorPaused)}&monitor=${monitor.monitorId}`)).json()) as { params: Record<string, string> }[];
  assert.equal(events[0]?.params.by, 'otto');
});

void test('a change that fails records nothing: refused by its state, an unknown target, or a role too low', async () => {
  const before = (await audit()).length;
  // Approved already: the state machine refuses inside the transaction, which rolls back with its entry.
  assert.equal((await post('otto', `/api/monitors/${monitor.monitorId}/approve`)).status, 409);
  assert.equal((await post('otto', '/api/monitors/no-such-monitor/resume')).status, 404);
  assert.equal((await post('vera', `/api/monitors/${monitor.monitorId}/resume`)).status, 403);
  // A transaction that changed no row still answers 409 here: its entry is taken back.
  assert.equal((await userFetch('admin', `${base}/api/locations/RDU/token`, { method: 'DELETE' }, 'test-admin-password')).status, 409);
  assert.equal((await audit()).length, before);
  assert.equal((await post('otto', `/api/monitors/${monitor.monitorId}/resume`)).status, 200);
  assert.equal((await audit()).length, before + 1);
});

void test('user changes, token rotation and a configuration reload are recorded; passwords never are', async () => {
  await createUser(base, 'nina', 'viewer');
  assert.equal((await adminFetch(`${base}/api/users/nina`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ role: 'operator', password: 'another-password' }) })).status, 200);
  assert.equal((await adminFetch(`${base}/api/locations/RDU/token/rotate`, { method: 'POST' })).status, 200);
  assert.equal((await adminFetch(`${base}/api/config/reload`, { method: 'POST' })).status, 200);
  assert.equal((await adminFetch(`${base}/api/users/nina`, { method: 'DELETE' })).status, 200);
  const entries = await audit('?user=admin');
  const summary = entries.slice(0, 5).map((e) => [e.action, e.target, e.details]);
  assert.deepEqual(summary, [
    ['user.delete', 'nina', {}],
    ['config.reload', null, {}],
    ['token.rotate', 'RDU', {}],
    ['user.change', 'nina', { role: 'operator', password: 'reset' }],
    ['user.create', 'nina', { role: 'viewer' }],
  ]);
  assert.doesNotMatch(JSON.stringify(entries), new RegExp(`${TEST_USER_PASSWORD}|another-password`));
});

void test('an alarm acknowledged and cleared by an operator is recorded with the alarm', async () => {
  const creds = await registerApproved(t, 'RDU', 'alarmed');
  await t.call('pollerStarting', {}, creds);
  await t.call('reportResults', { results: [{ seq: 1, serviceId: 'web1/HTTP', timestamp: Date.now(), status: 'DOWN', reason: 'refused' }] }, creds);
  const [alarm] = (await (await adminFetch(`${base}/api/alarms?monitor=${creds.monitorId}`)).json()) as { id: number }[];
  assert.ok(alarm);
  assert.equal((await post('otto', `/api/alarms/${alarm.id}/acknowledge`)).status, 200);
  assert.equal((await post('otto', `/api/alarms/${alarm.id}/clear`)).status, 200);
  const entries = await audit(`?target=${alarm.id}`, 'otto');
  assert.deepEqual(
    entries.map((e) => [e.user, e.action]),
    [
      ['otto', 'alarm.clear'],
      ['otto', 'alarm.acknowledge'],
    ],
  );
});

void test('GET /api/audit filters by user, action prefix, time and count; viewers may not read it; bad filters are named', async () => {
  const operators = await audit('?user=otto');
  assert.ok(operators.length >= 3 && operators.every((e) => e.user === 'otto'));
  const userActions = await audit('?action=user.');
  assert.ok(userActions.length >= 3 && userActions.every((e) => e.action.startsWith('user.')));
  assert.equal((await audit('?limit=2')).length, 2);
  const newest = (await audit('?limit=1'))[0]!;
  assert.deepEqual(await audit(`?from=${newest.time + 1}`), []);
  assert.ok((await audit(`?to=${newest.time + 1}`)).some((e) => e.id === newest.id));
  const viewer = await userFetch('vera', `${base}/api/audit`);
  assert.equal(viewer.status, 403);
  const bad = await adminFetch(`${base}/api/audit?limit=0&who=x`);
  assert.equal(bad.status, 400);
  assert.equal(((await bad.json()) as { error: string }).error, 'unknown parameter "who"; limit must be a whole number from 1 to 1000, got "0"');
});

void test('a sign-in through the form is recorded with the address it came from; a failed one is not', async () => {
  const signIn = (password: string) =>
    fetch(`${base}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'vera', password }) });
  assert.equal((await signIn('not-her-password')).status, 401);
  assert.deepEqual(await audit('?user=vera&action=session.sign-in'), []);
  assert.equal((await signIn(TEST_USER_PASSWORD)).status, 200);
  const [entry] = await audit('?user=vera&action=session.sign-in');
  assert.deepEqual(entry?.details, { address: '127.0.0.1' });
});

void test('Pause all is one entry about the location, whichever monitors it paused', async () => {
  assert.equal((await post('otto', '/api/locations/RDU/pause-all')).status, 200);
  const [entry] = await audit('?action=location.pause-all');
  assert.deepEqual([entry?.user, entry?.target, entry?.details], ['otto', 'RDU', {}]);
  assert.equal((await post('otto', '/api/locations/RDU/resume-all')).status, 200);
});

void test('changing one\'s own password is recorded without the password; a wrong current password records nothing', async () => {
  await createUser(base, 'pete', 'viewer');
  const change = (current: string) =>
    userFetch('pete', `${base}/api/session/password`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ current, next: 'pete-new-password' }) });
  assert.equal((await change('not-the-password')).status, 403);
  assert.deepEqual(await audit('?user=pete'), []);
  assert.equal((await change(TEST_USER_PASSWORD)).status, 200);
  const entries = await audit('?user=pete');
  assert.deepEqual(
    entries.map((e) => [e.action, e.details]),
    [['user.change-own-password', {}]],
  );
});
