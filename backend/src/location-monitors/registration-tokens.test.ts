/**
 * Registration tokens live in the database: an administrator rotates or
 * revokes a location's token over REST, the old one stops working at once,
 * and monitors registered with it keep their own secret. A token from the
 * configuration is seeded the first time it is seen; once revoked it stays
 * revoked, across restarts and reloads, even though the file still names it.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ErrorCode, Uei, type MonitorCredentials } from '@vantage/common';
import type { Backend } from '../server.ts';
import { EventEntity } from '../db/entities.ts';
import { adminFetch, bootTestBackend, type RpcResponse } from '../../testing/test-backend.ts';
import { createTestStorage, type TestStorage } from '../../testing/test-database.ts';

const configWith = (nycToken: string | null) => `<poller-configuration>
  <package name="web">
    <specific node-label="web1">127.0.0.1</specific>
    <service name="TCP" interval="60000"><parameter key="port" value="1"/></service>
  </package>
  <monitor service="TCP" type="tcp"/>
  <location name="RDU"><polling-package name="web"/></location>
  <location name="NYC"${nycToken === null ? '' : ` registration-token="${nycToken}"`}><polling-package name="web"/></location>
</poller-configuration>`;

let storage: TestStorage;
let configPath: string;
let backend: Backend;
let api: string;
const boot = async () => {
  // Generous limits: these tests present wrong tokens on purpose, from one address, one after another.
  backend = await bootTestBackend({ storage, configPath, watchConfig: false, registrationLimits: { burstPerAddress: 1_000, failedTokenFirstBackoffMs: 0 } });
  api = `http://127.0.0.1:${backend.port}/api`;
};
before(async () => {
  storage = await createTestStorage();
  configPath = join(storage.dataDir, 'polling-config.xml');
  await writeFile(configPath, configWith('nyc-secret-token'));
  await boot();
});
after(async () => {
  await backend.close();
  await storage.cleanup();
});

let nextId = 1;
async function call(method: string, params: unknown, credentials?: MonitorCredentials): Promise<RpcResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (credentials) headers.authorization = `Bearer ${credentials.monitorId}.${credentials.secret}`;
  const response = await fetch(`http://127.0.0.1:${backend.port}/rpc`, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params }) });
  return (await response.json()) as RpcResponse;
}
const register = (location: string, name: string, token?: string) => call('registerLocationMonitor', token === undefined ? { location, name } : { location, name, token });
const statusOf = (answer: RpcResponse) => (answer.result as { status?: string } | undefined)?.status ?? `error ${answer.error?.code}: ${answer.error?.message}`;
const admission = async (name: string) => ((await (await adminFetch(`${api}/locations`)).json()) as { name: string; admission: string }[]).find((l) => l.name === name)?.admission;

interface Rotated {
  location: string;
  admission: string;
  token: string;
  command: string;
}

void test('rotating a token: the new one registers, the old one is refused at once, monitors registered with it keep working', async () => {
  const early = (await register('NYC', 'early', 'nyc-secret-token')).result as MonitorCredentials & { status: string };
  assert.equal(early.status, 'REGISTERED');
  assert.equal((await call('pollerStarting', {}, early)).result !== undefined, true);

  const response = await adminFetch(`${api}/locations/NYC/token/rotate`, { method: 'POST' });
  assert.equal(response.status, 200, await response.clone().text());
  const rotated = (await response.json()) as Rotated;
  assert.equal(rotated.admission, 'token');
  assert.match(rotated.token, /^[A-Za-z0-9_-]{32,}$/);
  assert.ok(rotated.command.startsWith(`VANTAGE_TOKEN='${rotated.token}' npx vantage-poller `), rotated.command);
  assert.doesNotMatch(rotated.command, /--token/);

  const old = await register('NYC', 'late', 'nyc-secret-token');
  assert.equal(old.error?.code, ErrorCode.Forbidden);
  assert.match(old.error!.message, /revoked/);
  assert.equal(statusOf(await register('NYC', 'late', rotated.token)), 'REGISTERED');
  assert.equal(statusOf(await call('pollerCheckingIn', { configVersion: '' }, early)), 'CONFIG_CHANGED', 'a monitor keeps its own secret');

  const events = await backend.db.manager.findBy(EventEntity, { uei: Uei.registrationTokenRotated, location: 'NYC' });
  assert.equal(events.length, 1);
  assert.equal(events[0]!.params.by, 'admin');
  assert.ok(!JSON.stringify(events).includes(rotated.token), 'the token itself is not in the event');

  // The token is shown once: the registration command no longer carries it.
  const registration = (await (await adminFetch(`${api}/locations/NYC/registration`)).json()) as { admission: string; token: string | null; command: string };
  assert.equal(registration.admission, 'token');
  assert.equal(registration.token, null);
  assert.ok(!registration.command.includes(rotated.token));

  // A location admitted by approval gets its first token the same way.
  const rdu = (await (await adminFetch(`${api}/locations/RDU/token/rotate`, { method: 'POST' })).json()) as Rotated;
  assert.equal(await admission('RDU'), 'token');
  assert.equal(statusOf(await register('RDU', 'rdu-1', rdu.token)), 'REGISTERED');
  assert.equal((await adminFetch(`${api}/locations/Atlantis/token/rotate`, { method: 'POST' })).status, 404);
});

void test('revoking a token: the location falls back to approval and the token is refused', async () => {
  const response = await adminFetch(`${api}/locations/RDU/token`, { method: 'DELETE' });
  assert.equal(response.status, 200, await response.clone().text());
  assert.deepEqual(await response.json(), { location: 'RDU', admission: 'approval' });
  assert.equal(await admission('RDU'), 'approval');
  const registration = (await (await adminFetch(`${api}/locations/RDU/registration`)).json()) as { admission: string; command: string };
  assert.equal(registration.admission, 'approval');
  assert.doesNotMatch(registration.command, /TOKEN/);
  assert.equal(statusOf(await register('RDU', 'rdu-2')), 'PENDING');
  const events = await backend.db.manager.findBy(EventEntity, { uei: Uei.registrationTokenRevoked, location: 'RDU' });
  assert.equal(events.length, 1);
  const again = await adminFetch(`${api}/locations/RDU/token`, { method: 'DELETE' });
  assert.equal(again.status, 409);
  assert.match(((await again.json()) as { error: string }).error, /has no registration token/);
});

void test('a configuration token an administrator revoked stays revoked across a restart and a reload; a new one in the file takes over', async () => {
  // NYC's configured token was replaced by rotation above; revoke the rotated one too.
  assert.equal((await adminFetch(`${api}/locations/NYC/token`, { method: 'DELETE' })).status, 200);
  await backend.close();
  await boot();
  assert.equal(await admission('NYC'), 'approval', 'the file still names nyc-secret-token, but it was revoked');
  assert.equal((await register('NYC', 'x', 'nyc-secret-token')).error?.code, ErrorCode.Forbidden);
  assert.equal((await adminFetch(`${api}/config/reload`, { method: 'POST' })).status, 200);
  assert.equal(await admission('NYC'), 'approval');

  await writeFile(configPath, configWith('nyc-token-two'));
  const reload = await adminFetch(`${api}/config/reload`, { method: 'POST' });
  assert.equal(reload.status, 200);
  assert.equal(await admission('NYC'), 'token');
  assert.equal(statusOf(await register('NYC', 'y', 'nyc-token-two')), 'REGISTERED');
  const registration = (await (await adminFetch(`${api}/locations/NYC/registration`)).json()) as { token: string | null; command: string };
  assert.equal(registration.token, 'nyc-token-two', 'a token from the file is shown: the administrator has it anyway');
  assert.ok(registration.command.startsWith(`VANTAGE_TOKEN='nyc-token-two' npx vantage-poller --server ws://127.0.0.1:${backend.port}/rpc --location NYC `));

  // Taking the attribute out of the file revokes the token that came from it.
  await writeFile(configPath, configWith(null));
  await adminFetch(`${api}/config/reload`, { method: 'POST' });
  assert.equal(await admission('NYC'), 'approval');
  assert.equal((await register('NYC', 'z', 'nyc-token-two')).error?.code, ErrorCode.Forbidden);
});
