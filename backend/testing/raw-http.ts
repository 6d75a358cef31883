/**
 * One HTTP request sent exactly as written: fetch() normalises URLs (dot
 * segments, the scheme's case, absolute form), so tests that try what an
 * attacker would send (`GET http://host/api/x`, `GET *`, `/%61pi/x`,
 * `/./api/x`) go through node:http with the request target verbatim.
 */
import http from 'node:http';

export interface RawHttpRequest {
  method: string;
  /** The request target as it goes on the request line: `/api/x`, `http://host/api/x`, `*`. */
  target: string;
  headers?: Record<string, string>;
  body?: string;
  /** The local address to connect from (127.0.0.2 is another client on loopback). */
  localAddress?: string;
}

export interface RawHttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Sends one request on a fresh connection to 127.0.0.1:`port`. */
export function rawHttp(port: number, request: RawHttpRequest): Promise<RawHttpResponse> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      {
        host: '127.0.0.1',
        port,
        method: request.method,
        path: request.target,
        headers: { ...(request.body !== undefined ? { 'content-length': String(Buffer.byteLength(request.body)) } : {}), ...request.headers },
        localAddress: request.localAddress,
        agent: false,
      },
      (response) => {
        // A stream (GET /api/live) never ends by itself, and HEAD has no body (a server that
        // refuses a target before parsing it sends one anyway): status and headers are the answer.
        if (request.method === 'HEAD' || response.headers['content-type']?.startsWith('text/event-stream')) {
          response.destroy();
          return resolve({ status: response.statusCode ?? 0, headers: response.headers, body: '' });
        }
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', fail);
      },
    );
    const fail = (err: Error) => reject(new Error(`${request.method} ${request.target}: ${err.message}`, { cause: err }));
    outgoing.on('error', fail);
    outgoing.end(request.body);
  });
}

/** A GET as sent to 127.0.0.1:`port`, the body as received (bytes, not decompressed). */
export function rawGetBytes(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks) }));
      })
      .on('error', reject);
  });
}
