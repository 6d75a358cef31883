/**
 * The headers every answer carries, so that a browser treats what we send
 * the safe way: no page of ours inside another site's frame (clickjacking),
 * no guessing of content types (a JSON answer is never run as a script or
 * page), no Referer leaking URLs, nothing under /api/ kept in any cache
 * (some answers hold secrets, such as a location's registration command).
 *
 * The Content-Security-Policy here is the strict one for answers that are
 * not pages (JSON, scripts, styles: a browser enforces the policy of the
 * document, so these only matter when someone opens them directly); the web
 * UI's page sends its own (webui-routes.ts). Static files replace
 * Cache-Control with their own.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';

/** For answers that are not the web UI's page: load nothing, run nothing, be framed by nobody. */
export const API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': API_CONTENT_SECURITY_POLICY,
  // Older browsers that do not know frame-ancestors.
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
};

/**
 * Sets the headers on the raw response: Node merges them with whatever the
 * answer writes later (a route's own headers win), so they also reach
 * answers that bypass fastify's reply (the event stream, errors, 404s).
 */
export function applySecurityHeaders(response: ServerResponse): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
}

export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onRequest', async (_request, reply) => {
    applySecurityHeaders(reply.raw);
  });
}
