import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { httpMonitor, parseStatusRanges } from './http.ts';
import type { PollOutcome } from './monitor.ts';
import { closedPort, pollLocal, start, startSilentServer, type RunningServer } from './test-support.ts';

const NEEDLE = 'needle-in-the-tail';

/** One server for all cases, each path a different behaviour. */
function handler(req: http.IncomingMessage, res: http.ServerResponse): void {
  switch (req.url) {
    case '/':
    case '/ok':
      res.end('<html><body>Welcome to the status page, build 4711</body></html>');
      return;
    case '/not-found':
      res.writeHead(404).end('no such page');
      return;
    case '/unavailable':
      res.writeHead(503).end('maintenance');
      return;
    case '/redirect':
      res.writeHead(302, { location: '/ok' }).end();
      return;
    case '/host':
      res.end(`host=${req.headers.host}`);
      return;
    case '/big':
      // The text to find lies past the 1 MiB the monitor reads.
      res.write(Buffer.alloc(1536 * 1024, 'x'));
      res.end(NEEDLE);
      return;
    case '/stalled-body':
      res.writeHead(200);
      res.write('first part, then nothing');
      return;
    case '/cut-body':
      res.writeHead(200, { 'content-length': '1000' });
      res.write('first part', () => res.destroy());
      return;
    default:
      res.writeHead(500).end(`unexpected path ${req.url}`);
  }
}

let server: RunningServer;
before(async () => {
  server = await start(http.createServer(handler));
});
after(() => server.close());

const poll = (params: Record<string, string>, timeoutMs?: number): Promise<PollOutcome> =>
  pollLocal(httpMonitor, { port: String(server.port), ...params }, timeoutMs);

const upCases: Array<{ name: string; params: Record<string, string> }> = [
  { name: 'defaults (url "/", response 100-399)', params: {} },
  { name: 'explicit url and single accepted code', params: { url: '/ok', response: '200' } },
  { name: 'redirect accepted by default', params: { url: '/redirect' } },
  { name: '404 accepted by a list of ranges', params: { url: '/not-found', response: '200-299, 404' } },
  { name: 'response-text substring', params: { url: '/ok', 'response-text': 'status page' } },
  { name: 'response-text regular expression', params: { url: '/ok', 'response-text': '~build \\d{4}' } },
  {
    name: 'host-name sent as the Host header',
    params: { url: '/host', 'host-name': 'www.example.org', 'response-text': 'host=www.example.org' },
  },
];

for (const { name, params } of upCases) {
  void test(`http: UP, ${name}`, async () => {
    const outcome = await poll(params);
    assert.equal(outcome.status, 'UP', outcome.reason);
    assert.equal(typeof outcome.responseTimeMs, 'number');
    assert.ok((outcome.responseTimeMs ?? -1) >= 0, `responseTimeMs ${outcome.responseTimeMs}`);
  });
}

void test('http: Host header defaults to the target host and port', async () => {
  const outcome = await poll({ url: '/host', 'response-text': `host=127.0.0.1:${server.port}` });
  assert.equal(outcome.status, 'UP', outcome.reason);
});

const downCases: Array<{ name: string; params: Record<string, string>; reason: string }> = [
  { name: 'status outside the default ranges', params: { url: '/unavailable' }, reason: 'HTTP 503, expected 100-399' },
  {
    name: 'status outside given ranges',
    params: { url: '/unavailable', response: '200-399' },
    reason: 'HTTP 503, expected 200-399',
  },
  { name: 'redirect not accepted', params: { url: '/redirect', response: '200' }, reason: 'HTTP 302, expected 200' },
  {
    name: 'missing response-text',
    params: { url: '/ok', 'response-text': 'foo' },
    reason: 'response did not contain "foo"',
  },
  {
    name: 'non-matching regular expression',
    params: { url: '/ok', 'response-text': '~build [a-z]+$' },
    reason: 'response did not contain "~build [a-z]+$"',
  },
  {
    name: 'response-text past the first MiB',
    params: { url: '/big', 'response-text': NEEDLE },
    reason: `response did not contain "${NEEDLE}"`,
  },
  { name: 'connection lost mid-body', params: { url: '/cut-body' }, reason: 'connection reset' },
  {
    name: 'connection lost mid-body while reading it',
    params: { url: '/cut-body', 'response-text': 'first' },
    reason: 'connection reset',
  },
];

for (const { name, params, reason } of downCases) {
  void test(`http: DOWN, ${name}`, async () => {
    assert.deepEqual(await poll(params), { status: 'DOWN', reason });
  });
}

void test('http: DOWN "connection refused" when nothing listens', async () => {
  const port = await closedPort();
  assert.deepEqual(await pollLocal(httpMonitor, { port: String(port) }), {
    status: 'DOWN',
    reason: 'connection refused',
  });
});

void test('http: DOWN on timeout when the server never answers', async (t) => {
  const silent = await startSilentServer();
  t.after(() => silent.close());

  const started = performance.now();
  const outcome = await pollLocal(httpMonitor, { port: String(silent.port) }, 200);
  const elapsed = performance.now() - started;

  assert.deepEqual(outcome, { status: 'DOWN', reason: 'timeout after 200 ms' });
  assert.ok(elapsed >= 150 && elapsed < 1000, `returned after ${elapsed} ms`);
});

void test('http: DOWN on timeout when the body never ends', async () => {
  const started = performance.now();
  const outcome = await poll({ url: '/stalled-body' }, 200);
  assert.deepEqual(outcome, { status: 'DOWN', reason: 'timeout after 200 ms' });
  assert.ok(performance.now() - started < 1000);
});

const badParams: Array<{ params: Record<string, string>; reason: string }> = [
  { params: { port: 'http' }, reason: 'parameter "port" must be an integer from 1 to 65535, got "http"' },
  { params: { url: 'ok' }, reason: 'parameter "url" must be a path starting with "/" without spaces, got "ok"' },
  { params: { url: '/a b' }, reason: 'parameter "url" must be a path starting with "/" without spaces, got "/a b"' },
  {
    params: { 'host-name': 'a\nb' },
    reason: 'parameter "host-name" must not contain spaces or control characters, got "a\nb"',
  },
  {
    params: { response: '2xx' },
    reason: 'parameter "response" must be status codes or ranges like "200-399" or "200,301-302", got "2xx"',
  },
  {
    params: { 'response-text': '~(' },
    reason:
      'parameter "response-text" is not a valid regular expression: Invalid regular expression: /(/: Unterminated group',
  },
];

for (const { params, reason } of badParams) {
  void test(`http: UNKNOWN for ${JSON.stringify(params)}`, async () => {
    assert.deepEqual(await poll(params), { status: 'UNKNOWN', reason });
  });
}

const rangeCases: Array<{ spec: string; expected: ReturnType<typeof parseStatusRanges> }> = [
  { spec: '200', expected: [{ from: 200, to: 200 }] },
  { spec: '200-399', expected: [{ from: 200, to: 399 }] },
  { spec: '200,301-302', expected: [{ from: 200, to: 200 }, { from: 301, to: 302 }] },
  { spec: ' 200 , 301 - 302 ', expected: [{ from: 200, to: 200 }, { from: 301, to: 302 }] },
  { spec: '', expected: undefined },
  { spec: '200,', expected: undefined },
  { spec: '399-200', expected: undefined },
  { spec: '099', expected: undefined },
  { spec: '2000', expected: undefined },
  { spec: '200-', expected: undefined },
  { spec: 'abc', expected: undefined },
];

void test('parseStatusRanges', () => {
  for (const { spec, expected } of rangeCases) {
    assert.deepEqual(parseStatusRanges(spec), expected, JSON.stringify(spec));
  }
});
