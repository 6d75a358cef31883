/**
 * JSON-RPC over WebSocket at /rpc. Credentials come with the upgrade
 * request: none (only registerLocationMonitor will answer), right (the
 * connection serves that monitor and receives its hints) or wrong (HTTP 401).
 *
 * Bounds (PROTOCOL.md, "Limits"): an upgrade from a browser page (it carries
 * an Origin header) is refused with 403; connections are counted in all,
 * per source address and without credentials (ConnectionSlots); one without
 * credentials takes messages of at most 64 KiB and is closed after a short
 * lifetime. A connection's messages are answered one at a time, in order,
 * and the socket is not read while one is being answered: a peer that sends
 * faster than it is answered is held back by TCP, not by memory.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { ErrorCode, MAX_MESSAGE_BYTES, MAX_UNAUTHENTICATED_MESSAGE_BYTES, parseAuthorization, type MonitorCredentials } from '@vantage/common';
import type { Logger } from '@vantage/runtime';
import { WebSocketServer, type WebSocket } from 'ws';
import type { LocationMonitorService } from '../location-monitors/location-monitor-service.ts';
import type { ServerLimits } from '../server-limits.ts';
import { clientAddress } from './client-address.ts';
import { ConnectionSlots, type ConnectionSlot } from './connection-slots.ts';
import type { ConnectionRegistry, PollerConnection } from './connections.ts';
import { errorAnswer, type RpcMessages } from './rpc-messages.ts';
import type { RpcContext } from './rpc-server.ts';

const PING_INTERVAL_MS = 30_000;
/**
 * Messages of one connection waiting for their turn. Reading stops while one
 * is answered, so only what had already arrived in the same read can queue;
 * a real poller waits for each answer and never has more than one.
 */
const MAX_WAITING_MESSAGES = 1_000;
/** WebSocket close codes (RFC 6455). */
const POLICY_VIOLATION = 1008;

const BINARY_FRAME_ANSWER = JSON.stringify(errorAnswer(null, ErrorCode.ParseError, 'parse error: binary frames are not JSON'));

export interface WsEndpoint {
  close(): Promise<void>;
}

export interface WsEndpointOptions {
  messages: RpcMessages;
  monitors: LocationMonitorService;
  connections: ConnectionRegistry;
  limits: ServerLimits;
  /** Believe X-Forwarded-For for the source address, as the HTTP side does. */
  trustProxy: boolean;
  log: Logger;
}

export function attachWsEndpoint(httpServer: Server, options: WsEndpointOptions): WsEndpoint {
  const { messages, monitors, connections, limits, log } = options;
  // Two servers only for their maxPayload: a connection's bound is fixed when it is accepted.
  const withCredentials = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const withoutCredentials = new WebSocketServer({ noServer: true, maxPayload: MAX_UNAUTHENTICATED_MESSAGE_BYTES });
  const slots = new ConnectionSlots(limits);

  const refuse = (socket: Duplex, status: string) => {
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  };

  httpServer.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    if (path !== '/rpc') return refuse(socket, '404 Not Found');
    // Pollers never send Origin; browsers always do, and a page must not reach /rpc.
    if (request.headers.origin !== undefined) return refuse(socket, '403 Forbidden');
    const credentials = parseAuthorization(request.headers.authorization);
    if (credentials === null) return refuse(socket, '401 Unauthorized');
    const address = clientAddress(request, options.trustProxy);
    const slot = slots.take(address, credentials !== undefined);
    if ('status' in slot) {
      log.warn(`refused a WebSocket from ${address}: ${slot.reason}`);
      return refuse(socket, slot.status);
    }
    const accept = (monitorId?: string) => {
      const server = credentials ? withCredentials : withoutCredentials;
      server.handleUpgrade(request, socket, head, (ws) => serve(ws, request, address, slot, credentials, monitorId));
    };
    // A socket that goes away during the upgrade gives its slot back; after it, 'close' does.
    socket.once('close', () => slot.release());
    if (credentials === undefined) return accept();
    monitors.verifyCredentials(credentials).then(
      (row) => (row ? accept(row.id) : refuse(socket, '401 Unauthorized')),
      (err: unknown) => {
        log.error(`cannot check credentials of a WebSocket upgrade from ${address}: ${String(err)}`);
        refuse(socket, '503 Service Unavailable');
      },
    );
  });

  function serve(ws: WebSocket, request: IncomingMessage, address: string | undefined, slot: ConnectionSlot, credentials: MonitorCredentials | undefined, monitorId?: string) {
    const peer = `${request.socket.remoteAddress}:${request.socket.remotePort}`;
    const connection: PollerConnection = {
      transport: 'websocket',
      send: (message: string) => ws.readyState === ws.OPEN && ws.send(message),
      // A connection whose credentials no longer hold (revoked by an administrator).
      close: (reason: string) => ws.close(POLICY_VIOLATION, reason),
    };
    const removers: (() => void)[] = [];
    if (monitorId) removers.push(connections.add(monitorId, connection));
    const context: RpcContext = {
      credentials,
      peer,
      address,
      onRegistered: (id) => removers.push(connections.add(id, connection)),
    };
    let alive = true;
    ws.on('pong', () => (alive = true));
    const ping = setInterval(() => {
      if (!alive) return ws.terminate();
      alive = false;
      ws.ping();
    }, PING_INTERVAL_MS);
    const lifetime = credentials
      ? undefined
      : setTimeout(
          () => ws.close(POLICY_VIOLATION, `connections without credentials are closed after ${limits.unauthenticatedConnectionLifetimeMs} ms`),
          limits.unauthenticatedConnectionLifetimeMs,
        );

    // null stands for a binary frame, answered in its turn like any message.
    const waiting: (string | null)[] = [];
    let answering = false;
    const answerWaiting = async () => {
      answering = true;
      while (waiting.length > 0 && ws.readyState === ws.OPEN) {
        const message = waiting.shift()!;
        const answer = message === null ? BINARY_FRAME_ANSWER : await messages.answer(message, context);
        if (answer !== null) connection.send(answer);
      }
      answering = false;
      if (ws.readyState === ws.OPEN) ws.resume();
    };
    ws.on('message', (data, isBinary) => {
      alive = true;
      if (waiting.length >= MAX_WAITING_MESSAGES) {
        log.warn(`closing the WebSocket from ${peer}: more than ${MAX_WAITING_MESSAGES} messages waiting for an answer`);
        ws.close(POLICY_VIOLATION, 'too many messages waiting for an answer');
        return;
      }
      waiting.push(isBinary ? null : data.toString('utf8'));
      ws.pause();
      if (!answering) {
        answerWaiting().catch((err: unknown) => log.error(`answering the WebSocket from ${peer} failed: ${(err as Error)?.stack ?? String(err)}`));
      }
    });
    ws.on('close', () => {
      clearInterval(ping);
      clearTimeout(lifetime);
      slot.release();
      for (const remove of removers) remove();
    });
    ws.on('error', (err) => log.debug(`WebSocket error from ${peer}: ${err.message}`));
  }

  return {
    close: () =>
      Promise.all(
        [withCredentials, withoutCredentials].map(
          (server) =>
            new Promise<void>((resolve) => {
              for (const client of server.clients) client.terminate();
              server.close(() => resolve());
            }),
        ),
      ).then(() => undefined),
  };
}
