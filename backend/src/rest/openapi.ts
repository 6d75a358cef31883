/**
 * The REST API described as OpenAPI 3.1, served at /api/openapi.json. One
 * table of operations; a test checks it against the routes actually
 * registered, so the description cannot drift from the server.
 */
import { routeAccess } from './route-roles.ts';

interface Operation {
  method: 'get' | 'post' | 'patch' | 'delete';
  path: string;
  summary: string;
  query?: Record<string, string>;
  body?: string;
}

const OPERATIONS: Operation[] = [
  { method: 'get', path: '/api/health', summary: 'Liveness: {status} (no sign-in needed)' },
  { method: 'get', path: '/api/system', summary: 'The backend version and the database in use (never its password)' },
  { method: 'get', path: '/metrics', summary: 'Metrics in the Prometheus text format; a scraper may send Authorization: Bearer TOKEN with the scrape token (VANTAGE_SCRAPE_TOKEN) instead of a user' },
  { method: 'post', path: '/api/session', summary: 'Sign in: {username, password} → {user, role, csrfToken}; sets the session cookie', body: '{username, password}' },
  { method: 'get', path: '/api/session', summary: 'The signed-in user, their role, and the CSRF token changes must send as X-CSRF-Token' },
  { method: 'delete', path: '/api/session', summary: 'Sign out' },
  { method: 'post', path: '/api/session/password', summary: 'Change the password; ends every session of the user', body: '{current, next}' },
  { method: 'get', path: '/api/me', summary: 'Who is signed in: {user, role}' },
  { method: 'get', path: '/api/users', summary: 'Users with their role: [{id, username, role, createdAt}]' },
  { method: 'post', path: '/api/users', summary: 'Create a user with a role (viewer, operator or admin) and a password of at least 10 characters (409 when the name is taken)', body: '{username, role, password}' },
  {
    method: 'patch',
    path: '/api/users/{username}',
    summary: "Change a user's role, set a new password (ends the user's sessions), or both; the last administrator keeps the role (409)",
    body: '{role?, password?}',
  },
  { method: 'delete', path: '/api/users/{username}', summary: 'Delete a user and end their sessions; not yourself, not the last administrator (409)' },
  {
    method: 'get',
    path: '/api/audit',
    summary: 'The audit trail, newest first: [{id, time, user, action, target, details}]',
    query: { user: 'username', action: 'an action (monitor.pause), or a prefix ending in "." (monitor.)', target: 'monitor id, location, alarm id, username…', from: 'epoch ms', to: 'epoch ms', limit: '1–1000 (default 200)' },
  },
  { method: 'get', path: '/api/locations', summary: 'Configured locations with their packages, mode, admission and monitors by status; in distribute mode, shares: services per member monitor' },
  {
    method: 'get',
    path: '/api/locations/{name}/registration',
    summary:
      'The commands that start a monitor at this location (npx, and download-and-run for a host with only Node.js): server URL, the fingerprint to pin when the certificate is self-signed, the token in VANTAGE_TOKEN (shown only when it comes from the configuration)',
  },
  {
    method: 'post',
    path: '/api/locations/{name}/token/rotate',
    summary: "Replace the location's registration token: {token, command}, the token shown this once; the old one stops working at once",
  },
  { method: 'delete', path: '/api/locations/{name}/token', summary: "Revoke the location's registration token: new monitors wait for approval (409 when it has none)" },
  { method: 'post', path: '/api/locations/{name}/purge-pending', summary: 'Delete every monitor waiting for approval at the location: {purged}' },
  { method: 'post', path: '/api/locations/{name}/pause-all', summary: 'Pause every monitor of the location' },
  { method: 'post', path: '/api/locations/{name}/resume-all', summary: 'Resume every monitor of the location' },
  {
    method: 'get',
    path: '/api/services',
    summary: 'Every service with its state per location, status history per period and mean response times over a window',
    query: { window: 'the window (default 24h)', q: 'search node, service, host, type, application', state: '', location: '', application: '', sort: '' },
  },
  { method: 'get', path: '/api/applications', summary: 'Applications, their services, and their state across locations (up, partial, down, no data)' },
  {
    method: 'get',
    path: '/api/availability',
    summary: 'Availability of each application at each location over a window, with coverage and current state',
    query: { window: '24h | 7d | 30d (default 24h)', from: 'custom range start, epoch ms', to: 'custom range end, epoch ms' },
  },
  {
    method: 'get',
    path: '/api/availability/{application}/{location}',
    summary: "One cell of the availability matrix: the application's services at the location as each monitor last saw them, their outages and response times per monitor over a window",
    query: { from: 'window start, epoch ms (default 24 hours ago)', to: 'window end, epoch ms (default now)' },
  },
  {
    method: 'get',
    path: '/api/monitors',
    summary: 'Location monitors (not deleted) with status, last check-in, details, statistics, and whether connected: to which instance, since when',
    query: { location: 'only this location' },
  },
  { method: 'get', path: '/api/monitors/{id}', summary: 'One location monitor' },
  { method: 'delete', path: '/api/monitors/{id}', summary: 'Delete a monitor (the built-in local poller cannot be deleted)' },
  { method: 'get', path: '/api/monitors/{id}/services', summary: "The services of the monitor's package (its share in distribute mode) with what it last saw of each" },
  { method: 'post', path: '/api/monitors/{id}/approve', summary: 'Approve a pending monitor' },
  {
    method: 'post',
    path: '/api/monitors/{id}/deny',
    summary: 'Deny a pending monitor, for good; with blockAddress also refuse every registration from the address it registered from',
    body: '{blockAddress?: boolean}',
  },
  { method: 'post', path: '/api/monitors/{id}/revoke', summary: "Revoke the monitor's secret: its calls answer -32006 and the poller stops" },
  { method: 'post', path: '/api/monitors/{id}/pause', summary: 'Pause: its package becomes empty' },
  { method: 'post', path: '/api/monitors/{id}/resume', summary: 'Resume polling' },
  { method: 'get', path: '/api/blocked-addresses', summary: 'Source addresses whose registrations are refused' },
  { method: 'post', path: '/api/blocked-addresses', summary: 'Block registrations from an address', body: '{address, reason?}' },
  { method: 'delete', path: '/api/blocked-addresses/{address}', summary: 'Lift a block' },
  {
    method: 'get',
    path: '/api/events',
    summary: 'Events, newest first',
    query: { location: '', monitor: 'monitor id', service: 'service id', uei: '', since: 'epoch ms', until: 'epoch ms', limit: '1–1000' },
  },
  {
    method: 'get',
    path: '/api/events/catalogue',
    summary: 'Every event Vantage emits: {severities (lowest first), events: [{uei, name, label, description, severity, alarm: raises | clears | null}]}',
  },
  { method: 'get', path: '/api/live', summary: 'Server-Sent Events: every event as it is stored, whichever instance stored it' },
  {
    method: 'get',
    path: '/api/instances',
    summary: 'The backend instances on this database: {id, host, port, startedAt, heartbeatAt, alive, connections, roles (the periodic jobs it leads), self (the one answering)}',
  },
  {
    method: 'get',
    path: '/api/alarms',
    summary: 'Alarms, newest first',
    query: { state: 'open (default) | cleared | all', location: '', monitor: '', uei: '', severity: '', limit: '1–1000' },
  },
  { method: 'get', path: '/api/alarms/count', summary: 'How many alarms are open: {open}' },
  { method: 'post', path: '/api/alarms/{id}/acknowledge', summary: 'Acknowledge an alarm as the signed-in user' },
  { method: 'post', path: '/api/alarms/{id}/unacknowledge', summary: 'Take an acknowledgement back' },
  { method: 'post', path: '/api/alarms/{id}/clear', summary: 'Clear an alarm by hand as the signed-in user' },
  {
    method: 'get',
    path: '/api/outages',
    summary: 'Outages per service and monitor, newest first',
    query: { location: '', monitor: '', service: '', from: 'epoch ms', to: 'epoch ms', open: 'true: only open ones', limit: '1–5000' },
  },
  {
    method: 'get',
    path: '/api/response-times',
    summary: 'Response-time series of a service per monitor, at the finest tier that fits',
    query: { service: 'service id (required)', monitor: 'comma-separated monitor ids', from: 'epoch ms', to: 'epoch ms', maxPoints: '2–5000' },
  },
  {
    method: 'get',
    path: '/api/services',
    summary: 'Every configured service with its state now and at each location, uptime, mean response time, a status history (a letter per period) and the mean response time per period',
    query: { window: '1h | 6h | 24h | 7d | 30d (default 24h)', q: 'words that must all appear in the id, host, type or an application', state: 'up | partial | down | paused | stopped | disconnected | no data', location: '', application: '', sort: 'name | state | type | uptime | response; "-" in front reverses' },
  },
  {
    method: 'get',
    path: '/api/services/{node}/{service}',
    summary: 'One service (id NODE/SERVICE) with everything its page shows: state and history per location, what each monitor saw last, response times per location on one time axis, outages',
    query: { window: '1h | 6h | 24h | 7d | 30d (default 24h)' },
  },
  { method: 'get', path: '/api/notifications', summary: 'The notification outbox: pending, in flight, delivered, dead letters', query: { state: '', limit: '' } },
  { method: 'post', path: '/api/config/reload', summary: 'Reload the polling configuration; a refused file answers 422 and changes nothing' },
  { method: 'get', path: '/api/openapi.json', summary: 'This description' },
];

/** Every documented operation as "METHOD /path/:param", to compare with the registered routes. */
export function documentedRoutes(): string[] {
  return OPERATIONS.map((o) => `${o.method.toUpperCase()} ${o.path.replace(/\{(\w+)\}/g, ':$1')}`);
}

export function openApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    const pathParams = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    const queryParams = Object.entries(op.query ?? {}).map(([name, description]) => ({ name, in: 'query', required: false, description, schema: { type: 'string' } }));
    const access = routeAccess(op.method.toUpperCase(), op.path.replace(/\{(\w+)\}/g, ':$1'));
    (paths[op.path] ??= {})[op.method] = {
      summary: op.summary,
      // The least role that may call it (rest/route-roles.ts); none for the public routes.
      ...(access ? { 'x-vantage-role': access.role } : {}),
      parameters: [...pathParams, ...queryParams],
      ...(op.body ? { requestBody: { content: { 'application/json': { schema: { type: 'object', description: op.body } } } } } : {}),
      responses: {
        '200': { description: 'OK (JSON)' },
        '400': { description: 'Bad request: {error}' },
        '401': { description: 'Not signed in' },
        '403': { description: "Missing CSRF token, or the user's role may not call this (the role needed is x-vantage-role)" },
        '404': { description: 'Not found' },
        '409': { description: "Not allowed in the monitor's state, or it would remove the last administrator" },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Vantage REST API',
      version,
      description: 'Times are epoch milliseconds. Sign in with POST /api/session (browser; changes need X-CSRF-Token) or HTTP Basic (scripts).',
    },
    components: { securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'vantage_session' }, basic: { type: 'http', scheme: 'basic' } } },
    security: [{ session: [] }, { basic: [] }],
    paths,
  };
}
