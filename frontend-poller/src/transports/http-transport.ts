import { ErrorCode, formatAuthorization, type MonitorCredentials } from '@vantage/common';
import { DEFAULT_CALL_TIMEOUT_MS, RpcCallError, TransportError, type Transport } from './transport.ts';

const KNOWN_CODES: ReadonlySet<number> = new Set(Object.values(ErrorCode));

/**
 * JSON-RPC over `POST /rpc`, one request per call, for networks where
 * WebSockets do not pass. It gets no notifications: the poller learns
 * everything by checking in.
 */
export function openHttpTransport(options: { url: string; credentials?: MonitorCredentials; callTimeoutMs?: number }): Transport {
  let nextId = 1;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.credentials) headers.authorization = formatAuthorization(options.credentials);
  const timeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  return {
    async call(method, params) {
      const id = nextId++;
      let response: Response;
      try {
        response = await fetch(options.url, {
          method: 'POST',
          headers,
          body: JSON.stringify({ jsonrpc: '2.0', id, method, params }),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        throw new TransportError(`${method} to ${options.url} failed: ${(err as Error).message}`, { cause: err });
      }
      if (!response.ok) throw new TransportError(`${method} to ${options.url} answered HTTP ${response.status}`);
      const body = (await response.json().catch(() => null)) as { result?: unknown; error?: { code: number; message: string; data?: unknown } } | null;
      if (!body) throw new TransportError(`${method} to ${options.url} answered something that is not JSON`);
      if (body.error) {
        if (KNOWN_CODES.has(body.error.code)) throw new RpcCallError(body.error.code, body.error.message, body.error.data);
        throw new TransportError(`${method}: backend error ${body.error.code} ${body.error.message}`);
      }
      return body.result;
    },
    onNotification() {},
    onClose() {},
    async close() {},
  };
}
