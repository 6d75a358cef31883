import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type tls from 'node:tls';
import { httpMonitor, httpsMonitor, type HttpPhases } from './http.ts';
import type { PollOutcome } from './monitor.ts';
import { makeCertificate } from '../testing/certificates.ts';
import { pollLocal, start, startSilentServer, type RunningServer } from '../testing/servers.ts';

const CREDENTIALS = 'Basic ' + Buffer.from('alice:s3cret').toString('base64');

/** The HTTPS server's paths. */
function handler(req: http.IncomingMessage, res: http.ServerResponse): void {
  switch (req.url) {
    case '/':
    case '/ok':
      res.end('secure status page');
      return;
    case '/sni': {
      // servername is false when the client sent no SNI.
      const servername = (req.socket as tls.TLSSocket).servername as string | false;
      res.end(`sni=${servername} host=${req.headers.host}`);
      return;
    }
    case '/auth':
      if (req.headers.authorization === CREDENTIALS) res.end('welcome');
      else res.writeHead(401).end();
      return;
    case '/unavailable':
      res.writeHead(503).end();
      return;
    default:
      res.writeHead(500).end(`unexpected path ${req.url}`);
  }
}

let secure: RunningServer;
let plain: RunningServer;
let silent: RunningServer;
let hangUp: RunningServer;
before(async () => {
  const { key, cert } = await makeCertificate({ commonName: 'vantage.test', altNames: ['vantage.test', '127.0.0.1'] });
  secure = await start(https.createServer({ key, cert }, handler));
  // A plain HTTP server that sends its callers on to the HTTPS one.
  plain = await start(
    http.createServer((req, res) => {
      if (req.url === '/to-https') res.writeHead(301, { location: `https://127.0.0.1:${secure.port}/ok` }).end();
      else res.end('plain text');
    }),
  );
  silent = await startSilentServer();
  // Accepts, then hangs up before any TLS is spoken.
  hangUp = await start(net.createServer((socket) => socket.destroy()));
});
after(() => Promise.all([secure.close(), plain.close(), silent.close(), hangUp.close()]));

const poll = (params: Record<string, string>, timeoutMs?: number): Promise<PollOutcome> =>
  pollLocal(httpsMonitor, { port: String(secure.port), ...params }, timeoutMs);

const noVerify = { 'verify-server-certificate': 'false' };

void test('https: the monitor is called "https"', () => {
  assert.equal(httpsMonitor.name, 'https');
  assert.equal(httpMonitor.name, 'http');
});

const upCases: Array<{ name: string; params: Record<string, string> }> = [
  { name: 'self-signed accepted without verification', params: { ...noVerify } },
  { name: 'response and response-text', params: { ...noVerify, response: '200', 'response-text': 'secure status' } },
  { name: 'basic authentication', params: { ...noVerify, url: '/auth', user: 'alice', password: 's3cret' } },
  {
    name: 'no SNI for an IP target; Host is address and port',
    params: { ...noVerify, url: '/sni', 'response-text': '~^sni=false host=127\\.0\\.0\\.1:\\d+$' },
  },
  {
    name: 'host-name is the SNI name and the Host',
    params: { ...noVerify, url: '/sni', 'host-name': 'vantage.test', 'response-text': 'sni=vantage.test host=vantage.test' },
  },
  {
    name: 'host-name with a port: SNI without it',
    params: {
      ...noVerify,
      url: '/sni',
      'host-name': 'vantage.test:8443',
      'response-text': 'sni=vantage.test host=vantage.test:8443',
    },
  },
  {
    name: 'server-name overrides the SNI name only',
    params: {
      ...noVerify,
      url: '/sni',
      'host-name': 'vantage.test',
      'server-name': 'sni.vantage.test',
      'response-text': 'sni=sni.vantage.test host=vantage.test',
    },
  },
];

for (const { name, params } of upCases) {
  void test(`https: UP, ${name}`, async () => {
    const outcome = await poll(params);
    assert.equal(outcome.status, 'UP', outcome.reason);
    assert.ok((outcome.responseTimeMs ?? -1) >= 0);
  });
}

const downCases: Array<{ name: string; params: Record<string, string>; reason: string }> = [
  {
    name: 'self-signed certificate, verification on by default',
    params: {},
    reason: 'certificate not trusted: self-signed certificate',
  },
  {
    name: 'self-signed certificate, verification on explicitly, with a matching name',
    params: { 'verify-server-certificate': 'true', 'host-name': 'vantage.test' },
    reason: 'certificate not trusted: self-signed certificate',
  },
  { name: 'wrong credentials', params: { ...noVerify, url: '/auth' }, reason: 'HTTP 401, expected 100-399' },
  { name: 'status outside the ranges', params: { ...noVerify, url: '/unavailable' }, reason: 'HTTP 503, expected 100-399' },
];

for (const { name, params, reason } of downCases) {
  void test(`https: DOWN, ${name}`, async () => {
    assert.deepEqual(await poll(params), { status: 'DOWN', reason });
  });
}

void test('https: DOWN when the server speaks plain HTTP', async () => {
  const outcome = await pollLocal(httpsMonitor, { ...noVerify, port: String(plain.port) });
  assert.deepEqual(outcome, { status: 'DOWN', reason: 'TLS handshake failed: wrong version number' });
});

void test('https: DOWN when the server hangs up before the handshake', async () => {
  const outcome = await pollLocal(httpsMonitor, { ...noVerify, port: String(hangUp.port) });
  assert.deepEqual(outcome, { status: 'DOWN', reason: 'connection reset' });
});

void test('https: DOWN on timeout during the TLS handshake', async () => {
  const started = performance.now();
  const outcome = await pollLocal(httpsMonitor, { ...noVerify, port: String(silent.port) }, 200);
  const elapsed = performance.now() - started;
  assert.deepEqual(outcome, { status: 'DOWN', reason: 'timeout after 200 ms' });
  assert.ok(elapsed >= 150 && elapsed < 1000, `returned after ${elapsed} ms`);
});

void test('https: phases include tls, ordered', async () => {
  const outcome = await poll({ ...noVerify });
  assert.equal(outcome.status, 'UP', outcome.reason);
  const details = outcome.details as HttpPhases;
  assert.deepEqual(Object.keys(details).sort(), ['connectMs', 'firstByteMs', 'tlsMs', 'totalMs']);
  const { connectMs, tlsMs, firstByteMs, totalMs } = details;
  assert.ok(tlsMs !== undefined && connectMs <= tlsMs && tlsMs <= firstByteMs && firstByteMs <= totalMs, JSON.stringify(details));
  assert.equal(totalMs, outcome.responseTimeMs);
});

void test('http: follow-redirects from HTTP to HTTPS on the same host', async () => {
  const params = { port: String(plain.port), url: '/to-https', 'follow-redirects': 'true', response: '200' };

  const verified = await pollLocal(httpMonitor, params);
  assert.deepEqual(verified, { status: 'DOWN', reason: 'certificate not trusted: self-signed certificate' });

  const outcome = await pollLocal(httpMonitor, { ...params, ...noVerify, 'response-text': 'secure status' });
  assert.equal(outcome.status, 'UP', outcome.reason);
  const details = outcome.details as HttpPhases;
  assert.equal(details.redirects, 1);
  assert.ok(details.tlsMs !== undefined, JSON.stringify(details));
});

const badParams: Array<{ params: Record<string, string>; reason: string }> = [
  { params: { port: '0' }, reason: 'parameter "port" must be an integer from 1 to 65535, got "0"' },
  {
    params: { 'verify-server-certificate': 'yes' },
    reason: 'parameter "verify-server-certificate" must be "true" or "false", got "yes"',
  },
  {
    params: { 'server-name': 'a b' },
    reason: 'parameter "server-name" must be a host name (SNI takes no addresses), got "a b"',
  },
  {
    params: { 'server-name': '::1' },
    reason: 'parameter "server-name" must be a host name (SNI takes no addresses), got "::1"',
  },
  {
    params: { 'server-name': 'vantage.test:443' },
    reason: 'parameter "server-name" must be a host name (SNI takes no addresses), got "vantage.test:443"',
  },
];

for (const { params, reason } of badParams) {
  void test(`https: UNKNOWN for ${JSON.stringify(params)}`, async () => {
    assert.deepEqual(await poll(params), { status: 'UNKNOWN', reason });
  });
}
