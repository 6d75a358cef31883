/**
 * Which routes answer without a signed-in user. Default-deny: every route is
 * behind sign-in unless it is registered with {@link PUBLIC} in its options.
 * The decision reads the route the router matched (`request.routeOptions`),
 * never the URL's text, so no spelling of a path (percent-encoding, dot
 * segments, double slashes, absolute-form) can reach a route's handler on a
 * different footing than the route itself.
 */
import type { FastifyRequest, RouteShorthandOptions } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Answers without a signed-in user; see auth/route-access.ts. */
    public?: boolean;
    /** Also answers the scrape token (`Authorization: Bearer`) when one is configured; see auth/route-access.ts. */
    scrape?: boolean;
  }
}

/** Route options of a route anyone may call: `app.get('/api/health', PUBLIC, handler)`. */
export const PUBLIC: RouteShorthandOptions = { config: { public: true } };

/**
 * Route options of a route a metrics scraper may call with the scrape token
 * instead of a user's credentials (GET /metrics): the token opens that route
 * and no other.
 */
export const SCRAPE: RouteShorthandOptions = { config: { scrape: true } };

/** Whether the request's route takes the scrape token. */
export function takesScrapeToken(request: FastifyRequest): boolean {
  return !request.is404 && request.routeOptions.config.scrape === true;
}

/** Whether the request's route needs a signed-in user. The 404 answer (no route matched) tells nothing and needs none. */
export function needsSignIn(request: FastifyRequest): boolean {
  if (request.is404) return false;
  return request.routeOptions.config.public !== true;
}
