/**
 * Users as administrators manage them over the REST API: create with a role
 * and password, change the role (in force at once, also for Basic
 * credentials the server remembers), set a new password, delete; never the
 * last administrator, never oneself, also when two administrators try at
 * once.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { UserChangeError, UserStore } from './user-store.ts';
import { registerApproved, startTestBackend, TEST_ADMIN_PASSWORD, type TestBackend } from '../../testing/test-backend.ts';
import { createUser, TEST_USER_PASSWORD, userFetch } from '../../testing/users.ts';

let t: TestBackend;
let base: string;
before(async () => {
  t = await startTestBackend();
  base = t.backend.url;
});
after(() => t.close());

const json = { 'content-type': 'application/json' };
const users = (method: string, path = '', body?: unknown, as = 'admin', password = TEST_ADMIN_PASSWORD) =>
  userFetch(as, `${base}/api/users${path}`, body === undefined ? { method } : { method, headers: json, body: JSON.stringify(body) }, password);
const errorOf = async (response: Response) => ((await response.json()) as { error: string }).error;

void test('an administrator creates users with a role; bad input is refused naming the problem', async () => {
  const created = await users('POST', '', { username: 'olga', role: 'operator', password: TEST_USER_PASSWORD });
  assert.equal(created.status, 200);
  assert.deepEqual(
    await (await userFetch('olga', `${base}/api/me`)).json(),
    { user: 'olga', role: 'operator' },
  );
  const again = await users('POST', '', { username: 'olga', role: 'viewer', password: TEST_USER_PASSWORD });
  assert.deepEqual([again.status, await errorOf(again)], [409, 'a user "olga" exists already']);
  const badRole = await users('POST', '', { username: 'x', role: 'root', password: TEST_USER_PASSWORD });
  assert.deepEqual([badRole.status, await errorOf(badRole)], [400, 'role must be one of viewer, operator, admin, got "root"']);
  const short = await users('POST', '', { username: 'x', role: 'viewer', password: 'short' });
  assert.deepEqual([short.status, await errorOf(short)], [400, 'the password must be at least 10 characters']);
  const badName = await users('POST', '', { username: 'a b\nc', role: 'viewer', password: TEST_USER_PASSWORD });
  assert.equal(badName.status, 400);
  assert.match(await errorOf(badName), /must be 1 to 64 letters/);
  const listed = (await (await users('GET')).json()) as { username: string; role: string }[];
  assert.deepEqual(
    listed.map((u) => [u.username, u.role]),
    [
      ['admin', 'admin'],
      ['olga', 'operator'],
    ],
  );
  // Only administrators manage users.
  assert.equal((await users('GET', '', undefined, 'olga', TEST_USER_PASSWORD)).status, 403);
});

void test('a changed role is in force at the next request, also for Basic credentials the server remembers', async () => {
  await createUser(base, 'vic', 'viewer');
  const monitor = await registerApproved(t, 'RDU', 'role-change');
  const pause = () => userFetch('vic', `${base}/api/monitors/${monitor.monitorId}/pause`, { method: 'POST' });
  assert.equal((await pause()).status, 403);
  const changed = await users('PATCH', '/vic', { role: 'operator' });
  assert.deepEqual(((await changed.json()) as { role: string }).role, 'operator');
  assert.equal((await pause()).status, 200);
  await users('PATCH', '/vic', { role: 'viewer' });
  assert.equal((await userFetch('vic', `${base}/api/monitors/${monitor.monitorId}/resume`, { method: 'POST' })).status, 403);
  assert.equal((await users('PATCH', '/vic', {})).status, 400);
  assert.equal((await users('PATCH', '/nobody', { role: 'viewer' })).status, 404);
});

void test('a new password replaces the old one and ends the user\'s sessions', async () => {
  await createUser(base, 'pia', 'viewer');
  const signIn = (password: string) => fetch(`${base}/api/session`, { method: 'POST', headers: json, body: JSON.stringify({ username: 'pia', password }) });
  const cookie = (await signIn(TEST_USER_PASSWORD)).headers.get('set-cookie')!.split(';')[0]!;
  assert.equal((await fetch(`${base}/api/me`, { headers: { cookie } })).status, 200);
  assert.equal((await users('PATCH', '/pia', { password: 'the-new-password' })).status, 200);
  assert.equal((await fetch(`${base}/api/me`, { headers: { cookie } })).status, 401, 'the old session ended');
  assert.equal((await userFetch('pia', `${base}/api/me`)).status, 401, 'the old password no longer works');
  assert.equal((await signIn('the-new-password')).status, 200);
});

void test('deleting a user ends its access; nobody deletes themselves, and the last administrator stays', async () => {
  await createUser(base, 'dan', 'viewer');
  assert.equal((await userFetch('dan', `${base}/api/me`)).status, 200);
  assert.equal((await users('DELETE', '/dan')).status, 200);
  assert.equal((await userFetch('dan', `${base}/api/me`)).status, 401);
  assert.equal((await users('DELETE', '/dan')).status, 404);

  const self = await users('DELETE', '/admin');
  assert.deepEqual([self.status, await errorOf(self)], [409, 'you cannot delete yourself; another administrator can']);
  const demote = await users('PATCH', '/admin', { role: 'viewer' });
  assert.deepEqual([demote.status, await errorOf(demote)], [409, '"admin" is the last administrator and keeps the role; make another user admin first']);

  // Two administrators deleting each other at once: one wins, one administrator remains.
  await createUser(base, 'ana', 'admin');
  const store = new UserStore(t.backend.db);
  const outcomes = await Promise.allSettled([store.delete('ana', 'admin'), store.delete('admin', 'ana')]);
  assert.deepEqual(outcomes.map((o) => o.status).sort(), ['fulfilled', 'rejected']);
  const refused = outcomes.find((o) => o.status === 'rejected')!.reason as UserChangeError;
  assert.ok(refused instanceof UserChangeError && refused.status === 409, String(refused));
  const remaining = (await t.backend.db.manager.query(`SELECT username FROM app_user WHERE role = 'admin'`)) as unknown[];
  assert.equal(remaining.length, 1);
});
