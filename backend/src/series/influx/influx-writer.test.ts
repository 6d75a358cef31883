import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test, type TestContext } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { createLogger } from '@vantage/runtime';
import { InfluxWriter, type InfluxWriterOptions } from './influx-writer.ts';
import { toLineProtocol, type ResponsePoint } from './line-protocol.ts';
import { VictoriaMetrics, freePort, sampleCount, victoriaMetricsMissing } from '../../../testing/victoria-metrics.ts';

const skip = victoriaMetricsMissing;
let vm: VictoriaMetrics | undefined;
const dirs: string[] = [];

before(async () => {
  if (!skip) vm = await VictoriaMetrics.start();
});

after(async () => {
  await vm?.dispose();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vantage-influx-spool-'));
  dirs.push(dir);
  return dir;
}

/** A logger that keeps its lines for assertions (and prints them with VANTAGE_TEST_LOG=1). */
function testLog() {
  const lines: string[] = [];
  const log = createLogger('influx', 'debug', (line) => {
    lines.push(line);
    if (process.env.VANTAGE_TEST_LOG) process.stdout.write(line);
  });
  return { log, lines, text: () => lines.join('') };
}

function writer(t: TestContext, options: Partial<InfluxWriterOptions> & { url: string }) {
  const { log, lines, text } = testLog();
  const w = new InfluxWriter({ org: 'vantage', bucket: 'results', token: 'secret', spoolDir: tempDir(), log, ...options });
  t.after(() => w.close());
  return { w, lines, text };
}

/** Point `i` of a test: one series per location, timestamps 1 ms apart (all distinct). */
function point(location: string, i: number, base: number, overrides: Partial<ResponsePoint> = {}): ResponsePoint {
  return {
    location,
    monitorId: 'mon-1',
    monitorName: 'RDU-1',
    node: 'web1',
    serviceId: 'web1/HTTP',
    service: 'HTTP',
    timestamp: base + i,
    responseTimeMs: 10 + (i % 100),
    status: 'UP',
    ...overrides,
  };
}

/** Polls `check` every 25 ms for at most `timeoutMs`. */
async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

/** Records still in the spool's segment files. */
function recordsOnDisk(dir: string): number {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.seg'))
    .reduce((n, f) => n + readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean).length, 0);
}

const upSeries = (location: string) => `vantage_response_up{location="${location}"}`;
const minutesAgo = (n: number) => Date.now() - n * 60_000;

void test('line protocol: measurement, escaped tags, fields by status, ms timestamp', () => {
  const base = { location: 'RDU', monitorId: 'm-1', node: 'web1', serviceId: 'web1/HTTP', service: 'HTTP', timestamp: 1_700_000_000_123.7 };
  assert.equal(
    toLineProtocol({ ...base, monitorName: 'RDU one', responseTimeMs: 12.5, status: 'UP' }),
    'vantage_response,location=RDU,monitor=RDU\\ one,node=web1,service=HTTP response_time_ms=12.5,status="UP",up=1i 1700000000123',
  );
  // No response time, no name: the monitor tag falls back to the id.
  assert.equal(
    toLineProtocol({ ...base, node: 'a,b=c', status: 'DOWN' }),
    'vantage_response,location=RDU,monitor=m-1,node=a\\,b\\=c,service=HTTP status="DOWN",up=0i 1700000000123',
  );
  // An empty tag is left out; a trailing backslash must not escape the separator.
  assert.equal(
    toLineProtocol({ ...base, location: '', node: 'C:\\', status: 'UNKNOWN', responseTimeMs: Number.NaN }),
    'vantage_response,monitor=m-1,node=C:\\\\,service=HTTP status="UNKNOWN",up=0i 1700000000123',
  );
  assert.throws(() => toLineProtocol({ ...base, timestamp: Number.NaN, status: 'UP' }), /timestamp/);
});

void test('points arrive in VictoriaMetrics with their tags and values', { skip }, async (t) => {
  const { w } = writer(t, { url: vm!.url, flushIntervalMs: 60_000 });
  const at = minutesAgo(5);
  w.write(point('T-tags', 0, at, { node: 'web 1,x=y', responseTimeMs: 12.5 }));
  w.write(point('T-tags', 1, at, { status: 'DOWN', responseTimeMs: undefined }));
  w.write(point('T-tags', 2, at, { status: 'UNKNOWN', monitorName: undefined, responseTimeMs: 7 }));
  await w.flush();
  assert.deepEqual(w.stats(), { written: 3, spooledPoints: 0, spoolBytes: 0, bufferedPoints: 0, dropped: 0, rejected: 0 });

  // 3 × up, 3 × status, 2 × response_time_ms.
  const series = await vm!.waitForSamples('{__name__=~"vantage_response_.*",location="T-tags"}', 8);
  const find = (name: string, node: string, monitor: string) =>
    series.find((s) => s.metric.__name__ === name && s.metric.node === node && s.metric.monitor === monitor);
  assert.deepEqual(find('vantage_response_response_time_ms', 'web 1,x=y', 'RDU-1')?.metric, {
    __name__: 'vantage_response_response_time_ms',
    location: 'T-tags',
    monitor: 'RDU-1',
    node: 'web 1,x=y',
    service: 'HTTP',
  });
  assert.deepEqual(find('vantage_response_response_time_ms', 'web 1,x=y', 'RDU-1')?.values, [12.5]);
  assert.deepEqual(find('vantage_response_up', 'web 1,x=y', 'RDU-1')?.timestamps, [at]);
  const web1Up = find('vantage_response_up', 'web1', 'RDU-1');
  assert.deepEqual([web1Up?.values, web1Up?.timestamps], [[0], [at + 1]], 'DOWN: up=0');
  assert.equal(find('vantage_response_response_time_ms', 'web1', 'RDU-1'), undefined, 'DOWN without a response time has no such field');
  // UNKNOWN, without a monitor name: tagged with the id.
  assert.deepEqual(find('vantage_response_response_time_ms', 'web1', 'mon-1')?.values, [7]);
  assert.deepEqual(find('vantage_response_up', 'web1', 'mon-1')?.values, [0]);
  // The string field arrives too (VictoriaMetrics stores strings as 0).
  assert.equal(sampleCount(series.filter((s) => s.metric.__name__ === 'vantage_response_status')), 3);
  assert.equal(sampleCount(series), 8);
});

void test('batching: 12,000 writes are 3 requests; a full batch goes without the timer; the timer sends the rest', { skip }, async (t) => {
  const before = await vm!.influxWriteRequests();
  const { w } = writer(t, { url: vm!.url, flushIntervalMs: 60_000, batchSize: 5000 });
  const at = minutesAgo(10);
  for (let i = 0; i < 12_000; i++) w.write(point('T-batch', i, at));
  await w.flush();
  assert.equal(w.stats().written, 12_000);
  assert.equal(sampleCount(await vm!.waitForSamples(upSeries('T-batch'), 12_000)), 12_000);
  // VictoriaMetrics counts a request just after answering it: give the counter a moment.
  let requests = 0;
  for (let tries = 0; tries < 20 && requests < 3; tries++, await sleep(50)) requests = (await vm!.influxWriteRequests()) - before;
  assert.equal(requests, 3, '5,000 + 5,000 + 2,000');

  // A full batch is sent at once, without flush() and long before the (60 s) timer.
  const full = writer(t, { url: vm!.url, flushIntervalMs: 60_000, batchSize: 100 }).w;
  for (let i = 0; i < 100; i++) full.write(point('T-batch-full', i, at));
  await until(() => full.stats().written === 100, 3000, 'the full batch to be sent');

  // A partial batch waits for the timer.
  const timed = writer(t, { url: vm!.url, flushIntervalMs: 100 }).w;
  for (let i = 0; i < 10; i++) timed.write(point('T-batch-timer', i, at));
  assert.equal(timed.stats().bufferedPoints, 10);
  await until(() => timed.stats().written === 10, 3000, 'the timer to send 10 points');
  assert.equal(sampleCount(await vm!.waitForSamples(upSeries('T-batch-timer'), 10)), 10);
});

void test('write never waits: 1,000,000 writes while InfluxDB is down return at once; close keeps what the bounded spool holds', async (t) => {
  const deadPort = await freePort();
  const maxSpoolBytes = 4 * 1024 * 1024;
  const { w, text } = writer(t, { url: `http://127.0.0.1:${deadPort}`, maxSpoolBytes, maxBufferedBytes: 16 * 1024 * 1024 });
  const at = minutesAgo(30);
  const started = performance.now();
  let returned: unknown;
  for (let i = 0; i < 1_000_000; i++) returned = w.write(point('T-fast', i, at));
  const elapsedMs = performance.now() - started;
  t.diagnostic(`1,000,000 writes in ${Math.round(elapsedMs)} ms (${((elapsedMs * 1000) / 1_000_000).toFixed(2)} µs each)`);
  assert.equal(returned, undefined, 'write returns nothing to await');
  // Synchronous throughout: no network I/O happened in the loop (nothing was attempted yet).
  assert.equal(w.stats().lastError, undefined);
  // A write that waited on I/O would take minutes here; a busy machine takes seconds.
  assert.ok(elapsedMs < 30_000, `1,000,000 writes took ${Math.round(elapsedMs)} ms`);

  const closeStarted = performance.now();
  await w.close();
  t.diagnostic(`close (one refused attempt, rest to disk) in ${Math.round(performance.now() - closeStarted)} ms`);
  const stats = w.stats();
  assert.equal(stats.written, 0);
  assert.equal(stats.bufferedPoints, 0);
  assert.ok(stats.spoolBytes <= maxSpoolBytes, `spool ${stats.spoolBytes} bytes > ${maxSpoolBytes}`);
  assert.ok(stats.dropped > 0, 'the bound dropped points');
  assert.equal(stats.spooledPoints + stats.dropped, 1_000_000, 'every point is either on disk or counted as dropped');
  assert.match(stats.lastError ?? '', /unreachable \(ECONNREFUSED\)/);
  assert.match(text(), /dropped the oldest/);
  // After close, writes are refused and counted.
  w.write(point('T-fast', 0, at));
  assert.equal(w.stats().dropped, stats.dropped + 1);
});

void test('InfluxDB stopped mid-test: batches go to the disk spool and all arrive, once, when it returns', { skip }, async (t) => {
  const spoolDir = tempDir();
  const { w, text } = writer(t, { url: vm!.url, spoolDir, flushIntervalMs: 100, batchSize: 500, retryMinMs: 200, retryMaxMs: 800 });
  const at = minutesAgo(60);
  for (let i = 0; i < 1000; i++) w.write(point('T-outage', i, at));
  await w.flush();
  assert.equal(w.stats().written, 1000);
  assert.equal(sampleCount(await vm!.waitForSamples(upSeries('T-outage'), 1000)), 1000);

  await vm!.stop(); // SIGTERM: VictoriaMetrics keeps what it acknowledged
  for (let chunk = 0; chunk < 5; chunk++) {
    for (let i = 1000 + chunk * 500; i < 1500 + chunk * 500; i++) w.write(point('T-outage', i, at));
    await w.flush();
  }
  let stats = w.stats();
  assert.equal(stats.written, 1000);
  assert.equal(stats.spooledPoints, 2500);
  assert.equal(stats.bufferedPoints, 0);
  assert.ok(stats.spoolBytes > 0);
  assert.match(stats.lastError ?? '', /unreachable \(ECONNREFUSED\)/);
  assert.match(text(), /InfluxDB at http:\/\/127\.0\.0\.1:\d+ unreachable \(ECONNREFUSED\): [\d,]+ points kept on disk, retrying in \d+ ms/);
  assert.ok(readdirSync(spoolDir).length >= 1, 'segments on disk');

  // Back on the same port and data: the loop finds it by itself (no flush()).
  await vm!.start();
  await until(() => w.stats().spooledPoints === 0, 5000, 'the spool to drain');
  stats = w.stats();
  assert.equal(stats.written, 3500);
  assert.equal(stats.dropped, 0);
  assert.equal(stats.lastError, undefined);
  assert.match(text(), /accepting writes again after [\d.]+ m?s: 2,500 points sent from disk/);
  await until(() => recordsOnDisk(spoolDir) === 0, 2000, 'the sent segments to be deleted');

  const series = await vm!.waitForSamples(upSeries('T-outage'), 3500);
  const timestamps = series.flatMap((s) => s.timestamps);
  assert.equal(timestamps.length, 3500, 'nothing lost, nothing twice');
  assert.equal(new Set(timestamps).size, 3500);
});

void test('the spool is bounded (oldest dropped, counted) and a restarted writer sends what is left', { skip }, async (t) => {
  const deadPort = await freePort();
  const spoolDir = tempDir();
  const maxSpoolBytes = 40_000;
  const first = writer(t, { url: `http://127.0.0.1:${deadPort}`, spoolDir, batchSize: 100, maxSpoolBytes, flushIntervalMs: 60_000 });
  const at = minutesAgo(90);
  for (let batch = 0; batch < 20; batch++) {
    for (let i = batch * 100; i < (batch + 1) * 100; i++) first.w.write(point('T-restart', i, at));
    await first.w.flush();
  }
  await first.w.close();
  const kept = first.w.stats();
  assert.ok(kept.dropped > 0 && kept.spooledPoints > 0, JSON.stringify(kept));
  assert.equal(kept.spooledPoints + kept.dropped, 2000);
  assert.ok(kept.spoolBytes <= maxSpoolBytes);
  assert.match(first.text(), /dropped the oldest \d+ records \(beyond its bounds: 40000 bytes\)/);

  // A crash in the middle of an append leaves a torn last line: it is cut on pickup.
  const complete = toLineProtocol(point('T-restart', 5000, at));
  appendFileSync(join(spoolDir, '0000000000099999.seg'), `99999\t${Date.now()}\t${complete}\n100000\t${Date.now()}\t${complete.slice(0, 30)}`);

  const second = writer(t, { url: vm!.url, spoolDir, flushIntervalMs: 60_000 });
  assert.equal(second.w.stats().spooledPoints, kept.spooledPoints + 1, 'picked up on construction');
  assert.match(second.text(), /picked up [\d,]+ points .* left for InfluxDB/);
  assert.match(second.text(), /cut a torn last line/);
  await second.w.flush();
  assert.deepEqual(second.w.stats(), {
    written: kept.spooledPoints + 1,
    spooledPoints: 0,
    spoolBytes: 0,
    bufferedPoints: 0,
    dropped: 0,
    rejected: 0,
  });
  await until(() => recordsOnDisk(spoolDir) === 0, 2000, 'the sent segments to be deleted');

  const timestamps = (await vm!.waitForSamples(upSeries('T-restart'), kept.spooledPoints + 1)).flatMap((s) => s.timestamps).sort((a, b) => a - b);
  assert.equal(timestamps.length, kept.spooledPoints + 1);
  // The newest points survived: the last `spooledPoints` of the 2,000, and the one from the torn segment.
  assert.equal(timestamps[0], at + (2000 - kept.spooledPoints));
  assert.equal(timestamps.at(-2), at + 1999);
  assert.equal(timestamps.at(-1), at + 5000);
});

void test('a 4xx answer drops the batch and counts it; 429 and 5xx keep it for a retry', async (t) => {
  const answers: Array<{ status: number; body: string }> = [];
  const requests: Array<{ url: string; headers: IncomingHttpHeaders; lines: string[] }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
      requests.push({ url: req.url ?? '', headers: req.headers, lines: body.toString().split('\n').filter(Boolean) });
      const answer = answers.shift() ?? { status: 204, body: '' };
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const { w, text } = writer(t, { url, flushIntervalMs: 60_000, org: 'my org', bucket: 'vantage' });
  const at = minutesAgo(120);

  answers.push({ status: 400, body: '{"code":"invalid","message":"unable to parse: bad timestamp"}' });
  for (let i = 0; i < 10; i++) w.write(point('T-400', i, at));
  await w.flush();
  assert.deepEqual(w.stats(), {
    written: 0,
    spooledPoints: 0,
    spoolBytes: 0,
    bufferedPoints: 0,
    dropped: 0,
    rejected: 10,
    lastError: 'refused with HTTP 400 ({"code":"invalid","message":"unable to parse: bad timestamp"})',
  });
  assert.match(text(), /ERROR influx: InfluxDB at http:\/\/127\.0\.0\.1:\d+ refused with HTTP 400 \(.*unable to parse: bad timestamp.*\): 10 points dropped/);
  assert.equal(requests.length, 1);
  assert.equal(requests[0]!.url, '/api/v2/write?org=my%20org&bucket=vantage&precision=ms');
  assert.equal(requests[0]!.headers.authorization, 'Token secret');
  assert.deepEqual(requests[0]!.lines, Array.from({ length: 10 }, (_, i) => toLineProtocol(point('T-400', i, at))));

  // Too many requests, then unavailable: kept on disk; then accepted.
  answers.push({ status: 429, body: '' }, { status: 503, body: 'maintenance' });
  for (let i = 10; i < 20; i++) w.write(point('T-400', i, at));
  await w.flush();
  assert.equal(w.stats().spooledPoints, 10);
  assert.equal(w.stats().lastError, 'answered HTTP 429');
  await w.flush();
  assert.equal(w.stats().spooledPoints, 10);
  assert.equal(w.stats().lastError, 'answered HTTP 503 (maintenance)');
  await w.flush();
  assert.deepEqual(w.stats(), { written: 10, spooledPoints: 0, spoolBytes: 0, bufferedPoints: 0, dropped: 0, rejected: 10 });
  assert.equal(requests.length, 4);
  assert.deepEqual(requests[3]!.lines, requests[1]!.lines, 'the same points, retried from disk');
});
