import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateStore } from './state-store.ts';
import type { PollerState } from './state-store.ts';

const STATE: PollerState = {
  identity: {
    server: 'http://backend.example:8980',
    location: 'RDU',
    name: 'poller-1',
    monitorId: 'm-42',
    secret: 'S3cr3t-_xyz',
  },
  nextSeq: 1_234,
};

/** Runs `body` with a fresh temporary folder, removed afterwards. */
async function withTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'vantage-state-test-'));
  try {
    await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

void test('with no state file the poller starts unregistered at seq 1', async () => {
  await withTempDir(async (dir) => {
    assert.deepEqual(await new StateStore(dir).load(), { nextSeq: 1 });
    assert.deepEqual(await new StateStore(join(dir, 'not', 'made', 'yet')).load(), { nextSeq: 1 });
  });
});

void test('save then load gives the same state, also after saving again', async () => {
  await withTempDir(async (dir) => {
    const store = new StateStore(dir);
    await store.save(STATE);
    assert.deepEqual(await new StateStore(dir).load(), STATE);
    await store.save({ ...STATE, nextSeq: 2_000 });
    assert.deepEqual(await new StateStore(dir).load(), { ...STATE, nextSeq: 2_000 });
    await store.save({ nextSeq: 1 });
    assert.deepEqual(await new StateStore(dir).load(), { nextSeq: 1 });
    // Written atomically: no temporary file is left behind.
    assert.deepEqual(await readdir(dir), ['state.json']);
  });
});

void test('the state file holds the secret, so only its owner may read it', async () => {
  await withTempDir(async (parent) => {
    const dir = join(parent, 'state');
    const store = new StateStore(dir);
    await store.save(STATE);
    assert.equal((await stat(join(dir, 'state.json'))).mode & 0o777, 0o600);
    assert.equal((await stat(dir)).mode & 0o777, 0o700, 'a folder it creates is private too');
    // A file that was readable by others is replaced by a private one.
    await chmod(join(dir, 'state.json'), 0o644);
    await store.save(STATE);
    assert.equal((await stat(join(dir, 'state.json'))).mode & 0o777, 0o600);
  });
});

const DAMAGED: { what: string; content: string; problem: RegExp }[] = [
  { what: 'not JSON', content: '{"nextSeq": 12', problem: /^\(.*JSON.*\)$/ },
  { what: 'empty', content: '', problem: /^\(.*JSON.*\)$/ },
  { what: 'null', content: 'null', problem: /^\(.+\)$/ },
  { what: 'without nextSeq', content: '{}', problem: /^\(nextSeq is not a positive integer\)$/ },
  { what: 'with nextSeq 0', content: '{"nextSeq": 0}', problem: /^\(nextSeq is not a positive integer\)$/ },
  { what: 'with a fractional nextSeq', content: '{"nextSeq": 1.5}', problem: /^\(nextSeq is not a positive integer\)$/ },
  { what: 'with a string nextSeq', content: '{"nextSeq": "7"}', problem: /^\(nextSeq is not a positive integer\)$/ },
];

for (const { what, content, problem } of DAMAGED) {
  void test(`a state file that is ${what} is an error naming the file`, async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'state.json');
      await writeFile(file, content);
      await assert.rejects(new StateStore(dir).load(), (err: unknown) => {
        assert.ok(err instanceof Error);
        const prefix = `poller state ${file} is damaged `;
        const suffix = '; move it aside to register anew';
        assert.ok(err.message.startsWith(prefix), err.message);
        assert.ok(err.message.endsWith(suffix), err.message);
        assert.match(err.message.slice(prefix.length, -suffix.length), problem);
        return true;
      });
    });
  });
}

void test('a state file that cannot be read is an error naming the file', async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, 'state.json');
    await mkdir(file);
    await assert.rejects(new StateStore(dir).load(), (err: unknown) => {
      assert.ok(err instanceof Error);
      assert.ok(err.message.startsWith(`cannot read poller state ${file}: `), err.message);
      assert.match(err.message, /EISDIR/);
      return true;
    });
  });
});
