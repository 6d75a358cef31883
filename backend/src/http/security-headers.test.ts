/**
 * Every answer of a real backend carries the browser-side protections: no
 * framing, no content sniffing, no Referer, a Content-Security-Policy (the
 * web UI's page its own, with its import map allowed by hash and nothing
 * inline otherwise), and nothing under /api/ kept in a cache, above all the
 * registration command with its token. Health tells anyone only that it is up.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { ADMIN_AUTHORIZATION, startTestBackend, type TestBackend } from '../../testing/test-backend.ts';
import { rawHttp, type RawHttpResponse } from '../../testing/raw-http.ts';

let t: TestBackend;
let port: number;
before(async () => {
  t = await startTestBackend();
  port = t.backend.port;
});
after(() => t.close());

const get = (target: string, signedIn = false, method = 'GET') =>
  rawHttp(port, { method, target, headers: signedIn ? { authorization: ADMIN_AUTHORIZATION } : {} });

/** Each kind of answer the server gives, by what it is. */
async function answers(): Promise<[string, RawHttpResponse][]> {
  return [
    ['the page', await get('/')],
    ['a module', await get('/ui/app.js')],
    ['a library', await get('/vendor/preact.mjs')],
    ['health', await get('/api/health')],
    ['not signed in', await get('/api/monitors')],
    ['signed in', await get('/api/monitors', true)],
    ['the registration command', await get('/api/locations/NYC/registration', true)],
    ['the event stream', await get('/api/live', true)],
    ['HEAD', await get('/api/health', false, 'HEAD')],
    ['no such route', await get('/api/nothing')],
    ['not origin-form', await get('*')],
    ['undecodable path', await get('/api/%E0%A4%A')],
    ['JSON-RPC', await rawHttp(port, { method: 'POST', target: '/rpc', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":1,"method":"nothing"}' })],
  ];
}

void test('every answer forbids framing and sniffing, sends no Referer and has a Content-Security-Policy', async () => {
  for (const [what, response] of await answers()) {
    assert.equal(response.headers['x-frame-options'], 'DENY', what);
    assert.equal(response.headers['x-content-type-options'], 'nosniff', what);
    assert.equal(response.headers['referrer-policy'], 'no-referrer', what);
    assert.match(String(response.headers['content-security-policy']), /frame-ancestors 'none'/, what);
    assert.match(String(response.headers['content-security-policy']), /default-src 'none'/, what);
  }
});

void test('nothing under /api/ is cached; the web UI files are, as before', async () => {
  for (const [what, response] of await answers()) {
    if (['the page', 'a module', 'a library'].includes(what)) continue;
    assert.equal(response.headers['cache-control'], 'no-store', what);
  }
  const registration = await get('/api/locations/NYC/registration', true);
  assert.match(registration.body, /nyc-secret-token/, 'the answer that holds a secret…');
  assert.equal(registration.headers['cache-control'], 'no-store', '…is never stored');
  assert.equal((await get('/')).headers['cache-control'], 'no-cache');
  assert.equal((await get('/ui/app.js')).headers['cache-control'], 'no-cache');
  assert.equal((await get('/vendor/preact.mjs')).headers['cache-control'], 'public, max-age=86400');
});

void test("the page's policy runs only our scripts and the inline script it carries, by hash", async () => {
  const page = await get('/');
  const header = String(page.headers['content-security-policy']);
  const policy = Object.fromEntries(
    header.split(';').map((d) => {
      const [name, ...values] = d.trim().split(/\s+/);
      return [name!, values];
    }),
  );
  // The inline script: the early requests (the web UI itself is one bundled module, without an import map).
  const inline = [...page.body.matchAll(/<script(?: type="importmap")?>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
  assert.equal(inline.length, 1);
  assert.deepEqual(policy['script-src'], ["'self'", ...inline.map((text) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`)]);
  assert.deepEqual(policy['frame-ancestors'], ["'none'"]);
  assert.deepEqual(policy['connect-src'], ["'self'"]);
  assert.deepEqual(policy['base-uri'], ["'none'"]);
  assert.doesNotMatch(header, /unsafe-inline|unsafe-eval/);
});

void test('health tells anyone that it is up and nothing else; where the database is needs a signed-in user', async () => {
  const health = await get('/api/health');
  assert.deepEqual(JSON.parse(health.body), { status: 'ok' });
  assert.equal((await get('/api/system')).status, 401);
  const system = JSON.parse((await get('/api/system', true)).body) as { version: string; database: string };
  assert.match(system.version, /^\d+\.\d+\.\d+$/);
  assert.match(system.database, /^(embedded PGlite|PostgreSQL at postgres:\/\/)/);
  assert.equal(system.database, t.backend.db.description);
});
