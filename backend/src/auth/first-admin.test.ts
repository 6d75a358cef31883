/**
 * The first admin: its password hashed ahead (first-admin.ts), while the
 * database opens, is the one that signs in; only the start that creates the
 * user is given the generated password to print, and a password hashed ahead
 * for a database that has its admin already changes nothing. The line a real
 * first start prints is tested in e2e/standalone.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { Database } from '../db/database.ts';
import { createTestStorage } from '../../testing/test-database.ts';
import { AuthService } from './auth-service.ts';
import { startFirstAdminPassword } from './first-admin.ts';

/** `work` on a new database, closed afterwards: the embedded one is one PGlite per process, so one at a time. */
async function onNewDatabase(work: (db: Database) => Promise<void>): Promise<void> {
  const storage = await createTestStorage();
  const db = await Database.open({ url: storage.databaseUrl, dataDir: join(storage.dataDir, 'db') });
  try {
    await work(db);
  } finally {
    await db.close();
    await storage.cleanup();
  }
}

const signIn = (auth: AuthService, password: string) => auth.checkPassword('admin', password, '127.0.0.1');

void test('of two starts creating the admin at once, only the one that created it has the generated password, and it signs in', () =>
  onNewDatabase(async (db) => {
    // Two services on one database: two instances starting together, neither under the other's start lock.
    const [one, other] = [new AuthService(db), new AuthService(db)];
    const ahead = [startFirstAdminPassword(), startFirstAdminPassword()];
    assert.ok(ahead.every((first) => first.generated && first.password.length >= 20));
    const results = await Promise.all([one.ensureAdmin(() => ahead[0]!), other.ensureAdmin(() => ahead[1]!)]);
    const creators = results.filter((result) => result.created);
    assert.equal(creators.length, 1, 'one admin, created once');
    const printed = results.flatMap((result) => (result.generatedPassword === undefined ? [] : [result.generatedPassword]));
    assert.equal(printed.length, 1, 'one password to print, by the instance that created the user');
    assert.ok(ahead.some((first) => first.password === printed[0]));
    assert.equal((await signIn(one, printed[0]!)).kind, 'accepted');
    assert.equal((await signIn(other, printed[0]!)).kind, 'accepted');
    const lost = ahead.find((first) => first.password !== printed[0])!;
    assert.equal((await signIn(one, lost.password)).kind, 'rejected', "the other instance's password is not in force");

    // A later start with the admin in place: nothing created, nothing printed, the password unchanged.
    const restart = await new AuthService(db).ensureAdmin(() => startFirstAdminPassword());
    assert.deepEqual(restart, { created: false });
    assert.equal((await signIn(one, printed[0]!)).kind, 'accepted');
  }),
);

void test('a password given (VANTAGE_ADMIN_PASSWORD) creates the admin with the hash made ahead, and is not printed', () =>
  onNewDatabase(async (fresh) => {
    const given = startFirstAdminPassword('a-given-password-long-enough');
    assert.equal(given.generated, false);
    const auth = new AuthService(fresh);
    assert.deepEqual(await auth.ensureAdmin(() => given), { created: true });
    assert.deepEqual(await fresh.manager.query(`SELECT password_hash FROM app_user WHERE username = 'admin'`), [{ password_hash: await given.hash }]);
    assert.equal((await signIn(auth, 'a-given-password-long-enough')).kind, 'accepted');
  }),
);
