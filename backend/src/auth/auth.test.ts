/**
 * Sign-in for the REST API and the web UI against a real backend: nothing
 * under /api/ answers without a signed-in user; sessions ride in an HttpOnly
 * cookie and changes need the session's CSRF token; scripts use HTTP Basic;
 * wrong passwords, however they come, are limited per username and client
 * address, and floods of them neither starve the server nor lock the
 * administrator out (clients at other addresses are other loopback
 * addresses: 127.0.0.2, 127.0.1.7, …); the first start's generated admin
 * password is tested in e2e/standalone. Every request form is tried in
 * route-access.test.ts.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Backend } from '../server.ts';
import { rawHttp, type RawHttpResponse } from '../../testing/raw-http.ts';
import { FREE_FAILURES } from './password-gate.ts';
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

/** A sign-in through the form from `address`. */
const signInFrom = (address: string, username: string, password: string) =>
  rawHttp(backend.port, {
    method: 'POST',
    target: '/api/session',
    localAddress: address,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
/** A REST request with Basic credentials from `address`. */
const basicFrom = (address: string, username: string, password: string, target = '/api/monitors') =>
  rawHttp(backend.port, { method: 'GET', target, localAddress: address, headers: { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` } });
const countBy = (responses: RawHttpResponse[]) => responses.reduce<Record<number, number>>((n, r) => ({ ...n, [r.status]: (n[r.status] ?? 0) + 1 }), {});

void test('wrong passwords over HTTP Basic are limited like the sign-in form', async () => {
  const statuses: number[] = [];
  for (let i = 0; i <= FREE_FAILURES; i++) statuses.push((await basicFrom('127.0.0.3', 'admin', `wrong-${i}`)).status);
  assert.deepEqual(statuses, [...Array<number>(FREE_FAILURES).fill(401), 429]);
  const waiting = await basicFrom('127.0.0.3', 'admin', 'wrong-again');
  assert.equal(waiting.status, 429);
  assert.match(waiting.headers['retry-after'] ?? '', /^\d+$/);
  assert.match((JSON.parse(waiting.body) as { error: string }).error, /too many wrong passwords/);
  assert.equal((await basicFrom('127.0.0.4', 'admin', TEST_ADMIN_PASSWORD)).status, 200, 'the administrator elsewhere is not held up');
});

void test('sixty wrong sign-ins at once: only a few are checked, the rest are told to wait', async () => {
  const responses = await Promise.all(Array.from({ length: 60 }, (_, i) => signInFrom('127.0.0.5', 'admin', `parallel-${i}`)));
  const counts = countBy(responses);
  assert.deepEqual(Object.keys(counts).sort(), ['401', '429'], JSON.stringify(counts));
  // A 401 is a password that was hashed and found wrong; a 429 was refused before hashing. At most
  // MAX_PENDING_PER_ADDRESS hash at once (password-gate.test.ts holds that exactly); requests that reach
  // the server after the first ones failed may hash too, but never more than the free failures in all.
  assert.ok(counts[401]! <= FREE_FAILURES, `${counts[401]} passwords were checked`);
  assert.ok(counts[429]! >= 60 - FREE_FAILURES, `${counts[429]} were told to wait`);
  for (const r of responses.filter((r) => r.status === 429)) assert.match(r.headers['retry-after'] ?? '', /^\d+$/);
  assert.equal((await signInFrom('127.0.0.6', 'admin', TEST_ADMIN_PASSWORD)).status, 200, 'the administrator signs in from elsewhere');
});

/**
 * Keeps `parallel` wrong Basic requests in flight (each from `addressOf(i)`)
 * until `during` settles or `maxRequests` were sent; returns their answers
 * and what `during` resolved to.
 */
async function flood<T>(parallel: number, maxRequests: number, addressOf: (i: number) => string, during: () => Promise<T>): Promise<{ answers: RawHttpResponse[]; result: T }> {
  const answers: RawHttpResponse[] = [];
  let sent = 0;
  let done = false;
  const worker = async () => {
    while (!done && sent < maxRequests) {
      const i = sent++;
      answers.push(await basicFrom(addressOf(i), `guess-${i}`, `wrong-${i}`));
    }
  };
  const workers = Array.from({ length: parallel }, worker);
  // Let the flood build up before the legitimate requests start.
  while (sent < parallel) await new Promise((resolve) => setImmediate(resolve));
  const result = await during().finally(() => (done = true));
  await Promise.all(workers);
  return { answers, result };
}

void test('a flood of wrong Basic passwords from one address: static files and health answer, the administrator signs in from elsewhere', async () => {
  const { answers, result } = await flood(200, 4000, () => '127.0.0.8', async () => {
    const page = await rawHttp(backend.port, { method: 'GET', target: '/ui/app.js', localAddress: '127.0.0.9' });
    const health = await rawHttp(backend.port, { method: 'GET', target: '/api/health', localAddress: '127.0.0.9' });
    const admin = await signInFrom('127.0.0.9', 'admin', TEST_ADMIN_PASSWORD);
    return { page, health, admin };
  });
  assert.equal(result.page.status, 200);
  assert.match(result.page.body, /import/);
  assert.equal(result.health.status, 200);
  assert.equal(result.admin.status, 200, result.admin.body);
  const counts = countBy(answers);
  assert.deepEqual(Object.keys(counts).sort(), ['401', '429'].filter((s) => counts[Number(s)]), JSON.stringify(counts));
  assert.ok(counts[429]! > 0, 'most of the flood is refused before hashing');
});

void test('a flood from many addresses is bounded: a few hash at a time, the rest are answered 503 with Retry-After', async () => {
  const { answers, result } = await flood(200, 200, (i) => `127.0.1.${1 + (i % 50)}`, async () => {
    const page = await rawHttp(backend.port, { method: 'GET', target: '/ui/app.js', localAddress: '127.0.2.1' });
    const health = await rawHttp(backend.port, { method: 'GET', target: '/api/health', localAddress: '127.0.2.1' });
    return { page, health };
  });
  assert.equal(result.page.status, 200);
  assert.equal(result.health.status, 200);
  const counts = countBy(answers);
  assert.ok(Object.keys(counts).every((s) => ['401', '429', '503'].includes(s)), JSON.stringify(counts));
  assert.ok(counts[503]! > 0, `the queue of password checks overflowed: ${JSON.stringify(counts)}`);
  const busy = answers.find((r) => r.status === 503)!;
  assert.match(busy.headers['retry-after'] ?? '', /^\d+$/);
  assert.match((JSON.parse(busy.body) as { error: string }).error, /too many sign-ins at once/);
});
