/**
 * `--tls self-signed`: at the first start, an EC P-256 key and a certificate
 * for the names and addresses the backend is reached by, made in process
 * (WebCrypto and @peculiar/x509; no openssl command), kept in a
 * CertificateStore and reused at every later start, so that the fingerprint
 * pollers pin stays the same.
 */
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import type * as X509 from '@peculiar/x509';
import type { Logger } from '@vantage/runtime';
import { canonicalAddress, inspectCertificatePair, type ServedCertificate } from './certificate-pair.ts';
import type { CertificateStore } from './certificate-store.ts';

/**
 * @peculiar/x509, loaded when a certificate is made rather than at every
 * start: it takes a few hundred ms to load, and only the first start with
 * `--tls self-signed` needs it.
 */
async function loadX509(): Promise<typeof X509> {
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as never);
  return x509;
}

/**
 * How long a generated certificate is valid. Pollers that pin it do not look
 * at its dates, and every new certificate means a new --fingerprint on every
 * poller, so it should last; 825 days is the longest Apple's platforms
 * accept for a TLS server certificate, so browsers there still take it.
 */
export const SELF_SIGNED_VALIDITY_DAYS = 825;
/** Back-dating of the start of validity, for clients whose clock is a little behind. */
const CLOCK_SKEW_ALLOWANCE_MS = 3_600_000;
const DAY_MS = 86_400_000;
const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DNS_NAME = /^(?=.{1,253}$)(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** Throws unless `name` is a DNS name or an IP address a certificate can carry. */
export function checkCertificateName(name: string): void {
  if (!isIP(name) && !DNS_NAME.test(name)) {
    throw new Error(`--tls-name "${name}" is neither a DNS name nor an IP address`);
  }
}

/**
 * This host's name, `localhost`, and every address of its interfaces
 * (loopback included, link-local IPv6 left out: it means nothing off the link).
 */
export function defaultCertificateNames(): string[] {
  const names = [hostname(), 'localhost'];
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === 'IPv6' && /^fe[89ab]/i.test(address.address)) continue;
      names.push(canonicalAddress(address.address));
    }
  }
  return [...new Set(names.filter((name) => isIP(name) || DNS_NAME.test(name)))];
}

/** A new key and a self-signed server certificate for `names` (the first is also the subject's CN). */
export async function generateSelfSignedCertificate(names: readonly string[], nowMs = Date.now()): Promise<{ cert: string; key: string }> {
  if (names.length === 0) throw new Error('a certificate needs at least one name');
  names.forEach(checkCertificateName);
  const x509 = await loadX509();
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  // A random positive serial number, as RFC 5280 asks of every issuer.
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  const notBefore = new Date(nowMs - CLOCK_SKEW_ALLOWANCE_MS);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString('hex'),
    name: new x509.Name([{ CN: [names[0]!] }, { O: ['Vantage'] }]),
    notBefore,
    notAfter: new Date(notBefore.getTime() + SELF_SIGNED_VALIDITY_DAYS * DAY_MS),
    keys: keys as never,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.SubjectAlternativeNameExtension(names.map((name) => ({ type: isIP(name) ? ('ip' as const) : ('dns' as const), value: name }))),
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as never),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const key = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/(.{64})/g, '$1\n').trim()}\n-----END PRIVATE KEY-----\n`;
  return { cert: certificate.toString('pem') + '\n', key };
}

/**
 * The stored self-signed certificate, or a new one made and stored at the
 * first start. A stored one is kept even when other names are asked for
 * (with a warning): replacing it would lock out every poller that pins it.
 */
export async function loadSelfSignedCertificate(store: CertificateStore, names: readonly string[], log: Logger): Promise<ServedCertificate> {
  const stored = await store.load();
  if (stored.cert === undefined) {
    if (stored.key !== undefined) log.warn(`${store.sources.key} has no certificate beside it (a first start cut short?): making a new pair`);
    const pair = await generateSelfSignedCertificate(names);
    const served = inspectCertificatePair(pair, store.sources);
    await store.save(pair);
    log.info(`created a self-signed TLS certificate for ${names.join(', ')} in ${store.location}, valid until ${served.notAfter.toISOString()}`);
    return served;
  }
  if (stored.key === undefined) {
    throw new Error(
      `${store.sources.key} is missing but ${store.sources.cert} is there: put the key back, or delete ${store.location} ` +
        'to make a new certificate (pollers pinning the old one then need the new fingerprint)',
    );
  }
  const served = inspectCertificatePair({ cert: stored.cert, key: stored.key }, store.sources);
  const wanted = names.map(canonicalAddress);
  if (wanted.length !== served.names.length || wanted.some((name) => !served.names.includes(name))) {
    log.warn(
      `the self-signed TLS certificate in ${store.location} was made for ${served.names.join(', ')}; asked for ${names.join(', ')} now: ` +
        `keeping it, since pollers pin it (delete ${store.location} and restart to make a new one, then give pollers its fingerprint)`,
    );
  }
  log.info(`using the self-signed TLS certificate in ${store.location} (for ${served.names.join(', ')}, valid until ${served.notAfter.toISOString()})`);
  return served;
}
