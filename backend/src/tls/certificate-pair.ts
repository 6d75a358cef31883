/**
 * Checks a certificate and its private key before the server uses them: both
 * parse, the key belongs to the certificate, and Node accepts them together.
 * Errors name where each came from, so an operator knows which file to fix.
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { domainToASCII } from 'node:url';
import tls from 'node:tls';
import { certificateFingerprint, isSelfSigned } from './fingerprint.ts';

/** A certificate (PEM, the leaf first, then any intermediates) and its key, ready to serve. */
export interface ServedCertificate {
  cert: string;
  key: string;
  /** Of the leaf: `sha256:AB:…`. */
  fingerprint: string;
  selfSigned: boolean;
  notAfter: Date;
  /** The leaf's subject alternative names, DNS names and IP addresses as written in --tls-name. */
  names: string[];
}

/** Where the two halves came from, for messages: file names, or later a database row. */
export interface PairSources {
  cert: string;
  key: string;
}

export function inspectCertificatePair(pair: { cert: string; key: string }, sources: PairSources): ServedCertificate {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pair.cert);
  } catch (err) {
    throw new Error(`${sources.cert}: not a PEM certificate (${(err as Error).message})`, { cause: err });
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(pair.key);
  } catch (err) {
    throw new Error(`${sources.key}: not a PEM private key (${(err as Error).message})`, { cause: err });
  }
  if (key.type !== 'private' || !certificate.checkPrivateKey(key)) {
    throw new Error(`${sources.key} is not the private key of the certificate in ${sources.cert}`);
  }
  try {
    tls.createSecureContext({ cert: pair.cert, key: pair.key });
  } catch (err) {
    throw new Error(`${sources.cert} with ${sources.key}: ${(err as Error).message}`, { cause: err });
  }
  return {
    cert: pair.cert,
    key: pair.key,
    fingerprint: certificateFingerprint(certificate),
    selfSigned: isSelfSigned(certificate),
    notAfter: new Date(certificate.validTo),
    names: subjectAltNames(certificate),
  };
}

export async function readCertificateFiles(certFile: string, keyFile: string): Promise<ServedCertificate> {
  const read = async (file: string, what: string) => {
    try {
      return await readFile(file, 'utf8');
    } catch (err) {
      throw new Error(`cannot read the TLS ${what} ${file}: ${(err as Error).message}`, { cause: err });
    }
  };
  // Both read, and every file that cannot be read named: the first failure alone would depend on which read ends first.
  const [cert, key] = await Promise.allSettled([read(certFile, 'certificate'), read(keyFile, 'key')]);
  if (cert.status === 'rejected' || key.status === 'rejected') {
    const failures = [cert, key].filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason as Error);
    throw new Error(failures.map((err) => err.message).join('; '), { cause: failures[0] });
  }
  return inspectCertificatePair({ cert: cert.value, key: key.value }, { cert: certFile, key: keyFile });
}

/** The DNS names and IP addresses a certificate is for, IPv6 in its short form. */
function subjectAltNames(certificate: X509Certificate): string[] {
  return (certificate.subjectAltName ?? '')
    .split(', ')
    .map((entry) => /^(DNS|IP Address):(.+)$/.exec(entry))
    .filter((match) => match !== null)
    .map(([, type, value]) => (type === 'DNS' ? domainToASCII(value!) || value! : canonicalAddress(value!)));
}

/** 0:0:0:0:0:0:0:1 → ::1, as people write addresses. */
export function canonicalAddress(address: string): string {
  if (!address.includes(':')) return address;
  try {
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return address;
  }
}
