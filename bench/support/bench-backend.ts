/**
 * What the poller benchmarks share: an HTTP target in a child process (its
 * CPU is not the poller's), and a backend process started from its command
 * line on a temporary embedded database, or on PostgreSQL with DATABASE_URL.
 */
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_PASSWORD = 'bench-admin-password';
export const BENCH_TOKEN = 'bench-token-123';
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Answers every request with "ok" and counts them; `count()` asks it how many so far. */
export interface HttpTarget {
  port: number;
  count(): Promise<number>;
  stop(): void;
}

if (process.env.VANTAGE_BENCH_TARGET === '1') {
  let requests = 0;
  const server = http.createServer((_req, res) => {
    requests++;
    res.end('ok');
  });
  server.keepAliveTimeout = 0;
  server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as { port: number }).port }));
  process.on('message', () => process.send!({ requests }));
  process.on('disconnect', () => process.exit(0));
}

/**
 * `command args` bound to one CPU with taskset (when the machine has it and
 * more than one CPU), so that what a benchmark measures on one CPU does not
 * compete with the target and the backend on the other.
 */
export function onCpu(cpu: number, command: string, args: string[]): [string, string[]] {
  return TASKSET && availableParallelism() > 1 ? [TASKSET, ['-c', String(cpu % availableParallelism()), command, ...args]] : [command, args];
}
const TASKSET = ['/usr/bin/taskset', '/bin/taskset'].find((path) => existsSync(path));
const NICE = ['/usr/bin/nice', '/bin/nice'].find((path) => existsSync(path));

export async function startHttpTarget(): Promise<HttpTarget> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [], { env: { ...process.env, VANTAGE_BENCH_TARGET: '1' }, execArgv: ['--import', 'tsx'] });
  // The target shares the second CPU with the backend; the first is for what is measured.
  if (TASKSET && availableParallelism() > 1) spawnSync(TASKSET, ['-p', '-c', '1', String(child.pid)], { stdio: 'ignore' });
  const { port } = await new Promise<{ port: number }>((resolve) => child.once('message', (m) => resolve(m as never)));
  return {
    port,
    count: () =>
      new Promise((resolve) => {
        child.once('message', (m) => resolve((m as { requests: number }).requests));
        child.send('count');
      }),
    stop: () => child.disconnect(),
  };
}

/** A location `name` polling `nodes` HTTP services every `intervalMs` against the target. */
export function benchLocation(name: string, nodes: number, intervalMs: number, targetPort: number): string {
  const specifics = Array.from({ length: nodes }, (_, i) => `<specific node-label="${name.toLowerCase()}-n${i}">127.0.0.1</specific>`).join('');
  return `<package name="${name}">${specifics}<service name="HTTP" interval="${intervalMs}"><parameter key="port" value="${targetPort}"/></service></package>
  <location name="${name}" registration-token="${BENCH_TOKEN}"><polling-package name="${name}"/></location>`;
}

export interface BenchBackend {
  port: number;
  dataDir: string;
  /** GET on the REST API as the administrator. */
  get<T>(path: string): Promise<T>;
  stop(): Promise<void>;
}

/**
 * A backend on `locationsXml`. `niceness` (for example 10) starts it at a
 * lower priority, so that on a busy machine the HTTP target sharing its CPU
 * answers as fast while it ingests results as while it is idle.
 */
export async function startBenchBackend(locationsXml: string, settings = '', options: { niceness?: number } = {}): Promise<BenchBackend> {
  const dataDir = mkdtempSync(join(tmpdir(), 'vantage-bench-'));
  const configPath = join(dataDir, 'polling-config.xml');
  writeFileSync(
    configPath,
    `<?xml version="1.0"?><poller-configuration><poller-settings check-in-interval="10000" disconnect-timeout="60000" ${settings}/>${locationsXml}<monitor service="HTTP" type="http"/></poller-configuration>`,
  );
  const port = await freePort();
  const backendCommand = [process.execPath, 'backend/bin/vantage.js', '--port', String(port), '--host', '127.0.0.1', '--config', configPath, '--data-dir', dataDir, '--no-local-poller'];
  // nice(1) rather than renice afterwards: it applies to every thread the backend starts.
  const niced = options.niceness !== undefined && NICE ? [NICE, '-n', String(options.niceness), ...backendCommand] : backendCommand;
  const [command, args] = onCpu(1, niced[0]!, niced.slice(1));
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, VANTAGE_ADMIN_PASSWORD: BENCH_PASSWORD },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes('Vantage is running')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the backend exited (${code}): ${seen}`)));
  });
  child.stdout!.resume();
  const authorization = `Basic ${Buffer.from(`admin:${BENCH_PASSWORD}`).toString('base64')}`;
  return {
    port,
    dataDir,
    get: async <T>(path: string) => (await (await fetch(`http://127.0.0.1:${port}${path}`, { headers: { authorization } })).json()) as T,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
