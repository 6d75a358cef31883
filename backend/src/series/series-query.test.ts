import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FIVE_MINUTES_MS, ONE_HOUR_MS, ResponseTimeRollup } from './rollup.ts';
import { chooseStep, queryResponseTimes, type MonitorSeries, type SeriesQuery } from './series-query.ts';
import { addMonitor, insertSeries, openSeriesTestDb, seriesFigures, type SeriesTestDb } from '../../testing/series.ts';

const MIN = 60_000;
const DAY = 24 * ONE_HOUR_MS;
const NOW = Date.UTC(2025, 5, 1, 12);
/** Raw results, one a minute, from 26 hours ago: result i is at RAW_START + i minutes. */
const RAW_START = NOW - 26 * ONE_HOUR_MS;
const RAW_RESULTS = 26 * 60;
const HTTP = 'web1/HTTP';
const TCP = 'web1/TCP';

let t: SeriesTestDb;

/**
 * History older than the raw results, as if rolled up long ago: hours from
 * 399 days back (count 12, avg 100, all UP) and 5-minute buckets from 30
 * days back (count 3, avg 50, 3 UP and 1 DOWN). Then raw results for the
 * last 26 hours, rolled up (and the raw tier cut to a day) at NOW.
 */
before(async () => {
  t = await openSeriesTestDb();
  for (const id of ['qa', 'qb']) await addMonitor(t.db, id);
  await t.db.transaction(async (m) => {
    await m.query(
      `INSERT INTO response_time_1h (monitor_id, service_id, bucket_start, count, sum, min, max, up_count, down_count)
       SELECT mon, $1, $2::bigint + h * ${ONE_HOUR_MS}::bigint, 12, 1200, 90, 110, 12, 0
       FROM unnest(ARRAY['qa', 'qb']) AS mon, generate_series(0, $3::int - 1) AS h`,
      [HTTP, NOW - 399 * DAY, 399 * 24 - 26],
    );
    await m.query(
      `INSERT INTO response_time_5m (monitor_id, service_id, bucket_start, count, sum, min, max, up_count, down_count)
       SELECT mon, $1, $2::bigint + b * ${FIVE_MINUTES_MS}::bigint, 3, 150, 40, 60, 3, 1
       FROM unnest(ARRAY['qa', 'qb']) AS mon, generate_series(0, $3::int - 1) AS b`,
      [HTTP, NOW - 30 * DAY, (30 * 24 - 26) * 12],
    );
  });
  await insertSeries(t.db, 'qa', HTTP, RAW_START, MIN, RAW_RESULTS);
  await insertSeries(t.db, 'qb', HTTP, RAW_START, MIN, RAW_RESULTS, 1_000_000);
  await insertSeries(t.db, 'qa', TCP, NOW - 2 * ONE_HOUR_MS, 10 * MIN, 12, 1_000_000);
  await new ResponseTimeRollup(t.db).runOnce(NOW);
});
after(() => t.close());

const query = (q: Omit<SeriesQuery, 'serviceId' | 'nowMs'> & { serviceId?: string }) => queryResponseTimes(t.db, { serviceId: HTTP, nowMs: NOW, ...q });
/** The index of the raw result at `ms`. */
const index = (ms: number) => (ms - RAW_START) / MIN;

function totals(series: MonitorSeries) {
  const sum = (f: (p: MonitorSeries['points'][number]) => number) => series.points.reduce((a, p) => a + f(p), 0);
  return { count: sum((p) => p.count), sum: sum((p) => (p.avg ?? 0) * p.count), up: sum((p) => p.up), down: sum((p) => p.down) };
}

function assertWithin(series: MonitorSeries, fromMs: number, toMs: number, maxPoints: number) {
  assert.ok(series.points.length <= maxPoints, `${series.points.length} points > ${maxPoints}`);
  const step = series.stepMs ?? 1;
  for (const [i, p] of series.points.entries()) {
    assert.ok(p.t + step > fromMs && p.t < toMs, `point at ${new Date(p.t).toISOString()} outside the range`);
    assert.equal(p.t % step, 0);
    if (i > 0) assert.ok(p.t > series.points[i - 1]!.t);
  }
}

void test('the last hour is raw results, one point each', async () => {
  const [a, b, ...rest] = await query({ fromMs: NOW - ONE_HOUR_MS, toMs: NOW });
  assert.deepEqual(rest, []);
  assert.equal(a!.monitorId, 'qa');
  assert.equal(b!.monitorId, 'qb');
  assert.equal(a!.resolution, 'raw');
  assert.equal(a!.stepMs, null);
  assert.equal(a!.points.length, 60);
  for (const p of a!.points) {
    const i = index(p.t);
    const down = i % 10 === 9;
    const v = down ? null : 10 + (i % 5);
    assert.deepEqual(p, { t: p.t, avg: v, min: v, max: v, count: down ? 0 : 1, up: down ? 0 : 1, down: down ? 1 : 0 });
  }
  assert.equal(a!.points[0]!.t, NOW - ONE_HOUR_MS);
  assert.equal(a!.points.at(-1)!.t, NOW - MIN, 'up to the present, past what is rolled up');
  const bFigures = seriesFigures(index(NOW - ONE_HOUR_MS), RAW_RESULTS - 1, 1_000_000);
  assert.deepEqual(totals(b!), { count: 60, sum: bFigures.sum, up: 60, down: 0 });
});

void test('monitorIds picks monitors and answers each, even without data; the service is kept apart', async () => {
  const answer = await query({ fromMs: NOW - ONE_HOUR_MS, toMs: NOW, monitorIds: ['qb', 'nobody'] });
  assert.deepEqual(
    answer.map((s) => [s.monitorId, s.resolution, s.points.length]),
    [
      ['qb', 'raw', 60],
      ['nobody', 'raw', 0],
    ],
  );
  const tcp = await query({ serviceId: TCP, fromMs: NOW - ONE_HOUR_MS, toMs: NOW });
  assert.deepEqual(
    tcp.map((s) => [s.monitorId, s.points.length]),
    [['qa', 6]],
  );
  assert.deepEqual(await query({ fromMs: NOW - ONE_HOUR_MS, toMs: NOW, monitorIds: [] }), []);
});

void test('more raw results than maxPoints are bucketed on the fly', async () => {
  const fromMs = NOW - ONE_HOUR_MS;
  const [a] = await query({ fromMs, toMs: NOW, maxPoints: 30, monitorIds: ['qa'] });
  assert.equal(a!.resolution, 'raw');
  assert.equal(a!.stepMs, chooseStep(fromMs, NOW, 1000, 30));
  assert.equal(a!.stepMs, 2 * MIN);
  assertWithin(a!, fromMs, NOW, 30);
  const expected = seriesFigures(index(fromMs), RAW_RESULTS - 1);
  assert.deepEqual(totals(a!), { count: expected.count, sum: expected.sum, up: expected.up, down: expected.down });
  assert.equal(Math.min(...a!.points.map((p) => p.min!)), 10);
  assert.equal(Math.max(...a!.points.map((p) => p.max!)), 14);

  // Points at least 5 minutes wide come from the 5-minute buckets (and raw results where those stop): the same figures.
  const [wide] = await query({ fromMs, toMs: NOW, maxPoints: 7, monitorIds: ['qa'] });
  assert.equal(wide!.resolution, '5m');
  assert.equal(wide!.stepMs, 10 * MIN);
  assertWithin(wide!, fromMs, NOW, 7);
  assert.deepEqual(totals(wide!), totals(a!));

  // A day of one-a-minute results is too many for 500 points, not enough for 5-minute buckets.
  const day = await query({ fromMs: NOW - DAY, toMs: NOW });
  for (const s of day) {
    assert.equal(s.resolution, 'raw');
    assert.ok(s.stepMs! < FIVE_MINUTES_MS && s.stepMs! % 1000 === 0);
    assertWithin(s, NOW - DAY, NOW, 500);
  }
  const all = seriesFigures(index(NOW - DAY), RAW_RESULTS - 1);
  assert.deepEqual(totals(day[0]!), { count: all.count, sum: all.sum, up: all.up, down: all.down });
});

void test('where raw results are gone, 5-minute buckets; rolled up from the same results', async () => {
  const fromMs = NOW - 25 * ONE_HOUR_MS;
  const [a] = await query({ fromMs, toMs: NOW - 24 * ONE_HOUR_MS, monitorIds: ['qa'] });
  assert.equal(a!.resolution, '5m');
  assert.equal(a!.stepMs, FIVE_MINUTES_MS);
  assert.equal(a!.points.length, 12);
  for (const p of a!.points) {
    const f = seriesFigures(index(p.t), index(p.t) + 4);
    assert.deepEqual(p, { t: p.t, avg: f.sum / f.count, min: f.min, max: f.max, count: f.count, up: f.up, down: f.down });
  }
});

void test('a week is 5-minute buckets, reaching the present through raw results', async () => {
  const fromMs = NOW - 7 * DAY;
  const answer = await query({ fromMs, toMs: NOW });
  assert.equal(answer.length, 2);
  const a = answer[0]!;
  assert.equal(a.resolution, '5m');
  assert.equal(a.stepMs! % FIVE_MINUTES_MS, 0);
  assert.ok(a.stepMs! < ONE_HOUR_MS);
  assertWithin(a, fromMs, NOW, 500);
  assert.equal(a.points[0]!.avg, 50);
  // The old history (3 a bucket), then every raw result, including the last minutes not rolled up yet.
  const old = (RAW_START - fromMs) / FIVE_MINUTES_MS;
  const raw = seriesFigures(0, RAW_RESULTS - 1);
  assert.deepEqual(totals(a), { count: 3 * old + raw.count, sum: 150 * old + raw.sum, up: 3 * old + raw.up, down: old + raw.down });
  assert.ok(a.points.at(-1)!.t > NOW - FIVE_MINUTES_MS - a.stepMs!);

  // With room for them all, the 5-minute buckets as stored.
  const [native] = await query({ fromMs: NOW - 3 * DAY, toMs: NOW - 2 * DAY, monitorIds: ['qb'] });
  assert.equal(native!.stepMs, FIVE_MINUTES_MS);
  assert.equal(native!.points.length, 288);
  assert.ok(native!.points.every((p) => p.count === 3 && p.avg === 50 && p.min === 40 && p.max === 60));
});

void test('a year is 1-hour buckets, and so is anything past 5-minute retention', async () => {
  const fromMs = NOW - 365 * DAY;
  const [a, b] = await query({ fromMs, toMs: NOW });
  for (const s of [a!, b!]) {
    assert.equal(s.resolution, '1h');
    assert.equal(s.stepMs! % ONE_HOUR_MS, 0);
    assertWithin(s, fromMs, NOW, 500);
  }
  const old = (RAW_START - fromMs) / ONE_HOUR_MS;
  const raw = seriesFigures(0, RAW_RESULTS - 1);
  assert.deepEqual(totals(a!), { count: 12 * old + raw.count, sum: 1200 * old + raw.sum, up: 12 * old + raw.up, down: raw.down });
  assert.equal(a!.points[0]!.avg, 100);

  const [month] = await query({ fromMs: NOW - 31 * DAY, toMs: NOW - 29 * DAY, monitorIds: ['qa'], maxPoints: 1000 });
  assert.equal(month!.resolution, '1h');
  assert.equal(month!.stepMs, ONE_HOUR_MS);
  assert.equal(month!.points.length, 48);
});

void test('maxPoints is kept whatever the range', async () => {
  for (const [span, maxPoints] of [
    [10 * MIN, 3],
    [ONE_HOUR_MS, 1],
    [3 * DAY, 50],
    [20 * DAY, 2],
    [200 * DAY, 999],
  ] as const) {
    const fromMs = NOW - span + 12_345;
    for (const s of await query({ fromMs, toMs: NOW, maxPoints })) assertWithin(s, fromMs, NOW, maxPoints);
  }
  await assert.rejects(query({ fromMs: NOW, toMs: NOW }), RangeError);
  await assert.rejects(query({ fromMs: NOW - DAY, toMs: NOW, maxPoints: 0 }), RangeError);
});
