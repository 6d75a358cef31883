/**
 * A poller you can download: the register panel's download command, run as
 * printed in an empty folder on a host with only Node.js, fetches the
 * single-file poller from the backend, checks its SHA-256 and runs it; it
 * registers and reports.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { adminFetch, createTestStorage, type TestStorage } from '@vantage/backend/testing';
import { edgeConfig, startBackend, writeConfig } from './support/edge.ts';
import { HttpTarget } from './support/http-target.ts';
import { eventually, freePort, startProcess, startShellCommand, type RunningProcess } from './support/processes.ts';

let storage: TestStorage;
let target: HttpTarget;
let backend: RunningProcess;
let port: number;
let empty: string;
const processes: RunningProcess[] = [];

before(async () => {
  // Built as `npm run build` builds it (skipped when it is up to date).
  const build = startProcess('build', 'node_modules/tsx/dist/cli.mjs', ['frontend-poller/build.ts', '--if-stale']);
  assert.equal(await build.exited, 0, build.output.join('\n'));
  storage = await createTestStorage();
  target = new HttpTarget(await freePort());
  await target.start();
  port = await freePort();
  backend = await startBackend(storage, await writeConfig(storage, edgeConfig({ targetPort: target.port, nodes: 3, intervalMs: 500 })), port);
  processes.push(backend);
  empty = await mkdtemp(join(tmpdir(), 'vantage-download-'));
});

after(async () => {
  for (const p of processes) await p.stop('SIGKILL');
  await target.stop();
  await rm(empty, { recursive: true, force: true });
  await storage.cleanup();
});

void test('the panel’s download command runs the poller from an empty folder, with nothing but Node.js', async () => {
  const registration = (await (await adminFetch(`http://127.0.0.1:${port}/api/locations/EDGE/registration`)).json()) as { downloadCommand: string | null };
  const command = registration.downloadCommand;
  assert.ok(command, 'the panel offers the download command');
  assert.match(command, /^curl -fsSL -o vantage-poller\.mjs http:\/\/127\.0\.0\.1:\d+\/downloads\/vantage-poller\.mjs && echo '[0-9a-f]{64} {2}vantage-poller\.mjs' \| sha256sum -c --quiet - && VANTAGE_TOKEN='edge-token-123' node vantage-poller\.mjs --server ws:\/\/127\.0\.0\.1:\d+\/rpc --location EDGE --name edge-1$/);
  assert.deepEqual(await readdir(empty), []);

  // As pasted, but exec'd so that the test can stop the poller itself; only Node.js on the PATH, no NODE_PATH.
  const runnable = `${command.replace(' node vantage-poller.mjs', ' exec node vantage-poller.mjs')} --state-dir ./state --reconnect-max-ms 1000`;
  const poller = startShellCommand('downloaded-poller', runnable, { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, NODE_PATH: undefined, NODE_OPTIONS: undefined }, empty);
  processes.push(poller);
  await poller.waitForLine(/polling 3 services of package "edge"/, 30_000);
  const monitor = await eventually(
    'results from the downloaded poller',
    async () => {
      const monitors = (await (await adminFetch(`http://127.0.0.1:${port}/api/monitors?location=EDGE`)).json()) as { name: string; lastSeq: number; status: string }[];
      return monitors.find((m) => m.name === 'edge-1' && m.lastSeq >= 3);
    },
    20_000,
  );
  assert.equal(monitor.status, 'STARTED');
  assert.equal(await poller.stop('SIGTERM'), 0);
  assert.deepEqual((await readdir(empty)).sort(), ['state', 'vantage-poller.mjs'], 'nothing else was needed: no node_modules');
});

void test('a download that does not match its digest is not run', async () => {
  const registration = (await (await adminFetch(`http://127.0.0.1:${port}/api/locations/EDGE/registration`)).json()) as { downloadCommand: string };
  const tampered = registration.downloadCommand.replace(/echo '[0-9a-f]{64}/, `echo '${'0'.repeat(64)}`);
  const poller = startShellCommand('tampered', tampered, {}, empty);
  processes.push(poller);
  assert.notEqual(await poller.exited, 0);
  assert.ok(!poller.output.some((line) => /vantage-poller 0\.1\.0/.test(line)), 'the poller never started');
});

void test('the bundle and its digest are served to anyone, and agree', async () => {
  const bundle = await fetch(`http://127.0.0.1:${port}/downloads/vantage-poller.mjs`);
  assert.equal(bundle.status, 200);
  const body = Buffer.from(await bundle.arrayBuffer());
  const digest = (await (await fetch(`http://127.0.0.1:${port}/downloads/vantage-poller.mjs.sha256`)).text()).split(' ')[0];
  const { createHash } = await import('node:crypto');
  assert.equal(createHash('sha256').update(body).digest('hex'), digest);
  assert.equal(bundle.headers.get('x-content-sha256'), digest);
});
