/**
 * Starts a real backend on a loopback port for tests, with a polling
 * configuration written to a temporary file, and offers raw JSON-RPC calls
 * over HTTP so tests see exactly what a third-party poller would.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatAuthorization, type MonitorCredentials } from '@vantage/common';
import { createLogger, type Logger } from '@vantage/runtime';
import { startBackend, type Backend, type BackendOptions } from '../src/server.ts';
import { createTestStorage, type TestStorage } from './test-database.ts';

export const TEST_CONFIG = `<?xml version="1.0"?>
<poller-configuration>
  <poller-settings check-in-interval="1000" disconnect-timeout="3000"/>
  <package name="web">
    <specific node-label="web1">127.0.0.1</specific>
    <service name="HTTP" interval="1000"><parameter key="port" value="1"/></service>
    <service name="TCP" interval="1000"><parameter key="port" value="1"/></service>
  </package>
  <monitor service="HTTP" type="http"/>
  <monitor service="TCP" type="tcp"/>
  <location name="RDU"><polling-package name="web"/></location>
  <location name="NYC" registration-token="nyc-secret-token"><polling-package name="web"/></location>
</poller-configuration>`;

/** The first user's password in tests, and the Basic credentials REST calls carry. */
export const TEST_ADMIN_PASSWORD = 'test-admin-password';
export const ADMIN_AUTHORIZATION = `Basic ${Buffer.from(`admin:${TEST_ADMIN_PASSWORD}`).toString('base64')}`;

/** fetch for the REST API, signed in as the test administrator (HTTP Basic). */
export function adminFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has('authorization')) headers.set('authorization', ADMIN_AUTHORIZATION);
  return fetch(url, { ...init, headers });
}

export interface RpcResponse {
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

export interface TestBackend {
  backend: Backend;
  storage: TestStorage;
  configPath: string;
  rpcUrl: string;
  /** One JSON-RPC call over POST /rpc; returns the response object as received. */
  call(method: string, params?: unknown, credentials?: MonitorCredentials): Promise<RpcResponse>;
  /** POSTs a raw body to /rpc. */
  post(body: string, headers?: Record<string, string>): Promise<{ status: number; body: unknown }>;
  close(): Promise<void>;
}

/**
 * A backend on 127.0.0.1 over the test storage, quiet unless VANTAGE_TEST_LOG=1
 * (or given a log). Port 0 picks a free port; a fixed port lets a test restart it.
 */
export function bootTestBackend(options: {
  storage: TestStorage;
  configPath: string;
  port?: number;
  log?: Logger;
  watchConfig?: boolean;
  clearedAlarmRetentionMs?: number;
  notificationRetry?: BackendOptions['notificationRetry'];
  tls?: BackendOptions['tls'];
  /** Believe X-Forwarded-For, so a test can speak from many source addresses. */
  trustProxy?: boolean;
  /** Registration limits other than the production defaults (tests that register many monitors quickly). */
  registrationLimits?: BackendOptions['registrationLimits'];
  limits?: BackendOptions['limits'];
  scrapeToken?: string;
}): Promise<Backend> {
  const quiet = process.env.VANTAGE_TEST_LOG === '1' ? undefined : () => undefined;
  return startBackend({
    configPath: options.configPath,
    port: options.port ?? 0,
    host: '127.0.0.1',
    dataDir: options.storage.dataDir,
    databaseUrl: options.storage.databaseUrl,
    log: options.log ?? createLogger('test-backend', 'debug', quiet),
    watchConfig: options.watchConfig,
    adminPassword: TEST_ADMIN_PASSWORD,
    clearedAlarmRetentionMs: options.clearedAlarmRetentionMs,
    notificationRetry: options.notificationRetry,
    tls: options.tls,
    trustProxy: options.trustProxy,
    registrationLimits: options.registrationLimits,
    limits: options.limits,
    scrapeToken: options.scrapeToken,
  });
}

/**
 * A backend on 127.0.0.1 with its own test storage. With `tls`, it serves
 * HTTPS: `call`, `post` and adminFetch use fetch, which trusts only the
 * system CAs, so tests then bring their own verifying client.
 */
export async function startTestBackend(
  configXml: string = TEST_CONFIG,
  options: Pick<Parameters<typeof bootTestBackend>[0], 'tls' | 'trustProxy' | 'registrationLimits' | 'limits' | 'scrapeToken' | 'log'> = {},
): Promise<TestBackend> {
  const storage = await createTestStorage();
  const configPath = join(storage.dataDir, 'polling-config.xml');
  await writeFile(configPath, configXml);
  const backend = await bootTestBackend({ storage, configPath, ...options });
  const rpcUrl = `${backend.url}/rpc`;
  let id = 1;
  const post = async (body: string, headers: Record<string, string> = {}) => {
    const response = await fetch(rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  };
  return {
    backend,
    storage,
    configPath,
    rpcUrl,
    post,
    async call(method, params = {}, credentials) {
      const headers: Record<string, string> = credentials ? { authorization: formatAuthorization(credentials) } : {};
      const { body } = await post(JSON.stringify({ jsonrpc: '2.0', id: id++, method, params }), headers);
      return body as RpcResponse;
    },
    async close() {
      await backend.close();
      await storage.cleanup();
    },
  };
}

/** Registers a monitor at a location and approves it, returning its credentials. */
export async function registerApproved(t: TestBackend, location = 'RDU', name = 'm1'): Promise<MonitorCredentials> {
  const answer = await t.call('registerLocationMonitor', { location, name });
  const { monitorId, secret } = answer.result as MonitorCredentials;
  await t.backend.monitors.administer(monitorId, 'approve');
  return { monitorId, secret };
}
