/**
 * An operator's action on one instance reaches a poller connected to
 * another at once, not at its next check-in: a pause on instance A is
 * announced to the poller on instance B, which stops polling; a resume
 * brings it back; revoked credentials close its connection on B, and the
 * poller stops for good.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { adminFetch } from '@vantage/backend/testing';
import { ClusterFixture, ON_POSTGRES } from './support/cluster.ts';
import { writeConfig } from './support/edge.ts';
import { eventually } from './support/processes.ts';

/** Long, so that only a hint explains a reaction within HINT_WITHIN_MS. */
const CHECK_IN_MS = 30_000;
const HINT_WITHIN_MS = 5_000;
const TOKEN = 'site-token-123';

const fixtures: ClusterFixture[] = [];
after(async () => {
  for (const fixture of fixtures) await fixture.close();
});

const config = (targetPort: number) => `<?xml version="1.0"?>
<poller-configuration>
  <poller-settings check-in-interval="${CHECK_IN_MS}" disconnect-timeout="120000" default-timeout="2000"/>
  <package name="p"><specific node-label="n0">127.0.0.1</specific><service name="HTTP" interval="500"><parameter key="port" value="${targetPort}"/></service></package>
  <monitor service="HTTP" type="http"/>
  <location name="SITE" registration-token="${TOKEN}"><polling-package name="p"/></location>
</poller-configuration>`;

void test('pause, resume and revoke on instance A reach the poller connected to instance B at once', { skip: ON_POSTGRES, timeout: 180_000 }, async () => {
  const cluster = await ClusterFixture.create();
  fixtures.push(cluster);
  const configPath = await writeConfig(cluster.storage, config(cluster.target.port));
  const a = await cluster.instance(configPath, 'backend-a');
  const b = await cluster.instance(configPath, 'backend-b');
  const poller = cluster.poller(b, 'poller', 'SITE', TOKEN);
  await poller.waitForLine(/polling 1 service of package "p"/, 30_000);
  const monitor = await eventually('the monitor connected to B', async () => {
    const response = await adminFetch(`${a.url}/api/monitors?location=SITE`);
    const list = (await response.json()) as { id: string; connected: boolean; instance: string | null }[];
    return list.find((m) => m.connected && m.instance?.includes(`:${b.port}:`));
  }, 30_000);

  const actAtA = async (action: string, expected: RegExp) => {
    const from = poller.output.length;
    const startedAt = Date.now();
    const response = await adminFetch(`${a.url}/api/monitors/${monitor.id}/${action}`, { method: 'POST' });
    assert.equal(response.status, 200, `${action}: ${await response.text()}`);
    await poller.waitForLine(expected, HINT_WITHIN_MS, from);
    console.log(`${action} on A reached the poller on B in ${Date.now() - startedAt} ms (check-in interval ${CHECK_IN_MS} ms)`);
  };
  await actAtA('pause', /paused by an administrator: polling nothing until resumed/);
  await actAtA('resume', /resumed: polling 1 service/);
  await actAtA('revoke', /revoked/i);
  await eventually('the poller stopped for good', async () => poller.child.exitCode !== null, HINT_WITHIN_MS);
});
