import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { createLogger } from '@vantage/runtime';
import type { Database } from '../db/database.ts';
import { FIVE_MINUTES_MS, ONE_HOUR_MS, ResponseTimeRollup, readProgress } from './rollup.ts';
import {
  addMonitor,
  buckets,
  insertResults,
  insertSeries,
  openSeriesTestDb,
  resetSeries,
  scalar,
  seriesFigures,
  type SeriesTestDb,
} from '../../testing/series.ts';

const MIN = 60_000;
const DAY = 24 * ONE_HOUR_MS;
/** Midnight UTC: every tier's buckets line up on it. */
const T0 = Date.UTC(2025, 0, 1);
const HTTP = 'web1/HTTP';
const TCP = 'web1/TCP';

let t: SeriesTestDb;
before(async () => {
  t = await openSeriesTestDb();
  for (const id of ['m1', 'm2']) await addMonitor(t.db, id);
});
after(() => t.close());
beforeEach(() => resetSeries(t.db));

const rawCount = () => scalar(t.db, `SELECT count(*) FROM poll_result`);

void test('5-minute buckets hold the count, sum, min and max of response times and the UP and DOWN results', async () => {
  await insertResults(t.db, 'm1', [
    { serviceId: HTTP, timestamp: T0 + 10_000, status: 'UP', responseTimeMs: 10 },
    { serviceId: HTTP, timestamp: T0 + 70_000, status: 'UP', responseTimeMs: 30 },
    { serviceId: HTTP, timestamp: T0 + 200_000, status: 'DOWN' },
    { serviceId: HTTP, timestamp: T0 + 250_000, status: 'UNKNOWN' },
    { serviceId: TCP, timestamp: T0 + 20_000, status: 'UP', responseTimeMs: 7.5 },
    { serviceId: HTTP, timestamp: T0 + 5 * MIN + 1, status: 'DOWN', responseTimeMs: 900 },
    { serviceId: HTTP, timestamp: T0 + 10 * MIN + 30_000, status: 'UP', responseTimeMs: 4 },
  ]);
  await insertResults(t.db, 'm2', [{ serviceId: HTTP, timestamp: T0 + 60_000, status: 'UP', responseTimeMs: 50 }]);
  const rollup = new ResponseTimeRollup(t.db);

  // At 0:14 the bucket 0:10–0:15 is not over; at 0:16 it is, but within the 2-minute grace.
  for (const now of [T0 + 14 * MIN, T0 + 16 * MIN]) {
    const summary = await rollup.runOnce(now);
    assert.equal(summary.fiveMinuteDoneUntil, T0 + 10 * MIN);
    assert.equal(summary.hourDoneUntil, T0);
  }
  assert.deepEqual(await buckets(t.db, 'response_time_5m'), [
    { monitorId: 'm1', serviceId: HTTP, bucketStart: T0, count: 2, sum: 40, min: 10, max: 30, up: 2, down: 1 },
    { monitorId: 'm1', serviceId: HTTP, bucketStart: T0 + 5 * MIN, count: 1, sum: 900, min: 900, max: 900, up: 0, down: 1 },
    { monitorId: 'm1', serviceId: TCP, bucketStart: T0, count: 1, sum: 7.5, min: 7.5, max: 7.5, up: 1, down: 0 },
    { monitorId: 'm2', serviceId: HTTP, bucketStart: T0, count: 1, sum: 50, min: 50, max: 50, up: 1, down: 0 },
  ]);
  assert.deepEqual(await buckets(t.db, 'response_time_1h'), []);

  await rollup.runOnce(T0 + 17 * MIN);
  const third = (await buckets(t.db, 'response_time_5m', 'm1')).filter((b) => b.bucketStart === T0 + 10 * MIN);
  assert.deepEqual(third, [{ monitorId: 'm1', serviceId: HTTP, bucketStart: T0 + 10 * MIN, count: 1, sum: 4, min: 4, max: 4, up: 1, down: 0 }]);
  // The raw tier is poll_result itself: nothing was deleted, nothing copied.
  assert.equal(await rawCount(), 8);
});

void test('a bucket with only failures has no response-time figures', async () => {
  await insertResults(t.db, 'm1', [
    { serviceId: HTTP, timestamp: T0 + 1000, status: 'DOWN' },
    { serviceId: HTTP, timestamp: T0 + 2000, status: 'DOWN' },
  ]);
  await new ResponseTimeRollup(t.db).runOnce(T0 + 10 * MIN);
  assert.deepEqual(await buckets(t.db, 'response_time_5m'), [
    { monitorId: 'm1', serviceId: HTTP, bucketStart: T0, count: 0, sum: 0, min: null, max: null, up: 0, down: 2 },
  ]);
});

void test('re-running and late results never count twice', async () => {
  // One result a minute for two hours: i = 0…119.
  await insertSeries(t.db, 'm1', HTTP, T0, MIN, 120);
  const rollup = new ResponseTimeRollup(t.db);
  const now = T0 + ONE_HOUR_MS + 30 * MIN; // 5m done to 1:25, 1h done to 1:00.
  await rollup.runOnce(now);
  const five = await buckets(t.db, 'response_time_5m');
  const hour = await buckets(t.db, 'response_time_1h');
  assert.equal(five.length, 17);
  assert.deepEqual(
    hour.map((b) => [b.bucketStart, b.count, b.sum]),
    [[T0, seriesFigures(0, 59).count, seriesFigures(0, 59).sum]],
  );

  const again = await rollup.runOnce(now);
  assert.equal(again.lateResults, 0);
  assert.deepEqual(await buckets(t.db, 'response_time_5m'), five);
  assert.deepEqual(await buckets(t.db, 'response_time_1h'), hour);

  // Late results (a poller's spool emptied): one in a bucket of a rolled-up hour, one in a
  // rolled-up bucket of an hour still open, one in the current window.
  await insertResults(t.db, 'm1', [
    { serviceId: HTTP, timestamp: T0 + 3 * MIN + 5000, status: 'UP', responseTimeMs: 100 },
    { serviceId: HTTP, timestamp: T0 + ONE_HOUR_MS + 7 * MIN, status: 'DOWN', responseTimeMs: 1 },
    { serviceId: HTTP, timestamp: T0 + ONE_HOUR_MS + 26 * MIN, status: 'UP', responseTimeMs: 5 },
  ]);
  for (let run = 0; run < 3; run++) {
    const summary = await rollup.runOnce(now + run * 1000);
    assert.equal(summary.lateResults, run === 0 ? 2 : 0);
  }
  const first = seriesFigures(0, 4);
  const five2 = await buckets(t.db, 'response_time_5m');
  assert.deepEqual(five2.find((b) => b.bucketStart === T0), {
    ...five.find((b) => b.bucketStart === T0)!,
    count: first.count + 1,
    sum: first.sum + 100,
    max: 100,
    up: first.up + 1,
  });
  const b105 = seriesFigures(65, 69);
  assert.deepEqual(five2.find((b) => b.bucketStart === T0 + ONE_HOUR_MS + 5 * MIN), {
    ...five.find((b) => b.bucketStart === T0 + ONE_HOUR_MS + 5 * MIN)!,
    count: b105.count + 1,
    sum: b105.sum + 1,
    min: 1,
    down: b105.down + 1,
  });
  const hourFigures = seriesFigures(0, 59);
  assert.deepEqual(
    (await buckets(t.db, 'response_time_1h')).map((b) => [b.bucketStart, b.count, b.sum, b.max]),
    [[T0, hourFigures.count + 1, hourFigures.sum + 100, 100]],
  );

  // Once the second hour is complete it comes from its 5-minute buckets, the late ones in them once.
  await rollup.runOnce(T0 + 2 * ONE_HOUR_MS + 5 * MIN);
  await rollup.runOnce(T0 + 2 * ONE_HOUR_MS + 6 * MIN);
  const second = seriesFigures(60, 119);
  assert.deepEqual(
    (await buckets(t.db, 'response_time_1h')).map((b) => [b.bucketStart, b.count, b.sum, b.up, b.down]),
    [
      [T0, hourFigures.count + 1, hourFigures.sum + 100, hourFigures.up + 1, hourFigures.down],
      [T0 + ONE_HOUR_MS, second.count + 2, second.sum + 6, second.up + 1, second.down + 1],
    ],
  );
});

void test('a late result whose raw neighbours are already deleted is added to its buckets, not put in their place', async () => {
  await insertSeries(t.db, 'm1', HTTP, T0, MIN, 120);
  const rollup = new ResponseTimeRollup(t.db, { rawRetentionMs: 30 * MIN });
  await rollup.runOnce(T0 + 3 * ONE_HOUR_MS);
  assert.equal(await rawCount(), 0);
  const before = await buckets(t.db, 'response_time_5m');

  await insertResults(t.db, 'm1', [{ serviceId: HTTP, timestamp: T0 + 2 * MIN, status: 'UP', responseTimeMs: 0.5 }]);
  const summary = await rollup.runOnce(T0 + 3 * ONE_HOUR_MS + MIN);
  assert.equal(summary.lateResults, 1);
  const fig = seriesFigures(0, 4);
  assert.deepEqual((await buckets(t.db, 'response_time_5m')).find((b) => b.bucketStart === T0), {
    ...before.find((b) => b.bucketStart === T0)!,
    count: fig.count + 1,
    sum: fig.sum + 0.5,
    min: 0.5,
    up: fig.up + 1,
  });
  const hour = seriesFigures(0, 59);
  assert.deepEqual(
    (await buckets(t.db, 'response_time_1h')).filter((b) => b.bucketStart === T0).map((b) => [b.count, b.sum, b.min]),
    [[hour.count + 1, hour.sum + 0.5, 0.5]],
  );
  // Counted, so its retention applies to it too.
  assert.equal(await rawCount(), 0);
});

void test('the 1-hour tier is rolled up from the 5-minute tier, once the hour is complete', async () => {
  await insertSeries(t.db, 'm1', HTTP, T0, 30_000, 4 * 120); // two per minute for four hours
  await insertSeries(t.db, 'm1', TCP, T0, 5 * MIN, 4 * 12, 3);
  await insertSeries(t.db, 'm2', HTTP, T0 + ONE_HOUR_MS, MIN, 60, 1000);
  const summary = await new ResponseTimeRollup(t.db).runOnce(T0 + 3 * ONE_HOUR_MS + 30 * MIN);
  assert.equal(summary.hourDoneUntil, T0 + 3 * ONE_HOUR_MS);

  const hour = await buckets(t.db, 'response_time_1h');
  assert.equal(hour.length, 3 + 3 + 1);
  // Each hour is exactly the sum of its twelve 5-minute buckets.
  const fromFive: Record<string, unknown>[] = await t.db.manager.query(
    `SELECT monitor_id, service_id, bucket_start / ${ONE_HOUR_MS} * ${ONE_HOUR_MS} AS h, count(*) AS n, sum(count) AS c, sum(sum) AS s,
            min(min) AS lo, max(max) AS hi, sum(up_count) AS up, sum(down_count) AS down
     FROM response_time_5m WHERE bucket_start < $1 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
    [T0 + 3 * ONE_HOUR_MS],
  );
  assert.deepEqual(
    hour.map((b) => [b.monitorId, b.serviceId, b.bucketStart, b.count, b.sum, b.min, b.max, b.up, b.down]),
    fromFive.map((r) => [r.monitor_id, r.service_id, Number(r.h), Number(r.c), Number(r.s), Number(r.lo), Number(r.hi), Number(r.up), Number(r.down)]),
  );
  assert.ok(fromFive.every((r) => Number(r.n) === 12));
  // And matches the raw results: hour 1 of m1/HTTP is results 120…239.
  const expected = seriesFigures(120, 239);
  assert.deepEqual(
    hour.filter((b) => b.monitorId === 'm1' && b.serviceId === HTTP && b.bucketStart === T0 + ONE_HOUR_MS).map((b) => [b.count, b.sum, b.min, b.max, b.up, b.down]),
    [[expected.count, expected.sum, expected.min, expected.max, expected.up, expected.down]],
  );
  const m2 = seriesFigures(0, 59, 1000);
  assert.deepEqual(
    hour.filter((b) => b.monitorId === 'm2').map((b) => [b.bucketStart, b.count, b.sum, b.down]),
    [[T0 + ONE_HOUR_MS, m2.count, m2.sum, 0]],
  );
});

void test('retention deletes only what is due, and raw results only once they are rolled up', async () => {
  const rollup = new ResponseTimeRollup(t.db, { rawRetentionMs: 2 * ONE_HOUR_MS, fiveMinuteRetentionMs: 6 * ONE_HOUR_MS, hourRetentionMs: DAY });
  const now = T0 + 2 * DAY;
  await insertSeries(t.db, 'm1', HTTP, T0, 5 * MIN, 2 * 24 * 12); // one per bucket for two days
  await rollup.rollUp(now);
  // A late result, 18 hours old: not rolled up yet when retention runs.
  await insertResults(t.db, 'm1', [{ serviceId: HTTP, timestamp: now - 18 * ONE_HOUR_MS + MIN, status: 'UP', responseTimeMs: 1000 }]);

  const deleted = await rollup.applyRetention(now);
  // 5m done until now − 5 min; raw kept from now − 2 h; 5-minute buckets from now − 6 h; hours from now − 1 day.
  assert.deepEqual(deleted, { rawDeleted: 2 * 24 * 12 - 2 * 12, fiveMinuteDeleted: 2 * 24 * 12 - 6 * 12, hourDeleted: 24 });
  assert.equal(await scalar(t.db, `SELECT min(timestamp) FROM poll_result WHERE timestamp > $1`, [now - 18 * ONE_HOUR_MS + MIN]), now - 2 * ONE_HOUR_MS);
  assert.equal(await scalar(t.db, `SELECT count(*) FROM poll_result WHERE timestamp < $1`, [now - 2 * ONE_HOUR_MS]), 1, 'the late result stays until rolled up');
  assert.equal(await scalar(t.db, `SELECT min(bucket_start) FROM response_time_5m`), now - 6 * ONE_HOUR_MS);
  assert.equal(await scalar(t.db, `SELECT count(*) FROM response_time_5m`), 6 * 12 - 1);
  assert.equal(await scalar(t.db, `SELECT min(bucket_start) FROM response_time_1h`), now - DAY);
  assert.equal(await scalar(t.db, `SELECT count(*) FROM response_time_1h`), 23);
  assert.equal((await readProgress(t.db.manager)).get('raw'), now - 2 * ONE_HOUR_MS);

  // The next run counts the late result in its hour (its 5-minute bucket is past retention), then deletes it.
  const next = await rollup.runOnce(now + MIN);
  assert.equal(next.lateResults, 1);
  // (its lone 5-minute bucket, past retention, goes again at once)
  assert.deepEqual([next.rawDeleted, next.fiveMinuteDeleted, next.hourDeleted], [1, 1, 0]);
  assert.equal(await scalar(t.db, `SELECT count(*) FROM poll_result WHERE timestamp < $1`, [now - 2 * ONE_HOUR_MS]), 0);
  const lateHour = now - 18 * ONE_HOUR_MS;
  assert.deepEqual(
    (await buckets(t.db, 'response_time_1h')).filter((b) => b.bucketStart === lateHour).map((b) => [b.count, b.max]),
    [[seriesFigures(0, 11).count + 1, 1000]],
  );
  assert.equal(await scalar(t.db, `SELECT count(*) FROM response_time_5m WHERE bucket_start < $1`, [now - 6 * ONE_HOUR_MS]), 0);

  // Nothing more is due a minute later.
  const quiet = await rollup.runOnce(now + 2 * MIN);
  assert.deepEqual([quiet.rawDeleted, quiet.fiveMinuteDeleted, quiet.hourDeleted], [0, 0, 0]);
});

void test('a backlog of three days is rolled up in one-hour chunks, logging its progress', async () => {
  const lines: string[] = [];
  const log = createLogger('rollup', 'info', (line) => lines.push(line));
  const rollup = new ResponseTimeRollup(t.db, { log });
  await insertSeries(t.db, 'm1', HTTP, T0, MIN, 3 * 24 * 60);
  await insertSeries(t.db, 'm2', HTTP, T0, MIN, 3 * 24 * 60);
  const now = T0 + 3 * DAY + 3 * MIN;

  const summary = await rollup.runOnce(now);
  assert.equal(summary.chunks, 72);
  assert.equal(summary.fiveMinuteDoneUntil, T0 + 3 * DAY);
  assert.equal(summary.hourDoneUntil, T0 + 3 * DAY);
  assert.equal(summary.rawDeleted, 2 * 2 * 24 * 60);
  const all = seriesFigures(0, 3 * 24 * 60 - 1);
  assert.equal(await scalar(t.db, `SELECT sum(count) FROM response_time_5m`), 2 * all.count);
  assert.equal(await scalar(t.db, `SELECT sum(down_count) FROM response_time_1h`), 2 * all.down);
  assert.equal(await scalar(t.db, `SELECT count(*) FROM response_time_1h`), 2 * 72);
  assert.equal(await rawCount(), 2 * 24 * 60);

  assert.match(lines[0] ?? '', /rolling up 3\.0 days of results from 2025-01-01T00:00:00\.000Z to 2025-01-04T00:00:00\.000Z in 72 chunks/);
  const progress = lines.filter((l) => /rolled up to .* \(chunk \d+ of 72\)/.test(l));
  assert.ok(progress.length >= 9 && progress.length <= 12, lines.join(''));
  assert.match(progress.at(-1)!, /rolled up to 2025-01-04T00:00:00\.000Z \(chunk 72 of 72\)/);

  // Caught up: the next run is one small chunk and says nothing.
  lines.length = 0;
  const next = await rollup.runOnce(now + MIN);
  assert.equal(next.chunks, 1);
  assert.deepEqual(lines, []);
});

void test('a backlog whose results end before the hour of the target counts the last, empty stretch as a chunk of its own', async () => {
  const lines: string[] = [];
  const rollup = new ResponseTimeRollup(t.db, { log: createLogger('rollup', 'info', (line) => lines.push(line)) });
  // Results from 0:10 to 2:59; the target, 3:10, is past their last hour: chunks to 1:00, 2:00, 3:00, then 3:10.
  await insertSeries(t.db, 'm1', HTTP, T0 + 10 * MIN, MIN, 170);
  const summary = await rollup.runOnce(T0 + 3 * ONE_HOUR_MS + 13 * MIN);
  assert.equal(summary.fiveMinuteDoneUntil, T0 + 3 * ONE_HOUR_MS + 10 * MIN);
  assert.equal(summary.chunks, 4);
  assert.match(lines[0] ?? '', /in 4 chunks$/m);
  assert.match(lines.at(-1) ?? '', /rolled up to 2025-01-01T03:10:00\.000Z \(chunk 4 of 4\)$/m);
});

void test('a run stopped between chunks resumes where it stopped', async () => {
  await insertSeries(t.db, 'm1', HTTP, T0, 5 * MIN, 10 * 12);
  const rollup = new ResponseTimeRollup(t.db);
  // Stopped before it starts, a run still does one chunk (late results are never starved).
  const first = await rollup.runOnce(T0 + 10 * ONE_HOUR_MS, AbortSignal.abort());
  assert.deepEqual([first.chunks, first.fiveMinuteDoneUntil, first.hourDoneUntil, first.rawDeleted], [1, T0 + ONE_HOUR_MS, T0 + ONE_HOUR_MS, 0]);
  const rest = await rollup.runOnce(T0 + 10 * ONE_HOUR_MS);
  assert.equal(rest.chunks, 9);
  assert.equal(rest.fiveMinuteDoneUntil, T0 + 10 * ONE_HOUR_MS - FIVE_MINUTES_MS);
  assert.equal(await scalar(t.db, `SELECT sum(count) FROM response_time_5m`), seriesFigures(0, 10 * 12 - 2).count);
  assert.equal(await scalar(t.db, `SELECT count(*) FROM response_time_1h`), 9);
});

/**
 * The same database, counting the transactions run through it; `stop` is
 * aborted once they pass `abortAfter`, so a run that walks too far is
 * stopped at its next chunk (a timer may never fire while it walks: PGlite
 * answers within microtasks).
 */
function countingTransactions(db: Database, abortAfter: number): { db: Database; transactions: () => number; stop: AbortSignal } {
  let count = 0;
  const stop = new AbortController();
  const counted = Object.create(db) as Database;
  counted.transaction = (work) => {
    if (++count > abortAfter) stop.abort();
    return db.transaction(work);
  };
  return { db: counted, transactions: () => count, stop: stop.signal };
}

void test('a result from 1970 costs a handful of transactions, not one per hour since', async () => {
  const now = T0 + DAY;
  // Ingest refuses such a timestamp now; one stored before that, or by hand, must not stall the rollup.
  await insertResults(t.db, 'm1', [{ serviceId: HTTP, timestamp: 1_000, status: 'UP', responseTimeMs: 5 }]);
  await insertSeries(t.db, 'm1', HTTP, now - 3 * ONE_HOUR_MS, 5 * MIN, 36); // the last three hours
  const { db, transactions, stop } = countingTransactions(t.db, 100);
  const rollup = new ResponseTimeRollup(db);

  const summary = await rollup.runOnce(now, stop);
  assert.ok(transactions() <= 12, `${transactions()} transactions`);
  assert.equal(summary.fiveMinuteDoneUntil, now - FIVE_MINUTES_MS);
  assert.equal(summary.hourDoneUntil, now - ONE_HOUR_MS);
  // Every result before the 5m mark is counted; the 1970 one, past every retention, is gone from every tier.
  assert.equal(await scalar(t.db, `SELECT sum(count) FROM response_time_5m`), seriesFigures(0, 34).count);
  assert.equal(await scalar(t.db, `SELECT count(*) FROM response_time_1h`), 2);
  assert.equal(await scalar(t.db, `SELECT count(*) FROM poll_result WHERE timestamp < $1`, [T0]), 0);
  assert.equal(summary.rawDeleted, 1);

  // Caught up, the next run is as small as ever.
  const before = transactions();
  await rollup.runOnce(now + MIN);
  assert.ok(transactions() - before <= 3, `${transactions() - before} transactions`);
});
