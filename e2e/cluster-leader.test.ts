/**
 * One leader per periodic job among two backend processes on one PostgreSQL
 * database: the first instance leads every job and GET /api/instances says
 * so from either; killed with SIGKILL, its jobs move to the other within the
 * takeover bound, and the disconnect sweep run there records exactly one
 * locationMonitorDisconnected for each poller the killed instance served.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Uei } from '@vantage/common';
import { adminFetch } from '@vantage/backend/testing';
import { ClusterFixture, ON_POSTGRES, type ClusterInstance } from './support/cluster.ts';
import { writeConfig } from './support/edge.ts';
import { eventually } from './support/processes.ts';

/** README's bound for a dead leader's jobs to move (lease 6 s + one renewal interval 2 s, and room for a loaded machine). */
const TAKEOVER_WITHIN_MS = 10_000;
const JOBS = ['cleared-alarm-cleanup', 'disconnect-sweep', 'response-time-rollup'];
const TOKEN = 'site-token-123';

const fixtures: ClusterFixture[] = [];
after(async () => {
  for (const fixture of fixtures) await fixture.close();
});

interface InstanceView {
  id: string;
  port: number;
  alive: boolean;
  roles: string[];
}

const config = (targetPort: number) => `<?xml version="1.0"?>
<poller-configuration>
  <poller-settings check-in-interval="1000" disconnect-timeout="4000" default-timeout="2000"/>
  <package name="p"><specific node-label="n0">127.0.0.1</specific><service name="HTTP" interval="1000"><parameter key="port" value="${targetPort}"/></service></package>
  <monitor service="HTTP" type="http"/>
  <location name="SITE" registration-token="${TOKEN}"><polling-package name="p"/></location>
</poller-configuration>`;

async function getJson<T>(instance: ClusterInstance, path: string): Promise<T> {
  const response = await adminFetch(`${instance.url}${path}`);
  assert.equal(response.status, 200, path);
  return (await response.json()) as T;
}

void test('kill -9 of the leader: its jobs move to the other instance within the bound, one locationMonitorDisconnected per poller it served', { skip: ON_POSTGRES, timeout: 180_000 }, async () => {
  const cluster = await ClusterFixture.create();
  fixtures.push(cluster);
  const configPath = await writeConfig(cluster.storage, config(cluster.target.port));
  const a = await cluster.instance(configPath, 'backend-a');
  const b = await cluster.instance(configPath, 'backend-b');
  const poller = (name: string, server: ClusterInstance) => cluster.poller(server, name, 'SITE', TOKEN);
  poller('poller-a1', a);
  poller('poller-a2', a);
  poller('poller-b1', b);

  // The first instance took every lease; both instances say so.
  for (const asked of [a, b]) {
    const instances = await eventually(`both instances listed at ${asked.url}`, async () => {
      const list = await getJson<InstanceView[]>(asked, '/api/instances');
      return list.length === 2 ? list : undefined;
    }, 20_000);
    const byPort = new Map(instances.map((i) => [i.port, i]));
    assert.deepEqual(byPort.get(a.port)?.roles, JOBS, `A leads every job, as ${asked.url} says`);
    assert.deepEqual(byPort.get(b.port)?.roles, [], `B leads none, as ${asked.url} says`);
  }
  const monitors = await eventually('three pollers connected', async () => {
    const list = await getJson<{ id: string; name: string; connected: boolean; status: string }[]>(b, '/api/monitors?location=SITE');
    return list.length === 3 && list.every((m) => m.connected && m.status === 'STARTED') ? list : undefined;
  }, 30_000);
  const idOf = (name: string) => monitors.find((m) => m.name === name)!.id;

  a.process.child.kill('SIGKILL');
  await a.process.exited;
  const killedAt = Date.now();
  const from = b.process.output.length;
  await b.process.waitForLine(/now leads the disconnect-sweep job/, TAKEOVER_WITHIN_MS + 5_000, from);
  const tookOverMs = Date.now() - killedAt;
  console.log(`the disconnect sweep moved to the other instance ${tookOverMs} ms after the leader was killed`);
  assert.ok(tookOverMs <= TAKEOVER_WITHIN_MS, `taken over in ${tookOverMs} ms, bound ${TAKEOVER_WITHIN_MS} ms`);
  const atB = await eventually('B leads every job', async () => {
    const list = await getJson<InstanceView[]>(b, '/api/instances');
    const self = list.find((i) => i.port === b.port);
    return JSON.stringify(self?.roles) === JSON.stringify(JOBS) ? list : undefined;
  }, TAKEOVER_WITHIN_MS);
  assert.deepEqual(atB.find((i) => i.port === a.port)?.roles ?? [], [], 'the killed instance leads nothing (it may still be listed until its heartbeat expires)');

  const disconnected = () => getJson<{ monitorId: string }[]>(b, `/api/events?uei=${encodeURIComponent(Uei.locationMonitorDisconnected)}&location=SITE`);
  await eventually('both pollers of A recorded as disconnected', async () => {
    const ids = new Set((await disconnected()).map((e) => e.monitorId));
    return ids.has(idOf('poller-a1')) && ids.has(idOf('poller-a2'));
  }, 30_000);
  // A few more sweeps: none may record it again.
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  const counts = new Map<string, number>();
  for (const e of await disconnected()) counts.set(e.monitorId, (counts.get(e.monitorId) ?? 0) + 1);
  assert.equal(counts.get(idOf('poller-a1')), 1, 'poller-a1 disconnected once');
  assert.equal(counts.get(idOf('poller-a2')), 1, 'poller-a2 disconnected once');
  assert.equal(counts.get(idOf('poller-b1')) ?? 0, 0, 'poller-b1, served by the survivor, never disconnected');
  assert.equal(b.process.child.exitCode, null, 'B still runs');
});
