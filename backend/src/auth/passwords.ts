/**
 * Password hashing with scrypt (memory-hard, in Node's crypto, so no native
 * add-on): `scrypt$N$r$p$salt$hash`, parameters stored with each hash so they
 * can be raised later without invalidating old ones.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const N = 2 ** 15;
const r = 8;
const p = 1;
const KEY_BYTES = 32;

function derive(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, KEY_BYTES, { ...options, maxmem: 128 * (options.N ?? N) * (options.r ?? r) * 2 }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, { N, r, p });
  return ['scrypt', N, r, p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** Whether `password` matches `stored`; a stored hash that is not `scrypt$N$r$p$salt$hash` is a bug, and throws. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, rr, pp, salt, key, ...rest] = stored.split('$');
  const [cost, blockSize, parallel] = [n, rr, pp].map(Number) as [number, number, number];
  if (scheme !== 'scrypt' || !salt || !key || rest.length > 0 || ![cost, blockSize, parallel].every((v) => Number.isSafeInteger(v) && v > 0)) {
    throw new Error(`a stored password hash is not in the form scrypt$N$r$p$salt$hash (it starts "${stored.slice(0, 12)}")`);
  }
  const expected = Buffer.from(key, 'base64');
  const actual = await derive(password, Buffer.from(salt, 'base64'), { N: cost, r: blockSize, p: parallel });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A password people can type from a log line: 20 characters of base32-ish. */
export function generatePassword(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
  return [...randomBytes(20)].map((b) => alphabet[b % alphabet.length]).join('');
}
