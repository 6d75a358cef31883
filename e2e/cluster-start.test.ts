/**
 * Several instances started at once on one fresh PostgreSQL database: both
 * come up (migrations and first-start work run under an advisory lock, one
 * instance after the other), and exactly one of them created the admin user
 * and printed its generated password, which is the one that signs in.
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createTestStorage, type TestStorage } from '@vantage/backend/testing';
import { ON_POSTGRES } from './support/cluster.ts';
import { writeConfig } from './support/edge.ts';
import { eventually, freePort, startProcess, type RunningProcess } from './support/processes.ts';

const ROUNDS = 5;
const PASSWORD_LINE = /created the user "admin" with the password (\S+)/;

const processes: RunningProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const p of processes) await p.stop('SIGKILL');
  for (const cleanup of cleanups) await cleanup();
});

const CONFIG = `<?xml version="1.0"?>
<poller-configuration>
  <poller-settings check-in-interval="1000" disconnect-timeout="5000" default-timeout="2000"/>
  <package name="p"><specific node-label="n0">127.0.0.1</specific><service name="HTTP" interval="1000"><parameter key="port" value="1"/></service></package>
  <monitor service="HTTP" type="http"/>
  <location name="SITE" registration-token="site-token-123"><polling-package name="p"/></location>
</poller-configuration>`;

/** A backend process with no VANTAGE_ADMIN_PASSWORD, so the first start generates one. */
async function startInstance(storage: TestStorage, configPath: string, name: string): Promise<{ process: RunningProcess; url: string }> {
  const port = await freePort();
  const dataDir = join(storage.dataDir, name);
  await mkdir(dataDir, { recursive: true });
  const process = startProcess(
    name,
    'backend/bin/vantage.js',
    ['--port', String(port), '--host', '127.0.0.1', '--config', configPath, '--data-dir', dataDir, '--no-local-poller'],
    { DATABASE_URL: storage.databaseUrl, VANTAGE_ADMIN_PASSWORD: '' },
  );
  processes.push(process);
  return { process, url: `http://127.0.0.1:${port}` };
}

async function signIn(url: string, password: string): Promise<number> {
  const response = await fetch(`${url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) });
  await response.arrayBuffer();
  return response.status;
}

void test(`two instances started at once on an empty database, ${ROUNDS} rounds: both come up, exactly one prints the admin password, and it signs in`, { skip: ON_POSTGRES, timeout: 300_000 }, async () => {
  for (let round = 1; round <= ROUNDS; round++) {
    const storage = await createTestStorage();
    cleanups.push(() => storage.cleanup());
    const configPath = await writeConfig(storage, CONFIG);
    const both = await Promise.all([startInstance(storage, configPath, `backend-${round}-a`), startInstance(storage, configPath, `backend-${round}-b`)]);
    for (const { process, url } of both) {
      await eventually(
        `${process.name} healthy (round ${round})`,
        async () => {
          if (process.child.exitCode !== null) throw new Error(`${process.name} exited with ${process.child.exitCode}:\n${process.output.join('\n')}`);
          return (await fetch(`${url}/api/health`)).status === 200;
        },
        60_000,
      ).catch((err: unknown) => {
        throw new Error(`${(err as Error).message}\n${process.output.join('\n')}`);
      });
      await process.waitForLine(/Vantage is running/, 30_000);
    }
    const printed = both.flatMap(({ process }) => process.output.map((line) => PASSWORD_LINE.exec(line)?.[1]).filter((p): p is string => p !== undefined));
    assert.equal(printed.length, 1, `round ${round}: exactly one instance printed an admin password, got ${printed.length}:\n${both.map((b) => b.process.output.join('\n')).join('\n---\n')}`);
    for (const { url } of both) assert.equal(await signIn(url, printed[0]!), 200, `round ${round}: the printed password signs in at ${url}`);
    for (const { process } of both) assert.equal(await process.stop('SIGTERM'), 0, `${process.name} stopped cleanly:\n${process.output.join('\n')}`);
  }
});
