/**
 * What the edge-poller tests share: a configuration of N HTTP services
 * against a counting target, a backend process that can be stopped and
 * started again on the same port and data, poller processes, and a look into
 * the database once the backend is stopped (the embedded one has a single
 * owner).
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Database } from '@vantage/backend';
import { PollResultEntity, TEST_ADMIN_PASSWORD, type TestStorage } from '@vantage/backend/testing';
import { startBackendProcess, startProcess, type RunningProcess } from './processes.ts';

export const EDGE_TOKEN = 'edge-token-123';

/** `nodes` services (n0/HTTP, n1/HTTP, …) every `intervalMs`, all against the target's port. */
export function edgeConfig(options: { targetPort: number; nodes: number; intervalMs: number; checkInMs?: number; disconnectMs?: number }): string {
  const nodes = Array.from({ length: options.nodes }, (_, i) => `    <specific node-label="n${i}">127.0.0.1</specific>`).join('\n');
  return `<?xml version="1.0"?>
<poller-configuration>
  <poller-settings check-in-interval="${options.checkInMs ?? 1000}" disconnect-timeout="${options.disconnectMs ?? 5000}" default-timeout="2000" spool-max-age="86400000"/>
  <package name="edge">
${nodes}
    <service name="HTTP" interval="${options.intervalMs}"><parameter key="port" value="${options.targetPort}"/></service>
  </package>
  <monitor service="HTTP" type="http"/>
  <location name="EDGE" registration-token="${EDGE_TOKEN}"><polling-package name="edge"/></location>
</poller-configuration>`;
}

export async function writeConfig(storage: TestStorage, xml: string, name = 'polling-config.xml'): Promise<string> {
  const path = join(storage.dataDir, name);
  await writeFile(path, xml);
  return path;
}

export function startBackend(storage: TestStorage, configPath: string, port: number, dataDir = storage.dataDir): Promise<RunningProcess> {
  return startBackendProcess({ configPath, port, dataDir, databaseUrl: storage.databaseUrl, adminPassword: TEST_ADMIN_PASSWORD });
}

/** A vantage-poller process at location EDGE, registering with the token. */
export function startEdgePoller(name: string, stateDir: string, servers: string[], extra: string[] = []): RunningProcess {
  return startProcess(name, 'frontend-poller/bin/vantage-poller.js', [
    ...servers.flatMap((s) => ['--server', s]),
    '--location',
    'EDGE',
    '--name',
    name,
    '--token',
    EDGE_TOKEN,
    '--state-dir',
    stateDir,
    '--reconnect-max-ms',
    '1000',
    ...extra,
  ]);
}

/** The results stored for a monitor, read from the database of a stopped backend. */
export async function storedResults(storage: TestStorage, monitorId: string, dataDir = storage.dataDir): Promise<{ seq: number; timestamp: number }[]> {
  const db = await Database.open({ url: storage.databaseUrl, dataDir: `${dataDir}/db` });
  try {
    const rows = await db.manager.find(PollResultEntity, { where: { monitorId }, select: { seq: true, timestamp: true }, order: { seq: 'ASC' } });
    return rows.map((r) => ({ seq: r.seq, timestamp: r.timestamp }));
  } finally {
    await db.close();
  }
}

/**
 * The highest result seq a poller's spool folder shows it has handed out: in
 * its segment files' `SEQ\tTIME\tTEXT` lines, and in their names (a sealed
 * segment is FIRST-LAST-…, an open one is named after its first seq).
 */
export async function highestSpooledSeq(stateDir: string): Promise<number> {
  const dir = join(stateDir, 'spool');
  let highest = 0;
  for (const name of await readdir(dir)) {
    if (!name.endsWith('.seg')) continue;
    const [first, last] = name.replace('.seg', '').split('-').map(Number);
    highest = Math.max(highest, last ?? first! - 1);
    for (const line of (await readFile(join(dir, name), 'utf8')).split('\n')) {
      const seq = Number(line.split('\t')[0]);
      if (Number.isSafeInteger(seq)) highest = Math.max(highest, seq);
    }
  }
  return highest;
}
