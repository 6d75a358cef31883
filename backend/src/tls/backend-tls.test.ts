/**
 * Certificate files in service on a real TLS server: a renewal is picked up
 * when the files change (or on request, as SIGHUP does), a broken pair is
 * refused with a log line while the old certificate stays in service.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { after, before, test } from 'node:test';
import { formatFingerprint } from '@vantage/common';
import { createLogger } from '@vantage/runtime';
import { BackendTls } from './backend-tls.ts';
import { certificateFingerprint } from './fingerprint.ts';
import { generateSelfSignedCertificate } from './self-signed.ts';

let dir: string;
let certFile: string;
let keyFile: string;
let first: { cert: string; key: string };
let second: { cert: string; key: string };
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vantage-tls-files-'));
  certFile = join(dir, 'fullchain.pem');
  keyFile = join(dir, 'privkey.pem');
  [first, second] = await Promise.all([generateSelfSignedCertificate(['127.0.0.1']), generateSelfSignedCertificate(['127.0.0.1'])]);
});
after(() => rm(dir, { recursive: true, force: true }));

async function writePair(pair: { cert: string; key: string }): Promise<void> {
  await writeFile(keyFile, pair.key);
  await writeFile(certFile, pair.cert);
}

/** The fingerprint a new connection to the server is shown. */
async function presented(port: number): Promise<string> {
  const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    return formatFingerprint(socket.getPeerCertificate().fingerprint256);
  } finally {
    socket.destroy();
  }
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A TLS server on 127.0.0.1 serving the files through BackendTls, for the duration of `body`. */
async function serving(body: (backendTls: BackendTls, port: number, lines: string[]) => Promise<void>): Promise<void> {
  const lines: string[] = [];
  const backendTls = await BackendTls.load({ certFile, keyFile }, dir, createLogger('tls', 'debug', (line) => lines.push(line)));
  const server = tls.createServer(backendTls.serverOptions, (socket) => socket.end());
  backendTls.attach(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await body(backendTls, (server.address() as AddressInfo).port, lines);
  } finally {
    await backendTls.close();
    await new Promise((resolve) => server.close(resolve));
  }
}

void test('certificate files: a renewal is served as soon as the files change', async () => {
  await writePair(first);
  await serving(async (backendTls, port, lines) => {
    assert.equal(backendTls.fingerprint, certificateFingerprint(first.cert));
    assert.equal(backendTls.selfSigned, true);
    assert.ok(lines.some((l) => l.includes(`TLS certificate SHA-256 fingerprint: ${certificateFingerprint(first.cert)}`)), lines.join('\n'));
    backendTls.watch();
    assert.equal(await presented(port), certificateFingerprint(first.cert));

    await writePair(second);
    await until('the renewed certificate', async () => (await presented(port)) === certificateFingerprint(second.cert));
    assert.equal(backendTls.fingerprint, certificateFingerprint(second.cert));
    assert.ok(lines.some((l) => /TLS certificate reloaded \(the files changed\)/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => l.includes(`TLS certificate SHA-256 fingerprint: ${certificateFingerprint(second.cert)}`)), lines.join('\n'));
  });
});

void test('certificate files: a reload (as on SIGHUP) refuses a broken pair and the old certificate stays in service', async () => {
  await writePair(second);
  await serving(async (backendTls, port, lines) => {
    // The certificate of one pair with the key of the other.
    await writeFile(certFile, first.cert);
    assert.equal((await backendTls.reload('SIGHUP')).status, 'refused');
    assert.match(lines.at(-1)!, /ERROR.*TLS certificate reload \(SIGHUP\) refused: .*privkey\.pem is not the private key of the certificate in .*fullchain\.pem; still serving sha256:/);
    assert.equal(await presented(port), certificateFingerprint(second.cert));
    assert.equal(backendTls.fingerprint, certificateFingerprint(second.cert));

    await writeFile(certFile, 'half a certif');
    assert.equal((await backendTls.reload('SIGHUP')).status, 'refused');
    assert.match(lines.at(-1)!, /fullchain\.pem: not a PEM certificate/);
    assert.equal(await presented(port), certificateFingerprint(second.cert));

    // Put right again, the next reload takes it.
    await writePair(first);
    assert.deepEqual(await backendTls.reload('SIGHUP'), { status: 'reloaded', fingerprint: certificateFingerprint(first.cert) });
    assert.equal(await presented(port), certificateFingerprint(first.cert));
    assert.deepEqual(await backendTls.reload('SIGHUP'), { status: 'unchanged' });
  });
});

void test('missing certificate files stop the start, naming the file', async () => {
  const log = createLogger('tls', 'error', () => undefined);
  await assert.rejects(BackendTls.load({ certFile: join(dir, 'nope.pem'), keyFile }, dir, log), /cannot read the TLS certificate .*nope\.pem/);
});
