import http from 'node:http';
import https from 'node:https';
import { ErrorCode, formatAuthorization, type MonitorCredentials } from '@vantage/common';
import { VerifyingHttpsAgent, type ServerVerification } from './server-verification.ts';
import { DEFAULT_CALL_TIMEOUT_MS, MAX_RESPONSE_BYTES, RpcCallError, ServerCertificateError, TransportError, type Transport } from './transport.ts';

const KNOWN_CODES: ReadonlySet<number> = new Set(Object.values(ErrorCode));

export interface HttpTransportOptions {
  /** http://…/rpc or https://…/rpc */
  url: string;
  credentials?: MonitorCredentials;
  callTimeoutMs?: number;
  /** How an https:// server is verified (default: the system CAs). */
  verification?: ServerVerification;
}

/**
 * JSON-RPC over `POST /rpc`, one request per call, for networks where
 * WebSockets do not pass. It gets no notifications: the poller learns
 * everything by checking in. Requests go through node:http(s) rather than
 * fetch, because fetch cannot take a per-connection certificate check; one
 * keep-alive agent per transport spares a TLS handshake per call.
 */
export function openHttpTransport(options: HttpTransportOptions): Transport {
  const url = new URL(options.url);
  const secure = url.protocol === 'https:';
  const agent = secure
    ? new VerifyingHttpsAgent(options.verification ?? { mode: 'system' }, { keepAlive: true })
    : new http.Agent({ keepAlive: true });
  const request = (secure ? https.request : http.request) as typeof http.request;
  let nextId = 1;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.credentials) headers.authorization = formatAuthorization(options.credentials);
  const timeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;

  const post = (method: string, body: string) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(url, {
        method: 'POST',
        agent,
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        signal: AbortSignal.timeout(timeoutMs),
      });
      req.once('error', (err: Error) => {
        if (err instanceof ServerCertificateError) return reject(err);
        const why = err.name === 'AbortError' ? `no answer within ${timeoutMs} ms` : err.message;
        reject(new TransportError(`${method} to ${options.url} failed: ${why}`, { cause: err }));
      });
      req.once('response', (res) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes > MAX_RESPONSE_BYTES) {
            req.destroy(new Error(`the answer is larger than ${MAX_RESPONSE_BYTES} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.once('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.once('error', (err) => req.destroy(err));
      });
      req.end(body);
    });

  return {
    async call(method, params) {
      const id = nextId++;
      const response = await post(method, JSON.stringify({ jsonrpc: '2.0', id, method, params }));
      if (response.status < 200 || response.status > 299) throw new TransportError(`${method} to ${options.url} answered HTTP ${response.status}`);
      const body = parseJson(response.text) as { result?: unknown; error?: { code: number; message: string; data?: unknown } } | undefined;
      if (!body || typeof body !== 'object') throw new TransportError(`${method} to ${options.url} answered something that is not JSON`);
      if (body.error) {
        if (KNOWN_CODES.has(body.error.code)) throw new RpcCallError(body.error.code, body.error.message, body.error.data);
        throw new TransportError(`${method}: backend error ${body.error.code} ${body.error.message}`);
      }
      return body.result;
    },
    onNotification() {},
    onClose() {},
    async close() {
      agent.destroy();
    },
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
