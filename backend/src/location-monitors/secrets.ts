import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

/**
 * Monitor secrets are 256 random bits, so a plain SHA-256 is enough to keep
 * them unusable if the database leaks (a slow KDF protects guessable
 * passwords, which these are not).
 */
export function newMonitorCredentials(): { monitorId: string; secret: string; secretHash: string } {
  const secret = randomBytes(32).toString('base64url');
  return { monitorId: randomUUID(), secret, secretHash: hashSecret(secret) };
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function secretMatches(secret: string, secretHash: string): boolean {
  const given = Buffer.from(hashSecret(secret), 'hex');
  const stored = Buffer.from(secretHash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}

