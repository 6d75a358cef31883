/**
 * TLS with real processes: a backend started with `--tls self-signed`, and
 * vantage-poller processes started with the register panel's command as
 * printed (wss://, --fingerprint, the token in VANTAGE_TOKEN), over HTTPS
 * POST with the pin and with --ca, and with a wrong fingerprint, which must
 * stop the poller naming both fingerprints. Then certificate files that are
 * replaced and reloaded on SIGHUP.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { after, before, test } from 'node:test';
import { formatFingerprint } from '@vantage/common';
import { VerifyingHttpsAgent } from '@vantage/frontend-poller';
import { makeCertificate } from '@vantage/monitors/testing';
import { ADMIN_AUTHORIZATION, createTestStorage, TEST_ADMIN_PASSWORD, type TestStorage } from '@vantage/backend/testing';
import { eventually, freePort, startBackendProcess, startProcess, startShellCommand, type RunningProcess } from './support/processes.ts';

interface MonitorView {
  id: string;
  name: string;
  status: string;
  lastSeq: number;
}

let storage: TestStorage;
let backend: RunningProcess;
let port: number;
let fingerprint: string;
let agent: VerifyingHttpsAgent;
let target: Server;
let configPath: string;
const processes: RunningProcess[] = [];

before(async () => {
  storage = await createTestStorage();
  target = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  configPath = join(storage.dataDir, 'polling-config.xml');
  await writeFile(
    configPath,
    `<poller-configuration>
      <poller-settings check-in-interval="500" disconnect-timeout="5000"/>
      <package name="p">
        <specific node-label="target">127.0.0.1</specific>
        <service name="TCP" interval="300"><parameter key="port" value="${(target.address() as { port: number }).port}"/></service>
      </package>
      <monitor service="TCP" type="tcp"/>
      <location name="LAB" registration-token="lab-token-123"><polling-package name="p"/></location>
    </poller-configuration>`,
  );
  port = await freePort();
  // No --tls-name: the default names (this host, localhost, its addresses) include 127.0.0.1.
  backend = await startBackendProcess({
    configPath,
    port,
    dataDir: storage.dataDir,
    databaseUrl: storage.databaseUrl,
    adminPassword: TEST_ADMIN_PASSWORD,
    args: ['--tls', 'self-signed'],
  });
  processes.push(backend);
  fingerprint = /TLS certificate SHA-256 fingerprint: (sha256:[0-9A-F:]+)/.exec(await backend.waitForLine(/TLS certificate SHA-256 fingerprint/, 1_000))![1]!;
  agent = new VerifyingHttpsAgent({ mode: 'fingerprint', fingerprint });
});

after(async () => {
  agent?.destroy();
  for (const running of processes.reverse()) await running.stop('SIGKILL');
  await new Promise((resolve) => target.close(resolve));
  await storage.cleanup();
});

/** GET of the REST API over HTTPS, as the administrator, pinning the backend's certificate. */
function getJson<T>(path: string, on = port, pinned = agent): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const req = https.get(`https://127.0.0.1:${on}${path}`, { headers: { authorization: ADMIN_AUTHORIZATION }, agent: pinned }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(Buffer.concat(chunks).toString()) as T) : reject(new Error(`GET ${path}: HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
  });
}

async function monitorNamed(name: string): Promise<MonitorView | undefined> {
  return (await getJson<MonitorView[]>('/api/monitors?location=LAB')).find((m) => m.name === name);
}

function poller(name: string, args: string[], env: Record<string, string> = {}): RunningProcess {
  const running = startProcess(name, 'frontend-poller/bin/vantage-poller.js', [...args, '--state-dir', join(storage.dataDir, `state-${name}`), '--reconnect-max-ms', '1000'], env);
  processes.push(running);
  return running;
}

/** Shows what the processes said when a test fails: that is where the story is. */
function showOutputOnFailure(t: { after(fn: () => void): void }, ...running: (() => RunningProcess | undefined)[]) {
  let passed = false;
  t.after(() => {
    if (passed) return;
    for (const get of [() => backend, ...running]) {
      const p = get();
      if (p) console.log(`--- ${p.name} (exit ${p.child.exitCode}) ---\n${p.output.join('\n')}`);
    }
  });
  return () => (passed = true);
}

void test('the backend prints the fingerprint of the certificate it serves, and https:// and wss:// in its banner', async () => {
  const certificate = new X509Certificate(await readFile(join(storage.dataDir, 'tls', 'cert.pem')));
  assert.equal(fingerprint, formatFingerprint(certificate.fingerprint256));
  const banner = await backend.waitForLine(/Vantage is running/, 1_000);
  assert.match(banner, new RegExp(`open https://127\\.0\\.0\\.1:${port}/ .*pollers connect to wss://HOST:${port}/rpc with --fingerprint ${fingerprint}`));
  const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
  await new Promise((resolve) => socket.once('secureConnect', resolve));
  assert.equal(formatFingerprint(socket.getPeerCertificate().fingerprint256), fingerprint);
  socket.destroy();
});

void test('the register panel’s command, run as printed, registers and reports over wss://; with a wrong fingerprint the same poller refuses and exits', async (t) => {
  const started: { panel?: RunningProcess; refused?: RunningProcess } = {};
  const passed = showOutputOnFailure(t, () => started.panel, () => started.refused);
  const registration = await getJson<{ command: string; fingerprint: string }>('/api/locations/LAB/registration');
  assert.equal(registration.fingerprint, fingerprint);
  assert.match(registration.command, /^VANTAGE_TOKEN='lab-token-123' npx vantage-poller --server wss:\/\/127\.0\.0\.1:\d+\/rpc --fingerprint sha256:\S+ --location LAB --name lab-1$/);
  assert.doesNotMatch(registration.command, /--token/);

  // The command as an operator pastes it, with the installed entry point in place of npx.
  const stateDir = join(storage.dataDir, 'state-lab-1');
  const command =
    registration.command.replace('npx vantage-poller', `exec '${process.execPath}' frontend-poller/bin/vantage-poller.js`) +
    ` --state-dir '${stateDir}' --reconnect-max-ms 1000`;
  const panelPoller = startShellCommand('panel-poller', command);
  started.panel = panelPoller;
  processes.push(panelPoller);
  await panelPoller.waitForLine(/polling 1 service/, 30_000);
  assert.match(await panelPoller.waitForLine(/vantage-poller .* for location/, 1_000), new RegExp(`accepting only the server certificate ${fingerprint}`));
  const monitor = await eventually('results over wss://', async () => {
    const m = await monitorNamed('lab-1');
    return m && m.lastSeq >= 2 ? m : undefined;
  }, 20_000);
  assert.equal(monitor.status, 'STARTED', 'registered with the token from VANTAGE_TOKEN, no approval needed');
  assert.equal(await panelPoller.stop('SIGTERM'), 0);

  // The same poller (same identity) with a fingerprint that is not the backend's.
  const wrong = formatFingerprint(fingerprint.slice('sha256:'.length).replace(/^../, (byte) => (byte === '00' ? '01' : '00')));
  const refused = poller('lab-1', ['--server', `wss://127.0.0.1:${port}/rpc`, '--fingerprint', wrong, '--location', 'LAB', '--name', 'lab-1'], {
    VANTAGE_TOKEN: 'lab-token-123',
  });
  started.refused = refused;
  const exitCode = await refused.closed;
  assert.equal(exitCode, 1, 'a certificate problem is fatal: a non-zero exit, no retrying');
  const said = refused.output.join('\n');
  assert.match(said, new RegExp(`presented the certificate ${fingerprint} but --fingerprint expects ${wrong}`));
  assert.doesNotMatch(said, /connecting to \S+ in \d+ ms/, 'no retry, no fallback');
  passed();
});

void test('over HTTPS POST (https://…/rpc): with the pinned fingerprint, and with --ca and the certificate file', async (t) => {
  const started: { pinned?: RunningProcess; withCa?: RunningProcess } = {};
  const passed = showOutputOnFailure(t, () => started.pinned, () => started.withCa);
  const pinned = poller('https-pinned', ['--server', `https://127.0.0.1:${port}/rpc`, '--fingerprint', fingerprint.slice('sha256:'.length).replace(/:/g, '').toLowerCase(), '--location', 'LAB', '--name', 'https-pinned'], {
    VANTAGE_TOKEN: 'lab-token-123',
  });
  const caFile = join(storage.dataDir, 'tls', 'cert.pem');
  started.pinned = pinned;
  const withCa = poller('https-ca', ['--server', `https://localhost:${port}/rpc`, '--ca', caFile, '--location', 'LAB', '--name', 'https-ca'], { VANTAGE_TOKEN: 'lab-token-123' });
  started.withCa = withCa;
  for (const name of ['https-pinned', 'https-ca']) {
    await eventually(`results from ${name} over HTTPS`, async () => ((await monitorNamed(name))?.lastSeq ?? 0) >= 2, 30_000);
  }
  assert.equal(await pinned.stop('SIGTERM'), 0);
  assert.equal(await withCa.stop('SIGTERM'), 0);
  assert.equal((await monitorNamed('https-ca'))?.status, 'STOPPED');
  passed();
});

void test('the same poller without --fingerprint or --ca refuses the self-signed certificate, and a pin with ws:// is refused at start', async () => {
  const untrusted = poller('untrusted', ['--server', `wss://127.0.0.1:${port}/rpc`, '--location', 'LAB', '--name', 'untrusted'], { VANTAGE_TOKEN: 'lab-token-123' });
  assert.equal(await untrusted.closed, 1);
  assert.match(untrusted.output.join('\n'), new RegExp(`presented a certificate \\(${fingerprint}\\) that is not trusted: it is self-signed`));

  const plain = poller('plain', ['--server', `ws://127.0.0.1:${port}/rpc`, '--fingerprint', fingerprint, '--location', 'LAB', '--name', 'plain']);
  assert.equal(await plain.closed, 2);
  assert.match(plain.output.join('\n'), /--fingerprint needs a wss:\/\/ or https:\/\/ server, got ws:\/\/127\.0\.0\.1/);
});

void test('certificate files: served, replaced and reloaded on SIGHUP without a restart', async (t) => {
  const [first, second] = await Promise.all([makeCertificate({ altNames: ['127.0.0.1'] }), makeCertificate({ altNames: ['127.0.0.1'] })]);
  const fingerprintOf = (pem: string) => formatFingerprint(new X509Certificate(pem).fingerprint256);
  const certFile = join(storage.dataDir, 'server.crt');
  const keyFile = join(storage.dataDir, 'server.key');
  await writeFile(certFile, first.cert);
  await writeFile(keyFile, first.key);
  const filesStorage = await createTestStorage();
  const filesPort = await freePort();
  const withFiles = await startBackendProcess({
    configPath,
    port: filesPort,
    dataDir: filesStorage.dataDir,
    databaseUrl: filesStorage.databaseUrl,
    adminPassword: TEST_ADMIN_PASSWORD,
    args: ['--tls-cert', certFile, '--tls-key', keyFile],
  });
  processes.push(withFiles);
  const passed = showOutputOnFailure(t, () => withFiles);
  t.after(() => withFiles.stop().then(() => filesStorage.cleanup()));

  assert.ok(withFiles.output.some((line) => line.includes(`TLS certificate SHA-256 fingerprint: ${fingerprintOf(first.cert)}`)));
  const presented = async () => {
    const socket = tls.connect({ host: '127.0.0.1', port: filesPort, rejectUnauthorized: false });
    try {
      await new Promise((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
      return formatFingerprint(socket.getPeerCertificate().fingerprint256);
    } finally {
      socket.destroy();
    }
  };
  assert.equal(await presented(), fingerprintOf(first.cert));

  await writeFile(keyFile, second.key);
  await writeFile(certFile, second.cert);
  const from = withFiles.output.length;
  withFiles.child.kill('SIGHUP');
  await withFiles.waitForLine(/SIGHUP received: reloading the TLS certificate/, 10_000, from);
  await eventually('the new certificate in service', async () => (await presented()) === fingerprintOf(second.cert), 20_000);
  assert.equal(withFiles.child.exitCode, null, 'SIGHUP reloads, it does not end the backend');
  const pinnedToSecond = new VerifyingHttpsAgent({ mode: 'fingerprint', fingerprint: fingerprintOf(second.cert) });
  try {
    assert.ok(await getJson<unknown[]>('/api/locations', filesPort, pinnedToSecond));
  } finally {
    pinnedToSecond.destroy();
  }
  passed();
});

void test('bad TLS options stop the backend at once, saying which', async () => {
  const cases: [string[], RegExp][] = [
    [['--tls', 'yes'], /--tls takes "self-signed", got "yes"/],
    [['--tls-cert', 'a.pem'], /--tls-cert and --tls-key go together/],
    [['--tls', 'self-signed', '--tls-name', 'bad name!'], /--tls-name "bad name!" is neither a DNS name nor an IP address/],
    [['--tls-name', 'x.example'], /--tls-name is for --tls self-signed/],
  ];
  for (const [args, message] of cases) {
    const started = startProcess('backend-bad-tls', 'backend/bin/vantage.js', ['--config', configPath, '--data-dir', storage.dataDir, ...args]);
    assert.equal(await started.closed, 2, args.join(' '));
    assert.match(started.output.join('\n'), message);
  }
  const missing = startProcess('backend-missing-cert', 'backend/bin/vantage.js', [
    '--port', String(await freePort()), '--host', '127.0.0.1', '--config', configPath, '--data-dir', join(storage.dataDir, 'missing'),
    '--no-local-poller', '--tls-cert', join(storage.dataDir, 'nope.crt'), '--tls-key', join(storage.dataDir, 'nope.key'),
  ], { VANTAGE_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD });
  assert.equal(await missing.closed, 1);
  // Both files are missing, and both are named, whichever read fails first.
  assert.match(missing.output.join('\n'), /cannot read the TLS certificate .*nope\.crt.*; cannot read the TLS key .*nope\.key/);
});
