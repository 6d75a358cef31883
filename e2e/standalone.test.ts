/**
 * Standalone mode as `npm start` runs it: the backend, the built-in local
 * poller and the web page in one process, on the embedded database (or the
 * test PostgreSQL), with the shipped config/polling-config.xml.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { createTestStorage, type TestStorage, adminFetch, TEST_ADMIN_PASSWORD } from '@vantage/backend/testing';
import { eventually, freePort, startProcess, type RunningProcess } from './support/processes.ts';

interface MonitorView {
  id: string;
  location: string;
  status: string;
  local: boolean;
}

let storage: TestStorage;
let port: number;
let running: RunningProcess | undefined;

function startStandalone(): RunningProcess {
  running = startProcess('vantage', 'backend/bin/vantage.js', ['--port', String(port), '--data-dir', storage.dataDir], {
    DATABASE_URL: storage.databaseUrl,
    VANTAGE_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
  });
  return running;
}

before(async () => {
  storage = await createTestStorage();
  port = await freePort();
});
after(async () => {
  await running?.stop('SIGKILL');
  await storage.cleanup();
});

void test('npm start: the local poller registers itself, polls the shipped configuration, and keeps its identity', async () => {
  let vantage = startStandalone();
  const banner = await vantage.waitForLine(/Vantage is running: open http:\/\/localhost:\d+\//, 30_000);
  assert.match(banner, new RegExp(`localhost:${port}/`));
  await vantage.waitForLine(/local-poller: polling 3 services/, 10_000);

  const api = `http://127.0.0.1:${port}`;
  const page = await adminFetch(`${api}/`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<title>Vantage<\/title>/);

  const [local] = (await (await adminFetch(`${api}/api/monitors?location=Default`)).json()) as MonitorView[];
  assert.equal(local?.local, true);
  assert.equal(local?.status, 'STARTED');

  // The shipped configuration checks the backend's own HTTP port: it must come up UP.
  const http = await eventually(
    'the first HTTP check of the backend itself',
    async () => {
      const services = (await (await adminFetch(`${api}/api/monitors/${local!.id}/services`)).json()) as { serviceId: string; status: string | null }[];
      return services.find((s) => s.serviceId === 'vantage-backend/HTTP' && s.status !== null);
    },
    40_000,
    500,
  );
  assert.equal(http.status, 'UP');

  const refused = await adminFetch(`${api}/api/monitors/${local!.id}`, { method: 'DELETE' });
  assert.equal(refused.status, 409);
  assert.match(((await refused.json()) as { error: string }).error, /cannot be deleted/);

  // A clean stop and a second start: the same local monitor, not a new one.
  assert.equal(await vantage.stop('SIGTERM'), 0);
  vantage = startStandalone();
  await vantage.waitForLine(/local-poller: started/, 30_000);
  const monitors = (await (await adminFetch(`${api}/api/monitors?location=Default`)).json()) as MonitorView[];
  assert.deepEqual(
    monitors.map((m) => m.id),
    [local!.id],
  );
  assert.ok(!vantage.output.some((line) => /registered at location/.test(line)));
});

void test('a broken configuration stops the backend at start-up, naming the file, line and problem', async () => {
  const configPath = `${storage.dataDir}/broken.xml`;
  await writeFile(configPath, '<poller-configuration>\n  <package name="p">\n    <specific>127.0.0.1</specific>\n    <service name="HTTP" interval="30s"/>\n  </package>\n</poller-configuration>\n');
  const vantage = startProcess('vantage', 'backend/bin/vantage.js', ['--port', String(port), '--config', configPath, '--data-dir', storage.dataDir], {
    DATABASE_URL: storage.databaseUrl,
    VANTAGE_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
  });
  assert.equal(await vantage.exited, 1);
  assert.ok(
    vantage.output.includes(`vantage: ${configPath}:4: <service>: attribute interval must be a positive whole number of milliseconds, got "30s"`),
    vantage.output.join('\n'),
  );
});

void test('a port that is no number stops the start, saying whether --port or PORT gave it', async () => {
  const cases: { args: string[]; env: Record<string, string>; says: string }[] = [
    // Number() reads these as 0, and the backend listened on any free port.
    { args: ['--port', ''], env: {}, says: 'vantage: --port must be a port number from 0 to 65535, got ""' },
    { args: ['--port= 80'], env: {}, says: 'vantage: --port must be a port number from 0 to 65535, got " 80"' },
    { args: [], env: { PORT: ' ' }, says: 'vantage: PORT (environment) must be a port number from 0 to 65535, got " "' },
    { args: [], env: { PORT: 'http' }, says: 'vantage: PORT (environment) must be a port number from 0 to 65535, got "http"' },
    { args: ['--port', '65536'], env: {}, says: 'vantage: --port must be a port number from 0 to 65535, got "65536"' },
  ];
  for (const { args, env, says } of cases) {
    const vantage = startProcess('vantage', 'backend/bin/vantage.js', [...args, '--data-dir', storage.dataDir], { DATABASE_URL: storage.databaseUrl, ...env });
    // Unreferenced: a start that goes on (as it did) must not keep the file's process alive.
    const ended = await Promise.race([vantage.exited, delay(30_000, 'still running after 30 s', { ref: false })]);
    await vantage.stop('SIGKILL');
    assert.equal(ended, 2, `${JSON.stringify({ args, env })}:\n${vantage.output.join('\n')}`);
    assert.ok(vantage.output.includes(says), `${JSON.stringify({ args, env })}:\n${vantage.output.join('\n')}`);
  }
});

/** Whether nothing listens on 127.0.0.1:`port` now. */
async function portIsFree(port: number): Promise<boolean> {
  const server = createServer();
  const free = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => resolve(true));
  });
  if (free) await new Promise((resolve) => server.close(resolve));
  return free;
}

void test('an empty PORT (PORT= in a unit file) is the default port, 8980, which the shipped configuration checks', async (t) => {
  if (!(await portIsFree(8980))) {
    t.skip('something else listens on 127.0.0.1:8980');
    return;
  }
  const fresh = await createTestStorage();
  const vantage = startProcess('vantage', 'backend/bin/vantage.js', ['--host', '127.0.0.1', '--data-dir', fresh.dataDir, '--no-local-poller'], {
    DATABASE_URL: fresh.databaseUrl,
    VANTAGE_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
    PORT: '',
  });
  try {
    const line = await vantage.waitForLine(/Vantage is running/, 30_000);
    assert.match(line, /open http:\/\/127\.0\.0\.1:8980\//);
    assert.equal((await fetch('http://127.0.0.1:8980/api/health')).status, 200);
  } finally {
    await vantage.stop('SIGTERM');
    await fresh.cleanup();
  }
});

void test('the first start creates the user admin with a generated password, printed once', async () => {
  const fresh = await createTestStorage();
  const freshPort = await freePort();
  const start = () =>
    startProcess('vantage', 'backend/bin/vantage.js', ['--port', String(freshPort), '--data-dir', fresh.dataDir, '--no-local-poller'], {
      DATABASE_URL: fresh.databaseUrl,
      VANTAGE_ADMIN_PASSWORD: '',
    });
  let vantage = start();
  try {
    const line = await vantage.waitForLine(/created the user "admin" with the password/, 30_000);
    await vantage.waitForLine(/Vantage is running/, 30_000);
    const password = /with the password (\S+) \(shown once/.exec(line)?.[1];
    assert.ok(password && password.length >= 10, line);
    const basic = `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;
    assert.equal((await fetch(`http://127.0.0.1:${freshPort}/api/monitors`, { headers: { authorization: basic } })).status, 200);
    assert.equal((await fetch(`http://127.0.0.1:${freshPort}/api/monitors`)).status, 401);
    assert.equal(await vantage.stop('SIGTERM'), 0);
    vantage = start();
    await vantage.waitForLine(/Vantage is running/, 30_000);
    assert.ok(!vantage.output.some((l) => l.includes('created the user')), 'not again on the next start');
    const code = await vantage.stop('SIGTERM');
    assert.equal(code, 0, `exit ${code}, signal ${vantage.child.signalCode}:\n${vantage.output.join('\n')}`);
  } finally {
    await vantage.stop('SIGKILL');
    await fresh.cleanup();
  }
});

void test('a second standalone on the same data folder is refused before it touches the database; a killed one leaves no lock behind', { skip: onPostgres() }, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'vantage-lock-'));
  const [firstPort, secondPort] = [await freePort(), await freePort()];
  const start = (onPort: number) =>
    startProcess('vantage', 'backend/bin/vantage.js', ['--port', String(onPort), '--data-dir', dataDir], { DATABASE_URL: '', VANTAGE_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD });
  let first = start(firstPort);
  try {
    await first.waitForLine(/local-poller: polling 3 services/, 60_000);
    const monitorsOf = async (onPort: number) => ((await (await adminFetch(`http://127.0.0.1:${onPort}/api/monitors`)).json()) as MonitorView[]).map((m) => m.id);
    const before = await monitorsOf(firstPort);

    const second = start(secondPort);
    // Unreferenced: a pending timer would keep the file's process alive for its whole minute after the tests end.
    const ended = await Promise.race([second.exited, delay(60_000, 'still running after 60 s', { ref: false })]);
    await second.stop('SIGKILL');
    assert.equal(ended, 1, second.output.join('\n'));
    assert.ok(
      second.output.some((line) => line.includes(`the embedded database in ${join(dataDir, 'db')} is in use by process ${first.child.pid}`)),
      second.output.join('\n'),
    );
    // The first goes on, its data as it was.
    assert.deepEqual(await monitorsOf(firstPort), before);

    // kill -9 leaves the lock file; the next start sees its process gone and takes it over.
    await first.stop('SIGKILL');
    first = start(firstPort);
    await first.waitForLine(/local-poller: polling 3 services/, 60_000);
    assert.deepEqual(await monitorsOf(firstPort), before);
    assert.equal(await first.stop('SIGTERM'), 0, first.output.join('\n'));
  } finally {
    await first.stop('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  }
});

function onPostgres(): string | false {
  return process.env.VANTAGE_TEST_PG_URL ? 'the lock is the embedded database’s; PostgreSQL has its own' : false;
}
