/**
 * Response times reach InfluxDB from the backend's ingest: a backend started
 * with an InfluxDB URL (VictoriaMetrics speaking the v2 write API) takes
 * results from a poller and the points come back out of the server's export
 * API with the location, monitor, node and service tags.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { formatAuthorization, type MonitorCredentials } from '@vantage/common';
import { createLogger } from '@vantage/runtime';
import { startBackend, type Backend } from '@vantage/backend';
import { createTestStorage, type TestStorage, sampleCount, VictoriaMetrics, victoriaMetricsMissing } from '@vantage/backend/testing';

let storage: TestStorage;
let backend: Backend;
let vm: VictoriaMetrics;

before(async () => {
  if (victoriaMetricsMissing) return;
  vm = await VictoriaMetrics.start();
  storage = await createTestStorage();
  const configPath = join(storage.dataDir, 'polling-config.xml');
  await writeFile(
    configPath,
    `<poller-configuration>
      <package name="web"><specific node-label="web1">127.0.0.1</specific><service name="HTTP" interval="1000"><parameter key="port" value="1"/></service></package>
      <monitor service="HTTP" type="http"/>
      <location name="RDU"><polling-package name="web"/></location>
    </poller-configuration>`,
  );
  backend = await startBackend({
    configPath,
    port: 0,
    host: '127.0.0.1',
    dataDir: storage.dataDir,
    databaseUrl: storage.databaseUrl,
    log: createLogger('backend', 'error', () => undefined),
    watchConfig: false,
    influx: { url: vm.url, org: 'vantage', bucket: 'vantage', token: 'unused' },
  });
});
after(async () => {
  if (victoriaMetricsMissing) return;
  await backend.close();
  await vm.dispose();
  await storage.cleanup();
});

void test('results reported to the backend arrive in InfluxDB with their tags', { skip: victoriaMetricsMissing }, async () => {
  const rpc = async (method: string, params: unknown, credentials?: MonitorCredentials) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (credentials) headers.authorization = formatAuthorization(credentials);
    const response = await fetch(`http://127.0.0.1:${backend.port}/rpc`, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
    return ((await response.json()) as { result: unknown }).result;
  };
  const creds = (await rpc('registerLocationMonitor', { location: 'RDU', name: 'rdu-influx' })) as MonitorCredentials;
  await backend.monitors.administer(creds.monitorId, 'approve');
  const start = Date.now() - 10_000;
  const results = Array.from({ length: 20 }, (_, i) => ({
    seq: i + 1,
    serviceId: 'web1/HTTP',
    timestamp: start + i * 100,
    status: i % 5 === 4 ? 'DOWN' : 'UP',
    responseTimeMs: i % 5 === 4 ? undefined : 10 + i,
  }));
  await rpc('reportResults', { results }, creds);
  const series = await vm.waitForSamples('{__name__="vantage_response_up",location="RDU"}', 20, 10_000);
  assert.equal(sampleCount(series), 20);
  assert.deepEqual(
    { ...series[0]!.metric, __name__: undefined },
    { __name__: undefined, location: 'RDU', monitor: 'rdu-influx', node: 'web1', service: 'HTTP' },
  );
  const times = await vm.waitForSamples('{__name__="vantage_response_response_time_ms",location="RDU"}', 16, 10_000);
  assert.equal(sampleCount(times), 16, 'a response time for each UP result');
  assert.ok(times[0]!.values.every((v) => v >= 10 && v < 30));
});
