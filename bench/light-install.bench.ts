/**
 * The footprint of a small installation, as processes: the standalone as
 * `npm start` runs it (shipped config/polling-config.xml, a temporary data
 * folder) and remote pollers, beside an empty Node process measured in the
 * same run (the baseline every figure is also given as a ratio to).
 *
 * Standalone, on a new data folder and again on the same one: time and CPU
 * (of the whole tree; the wall time depends on what else the machine runs)
 * from spawn to the "Vantage is running" banner; then the
 * first page as a browser loads it (GET / and the files it names, then,
 * signed in once, /api/health and a data API with the session cookie; the
 * sign-in's one password hash is printed apart);
 * RSS of the whole process tree (npm and what it starts) sampled every
 * 50 ms: its highest sum, the sum of the processes' VmHWM, and RSS once
 * settled, and of the backend's own process; the database folder's size.
 * Pollers (the built single-file poller, and `npm run poller`): RSS with a
 * handful of services, and with 100,000 services for the memory per service.
 *
 * Targets: standalone < 300 MB peak, < 250 MB settled, banner < 2 s, first
 * page < 500 ms after it; poller < 70 MB, < 1 KB per service.
 *
 *   node --import tsx bench/light-install.bench.ts [settle-seconds (60)] [--no-100k]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_TOKEN, benchLocation, startBenchBackend, startHttpTarget } from './support/bench-backend.ts';
import { findInTree, folderBytes, mib, processMemory, processTree, sampleTree, treeCpuMs, treeMemory } from './support/footprint.ts';

const settleSeconds = Number(process.argv.find((arg) => /^\d+$/.test(arg)) ?? 60);
const withHundredThousand = !process.argv.includes('--no-100k');
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUNDLE = join(REPO_ROOT, 'frontend-poller/dist/vantage-poller.mjs');
const PASSWORD = 'bench-admin-password';
const FEW_SERVICES = 5;
const MANY_SERVICES = 100_000;

const built = spawnSync('npm', ['run', 'build', '--silent'], { cwd: REPO_ROOT, stdio: 'inherit' });
if (built.status !== 0) throw new Error('npm run build failed');

const baseline = await measureBaseline();
console.log(`baseline: an empty node process, RSS ${mib(baseline)}`);
const ratio = (bytes: number) => `${(bytes / baseline).toFixed(1)}× baseline`;

await measureStandalone();
await measurePollers();

async function measureBaseline(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });
  await sleep(1_000);
  const { rssBytes } = treeMemory(child.pid!);
  await stopTree(child);
  return rssBytes;
}

async function measureStandalone(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'vantage-light-'));
  try {
    await startStandalone('first start (new data folder)', dataDir, settleSeconds);
    await startStandalone('restart (same data folder)', dataDir, Math.min(settleSeconds, 10));
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** `npm start` on `dataDir`: time and CPU to the banner, the first page, memory of the tree and of the backend's own process. */
async function startStandalone(what: string, dataDir: string, seconds: number): Promise<void> {
  const port = await freePort();
  const startedAt = performance.now();
  const child = spawn('npm', ['start', '--silent', '--', '--port', String(port), '--host', '127.0.0.1', '--data-dir', dataDir], {
    cwd: REPO_ROOT,
    env: { ...process.env, VANTAGE_ADMIN_PASSWORD: PASSWORD },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const memory = sampleTree(child.pid!);
  try {
    await waitForLine(child, 'Vantage is running');
    const bannerMs = performance.now() - startedAt;
    const cpuMs = treeCpuMs(child.pid!);
    const first = await firstPage(port);
    const atBanner = memory.current();
    console.log(
      `standalone, ${what}: banner after ${bannerMs.toFixed(0)} ms, ${cpuMs.toFixed(0)} ms of CPU (target < 2000); first page ${first.pageMs.toFixed(0)} ms after it ` +
        `(GET / and its ${first.assets} files ${first.shellMs.toFixed(0)} ms, /api/health and /api/applications with the session cookie ${first.dataMs.toFixed(0)} ms; target < 500); ` +
        `signing in (one password hash, once per session) ${first.signInMs.toFixed(0)} ms`,
    );
    console.log(`standalone, ${what}: RSS at the banner ${mib(atBanner.rssBytes)}, database folder ${mib(folderBytes(join(dataDir, 'db')))}`);
    await sleep(seconds * 1_000);
    const settled = memory.current();
    const backend = findInTree(child.pid!, /backend\/(start\.mjs|dist\/|src\/|bin\/)/);
    const own = backend === undefined ? undefined : processMemory(backend);
    console.log(
      `standalone, ${what}: process tree (${processTree(child.pid!).length} processes, npm included) peak ${mib(settled.sampledPeakBytes)} sampled (${ratio(settled.sampledPeakBytes)}), ` +
        `VmHWM sum ${mib(settled.hwmSumBytes)}; settled after ${seconds} s ${mib(settled.rssBytes)} (${ratio(settled.rssBytes)}); ` +
        `the backend's own process: peak (VmHWM) ${own ? mib(own.peakRssBytes) : '?'}, settled ${own ? mib(own.rssBytes) : '?'} (targets < 300 MB peak, < 250 MB settled)`,
    );
    console.log(`standalone, ${what}: database folder after ${seconds} s of the shipped configuration: ${mib(folderBytes(join(dataDir, 'db')))}`);
  } finally {
    memory.stop();
    await stopTree(child);
  }
}

async function measurePollers(): Promise<void> {
  const target = await startHttpTarget();
  const locations = [benchLocation('FEW', FEW_SERVICES, 10_000, target.port), benchLocation('NPM', FEW_SERVICES, 10_000, target.port)];
  // An hour's interval: 100,000 services are held and scheduled, about 28 checks a second run.
  if (withHundredThousand) locations.push(benchLocation('MANY', MANY_SERVICES, 3_600_000, target.port));
  const backend = await startBenchBackend(locations.join(''));
  const stateDirs: string[] = [];
  const start = (location: string, viaNpm: boolean) => {
    const stateDir = mkdtempSync(join(tmpdir(), 'vantage-light-poller-'));
    stateDirs.push(stateDir);
    const args = ['--server', `ws://127.0.0.1:${backend.port}/rpc`, '--location', location, '--name', `light-${location}`, '--state-dir', stateDir];
    const [command, commandArgs] = viaNpm ? ['npm', ['run', 'poller', '--silent', '--', ...args]] : [process.execPath, [BUNDLE, ...args]];
    const child = spawn(command, commandArgs, { cwd: REPO_ROOT, env: { ...process.env, VANTAGE_TOKEN: BENCH_TOKEN }, stdio: ['ignore', 'ignore', 'inherit'] });
    return { location, child, memory: sampleTree(child.pid!) };
  };
  const pollers = [start('FEW', false), start('NPM', true), ...(withHundredThousand ? [start('MANY', false)] : [])];
  try {
    await sleep(settleSeconds * 1_000);
    const settled = new Map(pollers.map((poller) => [poller.location, poller.memory.current()]));
    for (const poller of pollers) {
      const figures = settled.get(poller.location)!;
      const services = poller.location === 'MANY' ? MANY_SERVICES : FEW_SERVICES;
      const how = poller.location === 'NPM' ? 'npm run poller' : 'the built poller';
      console.log(
        `poller (${how}, ${services} services): peak ${mib(figures.sampledPeakBytes)} sampled, VmHWM sum ${mib(figures.hwmSumBytes)}; ` +
          `settled after ${settleSeconds} s ${mib(figures.rssBytes)} (${ratio(figures.rssBytes)}; target < 70 MB with a handful)`,
      );
    }
    if (withHundredThousand) {
      const perService = (settled.get('MANY')!.rssBytes - settled.get('FEW')!.rssBytes) / (MANY_SERVICES - FEW_SERVICES);
      const monitors = await backend.get<{ location: string; status: string; }[]>('/api/monitors');
      const states = monitors.map((m) => `${m.location} ${m.status}`).join(', ');
      console.log(`poller: ${perService.toFixed(0)} bytes per service at ${MANY_SERVICES} services (target < 1024); monitors: ${states}`);
    }
  } finally {
    for (const poller of pollers) {
      poller.memory.stop();
      await stopTree(poller.child);
    }
    await backend.stop();
    target.stop();
    for (const dir of stateDirs) rmSync(dir, { recursive: true, force: true });
  }
}

/** SIGTERM to every process of the tree this bench started, by PID, then wait for the root. */
async function stopTree(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  for (const pid of processTree(child.pid!).reverse()) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  await exited;
}

function waitForLine(child: ChildProcess, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      if (seen.includes(text)) return;
      seen += chunk.toString();
      if (seen.includes(text)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`exited (${code}) before "${text}": ${seen}`)));
  });
}

/**
 * What a browser does the first time: the page and the files it names (in
 * parallel, as a browser fetches them), then, signed in once, the data with
 * the session cookie. The sign-in is timed apart: it is one password hash,
 * made on purpose slow, and paid once per session, not per page.
 */
async function firstPage(port: number): Promise<{ pageMs: number; shellMs: number; dataMs: number; signInMs: number; assets: number }> {
  let assets = 0;
  const shell = await timed(async () => {
    const page = await get(port, '/');
    const files = [...page.matchAll(/(?:src|href)="(\/(?:ui|vendor)\/[^"]+)"|"(\/vendor\/[^"]+)"/g)].map((m) => m[1] ?? m[2]!);
    assets = files.length;
    await Promise.all(files.map((file) => get(port, file)));
  });
  let cookie = '';
  const signIn = await timed(async () => {
    const response = await fetch(`http://127.0.0.1:${port}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: PASSWORD }),
    });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`POST /api/session: HTTP ${response.status}`);
    cookie = response.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  });
  const data = await timed(async () => {
    await Promise.all([get(port, '/api/health', cookie), get(port, '/api/applications', cookie)]);
  });
  return { pageMs: shell.ms + data.ms, shellMs: shell.ms, dataMs: data.ms, signInMs: signIn.ms, assets };
}

async function get(port: number, path: string, cookie?: string): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { headers: cookie ? { cookie } : {} });
  const body = await response.text();
  if (!response.ok) throw new Error(`GET ${path}: HTTP ${response.status}`);
  return body;
}

async function timed(work: () => Promise<unknown>): Promise<{ ms: number }> {
  const startedAt = performance.now();
  await work();
  return { ms: performance.now() - startedAt };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
