/**
 * The certificate `--tls self-signed` makes at the first start: an EC P-256
 * key, the names and addresses asked for, kept in the data folder (key
 * readable by its owner only) and reused, fingerprint unchanged, later.
 */
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createLogger } from '@vantage/runtime';
import { defaultCertificateNames, loadSelfSignedCertificate, SELF_SIGNED_VALIDITY_DAYS } from './self-signed.ts';
import { FileCertificateStore } from './certificate-store.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vantage-tls-'));
});
after(() => rm(dir, { recursive: true, force: true }));

function recordingLog() {
  const lines: string[] = [];
  return { lines, log: createLogger('tls', 'debug', (line) => lines.push(line)) };
}

void test('the first start makes an EC P-256 certificate for the names given, with the key readable by its owner only', async () => {
  const tlsDir = join(dir, 'first', 'tls');
  const { lines, log } = recordingLog();
  const served = await loadSelfSignedCertificate(new FileCertificateStore(tlsDir), ['vantage.example', '192.0.2.7', '::1'], log);

  const certificate = new X509Certificate(await readFile(join(tlsDir, 'cert.pem')));
  assert.equal(certificate.subjectAltName, 'DNS:vantage.example, IP Address:192.0.2.7, IP Address:0:0:0:0:0:0:0:1');
  assert.match(certificate.subject, /^CN=vantage\.example$/m);
  assert.equal(certificate.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.equal(certificate.ca, false);
  assert.ok(certificate.issuer === certificate.subject && certificate.verify(certificate.publicKey), 'self-signed');
  const days = (Date.parse(certificate.validTo) - Date.parse(certificate.validFrom)) / 86_400_000;
  assert.ok(Math.abs(days - SELF_SIGNED_VALIDITY_DAYS) < 1, `valid for ${days} days`);
  assert.ok(Date.parse(certificate.validFrom) <= Date.now(), 'valid now');
  assert.ok(certificate.checkPrivateKey(createPrivateKey(await readFile(join(tlsDir, 'key.pem')))), 'the key belongs to the certificate');

  assert.equal((await stat(join(tlsDir, 'key.pem'))).mode & 0o777, 0o600);
  assert.equal((await stat(tlsDir)).mode & 0o777, 0o700);
  assert.equal(served.fingerprint, `sha256:${certificate.fingerprint256}`);
  assert.equal(served.selfSigned, true);
  assert.ok(lines.some((l) => /created a self-signed TLS certificate for vantage\.example, 192\.0\.2\.7, ::1/.test(l)), lines.join('\n'));
});

void test('later starts reuse it: same fingerprint, even if other names are asked for (with a warning)', async () => {
  const store = new FileCertificateStore(join(dir, 'reuse', 'tls'));
  const first = await loadSelfSignedCertificate(store, ['a.example'], recordingLog().log);
  const again = await loadSelfSignedCertificate(store, ['a.example'], recordingLog().log);
  assert.equal(again.fingerprint, first.fingerprint);
  const { lines, log } = recordingLog();
  const other = await loadSelfSignedCertificate(store, ['b.example', '10.0.0.1'], log);
  assert.equal(other.fingerprint, first.fingerprint, 'a new certificate would lock out every poller pinning the old one');
  assert.ok(
    lines.some((l) => /WARN.*made for a\.example.*asked for b\.example, 10\.0\.0\.1.*delete .*tls.* to make a new one/.test(l)),
    lines.join('\n'),
  );
});

void test('a stored certificate without its key, or a broken one, stops the start with the file named', async () => {
  const tlsDir = join(dir, 'broken', 'tls');
  const store = new FileCertificateStore(tlsDir);
  await loadSelfSignedCertificate(store, ['c.example'], recordingLog().log);
  await unlink(join(tlsDir, 'key.pem'));
  await assert.rejects(loadSelfSignedCertificate(store, ['c.example'], recordingLog().log), /key\.pem.*missing.*cert\.pem/);
  await writeFile(join(tlsDir, 'key.pem'), 'not a key', { mode: 0o600 });
  await assert.rejects(loadSelfSignedCertificate(store, ['c.example'], recordingLog().log), /key\.pem: not a PEM private key/);
});

void test('a key left without its certificate (a start cut short) is replaced by a new pair', async () => {
  const tlsDir = join(dir, 'half', 'tls');
  const store = new FileCertificateStore(tlsDir);
  await loadSelfSignedCertificate(store, ['d.example'], recordingLog().log);
  await unlink(join(tlsDir, 'cert.pem'));
  const served = await loadSelfSignedCertificate(store, ['d.example'], recordingLog().log);
  assert.equal(served.fingerprint, `sha256:${new X509Certificate(await readFile(join(tlsDir, 'cert.pem'))).fingerprint256}`);
});

void test('the default names are this host’s name, localhost and its addresses', () => {
  const names = defaultCertificateNames();
  assert.ok(names.includes('localhost'));
  assert.ok(names.includes('127.0.0.1'));
  if (/^[a-z0-9.-]+$/i.test(hostname())) assert.ok(names.includes(hostname()));
  assert.ok(!names.some((n) => /^fe80:/i.test(n)), 'no link-local addresses: they mean nothing off the link');
});
