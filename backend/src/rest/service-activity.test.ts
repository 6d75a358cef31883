/**
 * Every service's periods in one query: rolled-up buckets before the
 * 5-minute tier's mark and raw results after it add up, period by period,
 * to what the results themselves say (a period astride the mark included),
 * per service and per service and monitor.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { addMonitor, insertResults, openSeriesTestDb, type RawResult, type SeriesTestDb } from '../../testing/series.ts';
import { readProgress, ResponseTimeRollup } from '../series/rollup.ts';
import { activityKey, serviceActivity, type ActivityPeriod } from './service-activity.ts';

const MIN = 60_000;
const NOW = Date.UTC(2025, 5, 1, 12);
const FROM = NOW - 3 * 60 * MIN;
/** The rollup runs here: what came before is (mostly) in 5-minute buckets, the rest raw. */
const ROLLED_AT = NOW - 47 * MIN;
const STEP = 30 * MIN;
const SERVICES = ['web1/HTTP', 'web2/HTTP'];
const MONITORS = ['ma', 'mb'];

let t: SeriesTestDb;
const stored: (RawResult & { monitorId: string })[] = [];

/** A result every 2 minutes per monitor and service; some down, some unknown, some up without a time. */
function results(monitorId: string, fromMs: number, toMs: number): RawResult[] {
  const list: RawResult[] = [];
  for (let ts = fromMs; ts < toMs; ts += 2 * MIN) {
    for (const [s, serviceId] of SERVICES.entries()) {
      const i = ts / (2 * MIN) + s * 3 + (monitorId === 'mb' ? 5 : 0);
      const status = i % 7 === 0 ? 'DOWN' : i % 11 === 0 ? 'UNKNOWN' : 'UP';
      list.push({ serviceId, timestamp: ts, status, responseTimeMs: status === 'UP' && i % 13 !== 0 ? 10 + (i % 50) : null });
    }
  }
  return list;
}

async function store(fromMs: number, toMs: number) {
  for (const monitorId of MONITORS) {
    const list = results(monitorId, fromMs, toMs);
    await insertResults(t.db, monitorId, list);
    stored.push(...list.map((r) => ({ ...r, monitorId })));
  }
}

before(async () => {
  t = await openSeriesTestDb();
  for (const id of MONITORS) await addMonitor(t.db, id);
  await store(FROM - 10 * MIN, ROLLED_AT);
  await new ResponseTimeRollup(t.db).runOnce(ROLLED_AT);
  await store(ROLLED_AT, NOW + 10 * MIN);
});
after(() => t?.close());

/** The periods straight from the results, keyed as serviceActivity keys them. */
function expected(byMonitor: boolean): Map<string, ActivityPeriod[]> {
  const sums = new Map<string, Map<number, { up: number; down: number; count: number; total: number }>>();
  for (const r of stored) {
    if (r.timestamp < FROM || r.timestamp >= NOW) continue;
    const key = activityKey(r.serviceId, byMonitor ? r.monitorId : undefined);
    const periods = sums.get(key) ?? new Map();
    sums.set(key, periods);
    const t0 = Math.floor(r.timestamp / STEP) * STEP;
    const p = periods.get(t0) ?? { up: 0, down: 0, count: 0, total: 0 };
    periods.set(t0, p);
    if (r.status === 'UP') p.up++;
    if (r.status === 'DOWN') p.down++;
    if (r.responseTimeMs !== null && r.responseTimeMs !== undefined) {
      p.count++;
      p.total += r.responseTimeMs;
    }
  }
  return new Map(
    [...sums].map(([key, periods]) => [
      key,
      [...periods].sort(([a], [b]) => a - b).map(([t0, p]) => ({ t: t0, up: p.up, down: p.down, count: p.count, avgMs: p.count > 0 ? p.total / p.count : null })),
    ]),
  );
}

function assertSame(actual: Map<string, ActivityPeriod[]>, wanted: Map<string, ActivityPeriod[]>) {
  assert.deepEqual([...actual.keys()].sort(), [...wanted.keys()].sort());
  for (const [key, periods] of wanted) {
    const got = actual.get(key)!;
    assert.deepEqual(
      got.map((p) => ({ ...p, avgMs: p.avgMs === null ? null : Math.round(p.avgMs * 1e6) / 1e6 })),
      periods.map((p) => ({ ...p, avgMs: p.avgMs === null ? null : Math.round(p.avgMs * 1e6) / 1e6 })),
      key,
    );
  }
}

void test('rolled-up buckets and raw results add up to what the results say, a period astride the mark included', async () => {
  const mark = (await readProgress(t.db.manager)).get('5m') ?? 0;
  assert.ok(mark > FROM && mark <= ROLLED_AT, `the 5-minute tier is rolled up to ${new Date(mark).toISOString()}`);
  assert.notEqual(mark % STEP, 0, 'the mark falls inside a period');
  const activity = await serviceActivity(t.db, { fromMs: FROM, toMs: NOW, stepMs: STEP, serviceIds: [...SERVICES, 'nothing/HTTP'] });
  assertSame(activity, expected(false));
  assert.equal(activity.get(SERVICES[0]!)!.length, 6, 'six half hours');
});

void test('per monitor, the same periods split by monitor', async () => {
  assertSame(await serviceActivity(t.db, { fromMs: FROM, toMs: NOW, stepMs: STEP, serviceIds: SERVICES, byMonitor: true }), expected(true));
});

void test('only the services asked about, and none when none are asked about', async () => {
  assert.deepEqual([...(await serviceActivity(t.db, { fromMs: FROM, toMs: NOW, stepMs: STEP, serviceIds: [SERVICES[1]!] })).keys()], [SERVICES[1]]);
  assert.equal((await serviceActivity(t.db, { fromMs: FROM, toMs: NOW, stepMs: STEP, serviceIds: [] })).size, 0);
});
