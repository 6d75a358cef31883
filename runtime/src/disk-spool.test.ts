import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DiskSpool, type DiskSpoolOptions } from './disk-spool.ts';
import { createLogger } from './logger.ts';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const quiet = createLogger('spool', 'error', () => undefined);

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vantage-spool-'));
  dirs.push(dir);
  return dir;
}

function openSpool(dir: string, options: Partial<DiskSpoolOptions> = {}): DiskSpool {
  return DiskSpool.open({ dir, maxBytes: 64 * 1024 * 1024, log: quiet, fsync: false, ...options });
}

function diskBytes(dir: string): number {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.seg'))
    .reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
}

void test('records come back in order, only once committed, and leave once acknowledged', async () => {
  const dir = tempDir();
  const spool = openSpool(dir, { commitIntervalMs: 60_000 });
  const seqs = ['a', 'b', 'c'].map((t) => spool.append(t, 1000));
  assert.deepEqual(seqs, [1, 2, 3]);
  assert.deepEqual(await spool.read(10), [], 'nothing is read before the commit');
  await spool.commit();
  assert.deepEqual(
    (await spool.read(10)).map((r) => [r.seq, r.text]),
    [
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
    ],
  );
  assert.deepEqual((await spool.read(2)).map((r) => r.seq), [1, 2], 'a read is not a removal');
  spool.acknowledge(2);
  assert.deepEqual((await spool.read(10)).map((r) => r.seq), [3]);
  assert.equal(spool.stats().records, 1);
  assert.throws(() => spool.append('two\nlines'), /one line/);
  await spool.close();
});

void test('a commit happens by itself after the interval or once enough records wait', async () => {
  const spool = openSpool(tempDir(), { commitIntervalMs: 50, commitRecords: 3 });
  spool.append('x');
  spool.append('y');
  assert.equal(spool.committedSeq, 0);
  spool.append('z');
  await new Promise((resolve) => setImmediate(resolve));
  await spool.commit();
  assert.equal(spool.committedSeq, 3, 'the third record triggered the commit');
  spool.append('w');
  await new Promise((resolve) => setTimeout(resolve, 150));
  assert.equal(spool.committedSeq, 4, 'the timer committed the fourth');
  await spool.close();
});

void test('seqs go on after a reopen, even when every record was acknowledged and the segments are gone', async () => {
  const dir = tempDir();
  let spool = openSpool(dir, { segmentBytes: 4096 });
  for (let i = 0; i < 500; i++) spool.append(`record ${i} ${'x'.repeat(40)}`);
  await spool.commit();
  spool.acknowledge(500);
  await spool.close();
  spool = openSpool(dir, { segmentBytes: 4096 });
  assert.equal(spool.stats().records, 0);
  assert.equal(spool.append('next'), 501);
  await spool.close();
  spool = openSpool(dir);
  assert.equal(spool.append('after a restart that lost the acknowledged mark'), 502);
  await spool.close();
});

void test('a reader gets the records a killed writer had committed, and new seqs follow the last one on disk', async () => {
  const dir = tempDir();
  // A child appends and commits 2,000 records in batches of 100, says how far it got, and is killed with SIGKILL.
  const script = `
    import { DiskSpool, createLogger } from '${new URL('./index.ts', import.meta.url).href}';
    const spool = DiskSpool.open({ dir: ${JSON.stringify(dir)}, maxBytes: 1 << 26, segmentBytes: 16384, log: createLogger('c', 'error', () => {}), fsync: true });
    for (let i = 1; i <= 2000; i++) {
      spool.append('r' + i, Date.now());
      if (i % 100 === 0) { await spool.commit(); process.stdout.write('committed ' + i + '\\n'); }
    }
    spool.append('never committed');
    process.stdout.write('done\\n');
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('done')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`child exited ${code}: ${out}`)));
  });
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  const spool = openSpool(dir);
  const records = await spool.read(5000);
  assert.equal(records.length, 2000, 'every committed record is there');
  assert.deepEqual(
    records.map((r) => r.seq),
    Array.from({ length: 2000 }, (_, i) => i + 1),
  );
  assert.equal(records.at(-1)!.text, 'r2000');
  assert.equal(spool.append('after'), 2001, 'the uncommitted record left no number behind');
  await spool.close();
});

void test('a line torn by a crash is cut when the spool opens', async () => {
  const dir = tempDir();
  let spool = openSpool(dir);
  spool.append('whole');
  await spool.close();
  const open = readdirSync(dir).find((f) => f.endsWith('.seg'))!;
  appendFileSync(join(dir, open), '2\t1000\thalf a rec');
  spool = openSpool(dir);
  assert.deepEqual((await spool.read(10)).map((r) => r.text), ['whole']);
  assert.equal(spool.append('next'), 2);
  await spool.commit();
  assert.deepEqual((await spool.read(10)).map((r) => r.text), ['whole', 'next']);
  await spool.close();
});

void test('the byte bound is measured on disk and drops the oldest records, counting them', async () => {
  const dir = tempDir();
  const maxBytes = 64 * 1024;
  const spool = openSpool(dir, { maxBytes, segmentBytes: 8192, commitRecords: 50 });
  const text = 'y'.repeat(100);
  for (let i = 0; i < 2000; i++) spool.append(text);
  await spool.commit();
  const stats = spool.stats();
  assert.ok(diskBytes(dir) <= maxBytes + 8192 + 200, `${diskBytes(dir)} bytes on disk`);
  assert.equal(stats.bytes, diskBytes(dir), 'the figure is what is on disk');
  const left = await spool.read(5000);
  assert.equal(stats.dropped + left.length, 2000, 'every record is either still there or counted as dropped');
  assert.equal(left.at(-1)!.seq, 2000, 'the newest are kept');
  assert.equal(left[0]!.seq, stats.dropped + 1, 'the oldest went first');
  await spool.close();
});

void test('records older than the age bound are dropped, not read', async () => {
  let nowMs = 1_000_000;
  const spool = openSpool(tempDir(), { maxAgeMs: 10_000, segmentBytes: 4096, now: () => nowMs });
  for (let i = 0; i < 300; i++) spool.append(`old ${i} ${'z'.repeat(30)}`, nowMs);
  nowMs += 20_000;
  for (let i = 0; i < 5; i++) spool.append(`new ${i}`, nowMs);
  await spool.commit();
  const records = await spool.read(1000);
  assert.deepEqual(records.map((r) => r.text), ['new 0', 'new 1', 'new 2', 'new 3', 'new 4']);
  assert.equal(spool.stats().dropped, 300);
  await spool.close();
});

void test('a large backlog is read in batches without holding it in memory', async () => {
  const dir = tempDir();
  const spool = openSpool(dir, { segmentBytes: 256 * 1024, commitRecords: 5000 });
  const total = 60_000;
  for (let i = 1; i <= total; i++) spool.append(JSON.stringify({ serviceId: `node${i % 1000}/HTTP`, status: 'UP', responseTimeMs: 1.5 }));
  await spool.commit();
  let seen = 0;
  let expected = 1;
  for (;;) {
    const batch = await spool.read(1000);
    if (batch.length === 0) break;
    for (const record of batch) assert.equal(record.seq, expected++);
    seen += batch.length;
    spool.acknowledge(batch.at(-1)!.seq);
  }
  assert.equal(seen, total);
  assert.ok(readdirSync(dir).filter((f) => f.endsWith('.seg')).length <= 1, 'acknowledged segments are deleted');
  await spool.close();
});

void test('discardAll empties the spool and keeps the numbering', async () => {
  const spool = openSpool(tempDir(), { segmentBytes: 4096 });
  for (let i = 0; i < 200; i++) spool.append(`r${i} ${'q'.repeat(40)}`);
  await spool.discardAll();
  assert.equal(spool.stats().records, 0);
  assert.deepEqual(await spool.read(10), []);
  assert.equal(spool.append('fresh'), 201);
  await spool.close();
});

void test('skipTo numbers new records after what the receiver already holds, across a restart', async () => {
  const dir = tempDir();
  let spool = openSpool(dir);
  spool.append('a');
  await spool.commit();
  spool.skipTo(5000);
  assert.equal(spool.append('b'), 5001);
  await spool.commit();
  assert.deepEqual((await spool.read(10)).map((r) => r.seq), [5001]);
  await spool.close();
  spool = openSpool(dir);
  spool.skipTo(9000);
  await spool.close();
  spool = openSpool(dir);
  assert.equal(spool.append('c'), 9001, 'the jump survived a restart with nothing written after it');
  await spool.close();
});
