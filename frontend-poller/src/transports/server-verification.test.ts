/**
 * How the poller verifies the backend's certificate, against real TLS
 * servers on 127.0.0.1: a pinned fingerprint, a CA file, the system CAs,
 * and that nothing (above all not the Authorization header) is written to a
 * server that fails verification.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { after, before, test } from 'node:test';
import { formatFingerprint } from '@vantage/common';
import { makeCertificate, type TestCertificate } from '@vantage/monitors/testing';
import { openHttpTransport } from './http-transport.ts';
import { loadServerVerification, type ServerVerification } from './server-verification.ts';
import { transportFactoryFor } from './transport-factory.ts';
import { ServerCertificateError } from './transport.ts';
import { openWsTransport } from './ws-transport.ts';

const CREDENTIALS = { monitorId: 'm-1', secret: 'the-monitor-secret' };

/**
 * A TLS server that records every byte it receives after the handshake and
 * answers each HTTP request with one JSON-RPC result, so tests can tell
 * whether a client got as far as writing its request.
 */
class RecordingTlsServer {
  readonly received: Buffer[] = [];
  private readonly closed: Promise<void>[] = [];
  private server!: tls.Server;
  port = 0;

  constructor(private readonly certificate: TestCertificate) {}

  get fingerprint(): string {
    return formatFingerprint(new X509Certificate(this.certificate.cert).fingerprint256);
  }

  /** TLS connections accepted so far. */
  get connections(): number {
    return this.closed.length;
  }

  get bytesReceived(): number {
    return this.received.reduce((n, b) => n + b.length, 0);
  }

  async start(): Promise<this> {
    this.server = tls.createServer({ cert: this.certificate.cert, key: this.certificate.key }, (socket) => {
      let buffered = Buffer.alloc(0);
      this.closed.push(new Promise((resolve) => socket.once('close', () => resolve())));
      socket.on('error', () => undefined);
      socket.on('data', (chunk: Buffer) => {
        this.received.push(chunk);
        buffered = Buffer.concat([buffered, chunk]);
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const length = Number(/content-length: *(\d+)/i.exec(buffered.subarray(0, end).toString())?.[1] ?? 0);
        if (buffered.length < end + 4 + length) return;
        buffered = buffered.subarray(end + 4 + length);
        const body = JSON.stringify({ jsonrpc: '2.0', id: 1, result: { status: 'STARTED', serverTime: 1 } });
        socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      });
    });
    // Handshakes the client aborts are expected here.
    this.server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Resolves once every connection so far has closed: all they sent has arrived. */
  async connectionsClosed(): Promise<void> {
    await Promise.all(this.closed);
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server.close(resolve));
  }
}

let dir: string;
let ca: TestCertificate;
let otherCa: TestCertificate;
/** Issued by `ca` for 127.0.0.1 and localhost. */
let issued: RecordingTlsServer;
/** Issued by `ca`, but for another host name only. */
let misnamed: RecordingTlsServer;
/** Self-signed for 127.0.0.1, as the backend's `--tls self-signed` is. */
let selfSigned: RecordingTlsServer;
let caFile: string;
let otherCaFile: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vantage-verification-'));
  ca = await makeCertificate({ commonName: 'Vantage Test CA', altNames: [], certificateAuthority: true, validForDays: 365 });
  otherCa = await makeCertificate({ commonName: 'Another CA', altNames: [], certificateAuthority: true, validForDays: 365 });
  issued = await new RecordingTlsServer(await makeCertificate({ commonName: 'localhost', altNames: ['localhost', '127.0.0.1'], issuer: ca })).start();
  misnamed = await new RecordingTlsServer(await makeCertificate({ commonName: 'backend.example', altNames: ['backend.example'], issuer: ca })).start();
  selfSigned = await new RecordingTlsServer(await makeCertificate({ commonName: 'vantage', altNames: ['127.0.0.1'] })).start();
  caFile = join(dir, 'ca.pem');
  otherCaFile = join(dir, 'other-ca.pem');
  await writeFile(caFile, ca.cert);
  await writeFile(otherCaFile, otherCa.cert);
});

after(async () => {
  await Promise.all([issued.stop(), misnamed.stop(), selfSigned.stop()]);
  await rm(dir, { recursive: true, force: true });
});

/** One JSON-RPC call over HTTPS with these credentials; resolves with its result or rejects with the transport's error. */
async function callOverHttps(server: RecordingTlsServer, verification: ServerVerification, host = '127.0.0.1'): Promise<unknown> {
  const transport = openHttpTransport({ url: `https://${host}:${server.port}/rpc`, credentials: CREDENTIALS, verification, callTimeoutMs: 20_000 });
  try {
    return await transport.call('pollerCheckingIn', { configVersion: '' });
  } finally {
    await transport.close();
  }
}

async function refusal(promise: Promise<unknown>): Promise<ServerCertificateError> {
  const err = await promise.then(
    () => assert.fail('the connection was accepted'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ServerCertificateError, `expected a ServerCertificateError, got ${String(err)}`);
  return err;
}

void test('the pinned fingerprint of a self-signed certificate is accepted, in any accepted spelling', async () => {
  const plainHex = selfSigned.fingerprint.slice('sha256:'.length).replace(/:/g, '').toLowerCase();
  for (const pin of [selfSigned.fingerprint, plainHex]) {
    const verification = await loadServerVerification({ fingerprint: pin });
    assert.deepEqual(await callOverHttps(selfSigned, verification), { status: 'STARTED', serverTime: 1 });
  }
  // The pin is all that is checked: the certificate names 127.0.0.1 only, and "localhost" reaches it too.
  assert.ok(await callOverHttps(selfSigned, await loadServerVerification({ fingerprint: selfSigned.fingerprint }), 'localhost'));
});

void test('the HTTP transport keeps its verified connection for the calls that follow', async () => {
  const server = await new RecordingTlsServer(await makeCertificate({ altNames: ['127.0.0.1'] })).start();
  const transport = openHttpTransport({ url: `https://127.0.0.1:${server.port}/rpc`, credentials: CREDENTIALS, verification: await loadServerVerification({ fingerprint: server.fingerprint }) });
  try {
    for (let i = 0; i < 5; i++) assert.ok(await transport.call('pollerCheckingIn', { configVersion: '' }));
    assert.equal(server.connections, 1, 'one TLS handshake for five calls');
  } finally {
    await transport.close();
    await server.stop();
  }
});

void test('a wrong pin is refused, naming the expected and the presented fingerprints', async () => {
  const verification = await loadServerVerification({ fingerprint: issued.fingerprint });
  const err = await refusal(callOverHttps(selfSigned, verification));
  assert.equal(err.expected, issued.fingerprint);
  assert.equal(err.presented, selfSigned.fingerprint);
  assert.match(err.message, new RegExp(`presented the certificate ${selfSigned.fingerprint}.*expects ${issued.fingerprint}`));
});

void test('a self-signed certificate without a pin is refused: the system CAs do not trust it', async () => {
  const err = await refusal(callOverHttps(selfSigned, await loadServerVerification({})));
  assert.match(err.message, /not trusted: it is self-signed/);
  assert.match(err.message, /--fingerprint|--ca/);
  assert.equal(err.presented, selfSigned.fingerprint);
});

void test('--ca trusts certificates its CA issued, and only those', async () => {
  assert.ok(await callOverHttps(issued, await loadServerVerification({ caFile })));
  assert.ok(await callOverHttps(issued, await loadServerVerification({ caFile }), 'localhost'));
  const err = await refusal(callOverHttps(issued, await loadServerVerification({ caFile: otherCaFile })));
  assert.match(err.message, /not trusted: no CA given with --ca/);
  // The system CAs do not know the test CA either.
  await refusal(callOverHttps(issued, await loadServerVerification({})));
});

void test('--ca still checks the host name: a certificate for another name is refused', async () => {
  const err = await refusal(callOverHttps(misnamed, await loadServerVerification({ caFile })));
  assert.match(err.message, /is for DNS:backend\.example, not for 127\.0\.0\.1/);
});

void test('nothing reaches a server that fails verification: not the request, not the Authorization header', async () => {
  const server = await new RecordingTlsServer(await makeCertificate({ altNames: ['127.0.0.1'] })).start();
  try {
    const wrongPin = await loadServerVerification({ fingerprint: selfSigned.fingerprint });
    await refusal(callOverHttps(server, wrongPin));
    await refusal(openWsTransport({ url: `wss://127.0.0.1:${server.port}/rpc`, credentials: CREDENTIALS, verification: wrongPin }));
    await refusal(openWsTransport({ url: `wss://127.0.0.1:${server.port}/rpc`, credentials: CREDENTIALS, verification: await loadServerVerification({ caFile }) }));
    await server.connectionsClosed();
    assert.equal(server.bytesReceived, 0, `the server received: ${Buffer.concat(server.received).toString()}`);

    // The same server records what a verified client sends, so the zero above means something.
    assert.ok(await callOverHttps(server, await loadServerVerification({ fingerprint: server.fingerprint })));
    await server.connectionsClosed();
    assert.match(Buffer.concat(server.received).toString(), /authorization: Bearer m-1\.the-monitor-secret/i);
  } finally {
    await server.stop();
  }
});

void test('a CA file that cannot be read or holds no certificate, and a malformed pin, are refused at start', async () => {
  await assert.rejects(loadServerVerification({ caFile: join(dir, 'missing.pem') }), /--ca .*missing\.pem: cannot read it/);
  const notPem = join(dir, 'not-pem.txt');
  await writeFile(notPem, 'hello');
  await assert.rejects(loadServerVerification({ caFile: notPem }), /--ca .*not-pem\.txt: no PEM certificate in it/);
  const broken = join(dir, 'broken.pem');
  await writeFile(broken, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
  await assert.rejects(loadServerVerification({ caFile: broken }), /--ca .*broken\.pem: certificate 1 is not a valid certificate/);
  await assert.rejects(loadServerVerification({ fingerprint: 'sha1:AB:CD' }), /--fingerprint: only SHA-256/);
  await assert.rejects(loadServerVerification({ fingerprint: selfSigned.fingerprint, caFile }), /--ca and --fingerprint/);
});

void test('--ca and --fingerprint need a wss:// or https:// server', async () => {
  const pin = await loadServerVerification({ fingerprint: selfSigned.fingerprint });
  const withCa = await loadServerVerification({ caFile });
  const system = await loadServerVerification({});
  assert.throws(() => transportFactoryFor('ws://backend:8980/rpc', pin), /--fingerprint needs a wss:\/\/ or https:\/\/ server, got ws:\/\/backend:8980\/rpc/);
  assert.throws(() => transportFactoryFor('http://backend:8980/rpc', withCa), /--ca needs a wss:\/\/ or https:\/\/ server/);
  assert.doesNotThrow(() => transportFactoryFor('wss://backend:8980/rpc', pin));
  assert.doesNotThrow(() => transportFactoryFor('https://backend:8980/rpc', withCa));
  assert.doesNotThrow(() => transportFactoryFor('ws://backend:8980/rpc', system));
});
