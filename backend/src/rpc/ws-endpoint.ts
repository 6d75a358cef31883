/**
 * JSON-RPC over WebSocket at /rpc. Credentials come with the upgrade
 * request: none (only registerLocationMonitor will answer), right (the
 * connection serves that monitor and receives its hints) or wrong (HTTP 401).
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { parseAuthorization, type MonitorCredentials } from '@vantage/common';
import type { Logger } from '@vantage/runtime';
import type { JSONRPCServer } from 'json-rpc-2.0';
import { WebSocketServer, type WebSocket } from 'ws';
import type { LocationMonitorService } from '../location-monitors/location-monitor-service.ts';
import type { ConnectionRegistry, PollerConnection } from './connections.ts';
import type { RpcContext } from './rpc-server.ts';

export const MAX_RPC_MESSAGE_BYTES = 32 * 1024 * 1024;
const PING_INTERVAL_MS = 30_000;
/** WebSocket close code for a connection whose credentials no longer hold (RFC 6455: policy violation). */
const CLOSE_POLICY_VIOLATION = 1008;

export interface WsEndpoint {
  close(): Promise<void>;
}

export function attachWsEndpoint(
  httpServer: Server,
  rpc: JSONRPCServer<RpcContext>,
  monitors: LocationMonitorService,
  connections: ConnectionRegistry,
  log: Logger,
  /** Believe X-Forwarded-For for the client's address, as the HTTP side does behind a reverse proxy. */
  trustProxy = false,
): WsEndpoint {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_RPC_MESSAGE_BYTES });

  const refuse = (socket: Duplex, status: string) => {
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  };

  httpServer.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    if (path !== '/rpc') return refuse(socket, '404 Not Found');
    const credentials = parseAuthorization(request.headers.authorization);
    if (credentials === null) return refuse(socket, '401 Unauthorized');
    const accept = (monitorId?: string) =>
      wss.handleUpgrade(request, socket, head, (ws) => serve(ws, request, credentials, monitorId));
    if (credentials === undefined) return accept();
    monitors.verifyCredentials(credentials).then(
      (row) => (row ? accept(row.id) : refuse(socket, '401 Unauthorized')),
      (err: unknown) => {
        log.error(`cannot check credentials of a WebSocket upgrade from ${request.socket.remoteAddress}: ${String(err)}`);
        refuse(socket, '503 Service Unavailable');
      },
    );
  });

  function serve(ws: WebSocket, request: IncomingMessage, credentials: MonitorCredentials | undefined, monitorId?: string) {
    const peer = `${request.socket.remoteAddress}:${request.socket.remotePort}`;
    const connection: PollerConnection = {
      transport: 'websocket',
      send: (message: string) => ws.readyState === ws.OPEN && ws.send(message),
      close: (reason: string) => ws.close(CLOSE_POLICY_VIOLATION, reason),
    };
    const removers: (() => void)[] = [];
    if (monitorId) removers.push(connections.add(monitorId, connection));
    const context: RpcContext = {
      credentials,
      peer,
      address: clientAddress(request, trustProxy),
      onRegistered: (id) => removers.push(connections.add(id, connection)),
    };
    let alive = true;
    ws.on('pong', () => (alive = true));
    const ping = setInterval(() => {
      if (!alive) return ws.terminate();
      alive = false;
      ws.ping();
    }, PING_INTERVAL_MS);
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        connection.send(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error: binary frames are not JSON' } }));
        return;
      }
      rpc.receiveJSON(data.toString('utf8'), context).then(
        (response) => response && connection.send(JSON.stringify(response)),
        (err: unknown) => log.error(`RPC over WebSocket from ${peer} failed: ${String(err)}`),
      );
    });
    ws.on('close', () => {
      clearInterval(ping);
      for (const remove of removers) remove();
    });
    ws.on('error', (err) => log.debug(`WebSocket error from ${peer}: ${err.message}`));
  }

  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
}

/** The client's IP address: the socket's, or behind a trusted proxy the first X-Forwarded-For entry (as Fastify's trustProxy takes it). */
function clientAddress(request: IncomingMessage, trustProxy: boolean): string | undefined {
  const forwarded = request.headers['x-forwarded-for'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
  return trustProxy && first ? first : request.socket.remoteAddress;
}
