/**
 * The web UI's assets and the REST answers as they travel: compressed
 * (brotli or gzip, as the browser accepts), revalidated by ETag (304 with
 * no body), and the page loading the web UI as one bundled module.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { rawGetBytes } from '../../testing/raw-http.ts';
import { ADMIN_AUTHORIZATION, startTestBackend, type TestBackend } from '../../testing/test-backend.ts';

let t: TestBackend;
before(async () => {
  t = await startTestBackend();
});
after(() => t?.close());

/** A GET as sent, the body as received (not decompressed). */
const rawGet = (path: string, headers: Record<string, string> = {}) => rawGetBytes(t.backend.port, path, headers);

void test('modules and libraries go compressed, with an ETag that answers 304 when nothing changed', async () => {
  for (const path of ['/ui/app.js', '/vendor/uplot.mjs', '/vendor/uplot.css']) {
    const plain = await rawGet(path);
    assert.equal(plain.status, 200, path);
    assert.equal(plain.headers['content-encoding'], undefined, `${path}: nothing compressed for a client that did not ask`);
    const etag = plain.headers.etag;
    assert.match(etag ?? '', /^"[\w-]{27}"$/, path);
    const br = await rawGet(path, { 'accept-encoding': 'gzip, deflate, br' });
    assert.equal(br.headers['content-encoding'], 'br', path);
    assert.deepEqual(brotliDecompressSync(br.body), plain.body, `${path}: the same file`);
    assert.ok(br.body.length < plain.body.length / 2.5, `${path}: ${br.body.length} of ${plain.body.length} bytes`);
    const gz = await rawGet(path, { 'accept-encoding': 'gzip' });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.deepEqual(gunzipSync(gz.body), plain.body);
    assert.equal((await rawGet(path, { 'accept-encoding': 'br;q=0, gzip' })).headers['content-encoding'], 'gzip', 'q=0 refuses');
    const again = await rawGet(path, { 'if-none-match': etag!, 'accept-encoding': 'br' });
    assert.equal(again.status, 304, `${path}: revalidated`);
    assert.equal(again.body.length, 0);
    assert.equal(again.headers.etag, etag);
  }
  assert.equal((await rawGet('/vendor/uplot.mjs')).headers['cache-control'], 'public, max-age=86400');
  assert.equal((await rawGet('/ui/app.js')).headers['cache-control'], 'no-cache');
});

void test('the page loads the web UI as one minified module named by its content, kept for good, with its source map', async () => {
  const page = await rawGet('/', { 'accept-encoding': 'br' });
  assert.equal(page.headers['content-encoding'], 'br');
  const html = brotliDecompressSync(page.body).toString();
  const script = /<script type="module" src="\/ui\/(app\.[\w-]+\.js)"><\/script>/.exec(html);
  assert.ok(script, html);
  assert.doesNotMatch(html, /importmap|<link rel="modulepreload"/);
  const bundle = await rawGet(`/ui/${script[1]}`, { 'accept-encoding': 'br' });
  assert.equal(bundle.status, 200);
  assert.equal(bundle.headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.equal(bundle.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal(bundle.headers['content-encoding'], 'br');
  const code = brotliDecompressSync(bundle.body).toString();
  assert.doesNotMatch(code, /^\s*import\s/m, 'the libraries are inside, not imported');
  assert.ok(code.includes('data-testid'), 'our pages are inside');
  assert.ok(!code.includes('/**'), 'minified: no comments left');
  assert.ok(code.trimEnd().endsWith(`//# sourceMappingURL=${script[1]}.map`));
  const map = await rawGet(`/ui/${script[1]}.map`);
  assert.equal(map.status, 200);
  const sources = (JSON.parse(map.body.toString()) as { sources: string[] }).sources;
  assert.ok(sources.includes('pages/services.js'), sources.join(', '));
  assert.equal((await rawGet(`/ui/${script[1]!.replace(/\.js$/, 'x.js')}`)).status, 404, 'another version is not served');
  // The chart library, a module of its own the entry imports when a chart is drawn, which a service's page runs
  // before the app's. uPlot's class names outlive minifying.
  assert.doesNotMatch(code, /u-legend/, 'the chart library is not in the entry');
  assert.doesNotMatch(html, /chart\.[\w-]+\.js/, 'a page without a chart does not load it');
  const servicePage = brotliDecompressSync((await rawGet(`/services/${encodeURIComponent('web1/HTTP')}`, { 'accept-encoding': 'br' })).body).toString();
  const chart = /<script type="module" src="\/ui\/(chart\.[\w-]+\.js)"><\/script>\n<script type="module" src="\/ui\/app\./.exec(servicePage);
  assert.ok(chart, servicePage);
  assert.ok(code.includes(`import("./${chart[1]}")`), 'the entry imports it by that name');
  const chartModule = await rawGet(`/ui/${chart[1]}`, { 'accept-encoding': 'br' });
  assert.equal(chartModule.status, 200);
  assert.equal(chartModule.headers['cache-control'], 'public, max-age=31536000, immutable');
  const chartCode = brotliDecompressSync(chartModule.body).toString();
  assert.match(chartCode, /u-legend/);
  assert.match(chartCode, /vantageUPlot/, 'it leaves the library where chart.js finds it');
  assert.equal((await rawGet(`/ui/${chart[1]}.map`)).status, 200);
  // The stylesheets under versioned URLs too.
  const styles = /<link rel="stylesheet" href="(\/ui\/styles\.css\?v=[\w-]+)">/.exec(html);
  assert.ok(styles, html);
  assert.equal((await rawGet(styles[1]!)).headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.match(String(page.headers['content-security-policy']), /script-src 'self' 'sha256-/);
  assert.equal((await rawGet('/', { 'if-none-match': String(page.headers.etag) })).status, 304);
});

void test('REST answers worth it are compressed; small ones and the poller protocol are not', async () => {
  const services = await rawGet('/api/services', { authorization: ADMIN_AUTHORIZATION, 'accept-encoding': 'gzip' });
  assert.equal(services.status, 200);
  assert.equal(services.headers['content-encoding'], 'gzip');
  assert.equal((JSON.parse(gunzipSync(services.body).toString()) as { total: number }).total, 2);
  const plain = await rawGet('/api/services', { authorization: ADMIN_AUTHORIZATION });
  assert.equal(plain.headers['content-encoding'], undefined);
  assert.ok(services.body.length < plain.body.length, `${services.body.length} < ${plain.body.length}`);
  const small = await rawGet('/api/session', { authorization: ADMIN_AUTHORIZATION, 'accept-encoding': 'gzip' });
  assert.equal(small.headers['content-encoding'], undefined, 'a small answer goes as it is');
});
