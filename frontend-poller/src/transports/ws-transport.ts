import { ErrorCode, formatAuthorization, type MonitorCredentials } from '@vantage/common';
import { JSONRPCClient, JSONRPCErrorException, createJSONRPCErrorResponse, type JSONRPCResponse } from 'json-rpc-2.0';
import WebSocket, { type ClientOptions } from 'ws';
import { verifiedConnection, type ServerVerification } from './server-verification.ts';
import { DEFAULT_CALL_TIMEOUT_MS, MAX_RESPONSE_BYTES, RpcCallError, ServerCertificateError, TransportError, type Transport } from './transport.ts';

/** The client's own code for a call that got no answer in time; never sent by a backend. */
const TIMEOUT_CODE = -1;
const KNOWN_CODES: ReadonlySet<number> = new Set(Object.values(ErrorCode));

export interface WsTransportOptions {
  url: string;
  credentials?: MonitorCredentials;
  callTimeoutMs?: number;
  connectTimeoutMs?: number;
  /**
   * How often the poller pings the backend (default 10 s). A connection that
   * has not answered the last ping by the next one is dead (a cut cable, a
   * NAT that forgot us): it is closed, and the poller reconnects at once
   * rather than waiting for a call to time out.
   */
  pingIntervalMs?: number;
  /** How a wss:// server is verified (default: the system CAs). */
  verification?: ServerVerification;
  /** The local address to connect from (a multi-homed host); default: the system's choice. */
  localAddress?: string;
}

/** JSON-RPC over one WebSocket connection; the connection is opened before this resolves. */
export async function openWsTransport(options: WsTransportOptions): Promise<Transport> {
  const headers: Record<string, string> = {};
  if (options.credentials) headers.authorization = formatAuthorization(options.credentials);
  const clientOptions: ClientOptions = { headers, handshakeTimeout: options.connectTimeoutMs ?? 10_000, maxPayload: MAX_RESPONSE_BYTES };
  if (options.localAddress) clientOptions.localAddress = options.localAddress;
  if (new URL(options.url).protocol === 'wss:') {
    // ws hands this to http.request, which accepts its asynchronous form: the upgrade request is written only once the certificate passed.
    clientOptions.createConnection = verifiedConnection(options.verification ?? { mode: 'system' }) as unknown as ClientOptions['createConnection'];
  }
  const ws = new WebSocket(options.url, clientOptions);

  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => {
      ws.terminate();
      if (res.statusCode === 401) reject(new RpcCallError(ErrorCode.NotAuthenticated, 'the backend refused our credentials (HTTP 401)'));
      else reject(new TransportError(`WebSocket upgrade to ${options.url} answered HTTP ${res.statusCode}`));
    });
    ws.once('error', (err) =>
      reject(err instanceof ServerCertificateError ? err : new TransportError(`cannot connect to ${options.url}: ${err.message}`, { cause: err })),
    );
  });

  let closedReason: string | undefined;
  let closeHandler: ((reason: string) => void) | undefined;
  let notificationHandler: ((method: string, params: unknown) => void) | undefined;
  const client = new JSONRPCClient((payload) => {
    if (closedReason !== undefined) throw new TransportError(closedReason);
    ws.send(JSON.stringify(payload));
  });
  const timeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  const timed = client.timeout(timeoutMs, (id) => createJSONRPCErrorResponse(id, TIMEOUT_CODE, `no answer within ${timeoutMs} ms`));

  ws.on('message', (data) => {
    let message: unknown;
    try {
      message = JSON.parse(data.toString());
    } catch {
      return; // a peer that is not speaking JSON-RPC; its calls will time out
    }
    const items = Array.isArray(message) ? message : [message];
    for (const item of items as Record<string, unknown>[]) {
      if (typeof item?.method === 'string' && item.id === undefined) notificationHandler?.(item.method, item.params);
      else client.receive(item as unknown as JSONRPCResponse);
    }
  });
  ws.on('error', () => undefined); // 'close' follows and carries the news
  let answered = true;
  ws.on('pong', () => (answered = true));
  const pinger = setInterval(() => {
    if (!answered) {
      closedReason = `no answer to a ping within ${options.pingIntervalMs ?? 10_000} ms`;
      ws.terminate();
      return;
    }
    answered = false;
    ws.ping();
  }, options.pingIntervalMs ?? 10_000).unref();
  ws.on('close', (code, reason) => {
    clearInterval(pinger);
    closedReason ??= `connection closed (${code}${reason.length ? ` ${reason.toString()}` : ''})`;
    client.rejectAllPendingRequests(closedReason);
    closeHandler?.(closedReason);
  });

  return {
    async call(method, params) {
      try {
        return await timed.request(method, params as never);
      } catch (err) {
        if (err instanceof JSONRPCErrorException && KNOWN_CODES.has(err.code)) throw new RpcCallError(err.code, err.message, err.data);
        if (err instanceof RpcCallError || err instanceof TransportError) throw err;
        throw new TransportError(`${method}: ${(err as Error).message}`, { cause: err });
      }
    },
    onNotification(handler) {
      notificationHandler = handler;
    },
    onClose(handler) {
      closeHandler = handler;
      if (closedReason !== undefined) handler(closedReason);
    },
    async close() {
      if (ws.readyState === WebSocket.CLOSED) return;
      await new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        ws.close(1000, 'poller closing');
        setTimeout(() => {
          ws.terminate();
          resolve();
        }, 2_000).unref();
      });
    },
  };
}
