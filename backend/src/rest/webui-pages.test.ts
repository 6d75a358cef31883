/**
 * The web UI's pages by path, over real HTTP: for a browser with a session
 * cookie the page carries the REST answers it shows first, the same as the
 * API gives that user, kept by no cache, and a service named to break out
 * of the page's script elements cannot; without a session the page only
 * lists them (for index.html's early script) and is revalidated by ETag.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { rawGetBytes } from '../../testing/raw-http.ts';
import { createUser, TEST_USER_PASSWORD } from '../../testing/users.ts';
import { startTestBackend, TEST_ADMIN_PASSWORD, type TestBackend } from '../../testing/test-backend.ts';

const HOSTILE = '</script><script>alert(1)</script><!--';
const CONFIG = `<?xml version="1.0"?>
<poller-configuration>
  <package name="web">
    <specific node-label="web1">127.0.0.1</specific>
    <specific node-label="${HOSTILE.replaceAll('<', '&lt;').replaceAll('>', '&gt;')}">127.0.0.2</specific>
    <service name="HTTP" interval="60000"><parameter key="port" value="1"/></service>
  </package>
  <monitor service="HTTP" type="http"/>
  <location name="RDU"><polling-package name="web"/></location>
</poller-configuration>`;

let t: TestBackend;
before(async () => {
  t = await startTestBackend(CONFIG);
});
after(() => t?.close());

/** The session cookie of `username`, signed in through the form's route. */
async function sessionCookie(username: string, password: string): Promise<string> {
  const response = await fetch(`${t.backend.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  assert.equal(response.status, 200);
  return response.headers.get('set-cookie')!.split(';')[0]!;
}

const getPage = (path: string, headers: Record<string, string> = {}) => fetch(`${t.backend.url}${path}`, { headers });

/** The answers a page carries, by URL, as the browser's parser keeps their text. */
function carried(html: string): Map<string, string> {
  return new Map([...html.matchAll(/<script type="application\/json" data-answer="([^"]*)">([\s\S]*?)<\/script>/g)].map((m) => [m[1]!.replaceAll('&amp;', '&'), m[2]!]));
}
const earlyList = (html: string) => JSON.parse(/<script type="application\/json" id="early-requests">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? 'null') as string[] | null;

void test('a signed-in browser gets the page with its first answers in it, the same as the API gives, kept by no cache', async () => {
  const cookie = await sessionCookie('admin', TEST_ADMIN_PASSWORD);
  const response = await getPage('/services', { cookie });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('cache-control'), 'no-store');
  assert.match(response.headers.get('vary') ?? '', /cookie/);
  const html = await response.text();
  const answers = carried(html);
  assert.deepEqual([...answers.keys()], ['/api/session', '/api/events/catalogue', '/api/alarms/count', '/api/services?window=24h']);
  assert.equal(earlyList(html), null, 'nothing left for the browser to ask');
  assert.equal((JSON.parse(answers.get('/api/session')!) as { user: string }).user, 'admin');
  const fromApi = (await (await fetch(`${t.backend.url}/api/services?window=24h`, { headers: { cookie } })).json()) as { services: { id: string }[] };
  const inPage = JSON.parse(answers.get('/api/services?window=24h')!) as { services: { id: string }[] };
  assert.deepEqual(inPage.services.map((s) => s.id).sort(), fromApi.services.map((s) => s.id).sort());
  assert.ok(inPage.services.some((s) => s.id === `${HOSTILE}/HTTP`), 'the hostile name is in the page, as data');
  // It stays data: no element ends early, nothing after it runs.
  assert.ok(!html.includes('alert(1)</script>') && !html.includes('<!--'), 'every < in the answers is escaped');
  assert.equal(html.match(/<script\b/g)!.length, html.match(/<\/script>/g)!.length);

  // The service page carries that service's data; a filtered list asks for its own (the page's query decides it).
  const service = await (await getPage(`/services/${encodeURIComponent('web1/HTTP')}`, { cookie })).text();
  assert.ok(carried(service).has('/api/services/web1/HTTP?window=24h'));
  assert.match(service, /<script type="module" src="\/ui\/chart\.[\w-]+\.js"><\/script>\n<script type="module" src="\/ui\/app\./, 'its chart library run before the app');
  assert.deepEqual([...carried(await (await getPage('/availability?window=7d', { cookie })).text()).keys()], ['/api/session', '/api/events/catalogue', '/api/alarms/count']);
  assert.ok(carried(await (await getPage('/', { cookie })).text()).has('/api/availability?window=24h'), '/ is the availability page');
  assert.equal((await getPage('/nowhere', { cookie })).status, 404);

  // Compressed as the browser accepts, the whole page (it goes out in parts when its answers take a while).
  for (const [encoding, decode] of [['br', brotliDecompressSync], ['gzip', gunzipSync]] as const) {
    const raw = await rawGetBytes(t.backend.port, '/services', { cookie, 'accept-encoding': encoding });
    assert.equal(raw.headers['content-encoding'], encoding);
    const text = decode(raw.body).toString();
    assert.ok(text.endsWith('</html>\n') && carried(text).has('/api/services?window=24h'), encoding);
  }
});


void test('each user\'s page carries what the API gives that user', async () => {
  await createUser(t.backend.url, 'vera', 'viewer');
  const cookie = await sessionCookie('vera', TEST_USER_PASSWORD);
  const answers = carried(await (await getPage('/locations', { cookie })).text());
  assert.deepEqual(JSON.parse(answers.get('/api/session')!).role, 'viewer');
  assert.ok(answers.has('/api/monitors'));
});

void test('without a session the page lists its answers for the early script, carries none, and is revalidated by its ETag', async () => {
  const response = await getPage('/events');
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('cache-control'), 'no-cache');
  const html = await response.text();
  assert.equal(carried(html).size, 0);
  assert.deepEqual(earlyList(html), ['/api/session', '/api/events/catalogue', '/api/alarms/count', '/api/locations', '/api/events?limit=200']);
  assert.equal((await getPage('/events', { 'if-none-match': response.headers.get('etag')! })).status, 304);
  // A cookie that opens no session (ended, or made up) gets the page without answers: it shows the sign-in form.
  const stale = await getPage('/events', { cookie: 'vantage_session=not-a-session' });
  assert.equal(stale.status, 200);
  const staleHtml = await stale.text();
  assert.equal(carried(staleHtml).size, 0);
  assert.match(staleHtml, /<\/html>\s*$/, 'the whole page');
  // One policy for the page with and without answers: the data it carries is never run, so it needs no allowing.
  const cookie = await sessionCookie('admin', TEST_ADMIN_PASSWORD);
  assert.equal((await getPage('/events', { cookie })).headers.get('content-security-policy'), (await getPage('/events')).headers.get('content-security-policy'));
});
