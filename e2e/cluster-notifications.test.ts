/**
 * Notifications with several backend processes on one PostgreSQL database:
 * a claim belongs to the instance that made it, for a lease it renews while
 * the delivery lasts. An instance that starts takes no live claim of another
 * (each notification delivered exactly once while its claimant is alive), and
 * a notification in flight on an instance killed with SIGKILL is delivered
 * once by another after the lease expires.
 *
 * The webhook carries the port of the instance that sends it (the
 * configuration's ${backend.port}), so the receiver knows who delivers.
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { adminFetch, createTestStorage, TEST_ADMIN_PASSWORD, type TestStorage } from '@vantage/backend/testing';
import { writeConfig } from './support/edge.ts';
import { eventually, freePort, startBackendProcess, type RunningProcess } from './support/processes.ts';

const ON_POSTGRES = process.env.VANTAGE_TEST_PG_URL ? false : 'needs PostgreSQL (VANTAGE_TEST_PG_URL): several instances share one database';
/** README's notification lease is 20 s; a killed instance's claim is taken over after it, with room for a loaded machine. */
const TAKEN_OVER_WITHIN_MS = 90_000;
const PAUSE_RESUME_ROUNDS = 20;
const TOKEN = 'notify-token-123';

/** One request the receiver saw: which event, from which instance, and whether it was answered. */
interface Delivery {
  eventId: number;
  fromPort: string;
  completed: boolean;
}

/** A webhook receiver that holds requests while asked to, and counts which ones it began and completed. */
class Receiver {
  readonly deliveries: Delivery[] = [];
  private server: Server | undefined;
  private held: { delivery: Delivery; res: ServerResponse }[] = [];
  /** While true, every request waits until {@link release}. */
  gate = false;
  /** Requests for these event ids are held for good (their sender is about to be killed). */
  readonly holdForever = new Set<number>();
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.receive(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  private receive(req: IncomingMessage, res: ServerResponse): void {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk));
    req.on('end', () => {
      const eventId = (JSON.parse(text) as { id: number }).id;
      const delivery: Delivery = { eventId, fromPort: String(req.headers['x-backend-port']), completed: false };
      this.deliveries.push(delivery);
      if (this.holdForever.has(eventId) && this.deliveries.filter((d) => d.eventId === eventId).length === 1) return;
      if (this.gate) this.held.push({ delivery, res });
      else this.answer(delivery, res);
    });
  }

  private answer(delivery: Delivery, res: ServerResponse): void {
    res.on('finish', () => (delivery.completed = true));
    res.writeHead(200).end('ok');
  }

  release(): void {
    this.gate = false;
    for (const { delivery, res } of this.held.splice(0)) this.answer(delivery, res);
  }

  of(eventId: number): Delivery[] {
    return this.deliveries.filter((d) => d.eventId === eventId);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => (this.server ? this.server.close(resolve) : resolve(undefined)));
  }
}

const processes: RunningProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];
const receiver = new Receiver();
let storage: TestStorage;
let configPath: string;
const instances: { port: number; process: RunningProcess }[] = [];
let monitorId: string;

after(async () => {
  for (const p of processes) await p.stop('SIGKILL');
  await receiver.stop();
  for (const cleanup of cleanups) await cleanup();
});

async function startInstance(name: string): Promise<{ port: number; process: RunningProcess }> {
  const port = await freePort();
  const dataDir = join(storage.dataDir, name);
  await mkdir(dataDir, { recursive: true });
  const process = await startBackendProcess({ configPath, port, dataDir, databaseUrl: storage.databaseUrl, adminPassword: TEST_ADMIN_PASSWORD });
  processes.push(process);
  return { port, process };
}

const api = (port: number, path: string, init?: RequestInit) => adminFetch(`http://127.0.0.1:${port}${path}`, init);

async function administer(port: number, action: 'pause' | 'resume'): Promise<void> {
  const response = await api(port, `/api/monitors/${monitorId}/${action}`, { method: 'POST' });
  assert.equal(response.status, 200, `${action} at ${port}`);
}

async function delivered(port: number): Promise<{ eventId: number; claimedBy?: string }[]> {
  const response = await api(port, '/api/notifications?state=delivered&limit=1000');
  assert.equal(response.status, 200);
  return (await response.json()) as { eventId: number }[];
}

before(async () => {
  if (ON_POSTGRES !== false) return;
  await receiver.start();
  storage = await createTestStorage();
  cleanups.push(() => storage.cleanup());
  configPath = await writeConfig(
    storage,
    `<?xml version="1.0"?>
<poller-configuration>
  <package name="p"><specific node-label="n0">127.0.0.1</specific><service name="HTTP" interval="60000"><parameter key="port" value="1"/></service></package>
  <monitor service="HTTP" type="http"/>
  <location name="HQ" registration-token="${TOKEN}"><polling-package name="p"/></location>
  <webhook name="ops" url="http://127.0.0.1:${receiver.port}/hook" timeout="300000"><header name="X-Backend-Port" value="\${backend.port}"/></webhook>
  <notification name="admin actions" ueis="uei.opennms.org/remote/locationMonitorPaused uei.opennms.org/remote/locationMonitorStarted" sinks="ops"/>
</poller-configuration>`,
  );
  instances.push(await startInstance('backend-a'), await startInstance('backend-b'));
  const answer = await api(instances[0]!.port, '/rpc', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'registerLocationMonitor', params: { location: 'HQ', name: 'hq-1', token: TOKEN } }),
  });
  monitorId = ((await answer.json()) as { result: { monitorId: string } }).result.monitorId;
});

void test('an instance that starts takes no live claim: with deliveries under way, each notification is delivered exactly once', { skip: ON_POSTGRES }, async () => {
  receiver.gate = true;
  for (let round = 0; round < PAUSE_RESUME_ROUNDS; round++) {
    const port = instances[round % 2]!.port;
    await administer(port, 'pause');
    await administer(port, 'resume');
  }
  const expected = 2 * PAUSE_RESUME_ROUNDS;
  await eventually('deliveries held by both instances', async () => new Set(receiver.deliveries.map((d) => d.fromPort)).size === 2, 30_000);
  // A third instance starts while the first two hold claims (an upgrade, a restart, one more for load).
  const third = await startInstance('backend-c');
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  receiver.release();
  const rows = await eventually('every notification delivered', async () => {
    const list = await delivered(instances[0]!.port);
    return list.length >= expected ? list : undefined;
  }, 60_000);
  assert.equal(rows.length, expected);
  const ids = [...new Set(rows.map((r) => r.eventId))];
  assert.equal(ids.length, expected, 'one notification per event');
  const twice = ids.filter((id) => receiver.of(id).length !== 1);
  assert.deepEqual(
    twice.map((id) => `${id}: ${receiver.of(id).length} requests`),
    [],
    'each notification delivered exactly once',
  );
  assert.ok(receiver.deliveries.every((d) => d.completed));
  assert.equal(await third.process.stop('SIGTERM'), 0);
});

void test('a notification in flight on a killed instance is delivered once by another after its lease expires', { skip: ON_POSTGRES }, async () => {
  const before = receiver.deliveries.length;
  const lastDelivered = (await delivered(instances[0]!.port))[0]!.eventId;
  // The next event's first request is held open, then its sender is killed.
  receiver.holdForever.add(lastDelivered + 1);
  await administer(instances[1]!.port, 'pause');
  const first = await eventually('the delivery to hold', async () => receiver.deliveries.slice(before)[0], 30_000);
  assert.equal(first.eventId, lastDelivered + 1, 'the held request is the pause event of this test');
  const holder = instances.find((i) => String(i.port) === first.fromPort);
  assert.ok(holder, `the held request came from one of the instances (port ${first.fromPort})`);
  const survivor = instances.find((i) => i !== holder)!;
  holder.process.child.kill('SIGKILL');
  await holder.process.exited;
  const killedAt = Date.now();

  await eventually('the delivery completed by the surviving instance', async () => receiver.of(first.eventId).some((d) => d.completed), TAKEN_OVER_WITHIN_MS);
  console.log(`a killed instance's notification was delivered by another ${Date.now() - killedAt} ms after the kill`);
  await eventually('the notification recorded as delivered', async () => (await delivered(survivor.port)).some((r) => r.eventId === first.eventId), 10_000);
  // Nothing else is due: a second completed delivery could only be a duplicate.
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const requests = receiver.of(first.eventId);
  assert.deepEqual(
    requests.map((d) => ({ from: d.fromPort, completed: d.completed })),
    [
      { from: String(holder.port), completed: false },
      { from: String(survivor.port), completed: true },
    ],
  );
});
