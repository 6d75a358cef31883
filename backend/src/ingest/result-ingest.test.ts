import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { ErrorCode, formatAuthorization, Uei, type MonitorCredentials } from '@vantage/common';
import WebSocket from 'ws';
import { EventEntity, PollResultEntity, ServiceStateEntity } from '../db/entities.ts';
import { adminFetch, registerApproved, startTestBackend, TEST_CONFIG, type TestBackend } from '../../testing/test-backend.ts';

let t: TestBackend;

before(async () => {
  // Each test registers a monitor or two of its own.
  t = await startTestBackend(TEST_CONFIG, { registrationLimits: { burstPerAddress: 100 } });
});
after(() => t.close());

type Status = 'UP' | 'DOWN' | 'UNKNOWN';
/** An hour ago: results must be within the backend's clock window (the spool's maximum age back). */
const BASE_MS = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
const r = (seq: number, status: Status, serviceId = 'web1/HTTP', reason?: string) => ({
  seq,
  serviceId,
  timestamp: BASE_MS + seq * 1000,
  status,
  responseTimeMs: status === 'UP' ? 2 : undefined,
  reason,
});

async function report(creds: MonitorCredentials, results: ReturnType<typeof r>[]): Promise<number> {
  const answer = await t.call('reportResults', { results }, creds);
  assert.equal(answer.error, undefined, JSON.stringify(answer.error));
  return (answer.result as { ackedSeq: number }).ackedSeq;
}

async function stored(monitorId: string) {
  const m = t.backend.db.manager;
  return {
    results: await m.countBy(PollResultEntity, { monitorId }),
    lost: await m.findBy(EventEntity, { monitorId, uei: Uei.nodeLostService }),
    regained: await m.findBy(EventEntity, { monitorId, uei: Uei.nodeRegainedService }),
  };
}

void test('the same batch sent twice is stored once and raises its events once', async () => {
  const creds = await registerApproved(t, 'RDU', 'resender');
  const batch = [r(1, 'UP'), r(2, 'DOWN', 'web1/HTTP', 'connection refused'), r(3, 'UP', 'web1/TCP')];
  assert.equal(await report(creds, batch), 3);
  assert.equal(await report(creds, batch), 3);
  const after = await stored(creds.monitorId);
  assert.equal(after.results, 3);
  assert.equal(after.lost.length, 1);
  const lost = after.lost[0]!;
  assert.equal(lost.location, 'RDU');
  assert.equal(lost.serviceId, 'web1/HTTP');
  assert.equal(lost.nodeLabel, 'web1');
  assert.equal(lost.params.reason, 'connection refused');
  assert.equal(lost.severity, 'Minor');
});

void test('an overlapping resend stores only the new results, in seq order', async () => {
  const creds = await registerApproved(t, 'RDU', 'overlap');
  assert.equal(await report(creds, [r(1, 'DOWN'), r(2, 'DOWN')]), 2);
  // Out of order on purpose: seq 4 (UP) comes after seq 3 (DOWN) however the batch is arranged.
  assert.equal(await report(creds, [r(4, 'UP'), r(2, 'DOWN'), r(3, 'DOWN')]), 4);
  const after = await stored(creds.monitorId);
  assert.equal(after.results, 4);
  assert.equal(after.lost.length, 1);
  assert.equal(after.regained.length, 1);
  const state = await t.backend.db.manager.findOneBy(ServiceStateEntity, { monitorId: creds.monitorId, serviceId: 'web1/HTTP' });
  assert.equal(state?.status, 'UP');
});

void test('concurrent duplicates are stored once', async () => {
  const creds = await registerApproved(t, 'RDU', 'racer');
  const batch = [r(1, 'DOWN'), r(2, 'UP'), r(3, 'DOWN')];
  const acks = await Promise.all([report(creds, batch), report(creds, batch), report(creds, batch)]);
  assert.deepEqual(acks, [3, 3, 3]);
  const after = await stored(creds.monitorId);
  assert.equal(after.results, 3);
  assert.equal(after.lost.length, 2);
  assert.equal(after.regained.length, 1);
});

void test('UNKNOWN is stored but changes no state and raises nothing', async () => {
  const creds = await registerApproved(t, 'RDU', 'unsure');
  await report(creds, [r(1, 'UNKNOWN', 'web1/HTTP', 'bad parameter')]);
  await report(creds, [r(2, 'DOWN'), r(3, 'UNKNOWN'), r(4, 'DOWN')]);
  const after = await stored(creds.monitorId);
  assert.equal(after.results, 4);
  assert.equal(after.lost.length, 1);
  assert.equal(after.regained.length, 0);
});

void test('the acknowledgement is per monitor', async () => {
  const a = await registerApproved(t, 'RDU', 'a');
  const b = await registerApproved(t, 'RDU', 'b');
  assert.equal(await report(a, [r(1, 'UP'), r(2, 'UP')]), 2);
  assert.equal(await report(b, [r(1, 'UP')]), 1);
  assert.equal((await stored(b.monitorId)).results, 1);
});

void test('a result keeps its further measurements', async () => {
  const creds = await registerApproved(t, 'RDU', 'detailed');
  const details = { dnsMs: 0.4, connectMs: 1.25, firstByteMs: 3.5, totalMs: 4 };
  const answer = await t.call('reportResults', { results: [{ ...r(1, 'UP'), details }] }, creds);
  assert.equal(answer.error, undefined);
  const row = await t.backend.db.manager.findOneBy(PollResultEntity, { monitorId: creds.monitorId, seq: 1 });
  assert.deepEqual(row?.details, details);
  const bad = await t.call('reportResults', { results: [{ ...r(2, 'UP'), details: { connectMs: 'fast' } }] }, creds);
  assert.match(bad.error?.message ?? '', /params\.results\[0\]\.details\.connectMs/);
});

void test('response times are there for graphs, per monitor, through the REST API', async () => {
  const creds = await registerApproved(t, 'RDU', 'graphed');
  const base = Date.now() - 60_000;
  const results = [1, 2, 3].map((seq) => ({ seq, serviceId: 'web1/TCP', timestamp: base + seq * 1000, status: 'UP', responseTimeMs: seq * 10 }));
  assert.equal((await t.call('reportResults', { results }, creds)).error, undefined);
  const api = `http://127.0.0.1:${t.backend.port}/api/response-times`;
  const series = (await (await adminFetch(`${api}?service=web1/TCP&monitor=${creds.monitorId}&from=${base}&to=${base + 10_000}`)).json()) as {
    monitorId: string;
    resolution: string;
    points: { t: number; avg: number }[];
  }[];
  assert.equal(series.length, 1);
  assert.equal(series[0]!.monitorId, creds.monitorId);
  assert.equal(series[0]!.resolution, 'raw');
  assert.deepEqual(
    series[0]!.points.map((p) => p.avg),
    [10, 20, 30],
  );
  assert.equal((await adminFetch(`${api}?from=1`)).status, 400, 'service is required');
});

/** A monitor's down_count beside the count of its DOWN states, which it must equal. */
async function downCounts(monitorId: string): Promise<{ kept: number; actual: number }> {
  const [row] = (await t.backend.db.manager.query(
    `SELECT down_count AS kept, (SELECT count(*) FROM service_state s WHERE s.monitor_id = $1 AND s.status = 'DOWN')::int AS actual
       FROM location_monitor WHERE id = $1`,
    [monitorId],
  )) as { kept: number; actual: number }[];
  return row!;
}

void test("a monitor's count of services down follows its states, whoever writes them", async () => {
  const creds = await registerApproved(t, 'RDU', 'counter');
  await report(creds, [r(1, 'DOWN', 'web1/HTTP'), r(2, 'DOWN', 'web1/TCP')]);
  assert.deepEqual(await downCounts(creds.monitorId), { kept: 2, actual: 2 });
  await report(creds, [r(3, 'DOWN', 'web1/HTTP'), r(4, 'UP', 'web1/TCP'), r(5, 'UNKNOWN', 'web1/HTTP')]);
  assert.deepEqual(await downCounts(creds.monitorId), { kept: 1, actual: 1 });
  await report(creds, [r(6, 'DOWN', 'web1/TCP')]);
  assert.deepEqual(await downCounts(creds.monitorId), { kept: 2, actual: 2 });
  // A writer other than the ingest, as a rebalance that hands states off.
  await t.backend.db.transaction((m) => m.query(`DELETE FROM service_state WHERE monitor_id = $1 AND service_id = 'web1/HTTP'`, [creds.monitorId]));
  assert.deepEqual(await downCounts(creds.monitorId), { kept: 1, actual: 1 });
  await report(creds, [r(7, 'UP', 'web1/TCP'), r(8, 'UP', 'web1/HTTP')]);
  assert.deepEqual(await downCounts(creds.monitorId), { kept: 0, actual: 0 });
});

void test('results for services outside the package are refused whole, each foreign id named once', async () => {
  const creds = await registerApproved(t, 'RDU', 'stranger');
  const answer = await t.call('reportResults', { results: [r(1, 'UP'), r(2, 'DOWN', 'ghost/HTTP'), r(3, 'DOWN', 'ghost/HTTP'), r(4, 'UP', 'web9/TCP')] }, creds);
  assert.equal(answer.error?.code, ErrorCode.Forbidden);
  assert.deepEqual((answer.error?.data as { serviceIds: string[] }).serviceIds, ['ghost/HTTP', 'web9/TCP']);
  assert.equal((await stored(creds.monitorId)).results, 0, 'nothing of the call is stored');
});

type Answer = { id?: number; result?: { ackedSeq?: number; status?: string }; error?: { code: number } };

/** A WebSocket connection with the monitor's credentials, verified once when it opens; `call` gives one call's answer. */
async function connectAs(creds: MonitorCredentials): Promise<{ call: (method: string, params: unknown) => Promise<Answer>; close: () => void }> {
  const ws = new WebSocket(`ws://127.0.0.1:${t.backend.port}/rpc`, { headers: { authorization: formatAuthorization(creds) } });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  let id = 0;
  /** Hints (notifications, no id) sent meanwhile are passed over. */
  const call = (method: string, params: unknown) =>
    new Promise<Answer>((resolve) => {
      const callId = ++id;
      const onMessage = (data: WebSocket.RawData) => {
        const answer = JSON.parse(String(data)) as Answer;
        if (answer.id !== callId) return;
        ws.off('message', onMessage);
        resolve(answer);
      };
      ws.on('message', onMessage);
      ws.send(JSON.stringify({ jsonrpc: '2.0', id: callId, method, params }));
    });
  return { call, close: () => ws.close() };
}

void test('a WebSocket connection verified once is still refused once its monitor is deleted', async () => {
  const creds = await registerApproved(t, 'RDU', 'deleted-while-connected');
  const { call, close } = await connectAs(creds);
  try {
    const first = await call("reportResults", { results: [r(1, "UP")] });
    assert.equal(first.result?.ackedSeq, 1, JSON.stringify(first));
    assert.equal((await call('reportResults', { results: [r(2, 'UP')] })).result?.ackedSeq, 2);
    await t.backend.monitors.administer(creds.monitorId, 'delete');
    const after = await call("reportResults", { results: [r(3, "DOWN")] });
    assert.equal(after.error?.code, ErrorCode.MonitorDeleted, JSON.stringify(after));
    assert.equal((await stored(creds.monitorId)).results, 2);
  } finally {
    close();
  }
});

void test('check-ins on a connection verified once follow the monitor as it is now: paused, resumed, deleted', async () => {
  const creds = await registerApproved(t, 'RDU', 'checking-in-while-connected');
  const { call, close } = await connectAs(creds);
  const checkIn = async () => {
    const answer = await call('pollerCheckingIn', { configVersion: 'whatever' });
    assert.equal(answer.error, undefined, JSON.stringify(answer));
    return answer.result?.status;
  };
  try {
    assert.equal((await call('pollerStarting', {})).result?.status, 'STARTED');
    // The version the poller holds is not the package's: it is told to fetch it.
    assert.equal(await checkIn(), 'CONFIG_CHANGED');
    await t.backend.monitors.administer(creds.monitorId, 'pause');
    assert.equal(await checkIn(), 'PAUSED');
    await t.backend.monitors.administer(creds.monitorId, 'resume');
    assert.equal(await checkIn(), 'CONFIG_CHANGED');
    await t.backend.monitors.administer(creds.monitorId, 'delete');
    assert.equal(await checkIn(), 'DELETED');
  } finally {
    close();
  }
});

// Last: it changes the configuration in force.
void test('a reload that keeps a package keeps its index; a new package version admits by the new one', async () => {
  const creds = await registerApproved(t, 'RDU', 'reloaded');
  const api = `http://127.0.0.1:${t.backend.port}/api`;
  const before = t.backend.configs.packageFor('RDU')!;
  assert.equal((await adminFetch(`${api}/config/reload`, { method: 'POST' })).status, 200);
  const same = t.backend.configs.packageFor('RDU')!;
  assert.equal(same.version, before.version);
  assert.equal(same.serviceIds, before.serviceIds, 'the same version shares one index, built once');

  // web1/TCP leaves the package, web2/HTTP joins it.
  const changed = TEST_CONFIG.replace('<service name="TCP" interval="1000"><parameter key="port" value="1"/></service>', '').replace(
    '<specific node-label="web1">127.0.0.1</specific>',
    '<specific node-label="web1">127.0.0.1</specific><specific node-label="web2">127.0.0.2</specific>',
  );
  await writeFile(t.configPath, changed);
  try {
    assert.equal((await adminFetch(`${api}/config/reload`, { method: 'POST' })).status, 200);
    const next = t.backend.configs.packageFor('RDU')!;
    assert.notEqual(next.version, before.version);
    assert.notEqual(next.serviceIds, before.serviceIds);
    const refused = await t.call('reportResults', { results: [r(1, 'UP', 'web2/HTTP'), r(2, 'UP', 'web1/TCP')] }, creds);
    assert.equal(refused.error?.code, ErrorCode.Forbidden);
    assert.deepEqual((refused.error?.data as { serviceIds: string[] }).serviceIds, ['web1/TCP']);
    assert.equal(await report(creds, [r(1, 'UP', 'web2/HTTP'), r(2, 'DOWN', 'web2/HTTP', 'refused')]), 2);
    assert.equal((await stored(creds.monitorId)).lost.length, 1);
  } finally {
    await writeFile(t.configPath, TEST_CONFIG);
    await adminFetch(`${api}/config/reload`, { method: 'POST' });
  }
});
