/**
 * The race that hid a real outage, with real processes: the backend and two
 * pollers at two locations. LON polls two services of application Shop
 * (payments-eu over HTTP, catalog-eu over TCP), RDU one of them
 * (payments-eu). Each location reaches payments-eu through its own target on
 * loopback, so the test decides when each location sees it fail: LON's
 * targets stop first, RDU's 5 s later, just before RDU's next check (RDU
 * checks every 6 s, so it does not look in between, as when two locations
 * detect one outage seconds apart).
 *
 * At each step, what an operator sees through the REST API the UI uses: the
 * availability cells, the events and the alarms. LON is never taken for a
 * monitor that lost its own network: its cell shows Down (not "No data"),
 * the payments-eu alarm it raised stays raised, and the application alarm
 * counts the two locations that see it down.
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { adminFetch, createTestStorage, type TestStorage } from '@vantage/backend/testing';
import { startBackend, writeConfig } from './support/edge.ts';
import { HttpTarget } from './support/http-target.ts';
import { eventually, freePort, startProcess, type RunningProcess } from './support/processes.ts';

const LON_INTERVAL_MS = 1000;
const RDU_INTERVAL_MS = 6000;
const GAP_MS = 5000;
const PAYMENTS = 'payments-eu/HTTP';
const CATALOG = 'catalog-eu/TCP';
const TOKENS = { LON: 'lon-token-1', RDU: 'rdu-token-1' } as const;
const UEI = {
  lost: 'uei.opennms.org/remote/nodes/nodeLostService',
  connectivityLost: 'uei.vantage/location/monitorConnectivityLost',
  applicationDown: 'uei.vantage/application/applicationDown',
  applicationUp: 'uei.vantage/application/applicationUp',
} as const;

/** A TCP service on loopback that accepts connections while started, on a fixed port so it can be stopped and started again. */
class TcpTarget {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  constructor(readonly port: number) {}

  async start(): Promise<void> {
    const server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      socket.end();
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  }
}

function config(ports: { lonPayments: number; lonCatalog: number; rduPayments: number }): string {
  return `<?xml version="1.0"?>
<poller-configuration>
  <poller-settings check-in-interval="1000" disconnect-timeout="10000" default-timeout="1000"/>
  <package name="lon-payments">
    <specific node-label="payments-eu">127.0.0.1</specific>
    <service name="HTTP" interval="${LON_INTERVAL_MS}"><parameter key="port" value="${ports.lonPayments}"/></service>
  </package>
  <package name="lon-catalog">
    <specific node-label="catalog-eu">127.0.0.1</specific>
    <service name="TCP" interval="${LON_INTERVAL_MS}"><parameter key="port" value="${ports.lonCatalog}"/></service>
  </package>
  <package name="rdu-payments">
    <specific node-label="payments-eu">127.0.0.1</specific>
    <service name="HTTP" interval="${RDU_INTERVAL_MS}"><parameter key="port" value="${ports.rduPayments}"/></service>
  </package>
  <monitor service="HTTP" type="http"/>
  <monitor service="TCP" type="tcp"/>
  <location name="LON" registration-token="${TOKENS.LON}"><polling-package name="lon-payments"/><polling-package name="lon-catalog"/></location>
  <location name="RDU" registration-token="${TOKENS.RDU}"><polling-package name="rdu-payments"/></location>
  <application name="Shop"><service package="lon-payments" node="payments-eu" name="HTTP"/><service package="lon-catalog" node="catalog-eu" name="TCP"/></application>
</poller-configuration>`;
}

let storage: TestStorage;
let port: number;
let lonPayments: HttpTarget;
let lonCatalog: TcpTarget;
let rduPayments: HttpTarget;
const processes: RunningProcess[] = [];

before(async () => {
  storage = await createTestStorage();
  lonPayments = new HttpTarget(await freePort());
  lonCatalog = new TcpTarget(await freePort());
  rduPayments = new HttpTarget(await freePort());
  for (const target of [lonPayments, lonCatalog, rduPayments]) await target.start();
  port = await freePort();
});

after(async () => {
  for (const p of processes) await p.stop('SIGKILL');
  for (const target of [lonPayments, lonCatalog, rduPayments]) await target.stop();
  await storage.cleanup();
});

async function poller(location: 'LON' | 'RDU', name: string): Promise<RunningProcess> {
  const stateDir = join(storage.dataDir, name);
  await mkdir(stateDir, { recursive: true });
  const p = startProcess(name, 'frontend-poller/bin/vantage-poller.js', [
    ...['--server', `ws://127.0.0.1:${port}/rpc`, '--location', location, '--name', name, '--token', TOKENS[location]],
    ...['--state-dir', stateDir, '--reconnect-max-ms', '1000'],
  ]);
  processes.push(p);
  return p;
}

const api = async <T>(path: string): Promise<T> => {
  const response = await adminFetch(`http://127.0.0.1:${port}${path}`);
  assert.equal(response.status, 200, `${path}: ${response.status}`);
  return (await response.json()) as T;
};

interface Cell {
  location: string;
  state: string;
  availability: number | null;
  downMs: number;
  noDataMs: number;
  ownNetworkDown: number;
}
/** The Shop cells of the availability matrix, measured from `fromMs` to now. */
async function cells(fromMs: number): Promise<Record<string, Cell>> {
  const matrix = await api<{ applications: { name: string; cells: Cell[] }[] }>(`/api/availability?from=${fromMs}&to=${Date.now()}`);
  return Object.fromEntries(matrix.applications.find((a) => a.name === 'Shop')!.cells.map((c) => [c.location, c]));
}

interface Alarm {
  uei: string;
  monitorId: string | null;
  serviceId: string | null;
  application: string | null;
  reason: string | null;
  count: number;
  clearedAt: number | null;
}
const alarms = (query: string) => api<Alarm[]>(`/api/alarms?state=all&${query}`);
const events = (query: string) => api<{ uei: string; params: Record<string, string>; monitorId: string | null }[]>(`/api/events?${query}`);
const application = async () => (await api<{ name: string; status: string; downLocations: string[] }[]>('/api/applications')).find((a) => a.name === 'Shop')!;

void test('LON sees both services fail 5 s before RDU sees payments-eu fail: a real outage, shown as one from the first second', async (t) => {
  const began = Date.now();
  const configPath = await writeConfig(storage, config({ lonPayments: lonPayments.port, lonCatalog: lonCatalog.port, rduPayments: rduPayments.port }));
  processes.push(await startBackend(storage, configPath, port));
  t.diagnostic(`backend up after ${Date.now() - began} ms`);
  await poller('LON', 'lon-1');
  await poller('RDU', 'rdu-1');

  const ids = await eventually(
    'both monitors started',
    async () => {
      const monitors = await api<{ id: string; name: string; status: string }[]>('/api/monitors');
      const byName = new Map(monitors.map((m) => [m.name, m]));
      return byName.get('lon-1')?.status === 'STARTED' && byName.get('rdu-1')?.status === 'STARTED' && { lon: byName.get('lon-1')!.id, rdu: byName.get('rdu-1')!.id };
    },
    30_000,
  );
  t.diagnostic(`both monitors started after ${Date.now() - began} ms`);
  // Both see Shop up: LON has checked both services, RDU payments-eu.
  await eventually('both cells up', async () => lonPayments.requests > 0 && rduPayments.requests > 0 && Object.values(await cells(Date.now() - 1000)).every((c) => c.state === 'up'), 30_000);
  const fromMs = Date.now();
  t.diagnostic(`backend and pollers up, both cells up after ${fromMs - began} ms`);

  // Step 1: LON's targets stop right after an RDU check, so RDU does not look again before its own target stops.
  const rduChecks = rduPayments.requests;
  await eventually('an RDU check of payments-eu', async () => rduPayments.requests > rduChecks, RDU_INTERVAL_MS + 5000, 20);
  const lonStoppedAt = Date.now();
  await lonPayments.stop();
  await lonCatalog.stop();
  t.diagnostic(`LON's targets stopped ${lonStoppedAt - fromMs} ms into the measured window`);

  const openFor = async (monitorId: string) => (await alarms(`uei=${encodeURIComponent(UEI.lost)}&monitor=${monitorId}`)).filter((a) => a.clearedAt === null);
  await eventually('LON alarms both services', async () => (await openFor(ids.lon)).length === 2, 5000, 100);
  const detectedAt = Date.now();
  // Until RDU's target stops, LON's view stands on its own: checked repeatedly, it never turns into "No data".
  while (Date.now() < lonStoppedAt + GAP_MS - 300) {
    const now = await cells(fromMs);
    assert.equal(now.LON!.state, 'down', `LON ${Date.now() - lonStoppedAt} ms after its targets stopped: ${JSON.stringify(now.LON)}`);
    assert.equal(now.LON!.noDataMs, 0, 'lon-1 keeps reporting');
    assert.equal(now.LON!.ownNetworkDown, 0, "lon-1 is not taken for a monitor whose own network is down");
    assert.equal(now.RDU!.state, 'up');
    const lon = await openFor(ids.lon);
    assert.deepEqual(lon.map((a) => a.serviceId).sort(), [CATALOG, PAYMENTS].sort());
    assert.equal((await events(`uei=${encodeURIComponent(UEI.connectivityLost)}`)).length, 0, 'no connectivity loss is decided');
    assert.deepEqual((await alarms(`uei=${encodeURIComponent(UEI.applicationDown)}`)).length, 0, 'one location of two: below the threshold');
    assert.equal((await application()).status, 'partial');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  t.diagnostic(`LON alarmed both services ${detectedAt - lonStoppedAt} ms after its targets stopped`);

  // Step 2: RDU's target stops 5 s after LON's; RDU's next check sees payments-eu down.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, lonStoppedAt + GAP_MS - Date.now())));
  assert.equal(rduPayments.requests, rduChecks + 1, 'RDU did not check payments-eu between the two stops');
  await rduPayments.stop();
  await eventually('RDU alarms payments-eu', async () => (await openFor(ids.rdu)).length === 1, RDU_INTERVAL_MS + 5000, 100);
  t.diagnostic(`RDU alarmed payments-eu ${Date.now() - lonStoppedAt} ms after LON's targets stopped`);

  const [shopAlarm, ...more] = await alarms(`uei=${encodeURIComponent(UEI.applicationDown)}`);
  assert.equal(more.length, 0);
  assert.equal(shopAlarm?.application, 'Shop');
  assert.equal(shopAlarm?.clearedAt, null);
  assert.equal(shopAlarm?.reason, 'down from 2 of 2 reporting locations (LON, RDU); at least 2 needed');
  const [shopEvent] = await events(`uei=${encodeURIComponent(UEI.applicationDown)}`);
  assert.equal(shopEvent?.params.downLocations, 'LON, RDU');
  assert.equal(shopEvent?.params.reportingLocations, 'LON, RDU');
  assert.deepEqual(await application(), { ...(await application()), status: 'down', downLocations: ['LON', 'RDU'] });

  const both = await cells(fromMs);
  assert.equal(both.LON!.state, 'down');
  assert.equal(both.RDU!.state, 'down');
  assert.equal(both.LON!.noDataMs, 0, 'lon-1 reported throughout: never "No data"');
  assert.ok(both.LON!.downMs >= Date.now() - detectedAt, `LON down since its detection: ${JSON.stringify(both.LON)}`);

  // The real payments-eu alarm LON raised was never cleared as explained: raised once, open throughout.
  const lonAlarms = await alarms(`uei=${encodeURIComponent(UEI.lost)}&monitor=${ids.lon}`);
  assert.equal(lonAlarms.length, 2);
  for (const alarm of lonAlarms) {
    assert.equal(alarm.clearedAt, null, `${alarm.serviceId} open`);
    assert.equal(alarm.count, 1, `${alarm.serviceId} raised once`);
    assert.notEqual(alarm.reason, "explained by the monitor's own connectivity");
  }
  assert.equal((await events(`uei=${encodeURIComponent(UEI.connectivityLost)}`)).length, 0);

  // Step 3: the services come back: every alarm clears, the application is up again.
  for (const target of [lonPayments, lonCatalog, rduPayments]) await target.start();
  await eventually(
    'every alarm cleared',
    async () => (await api<Alarm[]>('/api/alarms?state=open')).filter((a) => a.uei === UEI.lost || a.uei === UEI.applicationDown).length === 0,
    RDU_INTERVAL_MS + 5000,
    200,
  );
  t.diagnostic(`every alarm cleared ${Date.now() - began} ms after the start`);
  assert.equal((await events(`uei=${encodeURIComponent(UEI.applicationUp)}`)).length, 1);
  const back = await cells(Date.now() - 500);
  assert.deepEqual([back.LON!.state, back.RDU!.state], ['up', 'up']);
});
