/**
 * The poller's secrets with real vantage-poller processes: the registration
 * token reaches it through VANTAGE_TOKEN or --token-file, never its command
 * line (which every local user reads in /proc/PID/cmdline); --token still
 * works but warns. When an administrator revokes the monitor's secret, the
 * poller says so, exits non-zero and does not register again.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Backend } from '@vantage/backend';
import { adminFetch, bootTestBackend, createTestStorage, type TestStorage } from '@vantage/backend/testing';
import { startProcess, type RunningProcess } from './support/processes.ts';

const TOKEN = 'lab-token-123';

let storage: TestStorage;
let backend: Backend;
let target: Server;
const pollers: RunningProcess[] = [];

before(async () => {
  storage = await createTestStorage();
  target = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  const targetPort = (target.address() as { port: number }).port;
  const configPath = join(storage.dataDir, 'polling-config.xml');
  await writeFile(
    configPath,
    `<poller-configuration>
      <poller-settings check-in-interval="500" disconnect-timeout="5000"/>
      <package name="p">
        <specific node-label="target">127.0.0.1</specific>
        <service name="TCP" interval="500"><parameter key="port" value="${targetPort}"/></service>
      </package>
      <monitor service="TCP" type="tcp"/>
      <location name="LAB" registration-token="${TOKEN}"><polling-package name="p"/></location>
    </poller-configuration>`,
  );
  backend = await bootTestBackend({ storage, configPath });
});

after(async () => {
  for (const poller of pollers) await poller.stop('SIGKILL');
  await backend?.close();
  await new Promise((resolve) => target?.close(resolve));
  await storage?.cleanup();
});

function startPoller(name: string, extraArgs: string[] = [], env: Record<string, string> = {}): RunningProcess {
  const poller = startProcess(
    name,
    'frontend-poller/bin/vantage-poller.js',
    ['--server', `ws://127.0.0.1:${backend.port}/rpc`, '--location', 'LAB', '--name', name, '--state-dir', join(storage.dataDir, name), '--reconnect-max-ms', '1000', ...extraArgs],
    { VANTAGE_TOKEN: undefined, ...env },
  );
  pollers.push(poller);
  return poller;
}

/** The monitor id from the poller's "registered" line; fails if it registered as pending (no token reached it). */
async function registeredId(poller: RunningProcess): Promise<string> {
  const line = await poller.waitForLine(/registered at location "LAB" with \S+ as monitor/, 30_000);
  assert.doesNotMatch(line, /waiting for an administrator/, 'the token reached the poller');
  return /as monitor (\S+)/.exec(line)![1]!.replace(/;$/, '');
}

const monitorsAtLab = async () => (await backend.monitors.list('LAB')).length;

void test('VANTAGE_TOKEN registers the poller at once, and the token is not on its command line', async () => {
  const poller = startPoller('env-1', [], { VANTAGE_TOKEN: TOKEN });
  const monitorId = await registeredId(poller);
  assert.equal((await backend.monitors.get(monitorId)).lifecycle === 'PENDING', false);
  const cmdline = `/proc/${poller.child.pid}/cmdline`;
  if (existsSync(cmdline)) assert.ok(!(await readFile(cmdline, 'utf8')).includes(TOKEN), 'the token is not in /proc/PID/cmdline');
  assert.ok(!poller.output.some((line) => line.includes(TOKEN)), 'nor in the log');
  await poller.waitForLine(/polling 1 service/, 30_000);
});

void test('revoking its secret: the poller says why, exits non-zero and does not register again, also when restarted', async () => {
  const poller = startPoller('revoked-1', [], { VANTAGE_TOKEN: TOKEN });
  const monitorId = await registeredId(poller);
  await poller.waitForLine(/polling 1 service/, 30_000);
  const before = await monitorsAtLab();
  const response = await adminFetch(`http://127.0.0.1:${backend.port}/api/monitors/${monitorId}/revoke`, { method: 'POST' });
  assert.equal(response.status, 200);
  assert.equal(await poller.exited, 1, poller.output.join('\n'));
  assert.ok(
    poller.output.some((line) => /credentials of this monitor were revoked by an administrator/.test(line) && /will not register again/.test(line)),
    poller.output.join('\n'),
  );
  // Started again with the same state folder, it meets the same answer.
  const again = startPoller('revoked-1', [], { VANTAGE_TOKEN: TOKEN });
  assert.equal(await again.exited, 1, again.output.join('\n'));
  assert.ok(again.output.some((line) => /revoked by an administrator/.test(line)), again.output.join('\n'));
  assert.equal(await monitorsAtLab(), before, 'no new registration');
  assert.ok(![...poller.output, ...again.output].some((line) => /registering again/.test(line)));
});

void test('--token-file: a file other users can read is refused; a private one registers the poller', async () => {
  const open = join(storage.dataDir, 'token-open');
  await writeFile(open, `${TOKEN}\n`);
  await chmod(open, 0o644);
  const refused = startPoller('file-1', ['--token-file', open]);
  assert.equal(await refused.exited, 2);
  assert.ok(refused.output.some((line) => /readable by other users \(mode 644\): chmod 600/.test(line)), refused.output.join('\n'));

  const own = join(storage.dataDir, 'token-own');
  await writeFile(own, `${TOKEN}\n`, { mode: 0o600 });
  await chmod(own, 0o600);
  const poller = startPoller('file-2', ['--token-file', own]);
  await registeredId(poller);
  await poller.stop();
});

void test('--token still works, with a warning that every local user can read it', async () => {
  const poller = startPoller('cli-1', ['--token', TOKEN]);
  await registeredId(poller);
  assert.ok(poller.output.some((line) => /--token is visible to every user of this host/.test(line)), poller.output.join('\n'));
  await poller.stop();
});
