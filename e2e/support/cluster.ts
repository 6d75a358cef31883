/**
 * Several backend processes of one installation (one PostgreSQL database)
 * and pollers connected to one of them, for the tests of running several
 * backends.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createTestStorage, TEST_ADMIN_PASSWORD, type TestStorage } from '@vantage/backend/testing';
import { HttpTarget } from './http-target.ts';
import { freePort, startBackendProcess, startProcess, type RunningProcess } from './processes.ts';

/** Why a test of several instances is skipped, or false when it can run. */
export const ON_POSTGRES = process.env.VANTAGE_TEST_PG_URL ? false : 'needs PostgreSQL (VANTAGE_TEST_PG_URL): two instances share one database';

export interface ClusterInstance {
  port: number;
  url: string;
  process: RunningProcess;
}

/** A backend process on the storage's database with its own data folder `name`, running once this resolves. */
export async function startInstance(storage: TestStorage, configPath: string, name: string): Promise<ClusterInstance> {
  const port = await freePort();
  const dataDir = join(storage.dataDir, name);
  await mkdir(dataDir, { recursive: true });
  const process = await startBackendProcess({ configPath, port, dataDir, databaseUrl: storage.databaseUrl, adminPassword: TEST_ADMIN_PASSWORD });
  return { port, url: `http://127.0.0.1:${port}`, process };
}

/** A vantage-poller process named `name` at `location`, connected to `server`, registering with `token`. */
export function startPollerAt(storage: TestStorage, server: ClusterInstance, name: string, location: string, token: string): RunningProcess {
  return startProcess(
    name,
    'frontend-poller/bin/vantage-poller.js',
    ['--server', `ws://127.0.0.1:${server.port}/rpc`, '--location', location, '--name', name, '--state-dir', join(storage.dataDir, name), '--reconnect-max-ms', '1000'],
    { VANTAGE_TOKEN: token },
  );
}

/**
 * What a test of several instances sets up: one database, an HTTP target for
 * the pollers, and every process it starts through here; `close` ends those
 * processes (by PID) and removes the rest.
 */
export class ClusterFixture {
  readonly processes: RunningProcess[] = [];

  private constructor(
    readonly storage: TestStorage,
    readonly target: HttpTarget,
  ) {}

  static async create(): Promise<ClusterFixture> {
    const storage = await createTestStorage();
    const target = new HttpTarget(await freePort());
    await target.start();
    return new ClusterFixture(storage, target);
  }

  /** A backend process on this database with the configuration at `configPath`. */
  async instance(configPath: string, name: string): Promise<ClusterInstance> {
    const instance = await startInstance(this.storage, configPath, name);
    this.processes.push(instance.process);
    return instance;
  }

  /** A poller named `name` at `location`, connected to `server`. */
  poller(server: ClusterInstance, name: string, location: string, token: string): RunningProcess {
    const poller = startPollerAt(this.storage, server, name, location, token);
    this.processes.push(poller);
    return poller;
  }

  async close(): Promise<void> {
    for (const p of this.processes) await p.stop('SIGKILL');
    await this.target.stop();
    await this.storage.cleanup();
  }
}
