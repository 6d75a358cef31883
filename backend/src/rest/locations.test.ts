/**
 * The REST pieces the web UI's locations page stands on: the registration
 * command per location, Pause all / Resume all, and the live event stream.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { Uei } from '@vantage/common';
import { ADMIN_AUTHORIZATION, adminFetch, registerApproved, startTestBackend, type TestBackend } from '../../testing/test-backend.ts';

let t: TestBackend;
let api: string;
before(async () => {
  t = await startTestBackend();
  api = `http://127.0.0.1:${t.backend.port}/api`;
});
after(() => t.close());

void test('the registration command names the server, the location and, where it has one, its token (in the environment)', async () => {
  const nyc = (await (await adminFetch(`${api}/locations/NYC/registration`)).json()) as { admission: string; token: string; command: string; fingerprint: string | null };
  assert.equal(nyc.admission, 'token');
  assert.equal(nyc.token, 'nyc-secret-token');
  // Plain HTTP (the local Quick start): ws://, nothing to pin; the token in the environment: on the command line every local user could read it in /proc/PID/cmdline.
  assert.equal(nyc.command, `VANTAGE_TOKEN='nyc-secret-token' npx vantage-poller --server ws://127.0.0.1:${t.backend.port}/rpc --location NYC --name nyc-1`);
  assert.equal(nyc.fingerprint, null);
  const rdu = (await (await adminFetch(`${api}/locations/RDU/registration`)).json()) as { admission: string; token: null; command: string };
  assert.equal(rdu.admission, 'approval');
  assert.equal(rdu.token, null);
  assert.equal(rdu.command, `npx vantage-poller --server ws://127.0.0.1:${t.backend.port}/rpc --location RDU --name rdu-1`);
  assert.equal((await adminFetch(`${api}/locations/Atlantis/registration`)).status, 404);
});

void test('Pause all and Resume all act on every monitor of a location that can take it', async () => {
  const a = await registerApproved(t, 'RDU', 'a');
  const b = await registerApproved(t, 'RDU', 'b');
  const pending = (await t.call('registerLocationMonitor', { location: 'RDU', name: 'waiting' })).result as { monitorId: string };
  const post = (path: string) => adminFetch(`${api}${path}`, { method: 'POST' });
  const paused = (await (await post('/locations/RDU/pause-all')).json()) as { changed: string[]; skipped: { id: string }[] };
  assert.deepEqual(paused.changed.sort(), [a.monitorId, b.monitorId].sort());
  assert.deepEqual(
    paused.skipped.map((s) => s.id),
    [pending.monitorId],
  );
  assert.equal((await t.backend.monitors.get(a.monitorId)).paused, true);
  const resumed = (await (await post('/locations/RDU/resume-all')).json()) as { changed: string[] };
  assert.deepEqual(resumed.changed.sort(), [a.monitorId, b.monitorId].sort());
  assert.equal((await t.backend.monitors.get(b.monitorId)).paused, false);
});

void test('GET /api/live streams events as they are stored', async () => {
  const received: { uei: string; params: Record<string, string> }[] = [];
  const request = http.get(`${api}/live`, { headers: { authorization: ADMIN_AUTHORIZATION } });
  const response = await new Promise<http.IncomingMessage>((resolve) => request.once('response', resolve));
  assert.equal(response.headers['content-type'], 'text/event-stream');
  let buffer = '';
  response.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const message = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = message.split('\n').find((line) => line.startsWith('data: '));
      if (data) received.push(JSON.parse(data.slice(6)));
    }
  });
  await t.call('registerLocationMonitor', { location: 'RDU', name: 'live-one' });
  const deadline = Date.now() + 5_000;
  while (!received.some((e) => e.uei === Uei.locationMonitorRegistered && e.params.monitorName === 'live-one')) {
    assert.ok(Date.now() < deadline, 'the registration did not arrive on the stream');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  request.destroy();
  assert.equal((await fetch(`${api}/live`)).status, 401, 'the stream needs a signed-in user too');
});

void test('the OpenAPI description lists exactly the /api routes (and /metrics) the server has', async () => {
  const document = (await (await fetch(`${api}/openapi.json`)).json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
  assert.equal(document.openapi, '3.1.0');
  const described = Object.entries(document.paths)
    .flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`))
    .sort();
  const served = t.backend.routes.filter((r) => /^(GET|POST|PATCH|DELETE) \/(api|metrics)/.test(r)).sort();
  assert.deepEqual(described, served);
});

void test('the web UI and its browser libraries are served without a build step', async () => {
  const root = `http://127.0.0.1:${t.backend.port}`;
  const page = await fetch(`${root}/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /text\/html/);
  for (const name of ['preact.mjs', 'preact-hooks.mjs', 'htm.mjs', 'htm-preact.mjs', 'uplot.mjs']) {
    const response = await fetch(`${root}/vendor/${name}`);
    assert.equal(response.status, 200, name);
    assert.match(response.headers.get('content-type') ?? '', /javascript/, name);
  }
  assert.equal((await fetch(`${root}/vendor/uplot.css`)).status, 200);
  assert.equal((await fetch(`${root}/vendor/secrets.txt`)).status, 404);
  assert.equal((await fetch(`${root}/ui/app.js`)).status, 200);
  assert.equal((await fetch(`${root}/ui/..%2F..%2Fpackage.json`)).status, 404, 'nothing outside webui/src');
});
