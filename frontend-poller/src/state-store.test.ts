import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { identityFor, StateStore, type PollerIdentity, type PollerState } from './state-store.ts';

const HOME = 'wss://home.example:8980/rpc';
const STANDBY = 'wss://standby.example:8980/rpc';
const IDENTITY: PollerIdentity = { installationId: 'inst-A', servers: [HOME], location: 'RDU', name: 'poller-1', monitorId: 'm-42', secret: 'S3cr3t-_xyz' };
const STATE: PollerState = { identities: [IDENTITY, { ...IDENTITY, installationId: 'inst-B', servers: [STANDBY], monitorId: 'm-7' }] };

/** Runs `body` with a fresh temporary folder, removed afterwards. */
async function withTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'vantage-state-test-'));
  try {
    await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

void test('with no state file the poller has no identity', async () => {
  await withTempDir(async (dir) => {
    assert.deepEqual(await new StateStore(dir).load(), { identities: [] });
    assert.deepEqual(await new StateStore(join(dir, 'not', 'made', 'yet')).load(), { identities: [] });
  });
});

void test('save then load gives the same identities; written atomically', async () => {
  await withTempDir(async (dir) => {
    const store = new StateStore(dir);
    await store.save(STATE);
    assert.deepEqual(await new StateStore(dir).load(), STATE);
    await store.save({ identities: [] });
    assert.deepEqual(await new StateStore(dir).load(), { identities: [] });
    assert.deepEqual(await readdir(dir), ['state.json']);
  });
});

void test('the state file holds the secrets, so only its owner may read it', async () => {
  await withTempDir(async (parent) => {
    const dir = join(parent, 'state');
    const store = new StateStore(dir);
    await store.save(STATE);
    assert.equal((await stat(join(dir, 'state.json'))).mode & 0o777, 0o600);
    assert.equal((await stat(dir)).mode & 0o777, 0o700, 'a folder it creates is private too');
    await chmod(join(dir, 'state.json'), 0o644);
    await store.save(STATE);
    assert.equal((await stat(join(dir, 'state.json'))).mode & 0o777, 0o600);
  });
});

void test('the one-identity state of an earlier poller is read as an identity of unknown installation', async () => {
  await withTempDir(async (dir) => {
    const legacy = { identity: { server: HOME, location: 'RDU', name: 'poller-1', monitorId: 'm-42', secret: 'S3cr3t-_xyz' }, nextSeq: 1234 };
    await writeFile(join(dir, 'state.json'), JSON.stringify(legacy));
    const state = await new StateStore(dir).load();
    assert.deepEqual(state, { identities: [{ servers: [HOME], location: 'RDU', name: 'poller-1', monitorId: 'm-42', secret: 'S3cr3t-_xyz' }] });
    assert.equal(identityFor(state, 'inst-A', HOME, 'RDU', 'poller-1')?.monitorId, 'm-42', 'matched by the URL it was used with');
    assert.equal(identityFor(state, 'inst-A', STANDBY, 'RDU', 'poller-1'), undefined);
    await writeFile(join(dir, 'state.json'), JSON.stringify({ nextSeq: 5 }));
    assert.deepEqual(await new StateStore(dir).load(), { identities: [] });
  });
});

void test('one identity per installation, and only for this location and name', () => {
  assert.equal(identityFor(STATE, 'inst-A', STANDBY, 'RDU', 'poller-1')?.monitorId, 'm-42', 'any server of installation A');
  assert.equal(identityFor(STATE, 'inst-B', STANDBY, 'RDU', 'poller-1')?.monitorId, 'm-7');
  assert.equal(identityFor(STATE, 'inst-C', HOME, 'RDU', 'poller-1'), undefined, 'an installation of its own');
  assert.equal(identityFor(STATE, 'inst-A', HOME, 'NYC', 'poller-1'), undefined, 'another location registers anew');
  assert.equal(identityFor(STATE, 'inst-A', HOME, 'RDU', 'poller-2'), undefined, 'another name registers anew');
});

const DAMAGED: { what: string; content: string; problem: RegExp }[] = [
  { what: 'not JSON', content: '{"identities": [', problem: /^\(.*JSON.*\)$/ },
  { what: 'empty', content: '', problem: /^\(.*JSON.*\)$/ },
  { what: 'null', content: 'null', problem: /^\(not an object\)$/ },
  { what: 'without identities', content: '{}', problem: /^\(no identities\)$/ },
  { what: 'with a bad identity', content: '{"identities": [{"monitorId": "m"}]}', problem: /^\(identities\[0\] lacks monitorId, secret, location or name\)$/ },
  { what: 'with a legacy nextSeq 0', content: '{"nextSeq": 0}', problem: /^\(nextSeq is not a positive integer\)$/ },
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
