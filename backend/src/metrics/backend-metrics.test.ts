/**
 * GET /metrics over real HTTP: refused without credentials (and the scrape
 * token opens it and nothing else), and its figures follow real traffic: a
 * monitor connected over WebSocket, its results counted once however often
 * they are sent, the batch latency histogram, the notification queue, the
 * jobs this instance runs.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { formatAuthorization, type MonitorCredentials } from '@vantage/common';
import WebSocket from 'ws';
import { adminFetch, registerApproved, startTestBackend, type TestBackend } from '../../testing/test-backend.ts';

const SCRAPE_TOKEN = 'scrape-token-for-tests-123';

let t: TestBackend;
let creds: MonitorCredentials;

before(async () => {
  t = await startTestBackend(undefined, { scrapeToken: SCRAPE_TOKEN });
  creds = await registerApproved(t, 'RDU', 'measured');
});
after(() => t.close());

async function scrape(): Promise<string> {
  const response = await fetch(`${t.backend.url}/metrics`, { headers: { authorization: `Bearer ${SCRAPE_TOKEN}` } });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return response.text();
}

/** The value of one sample (`name{labels}` exactly as written), or undefined when it is not there. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

void test('/metrics needs credentials: a user, or the scrape token, which opens no other route', async () => {
  assert.equal((await fetch(`${t.backend.url}/metrics`)).status, 401);
  assert.equal((await fetch(`${t.backend.url}/metrics`, { headers: { authorization: 'Bearer wrong-token' } })).status, 401);
  assert.equal((await fetch(`${t.backend.url}/api/monitors`, { headers: { authorization: `Bearer ${SCRAPE_TOKEN}` } })).status, 401);
  assert.equal((await adminFetch(`${t.backend.url}/metrics`)).status, 200, 'HTTP Basic, as Prometheus basic_auth sends it');
  await scrape();
});

void test('the figures follow real traffic: connected monitors, results counted once, batch latency, queue, leader roles', async () => {
  const before = await scrape();
  assert.equal(sample(before, 'vantage_results_ingested_total{location="RDU"}') ?? 0, 0);
  assert.equal(sample(before, 'vantage_notification_queue{state="pending"}'), 0);
  assert.equal(sample(before, 'vantage_notification_queue{state="inflight"}'), 0);
  assert.equal(sample(before, 'vantage_leader{job="disconnect-sweep"}'), 1);
  const connectedSeries = `vantage_connected_monitors{location="RDU",instance="${t.backend.instance.id}"}`;
  assert.equal(sample(before, connectedSeries), undefined);

  const ws = new WebSocket(`ws://127.0.0.1:${t.backend.port}/rpc`, { headers: { authorization: formatAuthorization(creds) } });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  let id = 0;
  const call = async (method: string, params: unknown) => {
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }));
    const answer = JSON.parse(String(await new Promise((resolve) => ws.once('message', resolve)))) as { error?: unknown };
    assert.equal(answer.error, undefined, JSON.stringify(answer.error));
  };
  try {
    await call('pollerStarting', {});
    const now = Date.now();
    const batch = [1, 2, 3].map((seq) => ({ seq, serviceId: 'web1/HTTP', timestamp: now - 1000 + seq, status: 'UP', responseTimeMs: 2 }));
    await call('reportResults', { results: batch });
    await call('reportResults', { results: batch });
    await until('the connection in the metrics', async () => sample(await scrape(), connectedSeries) === 1);

    const after = await scrape();
    assert.equal(sample(after, 'vantage_results_ingested_total{location="RDU"}'), 3, 'a resent batch is not counted again');
    assert.equal(sample(after, 'vantage_report_results_duration_seconds_count'), (sample(before, 'vantage_report_results_duration_seconds_count') ?? 0) + 2);
    assert.ok(sample(after, 'vantage_report_results_duration_seconds_sum')! > 0);
    assert.equal(sample(after, 'vantage_report_results_duration_seconds_bucket{le="+Inf"}'), sample(after, 'vantage_report_results_duration_seconds_count'));
  } finally {
    ws.close();
  }
  await until('the closed connection gone from the metrics', async () => sample(await scrape(), connectedSeries) === undefined);
});
