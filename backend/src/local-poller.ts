/**
 * The standalone backend's built-in poller (Pro.Monitor's "local agent"):
 * the very same Poller and monitors a remote poller runs, talking to this
 * backend's JSON-RPC server in process instead of over a socket. Every call
 * is serialised to JSON and back, so it passes the same validation and the
 * same handlers as a remote one.
 */
import { hostname, platform, release } from 'node:os';
import { ErrorCode, type MonitorCredentials } from '@vantage/common';
import { Poller, RpcCallError, type Transport } from '@vantage/frontend-poller';
import type { Logger } from '@vantage/runtime';
import type { JSONRPCResponse } from 'json-rpc-2.0';
import type { PollerConnection } from './rpc/connections.ts';
import type { Backend } from './server.ts';

export const LOCAL_LOCATION = 'Default';

export interface LocalPollerOptions {
  backend: Backend;
  stateDir: string;
  log: Logger;
  location?: string;
}

export async function startLocalPoller(options: LocalPollerOptions): Promise<Poller> {
  const { backend } = options;
  const location = options.location ?? LOCAL_LOCATION;
  if (!backend.configs.location(location)) {
    throw new Error(`the polling configuration defines no location "${location}" for the built-in local poller`);
  }
  const poller = new Poller({
    servers: ['local'],
    location,
    name: `local (${hostname()})`,
    stateDir: options.stateDir,
    connect: async (_server, credentials) => inProcessTransport(backend, credentials),
    // The same process writes the results and holds the database: a crash loses both alike.
    spoolFsync: false,
    log: options.log,
    details: { hostname: hostname(), os: `${platform()} ${release()}`, version: 'built-in', node: process.version },
    reconnectInitialMs: 500,
    reconnectMaxMs: 5_000,
  });
  void poller.start().then((exit) => {
    if (exit !== 'stopped') options.log.error(`the local poller stopped: ${exit}`);
  });
  return poller;
}

function inProcessTransport(backend: Backend, credentials: MonitorCredentials | undefined): Transport {
  let nextId = 1;
  let notificationHandler: ((method: string, params: unknown) => void) | undefined;
  const removers: (() => void)[] = [];
  const connection: PollerConnection = {
    transport: 'local',
    send: (message: string) => {
      const { method, params } = JSON.parse(message) as { method: string; params: unknown };
      // Delivered asynchronously, as a socket would.
      queueMicrotask(() => notificationHandler?.(method, params));
    },
  };
  if (credentials) removers.push(backend.connections.add(credentials.monitorId, connection));
  return {
    async call(method, params) {
      const request = JSON.parse(JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params }));
      const response = (await backend.rpc.receive(request, {
        credentials,
        local: true,
        peer: 'local',
        onRegistered: (id) => removers.push(backend.connections.add(id, connection)),
      })) as JSONRPCResponse | null;
      if (!response) throw new RpcCallError(ErrorCode.InternalError, `no answer to ${method}`);
      if ('error' in response && response.error) throw new RpcCallError(response.error.code, response.error.message, response.error.data);
      return JSON.parse(JSON.stringify(response.result ?? null));
    },
    onNotification(handler) {
      notificationHandler = handler;
    },
    onClose() {},
    async close() {
      for (const remove of removers.splice(0)) remove();
    },
  };
}
