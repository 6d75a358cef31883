import type { IncomingMessage } from 'node:http';

/**
 * The address a request comes from, for counting connections per address:
 * the socket's peer, or, behind a reverse proxy the backend trusts, the first
 * X-Forwarded-For entry (the same choice fastify makes for `request.ip` with
 * `trustProxy: true`).
 */
export function clientAddress(request: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = request.headers['x-forwarded-for'];
    const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
    if (first) return first;
  }
  return request.socket.remoteAddress ?? 'unknown';
}
