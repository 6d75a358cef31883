/**
 * The routes anyone may call, as the tests expect them: every other route
 * needs a signed-in user (auth/route-access.test.ts tries each without one)
 * and declares its role (rest/route-roles.test.ts).
 */
export const PUBLIC_ROUTES: ReadonlySet<string> = new Set([
  'GET /api/health',
  'POST /api/session',
  'GET /api/session',
  'GET /api/openapi.json',
  // The web UI's page at each of its paths (it shows the sign-in form; it carries data only for a session).
  'GET /',
  'GET /availability',
  'GET /services',
  'GET /services/*',
  'GET /locations',
  'GET /events',
  'GET /alarms',
  'GET /audit',
  'GET /users',
  'GET /ui/*',
  'GET /vendor/:name',
  // JSON-RPC authenticates the location monitor itself (common/PROTOCOL.md), not a user.
  'POST /rpc',
  // A new host has no credentials; the poller holds no secret, and the panel's command checks its digest.
  'GET /downloads/vantage-poller.mjs',
  'GET /downloads/vantage-poller.mjs.sha256',
]);
