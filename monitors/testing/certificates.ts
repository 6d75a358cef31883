/**
 * Certificates for tests, made in process with WebCrypto (no openssl command
 * needed): self-signed or issued by a test CA, with any subject, names and
 * validity period, including ones already expired or not yet valid. Other
 * workspaces import it as `@vantage/monitors/testing`.
 */
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as never);

export interface TestCertificate {
  /** PEM certificate. */
  cert: string;
  /** PEM PKCS#8 private key. */
  key: string;
  /** The validity period exactly as the certificate holds it (whole seconds). */
  notBefore: Date;
  notAfter: Date;
}

export interface CertificateOptions {
  /** The subject's CN; default "localhost". */
  commonName?: string;
  /** Subject alternative names, DNS names or IP addresses; default the CN and 127.0.0.1. */
  altNames?: string[];
  /** Start of validity in days from now; default -1. Ignored when notBefore is given. */
  validFromDays?: number;
  /** Length of validity in days from the start; default 30. Ignored when notAfter is given. */
  validForDays?: number;
  /** Exact start of validity (X.509 keeps whole seconds: milliseconds are dropped). */
  notBefore?: Date;
  /** Exact end of validity (milliseconds dropped as well). */
  notAfter?: Date;
  /** Make a certificate authority (CA:TRUE, may sign certificates) instead of a server certificate. */
  certificateAuthority?: boolean;
  /** Have this CA sign the certificate instead of signing it with its own key. */
  issuer?: TestCertificate;
}

const DAY_MS = 86_400_000;
const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** The date with its milliseconds dropped, as the certificate will encode it. */
const wholeSeconds = (ms: number): Date => new Date(Math.floor(ms / 1000) * 1000);

/** An ECDSA P-256 certificate (CA:FALSE unless asked) and its key, self-signed unless an issuer is given. */
export async function makeCertificate(options: CertificateOptions = {}): Promise<TestCertificate> {
  const commonName = options.commonName ?? 'localhost';
  const notBefore = wholeSeconds(options.notBefore?.getTime() ?? Date.now() + (options.validFromDays ?? -1) * DAY_MS);
  const notAfter = wholeSeconds(options.notAfter?.getTime() ?? notBefore.getTime() + (options.validForDays ?? 30) * DAY_MS);
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const altNames = (options.altNames ?? [commonName, '127.0.0.1']).map((name) =>
    /^[\d.]+$|:/.test(name) ? { type: 'ip' as const, value: name } : { type: 'dns' as const, value: name },
  );
  // A random positive serial, so that certificates made in the same millisecond still differ.
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  const extensions = [
    new x509.SubjectAlternativeNameExtension(altNames),
    new x509.BasicConstraintsExtension(options.certificateAuthority ?? false, undefined, true),
  ];
  const certificate = options.issuer
    ? await x509.X509CertificateGenerator.create({
        serialNumber: serial.toString('hex'),
        subject: `CN=${commonName}`,
        issuer: new x509.X509Certificate(options.issuer.cert).subject,
        notBefore,
        notAfter,
        publicKey: keys.publicKey as never,
        signingKey: (await importPrivateKey(options.issuer.key)) as never,
        signingAlgorithm: algorithm,
        extensions,
      })
    : await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: serial.toString('hex'),
        name: `CN=${commonName}`,
        notBefore,
        notAfter,
        keys: keys as never,
        signingAlgorithm: algorithm,
        extensions,
      });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const key = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/(.{64})/g, '$1\n').trim()}\n-----END PRIVATE KEY-----\n`;
  return { cert: certificate.toString('pem'), key, notBefore, notAfter };
}

function importPrivateKey(pem: string): Promise<webcrypto.CryptoKey> {
  const der = Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
  return webcrypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
}
