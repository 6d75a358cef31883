/**
 * Password hashes: the right password matches, a wrong one does not, a
 * malformed stored hash is an error rather than a quiet "wrong", and the
 * stand-in hash checked for unknown usernames is a real one with the same
 * parameters, so an unknown username costs a full hash like a known one.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DUMMY_HASH } from './auth-service.ts';
import { hashPassword, verifyPassword } from './passwords.ts';

void test('a hash matches its password and no other', async () => {
  const stored = await hashPassword('correct horse battery');
  assert.equal(await verifyPassword('correct horse battery', stored), true);
  assert.equal(await verifyPassword('correct horse batterY', stored), false);
});

void test('a malformed stored hash is an error, not a wrong password', async () => {
  for (const stored of ['', 'plain', 'scrypt$32768$8$c2FsdA==$a2V5', 'scrypt$x$8$1$c2FsdA==$a2V5', 'bcrypt$32768$8$1$c2FsdA==$a2V5']) {
    await assert.rejects(verifyPassword('x', stored), /not in the form scrypt\$N\$r\$p\$salt\$hash/, stored);
  }
});

void test('the stand-in hash for unknown usernames is hashed with the same parameters as real ones', async () => {
  const real = await hashPassword('whatever-password');
  const parameters = (stored: string) => stored.split('$').slice(0, 4).join('$');
  assert.equal(parameters(DUMMY_HASH), parameters(real));
  assert.equal(await verifyPassword('anything', DUMMY_HASH), false);
});
