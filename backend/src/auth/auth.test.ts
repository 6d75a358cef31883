/**
 * Sign-in for the REST API and the web UI against a real backend: nothing
 * under /api/ answers without a signed-in user; sessions ride in an HttpOnly
 * cookie and changes need the session's CSRF token; scripts use HTTP Basic;
 * the first start's generated admin password is tested in e2e/standalone.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Backend } from '../server.ts';
import { ADMIN_AUTHORIZATION, TEST_ADMIN_PASSWORD, TEST_CONFIG, bootTestBackend } from '../../testing/test-backend.ts';
import { createTestStorage, type TestStorage } from '../../testing/test-database.ts';

let storage: TestStorage;
let backend: Backend;
let api: string;

before(async () => {
  storage = await createTestStorage();
  const configPath = join(storage.dataDir, 'polling-config.xml');
  await writeFile(configPath, TEST_CONFIG);
  backend = await bootTestBackend({ storage, configPath });
  api = `http://127.0.0.1:${backend.port}`;
});
after(async () => {
  await backend.close();
  await storage.cleanup();
});

const signIn = async (password = TEST_ADMIN_PASSWORD) =>
  fetch(`${api}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) });
const cookieOf = (response: Response) => response.headers.get('set-cookie')!.split(';')[0]!;

void test('nothing under /api/ answers without a signed-in user, except health and sign-in', async () => {
  for (const path of ['/api/monitors', '/api/events', '/api/alarms', '/api/locations']) {
    const response = await fetch(`${api}${path}`);
    assert.equal(response.status, 401, path);
    assert.match(((await response.json()) as { error: string }).error, /sign in first/);
  }
  assert.equal((await fetch(`${api}/api/config/reload`, { method: 'POST' })).status, 401);
  assert.equal((await fetch(`${api}/api/health`)).status, 200);
  const wrong = await fetch(`${api}/api/monitors`, { headers: { authorization: `Basic ${Buffer.from('admin:nope').toString('base64')}` } });
  assert.equal(wrong.status, 401);
  assert.equal((await fetch(`${api}/api/monitors`, { headers: { authorization: ADMIN_AUTHORIZATION } })).status, 200);
});

void test('a session cookie signs the UI in; changes need its CSRF token', async () => {
  const response = await signIn();
  assert.equal(response.status, 200);
  const setCookie = response.headers.get('set-cookie')!;
  assert.match(setCookie, /vantage_session=/);
  assert.match(setCookie, /HttpOnly/i);
  assert.match(setCookie, /SameSite=Strict/i);
  const { csrfToken, user } = (await response.json()) as { csrfToken: string; user: string };
  assert.equal(user, 'admin');
  const cookie = cookieOf(response);

  assert.equal((await fetch(`${api}/api/monitors`, { headers: { cookie } })).status, 200);
  const session = (await (await fetch(`${api}/api/session`, { headers: { cookie } })).json()) as { csrfToken: string };
  assert.equal(session.csrfToken, csrfToken);
  const withoutToken = await fetch(`${api}/api/config/reload`, { method: 'POST', headers: { cookie } });
  assert.equal(withoutToken.status, 403);
  const withToken = await fetch(`${api}/api/config/reload`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrfToken } });
  assert.equal(withToken.status, 200);

  const signOut = await fetch(`${api}/api/session`, { method: 'DELETE', headers: { cookie, 'x-csrf-token': csrfToken } });
  assert.equal(signOut.status, 204);
  assert.equal((await fetch(`${api}/api/monitors`, { headers: { cookie } })).status, 401, 'the session ended');
});

void test('passwords are stored as scrypt hashes, and a change ends the sessions', async () => {
  const [row] = (await backend.db.manager.query(`SELECT password_hash FROM app_user WHERE username = 'admin'`)) as { password_hash: string }[];
  assert.match(row!.password_hash, /^scrypt\$32768\$8\$1\$/);
  assert.ok(!row!.password_hash.includes(TEST_ADMIN_PASSWORD));

  const cookie = cookieOf(await signIn());
  const { csrfToken } = (await (await fetch(`${api}/api/session`, { headers: { cookie } })).json()) as { csrfToken: string };
  const change = (body: unknown) =>
    fetch(`${api}/api/session/password`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal((await change({ current: TEST_ADMIN_PASSWORD, next: 'short' })).status, 400);
  assert.equal((await change({ current: 'wrong-password', next: 'a-long-new-password' })).status, 403);
  assert.equal((await change({ current: TEST_ADMIN_PASSWORD, next: 'a-long-new-password' })).status, 200);
  assert.equal((await fetch(`${api}/api/monitors`, { headers: { cookie } })).status, 401, 'sessions end with a password change');
  assert.equal((await signIn('a-long-new-password')).status, 200);
  // Put it back for the other tests.
  const again = cookieOf(await signIn('a-long-new-password'));
  const token = ((await (await fetch(`${api}/api/session`, { headers: { cookie: again } })).json()) as { csrfToken: string }).csrfToken;
  const restored = await fetch(`${api}/api/session/password`, {
    method: 'POST',
    headers: { cookie: again, 'x-csrf-token': token, 'content-type': 'application/json' },
    body: JSON.stringify({ current: 'a-long-new-password', next: TEST_ADMIN_PASSWORD }),
  });
  assert.equal(restored.status, 200);
});

void test('repeated wrong passwords are slowed down', async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 11; i++) statuses.push((await signIn(`wrong-${i}`)).status);
  assert.deepEqual(statuses.slice(0, 10), Array(10).fill(401));
  assert.equal(statuses[10], 429);
});
