/**
 * The embedded database folder's lock: held by a live process, refused to
 * others with a message naming it; taken over from a process that is gone or
 * from a torn file; given back only by its holder.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DataFolderInUseError, lockDataFolder, lockFileOf } from './data-folder-lock.ts';

const root = mkdtempSync(join(tmpdir(), 'vantage-lock-test-'));
after(() => rmSync(root, { recursive: true, force: true }));

void test('a live process holding the lock keeps it; once it is killed, the lock is taken over', async () => {
  const dataDir = join(root, 'held');
  const holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });
  try {
    writeFileSync(lockFileOf(dataDir), `${holder.pid}\n${hostname()}\n`);
    assert.throws(() => lockDataFolder(dataDir), (err: Error) => err instanceof DataFolderInUseError && err.message.includes(`is in use by process ${holder.pid} (lock file ${lockFileOf(dataDir)})`));
  } finally {
    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.once('exit', resolve));
  }
  const unlock = lockDataFolder(dataDir);
  assert.equal(readFileSync(lockFileOf(dataDir), 'utf8'), `${process.pid}\n${hostname()}\n`);
  unlock();
  assert.equal(existsSync(lockFileOf(dataDir)), false);
});

void test('a lock from another host is kept, with what to do if that host is gone', () => {
  const dataDir = join(root, 'shared');
  writeFileSync(lockFileOf(dataDir), `4242\nsome-other-host\n`);
  assert.throws(() => lockDataFolder(dataDir), /in use by process 4242 on host some-other-host .*delete .*shared\.lock/);
});

void test('a torn lock file (a crash while writing it) is taken over', () => {
  const dataDir = join(root, 'torn');
  writeFileSync(lockFileOf(dataDir), '');
  lockDataFolder(dataDir)();
  writeFileSync(lockFileOf(dataDir), '12');
  lockDataFolder(dataDir)();
});

void test('giving the lock back leaves a lock someone else took alone', () => {
  const dataDir = join(root, 'taken');
  const unlock = lockDataFolder(dataDir);
  writeFileSync(lockFileOf(dataDir), `1\n${hostname()}\n`);
  unlock();
  assert.equal(readFileSync(lockFileOf(dataDir), 'utf8'), `1\n${hostname()}\n`);
});
