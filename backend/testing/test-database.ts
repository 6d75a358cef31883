/**
 * Where tests keep their data. By default the embedded PGlite (in a temporary
 * folder); when VANTAGE_TEST_PG_URL names a PostgreSQL server
 * (postgres://postgres@127.0.0.1:5432/postgres), a fresh database on it per
 * test file, dropped afterwards. `.ci/run` runs the suite both ways.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface TestStorage {
  /** Pass to startBackend / Database.open, or to a backend process as DATABASE_URL. */
  databaseUrl?: string;
  /** A temporary folder for PGlite, poller state and the like. */
  dataDir: string;
  cleanup(): Promise<void>;
}

export async function createTestStorage(): Promise<TestStorage> {
  const dataDir = await mkdtemp(join(tmpdir(), 'vantage-test-'));
  const adminUrl = process.env.VANTAGE_TEST_PG_URL;
  if (!adminUrl) {
    return { dataDir, cleanup: () => rm(dataDir, { recursive: true, force: true }) };
  }
  const name = `vantage_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  await withAdmin(adminUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    databaseUrl: url.href,
    dataDir,
    async cleanup() {
      await withAdmin(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function withAdmin(url: string, work: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}
