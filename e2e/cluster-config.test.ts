/**
 * The configuration in force is the same on every instance of one database:
 * a reload on instance A (its own copy of the file changed, then POST
 * /api/config/reload) reaches a poller connected to instance B within one
 * check-in interval (it fetches the new package and polls at the new
 * interval), and both instances report the same package version.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { adminFetch, createTestStorage } from '@vantage/backend/testing';
import { ON_POSTGRES, startInstance, startPollerAt, type ClusterInstance } from './support/cluster.ts';
import { writeConfig } from './support/edge.ts';
import { HttpTarget } from './support/http-target.ts';
import { eventually, freePort, type RunningProcess } from './support/processes.ts';

const CHECK_IN_MS = 5_000;
const TOKEN = 'site-token-123';

const processes: RunningProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const p of processes) await p.stop('SIGKILL');
  for (const cleanup of cleanups) await cleanup();
});

/** `nodes` HTTP services every `intervalMs`, each on its own path of the target. */
const config = (targetPort: number, nodes: number, intervalMs: number) => `<?xml version="1.0"?>
<poller-configuration>
  <poller-settings check-in-interval="${CHECK_IN_MS}" disconnect-timeout="20000" default-timeout="2000"/>
  <package name="p">
${Array.from({ length: nodes }, (_, i) => `    <specific node-label="n${i}">127.0.0.1</specific>`).join('\n')}
    <service name="HTTP" interval="${intervalMs}"><parameter key="port" value="${targetPort}"/></service>
  </package>
  <monitor service="HTTP" type="http"/>
  <location name="SITE" registration-token="${TOKEN}"><polling-package name="p"/></location>
</poller-configuration>`;

const packageVersionAt = async (instance: ClusterInstance) => {
  const response = await adminFetch(`${instance.url}/api/locations`);
  assert.equal(response.status, 200);
  return ((await response.json()) as { name: string; packageVersion: string | null }[]).find((l) => l.name === 'SITE')?.packageVersion;
};

void test('a reload on instance A reaches the poller on instance B within one check-in interval; both report the same package version', { skip: ON_POSTGRES, timeout: 180_000 }, async () => {
  const storage = await createTestStorage();
  cleanups.push(() => storage.cleanup());
  const target = new HttpTarget(await freePort());
  await target.start();
  cleanups.push(() => target.stop());
  const start = async (name: string) => {
    // Each instance its own copy of the file: only A's changes.
    const instance = await startInstance(storage, await writeConfig(storage, config(target.port, 1, 2_000), `${name}.xml`), name);
    processes.push(instance.process);
    return instance;
  };
  const a = await start('backend-a');
  const b = await start('backend-b');
  const before = await packageVersionAt(a);
  assert.ok(before);
  assert.equal(await packageVersionAt(b), before, 'one version before the reload');

  const poller = startPollerAt(storage, b, 'poller', 'SITE', TOKEN);
  processes.push(poller);
  await poller.waitForLine(new RegExp(`polling 1 service of package "p" \\(version ${before}\\)`), 30_000);

  await writeConfig(storage, config(target.port, 2, 250), 'backend-a.xml');
  const from = poller.output.length;
  const reloadedAt = Date.now();
  const response = await adminFetch(`${a.url}/api/config/reload`, { method: 'POST' });
  assert.equal(response.status, 200, await response.text());
  const after = await packageVersionAt(a);
  assert.ok(after && after !== before, 'A has a new package version');

  await poller.waitForLine(new RegExp(`polling 2 services of package "p" \\(version ${after}\\)`), 2 * CHECK_IN_MS, from);
  const reachedMs = Date.now() - reloadedAt;
  console.log(`a reload on instance A reached the poller on instance B in ${reachedMs} ms (check-in interval ${CHECK_IN_MS} ms)`);
  assert.ok(reachedMs <= CHECK_IN_MS, `the poller on B had the new package ${reachedMs} ms after the reload on A, more than one check-in interval`);
  assert.equal(await eventually('B reports the new version', async () => ((await packageVersionAt(b)) === after ? after : undefined), CHECK_IN_MS), after);

  // At the new interval: 2 services every 250 ms, against 1 every 2 s before.
  const counted = target.requests;
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const checks = target.requests - counted;
  console.log(`${checks} checks in 3 s after the reload`);
  assert.ok(checks >= 12, `${checks} checks in 3 s: not at the new interval`);
});
