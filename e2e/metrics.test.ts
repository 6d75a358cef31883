/**
 * Both /metrics endpoints scraped over real HTTP while a real poller process
 * polls a real HTTP service through a real backend process: the poller's
 * checks, lateness and spool figures move as it polls, its reconnections
 * count a restart of the backend, and the backend counts the results it
 * stored from it.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { adminFetch, createTestStorage, type TestStorage } from '@vantage/backend/testing';
import { edgeConfig, startBackend, startEdgePoller, writeConfig } from './support/edge.ts';
import { HttpTarget } from './support/http-target.ts';
import { eventually, freePort, type RunningProcess } from './support/processes.ts';

const processes: RunningProcess[] = [];
let storage: TestStorage | undefined;
let target: HttpTarget | undefined;

after(async () => {
  for (const p of processes) await p.stop('SIGKILL');
  await target?.stop();
  await storage?.cleanup();
});

/** The value of one sample (`name{labels}` exactly as written), or undefined when it is not there. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

void test('the poller and the backend count real checks and results on /metrics', async () => {
  storage = await createTestStorage();
  target = new HttpTarget(await freePort());
  await target.start();
  const configPath = await writeConfig(storage, edgeConfig({ targetPort: target.port, nodes: 2, intervalMs: 300 }));
  const port = await freePort();
  let backend = await startBackend(storage, configPath, port);
  processes.push(backend);
  const poller = startEdgePoller('measured', join(storage.dataDir, 'poller'), [`ws://127.0.0.1:${port}/rpc`], ['--metrics-port', '0']);
  processes.push(poller);
  const [, metricsUrl] = /metrics at (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(await poller.waitForLine(/metrics at http:/, 30_000))!;
  const scrapePoller = async () => {
    const response = await fetch(metricsUrl!);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return response.text();
  };
  assert.equal((await fetch(metricsUrl!.replace(/\/metrics$/, '/other'))).status, 404);

  const checks = 'vantage_poller_checks_total{monitor="http",status="UP"}';
  const polled = await eventually('checks counted by the poller', async () => {
    const text = await scrapePoller();
    return (sample(text, checks) ?? 0) >= 4 ? text : undefined;
  }, 30_000);
  assert.ok(sample(polled, 'vantage_poller_check_lateness_seconds_count')! >= sample(polled, checks)!, 'every check that ran had started');
  assert.notEqual(sample(polled, 'vantage_poller_spool_results'), undefined);
  assert.ok(sample(polled, 'vantage_poller_spool_bytes')! > 0, 'the spool has a file on disk');
  assert.equal(sample(polled, 'vantage_poller_dropped_results_total{reason="spool_limit"}'), 0);
  assert.equal(sample(polled, 'vantage_poller_dropped_results_total{reason="refused"}'), 0);
  assert.equal(sample(polled, 'vantage_poller_reconnects_total'), 0);

  const ingested = 'vantage_results_ingested_total{location="EDGE"}';
  const scrapeBackend = async () => {
    const response = await adminFetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(response.status, 200);
    return response.text();
  };
  assert.equal((await fetch(`http://127.0.0.1:${port}/metrics`)).status, 401, 'the backend answers /metrics to credentials only');
  const first = await eventually('results counted by the backend', async () => sample(await scrapeBackend(), ingested), 30_000);
  const more = await eventually('more results counted', async () => {
    const now = sample(await scrapeBackend(), ingested)!;
    return now > first ? now : undefined;
  }, 30_000);
  assert.ok(more > first);
  const backendText = await scrapeBackend();
  assert.ok(sample(backendText, 'vantage_report_results_duration_seconds_count')! > 0);
  assert.equal(sample(backendText, 'vantage_connected_monitors{location="EDGE",instance="' + /instance (\S+)/.exec(backend.output.find((l) => /instance \S+/.test(l))!)![1] + '"}'), 1);

  // A backend restart: the poller connects again, and says so.
  await backend.stop();
  backend = await startBackend(storage, configPath, port);
  processes.push(backend);
  await eventually('the reconnection counted', async () => (sample(await scrapePoller(), 'vantage_poller_reconnects_total') ?? 0) >= 1, 30_000);
});
