/**
 * Batches of several monitors that arrive together share one transaction
 * (arrival-groups.ts), and never each other's fate: a batch refused for its
 * monitor's standing, or one that fails in the database, fails alone.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ErrorCode, ProtocolError, type MonitorCredentials } from '@vantage/common';
import { createLogger } from '@vantage/runtime';
import { LocationMonitorEntity, type LocationMonitorRow } from '../db/entities.ts';
import { EventRecorder } from '../event-store/event-recorder.ts';
import { registerApproved, startTestBackend, TEST_CONFIG, type TestBackend } from '../../testing/test-backend.ts';
import { ArrivalGroups } from './arrival-groups.ts';
import { ResultIngest } from './result-ingest.ts';

const lines: string[] = [];
let t: TestBackend;
let ingest: ResultIngest;

before(async () => {
  t = await startTestBackend(TEST_CONFIG, { registrationLimits: { burstPerAddress: 100 } });
  // The backend's own ingest is reached only through the protocol, which refuses a deleted monitor before it;
  // this one is given monitors directly, as a connection authenticated before the change would.
  ingest = new ResultIngest(t.backend.db, t.backend.configs, t.backend.bus, new EventRecorder(), Date.now, {
    groupWindowMs: 200,
    log: createLogger('ingest', 'debug', (line) => lines.push(line)),
  });
});
after(() => t.close());

const BASE_MS = Math.floor(Date.now() / 1000) * 1000 - 60_000;
const batch = (first: number, count: number) => ({
  results: Array.from({ length: count }, (_, i) => ({ seq: first + i, serviceId: i % 2 ? 'web1/TCP' : 'web1/HTTP', timestamp: BASE_MS + first + i, status: 'UP' as const, responseTimeMs: 1 })),
});

async function monitor(creds: MonitorCredentials): Promise<LocationMonitorRow> {
  return t.backend.db.manager.findOneByOrFail(LocationMonitorEntity, { id: creds.monitorId });
}

/** The transactions that stored a monitor's results: PostgreSQL's xmin, the id of the transaction that wrote each row. */
async function writers(monitorIds: string[]): Promise<string[]> {
  const rows = (await t.backend.db.manager.query(`SELECT DISTINCT xmin::text AS tx FROM poll_result WHERE monitor_id = ANY($1::text[])`, [monitorIds])) as { tx: string }[];
  return rows.map((r) => r.tx);
}

const settled = <T>(p: Promise<T>) => p.then((value) => ({ value }), (error: unknown) => ({ error }));

void test('batches of three monitors sent together are stored by one transaction, each acknowledged', async () => {
  const all = await Promise.all(['g1', 'g2', 'g3'].map((name) => registerApproved(t, 'RDU', name)));
  const acks = await Promise.all(all.map(async (creds, i) => ingest.report(await monitor(creds), batch(1, 5 + i))));
  assert.deepEqual(
    acks.map((a) => a.ackedSeq),
    [5, 6, 7],
  );
  assert.equal((await writers(all.map((c) => c.monitorId))).length, 1);
  // Two batches of one monitor go one after the other, each in its own group.
  const [one] = all;
  const row = await monitor(one!);
  const [first, second] = await Promise.all([ingest.report(row, batch(6, 2)), ingest.report(row, batch(8, 2))]);
  assert.deepEqual([first.ackedSeq, second.ackedSeq], [7, 9]);
  assert.equal((await writers([one!.monitorId])).length, 3);
});

void test('a batch refused for its monitor’s standing is refused alone; the others of its group are stored', async () => {
  const [good, deleted] = await Promise.all([registerApproved(t, 'RDU', 'r-good'), registerApproved(t, 'RDU', 'r-deleted')]);
  const deletedRow = await monitor(deleted);
  await t.backend.monitors.administer(deleted.monitorId, 'delete');
  const [kept, refused] = await Promise.all([settled(ingest.report(await monitor(good), batch(1, 3))), settled(ingest.report(deletedRow, batch(1, 3)))]);
  assert.deepEqual(kept, { value: { ackedSeq: 3 } });
  assert.ok('error' in refused && refused.error instanceof ProtocolError, JSON.stringify(refused));
  assert.equal(refused.error.code, ErrorCode.MonitorDeleted);
  assert.equal((await writers([good.monitorId])).length, 1);
  assert.deepEqual(await writers([deleted.monitorId]), []);
});

void test('a batch that fails in the database fails alone: the group is taken again batch by batch', async () => {
  const [good, bad] = await Promise.all([registerApproved(t, 'RDU', 'f-good'), registerApproved(t, 'RDU', 'f-bad')]);
  const db = t.backend.db.manager;
  // A real failure inside the database, for one monitor's rows only.
  await db.query(`CREATE FUNCTION refuse_test_rows() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN IF NEW.monitor_id = '${bad.monitorId}' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$`);
  await db.query(`CREATE TRIGGER refuse_test_rows BEFORE INSERT ON poll_result FOR EACH ROW EXECUTE FUNCTION refuse_test_rows()`);
  try {
    lines.length = 0;
    const [kept, failed] = await Promise.all([settled(ingest.report(await monitor(good), batch(1, 4))), settled(ingest.report(await monitor(bad), batch(1, 4)))]);
    assert.deepEqual(kept, { value: { ackedSeq: 4 } });
    assert.ok('error' in failed && /refused by the test/.test(String(failed.error)), JSON.stringify(failed));
    assert.ok(
      lines.some((l) => /a group of 2 result batches failed \(.*refused by the test.*\); taking each in a transaction of its own/.test(l)),
      lines.join('\n'),
    );
    assert.deepEqual(await writers([bad.monitorId]), []);
  } finally {
    await db.query('DROP TRIGGER refuse_test_rows ON poll_result');
    await db.query('DROP FUNCTION refuse_test_rows()');
  }
  // Nothing was acknowledged, so the poller sends it again, and now it is taken.
  assert.deepEqual(await ingest.report(await monitor(bad), batch(1, 4)), { ackedSeq: 4 });
});

void test('arrival groups: one window gathers what arrives in it; a second item of one key, and a full group, go at once', async () => {
  const sent: string[][] = [];
  const groups = new ArrivalGroups<string>(50, 10, (items) => sent.push(items));
  groups.add('a', 1, 'a1');
  groups.add('b', 1, 'b1');
  assert.deepEqual(sent, []);
  groups.add('a', 1, 'a2');
  assert.deepEqual(sent, [['a1', 'b1']]);
  groups.add('c', 9, 'c1');
  assert.deepEqual(sent, [['a1', 'b1'], ['a2', 'c1']]);
  groups.add('d', 1, 'd1');
  await new Promise((resolve) => setTimeout(resolve, 80));
  assert.deepEqual(sent, [['a1', 'b1'], ['a2', 'c1'], ['d1']]);
});
