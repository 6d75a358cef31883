/**
 * The one written form of a certificate fingerprint, shared by the backend
 * (which prints and serves it) and the poller (which pins it): `sha256:`
 * followed by the SHA-256 digest of the certificate's DER bytes as upper-case
 * hex pairs separated by colons, e.g. `sha256:88:B8:1F:…:CF:78`. That is what
 * `openssl x509 -fingerprint -sha256` and browsers show, and what Node's
 * `X509Certificate.fingerprint256` returns after the prefix.
 */
export const FINGERPRINT_PREFIX = 'sha256:';

const SHA256_BYTES = 32;

/** Canonical form of a digest given as hex, with or without colons, in any case. */
export function formatFingerprint(hex: string): string {
  const digits = hex.replace(/:/g, '').toUpperCase();
  return FINGERPRINT_PREFIX + (digits.match(/../g) ?? []).join(':');
}

/**
 * Reads a fingerprint as people paste it: with or without the `sha256:`
 * prefix, colon-separated or plain hex, any case. Throws an Error that says
 * what is wrong; returns the canonical form, so two fingerprints compare as strings.
 */
export function parseFingerprint(text: string): string {
  let value = text.trim();
  if (value === '') throw new Error('the fingerprint is empty; expected sha256: and 32 hex bytes');
  // A name before the first colon is the algorithm, unless it is the first hex byte.
  const prefix = /^([^:]*):/.exec(value);
  if (prefix && !/^[0-9a-f]{2}$/i.test(prefix[1]!)) {
    if (prefix[1]!.toLowerCase() !== 'sha256') {
      throw new Error(`only SHA-256 fingerprints are accepted (sha256:AB:CD:…), got a "${prefix[1]}:" one`);
    }
    value = value.slice(prefix[0].length);
  }
  const colons = value.includes(':');
  if (colons ? !/^[0-9a-f]{2}(:[0-9a-f]{2})*$/i.test(value) : !/^([0-9a-f]{2})+$/i.test(value)) {
    throw new Error(`the fingerprint "${text.trim()}" is not hexadecimal bytes (AB:CD:… or ABCD…)`);
  }
  const bytes = value.replace(/:/g, '').length / 2;
  if (bytes !== SHA256_BYTES) throw new Error(`a SHA-256 fingerprint has ${SHA256_BYTES} bytes, got ${bytes} in "${text.trim()}"`);
  return formatFingerprint(value);
}
