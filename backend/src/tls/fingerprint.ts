/**
 * What the backend says about a certificate: its SHA-256 fingerprint in the
 * one written form (common/src/fingerprint.ts) and whether it signed itself.
 */
import { X509Certificate } from 'node:crypto';
import { formatFingerprint } from '@vantage/common';

/** The fingerprint of the first (leaf) certificate of a PEM text, e.g. `sha256:88:B8:…:CF:78`. */
export function certificateFingerprint(certificate: X509Certificate | string): string {
  const parsed = typeof certificate === 'string' ? new X509Certificate(certificate) : certificate;
  return formatFingerprint(parsed.fingerprint256);
}

/**
 * True when the certificate names itself as issuer and its own key signed it.
 * (Not checkIssued: OpenSSL's check also wants the key usage to allow signing
 * certificates, which a server certificate's does not.)
 */
export function isSelfSigned(certificate: X509Certificate): boolean {
  return certificate.issuer === certificate.subject && certificate.verify(certificate.publicKey);
}
