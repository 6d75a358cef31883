/**
 * Real processes for end-to-end tests: the backend and pollers started from
 * their command-line entry points, their output kept so tests can wait for
 * what they log and show it when a test fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export class RunningProcess {
  readonly output: string[] = [];
  private readonly listeners = new Set<() => void>();
  readonly exited: Promise<number | null>;
  /** Like `exited`, but also after everything the process wrote has been read into `output`. */
  readonly closed: Promise<number | null>;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    const collect = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line) this.output.push(line);
      for (const listener of this.listeners) listener();
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    this.closed = new Promise((resolve) => child.once('close', (code) => resolve(code)));
  }

  /** Resolves with the first line (from now on, or already seen if `fromStart`) matching `pattern`. */
  async waitForLine(pattern: RegExp, timeoutMs: number, from = 0): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.output.slice(from).find((line) => pattern.test(line));
      if (found) return found;
      if (Date.now() > deadline || this.child.exitCode !== null) {
        throw new Error(`${this.name}: no line matching ${pattern} within ${timeoutMs} ms. Output:\n${this.output.join('\n')}`);
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.listeners.delete(done);
          resolve();
        };
        const timer = setTimeout(done, 200);
        this.listeners.add(done);
      });
    }
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

/**
 * A shell command line run by `sh -c`, exactly as an operator would paste it.
 * Let it `exec` the program, so that the process stopped by PID is the program, not the shell.
 */
export function startShellCommand(name: string, command: string, env: Record<string, string | undefined> = {}, cwd = REPO_ROOT): RunningProcess {
  const child = spawn('sh', ['-c', command], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  return new RunningProcess(name, child);
}

/** `node [nodeOptions…] script args…` from the checkout's root, its output kept. */
export function startProcess(name: string, script: string, args: string[], env: Record<string, string | undefined> = {}, nodeOptions: string[] = []): RunningProcess {
  const child = spawn(process.execPath, [...nodeOptions, script, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new RunningProcess(name, child);
}

/** A port nothing listens on right now, for processes that must be told their port up front. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Polls `probe` until it returns a value, or fails naming what was awaited. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs: number, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
}

/**
 * The backend as an operator starts it (its CLI), without the local poller,
 * on loopback with the given configuration and test storage, signed-in as
 * the test administrator; resolves once it says it is running.
 */
export async function startBackendProcess(options: {
  configPath: string;
  port: number;
  dataDir: string;
  databaseUrl?: string;
  adminPassword: string;
  /** More command-line options, e.g. `--tls self-signed`. */
  args?: string[];
}): Promise<RunningProcess> {
  const backend = startProcess(
    'backend',
    'backend/bin/vantage.js',
    ['--port', String(options.port), '--host', '127.0.0.1', '--config', options.configPath, '--data-dir', options.dataDir, '--no-local-poller', ...(options.args ?? [])],
    { DATABASE_URL: options.databaseUrl, VANTAGE_ADMIN_PASSWORD: options.adminPassword },
  );
  // The first start in a fresh checkout also compiles the sources and makes the embedded database, while other tests
  // run beside it: on two busy cores that took more than 30 s once.
  await backend.waitForLine(/Vantage is running/, 60_000);
  return backend;
}
