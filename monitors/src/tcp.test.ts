import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { PollOutcome } from './monitor.ts';
import { tcpMonitor } from './tcp.ts';
import { closedPort, parseAndPoll, pollLocal, start, startSilentServer } from '../testing/servers.ts';
import {
  CLOSE,
  type DialogServer,
  assertUp,
  crlf,
  startDialogServer,
  testDialogCases,
} from '../testing/line-servers.ts';
import { makeCertificate } from '../testing/certificates.ts';

void test('tcp: UP with the connect time when the port accepts', async (t) => {
  const server = await start(net.createServer((socket) => socket.end()));
  t.after(() => server.close());

  const outcome = await pollLocal(tcpMonitor, { port: String(server.port) });

  assert.equal(outcome.status, 'UP');
  assert.equal(typeof outcome.responseTimeMs, 'number');
  const ms = outcome.responseTimeMs ?? -1;
  assert.ok(ms >= 0 && ms < 1000, `responseTimeMs ${outcome.responseTimeMs}`);
  assert.equal(outcome.reason, undefined);
});

void test('tcp: DOWN "connection refused" when nothing listens', async () => {
  const port = await closedPort();

  const outcome = await pollLocal(tcpMonitor, { port: String(port) });

  assert.deepEqual(outcome, { status: 'DOWN', reason: 'connection refused' });
});

void test('tcp: DOWN with the timeout reason once the signal aborts', async (t) => {
  const server = await start(net.createServer());
  t.after(() => server.close());
  const target = { host: '127.0.0.1', params: { port: String(server.port) }, timeoutMs: 1234 };

  // Aborted before the connect completes (connect always finishes on a later turn).
  const controller = new AbortController();
  const pending = parseAndPoll(tcpMonitor, target, controller.signal);
  controller.abort();
  assert.deepEqual(await pending, { status: 'DOWN', reason: 'timeout after 1234 ms' });

  // Already aborted when the check starts.
  assert.deepEqual(await parseAndPoll(tcpMonitor, target, AbortSignal.abort()), {
    status: 'DOWN',
    reason: 'timeout after 1234 ms',
  });
});

const badPorts: Array<{ params: Record<string, string>; reason: string }> = [
  { params: {}, reason: 'parameter "port" is required' },
  { params: { port: '  ' }, reason: 'parameter "port" is required' },
  { params: { port: 'abc' }, reason: 'parameter "port" must be an integer from 1 to 65535, got "abc"' },
  { params: { port: '0' }, reason: 'parameter "port" must be an integer from 1 to 65535, got "0"' },
  { params: { port: '65536' }, reason: 'parameter "port" must be an integer from 1 to 65535, got "65536"' },
  { params: { port: '-1' }, reason: 'parameter "port" must be an integer from 1 to 65535, got "-1"' },
  { params: { port: '80.5' }, reason: 'parameter "port" must be an integer from 1 to 65535, got "80.5"' },
  { params: { port: '1e3' }, reason: 'parameter "port" must be an integer from 1 to 65535, got "1e3"' },
];

for (const { params, reason } of badPorts) {
  void test(`tcp: UNKNOWN for port ${JSON.stringify(params.port)}`, async () => {
    assert.deepEqual(await pollLocal(tcpMonitor, params), { status: 'UNKNOWN', reason });
  });
}

// Banner, send/expect and TLS.

testDialogCases(tcpMonitor, [
  {
    name: 'banner matches the pattern',
    dialog: { greeting: crlf('SSH-2.0-OpenSSH_9.6') },
    params: { banner: '^SSH-2\\.0-' },
    outcome: { status: 'UP' },
  },
  {
    name: 'banner contains the pattern (OpenNMS "ICA" example)',
    dialog: { greeting: crlf('\u007fICA\u0000') },
    params: { banner: 'ICA' },
    outcome: { status: 'UP' },
  },
  {
    name: 'banner pattern with OpenNMS\'s "~" marker',
    dialog: { greeting: crlf('220 mail.example.org ESMTP') },
    params: { banner: '~^220 ' },
    outcome: { status: 'UP' },
  },
  {
    name: 'banner "*" does not wait for a banner',
    dialog: {},
    params: { banner: '*' },
    outcome: { status: 'UP' },
  },
  {
    name: 'banner without a line end before the server closes',
    dialog: { greeting: ['220 ready', CLOSE] },
    params: { banner: '^220' },
    outcome: { status: 'UP' },
  },
  {
    name: 'banner does not match',
    dialog: { greeting: crlf('SSH-2.0-x') },
    params: { banner: '^220' },
    outcome: { status: 'DOWN', reason: 'banner "SSH-2.0-x" did not match /^220/' },
  },
  {
    name: 'connection closed before the banner',
    dialog: { greeting: CLOSE },
    params: { banner: '^220' },
    outcome: { status: 'DOWN', reason: 'connection closed before the banner arrived' },
  },
  {
    name: 'no banner before the timeout',
    dialog: {},
    params: { banner: '^220' },
    timeoutMs: 200,
    outcome: { status: 'DOWN', reason: 'no banner within 200 ms' },
  },
  {
    name: 'banner longer than 64 KiB without a line end',
    dialog: { greeting: 'x'.repeat(70 * 1024) },
    params: { banner: '^220' },
    outcome: { status: 'DOWN', reason: 'no banner in the first 64 KiB received' },
  },
  {
    name: 'send, then expect the reply ("\\r\\n" added to what is sent)',
    dialog: { replies: { PING: crlf('PONG') } },
    params: { send: 'PING', expect: '^PONG$' },
    outcome: { status: 'UP' },
    lines: ['PING'],
  },
  {
    name: 'send with escapes, sent as given since it ends in a line end',
    dialog: { replies: { '': crlf('HTTP/1.0 200 OK', 'Server: test', '') } },
    params: { send: 'HEAD / HTTP/1.0\\r\\nHost: x\\r\\n\\r\\n', expect: '^HTTP/1\\.[01] 200 ' },
    outcome: { status: 'UP' },
    lines: ['HEAD / HTTP/1.0', 'Host: x', ''],
  },
  {
    name: 'banner, send and expect',
    dialog: { greeting: crlf('220 ready'), replies: { NOOP: crlf('250 2.0.0 OK') } },
    params: { banner: '^220', send: 'NOOP', expect: '^250 ' },
    outcome: { status: 'UP' },
    lines: ['NOOP'],
  },
  {
    name: 'expect without send, found on a later line',
    dialog: { greeting: crlf('hello', 'status: READY') },
    params: { expect: 'READY' },
    outcome: { status: 'UP' },
  },
  {
    name: 'expect found without a line end',
    dialog: { replies: { PING: 'PONG' } },
    params: { send: 'PING', expect: '^PONG' },
    outcome: { status: 'UP' },
  },
  {
    name: 'connection closed before the expected text',
    dialog: { replies: { PING: [crlf('PANG'), CLOSE] } },
    params: { send: 'PING', expect: '^PONG$' },
    outcome: { status: 'DOWN', reason: 'connection closed before "^PONG$" arrived (received "PANG")' },
  },
  {
    name: 'expected text not there before the timeout',
    dialog: { replies: { PING: crlf('PANG') } },
    params: { send: 'PING', expect: '^PONG$' },
    timeoutMs: 200,
    outcome: { status: 'DOWN', reason: '"^PONG$" did not arrive within 200 ms (received "PANG")' },
  },
  {
    name: 'expect after a banner does not look at the banner',
    dialog: { greeting: crlf('220 PONG') },
    params: { banner: '^220', expect: 'PONG' },
    timeoutMs: 200,
    outcome: { status: 'DOWN', reason: '"PONG" did not arrive within 200 ms' },
  },
]);

const badParams: Array<{ params: Record<string, string>; reason: string }> = [
  {
    params: { banner: '(' },
    reason: 'parameter "banner" is not a valid regular expression: Invalid regular expression: /(/: Unterminated group',
  },
  { params: { banner: '~' }, reason: 'parameter "banner" must be a regular expression, got "~"' },
  {
    params: { expect: '[' },
    reason:
      'parameter "expect" is not a valid regular expression: Invalid regular expression: /[/m: Unterminated character class',
  },
  { params: { send: 'PING\\q' }, reason: 'parameter "send" has the unknown escape "\\q"; use \\r, \\n, \\t or \\\\' },
  { params: { tls: 'yes' }, reason: 'parameter "tls" must be "true" or "false", got "yes"' },
  { params: { 'server-name': 'example.org' }, reason: 'parameter "server-name" needs tls="true"' },
  {
    params: { 'verify-server-certificate': 'false' },
    reason: 'parameter "verify-server-certificate" needs tls="true"',
  },
  {
    params: { tls: 'true', 'verify-server-certificate': 'no' },
    reason: 'parameter "verify-server-certificate" must be "true" or "false", got "no"',
  },
  {
    params: { tls: 'true', 'server-name': '10.0.0.1' },
    reason: 'parameter "server-name" must be a DNS name, got "10.0.0.1"',
  },
  {
    params: { tls: 'true', 'server-name': 'a b.example' },
    reason: 'parameter "server-name" must be a DNS name, got "a b.example"',
  },
];

for (const { params, reason } of badParams) {
  void test(`tcp: UNKNOWN for ${JSON.stringify(params)}`, async () => {
    assert.deepEqual(await pollLocal(tcpMonitor, { port: '7', ...params }), { status: 'UNKNOWN', reason });
  });
}

void describe('tcp over TLS', () => {
  const NAME = 'vantage.test';
  let certificate: { key: string; cert: string };
  let server: DialogServer;

  before(async () => {
    certificate = await makeCertificate({ commonName: NAME, altNames: [NAME] });
    server = await startDialogServer(
      { greeting: crlf('* OK secure'), replies: { PING: crlf('PONG'), BYE: CLOSE } },
      certificate,
    );
  });
  after(() => server.close());

  const poll = (params: Record<string, string>, timeoutMs?: number): Promise<PollOutcome> =>
    pollLocal(tcpMonitor, { port: String(server.port), tls: 'true', ...params }, timeoutMs);

  void test('tcp: UP over TLS without verifying the certificate; no SNI for an address', async () => {
    const before = server.serverNames.length;
    // With a banner to read, the poll ends after the server has seen the connection.
    assertUp(await poll({ 'verify-server-certificate': 'false', banner: '^\\* OK' }));
    assert.deepEqual(server.serverNames.slice(before), [false]);
  });

  void test('tcp: UP over TLS with "server-name" sent as SNI', async () => {
    const before = server.serverNames.length;
    assertUp(await poll({ 'verify-server-certificate': 'false', 'server-name': NAME, banner: '^\\* OK' }));
    assert.deepEqual(server.serverNames.slice(before), [NAME]);
  });

  void test('tcp: UP over TLS with banner, send and expect', async () => {
    assertUp(await poll({ 'verify-server-certificate': 'false', banner: '^\\* OK', send: 'PING', expect: '^PONG$' }));
  });

  void test('tcp: DOWN over TLS when the connection closes before the expected text', async () => {
    assert.deepEqual(await poll({ 'verify-server-certificate': 'false', send: 'BYE', expect: 'PONG' }), {
      status: 'DOWN',
      reason: 'connection closed before "PONG" arrived (received "* OK secure")',
    });
  });

  const verifying: Array<Record<string, string>> = [
    {},
    { 'verify-server-certificate': 'true' },
    { 'server-name': NAME },
  ];
  for (const params of verifying) {
    void test(`tcp: DOWN over TLS for a self-signed certificate, verifying, ${JSON.stringify(params)}`, async () => {
      assert.deepEqual(await poll(params), { status: 'DOWN', reason: 'TLS handshake failed: self-signed certificate' });
    });
  }

  void test('tcp: DOWN over TLS when the server does not speak TLS', async (t) => {
    const plain = await startDialogServer({ greeting: crlf('220 plain text here') });
    t.after(() => plain.close());
    const outcome = await pollLocal(tcpMonitor, { port: String(plain.port), tls: 'true' });
    assert.equal(outcome.status, 'DOWN');
    assert.match(outcome.reason ?? '', /^TLS handshake failed: \S/);
  });

  void test('tcp: DOWN over TLS when the handshake does not finish before the timeout', async (t) => {
    const silent = await startSilentServer();
    t.after(() => silent.close());
    assert.deepEqual(await pollLocal(tcpMonitor, { port: String(silent.port), tls: 'true' }, 200), {
      status: 'DOWN',
      reason: 'TLS handshake not complete within 200 ms',
    });
  });
});
