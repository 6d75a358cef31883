import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { Socket } from 'node:net';
import { DEFAULT_USER_AGENT, MAX_REDIRECTS, httpMonitor, parseStatusRanges, type HttpPhases } from './http.ts';
import type { PollOutcome } from './monitor.ts';
import { closedPort, parseAndPoll, pollLocal, start, startSilentServer, type RunningServer } from '../testing/servers.ts';

const NEEDLE = 'needle-in-the-tail';
const CREDENTIALS = 'Basic ' + Buffer.from('alice:s3cret:with colon', 'utf8').toString('base64');

/** The headers of the last request to /capture, on either server (tests in a file run one at a time). */
let capturedHeaders: http.IncomingHttpHeaders | undefined;
let capturedRaw: string[] = [];

/** Polls, and returns what /capture saw of that poll. */
async function pollCapturing(params: Record<string, string>): Promise<{ outcome: PollOutcome; headers: http.IncomingHttpHeaders }> {
  capturedHeaders = undefined;
  const outcome = await poll(params);
  assert.ok(capturedHeaders, `no request reached /capture: ${JSON.stringify(outcome)}`);
  return { outcome, headers: capturedHeaders };
}
/** Where /to-other and /to-silent send the client. */
let otherPort = 0;
let silentPort = 0;

/** One server for all cases, each path a different behaviour. */
function handler(req: http.IncomingMessage, res: http.ServerResponse): void {
  const chain = /^\/chain\/(\d+)$/.exec(req.url ?? '');
  if (chain) {
    const left = Number(chain[1]);
    if (left === 0) res.end('end of the chain');
    else res.writeHead(302, { location: `/chain/${left - 1}` }).end();
    return;
  }
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
    case '/auth':
      if (req.headers.authorization === CREDENTIALS) res.end('welcome alice');
      else res.writeHead(401, { 'www-authenticate': 'Basic realm="test"' }).end();
      return;
    case '/capture':
      capturedHeaders = req.headers;
      capturedRaw = req.rawHeaders;
      res.end('captured');
      return;
    case '/redirect-auth':
      res.writeHead(302, { location: '/auth' }).end();
      return;
    case '/redirect-404':
      res.writeHead(301, { location: '/not-found' }).end();
      return;
    case '/see-other':
      res.writeHead(303, { location: 'ok' }).end(); // relative to /see-other
      return;
    case '/absolute':
      res.writeHead(307, { location: `http://127.0.0.1:${req.socket.localPort}/ok` }).end();
      return;
    case '/vhost-redirect':
      // The Host the client sent, absolute: the same origin, so the same address.
      res.writeHead(308, { location: `http://${req.headers.host}/host` }).end();
      return;
    case '/loop-a':
      res.writeHead(302, { location: '/loop-b' }).end();
      return;
    case '/loop-b':
      res.writeHead(302, { location: '/loop-a#fragment' }).end();
      return;
    case '/self':
      res.writeHead(302, { location: '/self' }).end();
      return;
    case '/no-location':
      res.writeHead(302).end();
      return;
    case '/bad-location':
      res.writeHead(302, { location: 'http://[::1' }).end();
      return;
    case '/ftp':
      res.writeHead(302, { location: 'ftp://example.org/file' }).end();
      return;
    case '/to-other':
      // Another host name (localhost, looked up) and port: another origin.
      res.writeHead(302, { location: `http://localhost:${otherPort}/capture` }).end();
      return;
    case '/to-silent':
      res.writeHead(302, { location: `http://127.0.0.1:${silentPort}/` }).end();
      return;
    default:
      res.writeHead(500).end(`unexpected path ${req.url}`);
  }
}

let server: RunningServer;
let other: RunningServer;
let silent: RunningServer;
before(async () => {
  server = await start(http.createServer(handler));
  other = await start(http.createServer(handler));
  silent = await startSilentServer();
  otherPort = other.port;
  silentPort = silent.port;
});
after(() => Promise.all([server.close(), other.close(), silent.close()]));

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

/** Whether every connection `server` accepted is closed within `withinMs`. */
async function allClosed(open: Set<unknown>, withinMs: number): Promise<boolean> {
  for (const deadline = performance.now() + withinMs; open.size > 0 && performance.now() < deadline; ) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return open.size === 0;
}

// The server keeps idle connections for a minute, and the check's timeout is
// longer than the wait: only the monitor can close them sooner.
const leftOpenCases: Array<{ name: string; params: Record<string, string>; status: PollOutcome['status'] }> = [
  { name: 'after a complete answer', params: {}, status: 'UP' },
  { name: 'after a complete answer on a connection asked to stay open', params: { header0: 'Connection: keep-alive' }, status: 'UP' },
  { name: 'after an unexpected status, body unread', params: { url: '/unavailable', header0: 'Connection: keep-alive' }, status: 'DOWN' },
];

for (const { name, params, status } of leftOpenCases) {
  void test(`http: no connection left open ${name}`, async (t) => {
    const open = new Set<unknown>();
    const keeping = http.createServer(handler);
    keeping.keepAliveTimeout = 60_000;
    keeping.on('connection', (socket: Socket) => {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
    });
    const running = await start(keeping);
    t.after(() => running.close());

    const outcome = await pollLocal(httpMonitor, { port: String(running.port), ...params }, 30_000);
    assert.equal(outcome.status, status, outcome.reason);
    assert.ok(await allClosed(open, 2_000), `${open.size} connection(s) still open 2 s after the check`);
  });
}

const HTTP_PARAMETERS =
  'basic-authentication, follow-redirects, header<N>, host-name, invert-status, nodelabel-host-name, password, port, ' +
  'resolve-ip, response, response-text, retry, server-name, timeout, url, user, user-agent, verify-server-certificate';

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
  { params: { 'basic-authentication': 'alice' }, reason: 'parameter "basic-authentication" must be "user:password"' },
  { params: { password: 'secret' }, reason: 'parameter "password" needs parameter "user"' },
  { params: { user: 'a:b', password: 'c' }, reason: 'parameter "user" must not contain ":"' },
  {
    params: { header0: 'X-Trace abc' },
    reason: 'parameter "header0" must be "Name: value" without control characters, got "X-Trace abc"',
  },
  {
    params: { header3: 'X Trace: abc' },
    reason: 'parameter "header3" must be "Name: value" without control characters, got "X Trace: abc"',
  },
  {
    params: { header1: 'X-Trace: a\u0007b' },
    reason: 'parameter "header1" must be "Name: value" without control characters, got "X-Trace: a\u0007b"',
  },
  {
    params: { header0: 'X-Name: \u0100' },
    reason: 'parameter "header0" must be "Name: value" without control characters, got "X-Name: \u0100"',
  },
  { params: { header0: 'Host: example.org' }, reason: 'parameter "header0" sets Host: use parameter "host-name" instead' },
  {
    params: { 'user-agent': 'probe\u0000' + 'x' },
    reason: 'parameter "user-agent" must not contain control characters, got "probe\u0000x"',
  },
  { params: { 'follow-redirects': 'yes' }, reason: 'parameter "follow-redirects" must be "true" or "false", got "yes"' },
  {
    params: { 'verify-server-certificate': 'no' },
    reason: 'parameter "verify-server-certificate" must be "true" or "false", got "no"',
  },
  {
    params: { 'server-name': '10.0.0.1' },
    reason: 'parameter "server-name" must be a host name (SNI takes no addresses), got "10.0.0.1"',
  },
  {
    params: { 'nodelabel-host-name': 'true' },
    reason: 'parameter "nodelabel-host-name" is not supported: set parameter "host-name" instead',
  },
  {
    params: { 'resolve-ip': 'true' },
    reason: 'parameter "resolve-ip" is not supported: set parameter "host-name" instead',
  },
  // Refused rather than ignored: a typo must not pass for a setting.
  { params: { respones: '200' }, reason: `unknown parameter "respones" for monitor http (known: ${HTTP_PARAMETERS})` },
  { params: { header: 'X-Trace: abc' }, reason: `unknown parameter "header" for monitor http (known: ${HTTP_PARAMETERS})` },
  { params: { 'no-such-param': '1' }, reason: `unknown parameter "no-such-param" for monitor http (known: ${HTTP_PARAMETERS})` },
];

for (const { params, reason } of badParams) {
  void test(`http: UNKNOWN for ${JSON.stringify(params)}`, async () => {
    assert.deepEqual(await poll(params), { status: 'UNKNOWN', reason });
  });
}

// --- credentials -----------------------------------------------------------------

const authCases: Array<{ name: string; params: Record<string, string>; expected: PollOutcome['status']; reason?: string }> = [
  { name: 'user and password', params: { user: 'alice', password: 's3cret:with colon' }, expected: 'UP' },
  { name: 'basic-authentication', params: { 'basic-authentication': 'alice:s3cret:with colon' }, expected: 'UP' },
  {
    name: 'basic-authentication over a wrong user and password',
    params: { 'basic-authentication': 'alice:s3cret:with colon', user: 'mallory', password: 'guess' },
    expected: 'UP',
  },
  {
    name: 'wrong password',
    params: { user: 'alice', password: 'guess' },
    expected: 'DOWN',
    reason: 'HTTP 401, expected 100-399',
  },
  { name: 'no credentials', params: {}, expected: 'DOWN', reason: 'HTTP 401, expected 100-399' },
  {
    name: 'wrong credentials against a narrower response',
    params: { 'basic-authentication': 'alice:', response: '200' },
    expected: 'DOWN',
    reason: 'HTTP 401, expected 200',
  },
];

for (const { name, params, expected, reason } of authCases) {
  void test(`http: basic authentication, ${name}: ${expected}`, async () => {
    const outcome = await poll({ url: '/auth', ...params });
    assert.equal(outcome.status, expected, outcome.reason);
    assert.equal(outcome.reason, reason);
  });
}

void test('http: user without password sends "user:"', async () => {
  const { headers } = await pollCapturing({ url: '/capture', user: 'bob' });
  assert.equal(headers.authorization, `Basic ${Buffer.from('bob:').toString('base64')}`);
});

// --- headers and user agent --------------------------------------------------------

void test('http: headerN reach the server in number order, trimmed', async () => {
  const { outcome, headers } = await pollCapturing({
    url: '/capture',
    header10: 'X-Order: ten',
    header2: 'X-Order: two',
    header0: 'X-Trace:  abc-123 ',
    header1: 'Accept: text/plain',
  });
  assert.equal(outcome.status, 'UP', outcome.reason);
  assert.equal(headers['x-trace'], 'abc-123');
  assert.equal(headers.accept, 'text/plain');
  const order = capturedRaw.flatMap((value, i) => (capturedRaw[i - 1]?.toLowerCase() === 'x-order' ? [value] : []));
  assert.deepEqual(order, ['two', 'ten']);
});

const userAgentCases: Array<{ name: string; params: Record<string, string>; expected: string }> = [
  { name: 'default', params: {}, expected: DEFAULT_USER_AGENT },
  { name: 'blank means default', params: { 'user-agent': '  ' }, expected: DEFAULT_USER_AGENT },
  { name: 'user-agent parameter', params: { 'user-agent': 'Probe/2.0 (ops)' }, expected: 'Probe/2.0 (ops)' },
  {
    name: 'a headerN naming User-Agent wins',
    params: { 'user-agent': 'Probe/2.0', header0: 'user-agent: FromHeader/1' },
    expected: 'FromHeader/1',
  },
];

for (const { name, params, expected } of userAgentCases) {
  void test(`http: User-Agent, ${name}`, async () => {
    const { outcome, headers } = await pollCapturing({ url: '/capture', ...params });
    assert.equal(outcome.status, 'UP', outcome.reason);
    assert.equal(headers['user-agent'], expected);
  });
}

void test('http: the default User-Agent says what it is compatible with', () => {
  assert.match(DEFAULT_USER_AGENT, /^Vantage\/\S+ \(OpenNMS HttpMonitor compatible\)$/);
});

void test('http: host-name with nodelabel-host-name set is accepted (host-name wins)', async () => {
  const outcome = await poll({ url: '/host', 'host-name': 'www.example.org', 'nodelabel-host-name': 'true' });
  assert.equal(outcome.status, 'UP', outcome.reason);
});

// --- redirects -----------------------------------------------------------------------

const follow = { 'follow-redirects': 'true' };

const redirectUpCases: Array<{ name: string; params: Record<string, string>; redirects: number }> = [
  { name: '302 to a path', params: { url: '/redirect', response: '200' }, redirects: 1 },
  { name: '303 to a relative location', params: { url: '/see-other', response: '200' }, redirects: 1 },
  { name: '307 to an absolute URL on the same origin', params: { url: '/absolute', response: '200' }, redirects: 1 },
  {
    name: 'response-text is looked for in the final body',
    params: { url: '/redirect', 'response-text': 'status page' },
    redirects: 1,
  },
  {
    name: `a chain of ${MAX_REDIRECTS}`,
    params: { url: `/chain/${MAX_REDIRECTS}`, 'response-text': 'end of the chain' },
    redirects: MAX_REDIRECTS,
  },
  {
    name: 'credentials go along on the same origin',
    params: { url: '/redirect-auth', 'basic-authentication': 'alice:s3cret:with colon', response: '200' },
    redirects: 1,
  },
  {
    name: '308 to the virtual host stays on the address and keeps the Host',
    params: { url: '/vhost-redirect', 'host-name': 'www.example.org', 'response-text': 'host=www.example.org' },
    redirects: 1,
  },
];

for (const { name, params, redirects } of redirectUpCases) {
  void test(`http: follow-redirects, UP, ${name}`, async () => {
    const outcome = await poll({ ...follow, ...params });
    assert.equal(outcome.status, 'UP', outcome.reason);
    const details = outcome.details as HttpPhases;
    assert.equal(details.redirects, redirects);
    assert.ok(details.redirectMs !== undefined && details.redirectMs <= details.connectMs, JSON.stringify(details));
  });
}

const redirectDownCases: Array<{ name: string; params: Record<string, string>; reason: string }> = [
  {
    name: 'not followed by default: the redirect itself is judged',
    params: { url: '/redirect', response: '200' },
    reason: 'HTTP 302, expected 200',
  },
  {
    name: 'not followed when false',
    params: { url: '/redirect', response: '200', 'follow-redirects': 'false' },
    reason: 'HTTP 302, expected 200',
  },
  { name: 'the final status is judged', params: { ...follow, url: '/redirect-404' }, reason: 'HTTP 404, expected 100-399' },
  {
    name: `more than ${MAX_REDIRECTS}`,
    params: { ...follow, url: `/chain/${MAX_REDIRECTS + 1}` },
    reason: `too many redirects (more than ${MAX_REDIRECTS})`,
  },
  { name: 'a loop', params: { ...follow, url: '/loop-a' }, reason: 'redirect loop: /loop-a → /loop-b → /loop-a' },
  { name: 'to itself', params: { ...follow, url: '/self' }, reason: 'redirect loop: /self → /self' },
  {
    name: 'no Location: the redirect is the final response',
    params: { ...follow, url: '/no-location', response: '200' },
    reason: 'HTTP 302, expected 200',
  },
  {
    name: 'an invalid Location',
    params: { ...follow, url: '/bad-location' },
    reason: 'HTTP 302 redirect to an invalid location "http://[::1"',
  },
  {
    name: 'a Location that is not HTTP',
    params: { ...follow, url: '/ftp' },
    reason: 'HTTP 302 redirect to an unsupported location "ftp://example.org/file"',
  },
];

for (const { name, params, reason } of redirectDownCases) {
  void test(`http: follow-redirects, DOWN, ${name}`, async () => {
    assert.deepEqual(await poll(params), { status: 'DOWN', reason });
  });
}

void test('http: follow-redirects to another host and port: looked up, without credentials', async () => {
  const { outcome, headers } = await pollCapturing({
    ...follow,
    url: '/to-other',
    user: 'alice',
    password: 'x',
    header0: 'X-Trace: abc',
    header1: 'Cookie: session=1',
    header2: 'Authorization: Bearer token',
  });
  assert.equal(outcome.status, 'UP', outcome.reason);
  assert.equal(headers.authorization, undefined);
  assert.equal(headers.cookie, undefined);
  assert.equal(headers['x-trace'], 'abc');
  assert.equal(headers.host, `localhost:${other.port}`);
  const details = outcome.details as HttpPhases;
  const { redirectMs, dnsMs, connectMs } = details;
  assert.ok(redirectMs !== undefined && dnsMs !== undefined, JSON.stringify(details));
  assert.ok(redirectMs <= dnsMs && dnsMs <= connectMs, JSON.stringify(details));
});

void test('http: follow-redirects, each hop honours the signal', async () => {
  const started = performance.now();
  const outcome = await poll({ ...follow, url: '/to-silent' }, 200);
  assert.deepEqual(outcome, { status: 'DOWN', reason: 'timeout after 200 ms' });
  assert.ok(performance.now() - started < 1000);
});

// --- phases --------------------------------------------------------------------------

void test('http: phases of an UP check, ordered; no dns for an IP literal, no tls', async () => {
  const outcome = await poll({ url: '/ok' });
  assert.equal(outcome.status, 'UP', outcome.reason);
  const details = outcome.details as HttpPhases;
  assert.deepEqual(Object.keys(details).sort(), ['connectMs', 'firstByteMs', 'totalMs']);
  assert.ok(details.connectMs >= 0, JSON.stringify(details));
  assert.ok(details.connectMs <= details.firstByteMs && details.firstByteMs <= details.totalMs, JSON.stringify(details));
  assert.equal(details.totalMs, outcome.responseTimeMs);
});

void test('http: phases include dns for a host name', async () => {
  const outcome = await parseAndPoll(
    httpMonitor,
    { host: 'localhost', params: { port: String(server.port), url: '/ok' }, timeoutMs: 2000 },
    AbortSignal.timeout(2000),
  );
  assert.equal(outcome.status, 'UP', outcome.reason);
  const details = outcome.details as HttpPhases;
  assert.ok(details.dnsMs !== undefined, JSON.stringify(details));
  assert.ok(details.dnsMs <= details.connectMs && details.connectMs <= details.firstByteMs, JSON.stringify(details));
  assert.equal(details.tlsMs, undefined);
});

void test('http: DOWN outcomes carry no details', async () => {
  const outcome = await poll({ url: '/unavailable' });
  assert.equal(outcome.details, undefined);
});

// --- status ranges ---------------------------------------------------------------------

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
