/**
 * Who may call each route, in one table: the least role it needs, and for a
 * route that changes something, the action its audit entry records (with the
 * path parameter naming what it acts on). Every route that is not PUBLIC
 * (auth/route-access.ts) must be here: the backend refuses to start with one
 * that is not, and the sign-in hook enforces the table for every request.
 */
import type { Role } from '../auth/roles.ts';

export interface RouteAccess {
  /** The least role that may call the route. */
  role: Role;
  /** The action recorded in the audit trail when the route succeeds. */
  audit?: string;
  /** The path parameter that names what the action is on (the audit entry's target). */
  target?: string;
}

const read: RouteAccess = { role: 'viewer' };
const operator = (audit: string, target?: string): RouteAccess => ({ role: 'operator', audit, target });
const admin = (audit: string, target?: string): RouteAccess => ({ role: 'admin', audit, target });

/** "METHOD /path" as registered (HEAD goes by GET) → who may call it. */
export const ROUTE_ACCESS: Readonly<Record<string, RouteAccess>> = {
  // Every signed-in user: reading, and their own session.
  'GET /api/me': read,
  'DELETE /api/session': read,
  'POST /api/session/password': { role: 'viewer', audit: 'user.change-own-password' },
  'GET /api/system': read,
  // Prometheus scrapes with the scrape token (auth-routes.ts) or any signed-in user's credentials.
  'GET /metrics': read,
  'GET /api/locations': read,
  'GET /api/monitors': read,
  'GET /api/monitors/:id': read,
  'GET /api/monitors/:id/services': read,
  'GET /api/services': read,
  'GET /api/services/:node/:service': read,
  'GET /api/blocked-addresses': read,
  'GET /api/applications': read,
  'GET /api/availability': read,
  'GET /api/availability/:application/:location': read,
  'GET /api/events/catalogue': read,
  'GET /api/events': read,
  'GET /api/live': read,
  'GET /api/instances': read,
  'GET /api/alarms': read,
  'GET /api/alarms/count': read,
  'GET /api/outages': read,
  'GET /api/response-times': read,
  'GET /api/notifications': read,

  // Operators: the day-to-day actions on monitors and alarms, and the trail of them.
  'GET /api/audit': { role: 'operator' },
  'POST /api/monitors/:id/approve': operator('monitor.approve', 'id'),
  'POST /api/monitors/:id/deny': operator('monitor.deny', 'id'),
  'POST /api/monitors/:id/pause': operator('monitor.pause', 'id'),
  'POST /api/monitors/:id/resume': operator('monitor.resume', 'id'),
  'POST /api/locations/:name/pause-all': operator('location.pause-all', 'name'),
  'POST /api/locations/:name/resume-all': operator('location.resume-all', 'name'),
  'POST /api/alarms/:id/acknowledge': operator('alarm.acknowledge', 'id'),
  'POST /api/alarms/:id/unacknowledge': operator('alarm.unacknowledge', 'id'),
  'POST /api/alarms/:id/clear': operator('alarm.clear', 'id'),

  // Administrators: what removes monitors, admits them, blocks addresses, reloads the configuration, and users.
  'DELETE /api/monitors/:id': admin('monitor.delete', 'id'),
  'POST /api/monitors/:id/revoke': admin('monitor.revoke', 'id'),
  'POST /api/locations/:name/purge-pending': admin('location.purge-pending', 'name'),
  // The registration panel shows a token from the configuration file: a secret.
  'GET /api/locations/:name/registration': { role: 'admin' },
  'POST /api/locations/:name/token/rotate': admin('token.rotate', 'name'),
  'DELETE /api/locations/:name/token': admin('token.revoke', 'name'),
  'POST /api/blocked-addresses': admin('address.block'),
  'DELETE /api/blocked-addresses/:address': admin('address.unblock', 'address'),
  'POST /api/config/reload': admin('config.reload'),
  'GET /api/users': { role: 'admin' },
  'POST /api/users': admin('user.create'),
  'PATCH /api/users/:username': admin('user.change', 'username'),
  'DELETE /api/users/:username': admin('user.delete', 'username'),
};

/** The access declared for a route ("METHOD /path" as registered), if any. */
export function routeAccess(method: string, url: string): RouteAccess | undefined {
  return ROUTE_ACCESS[`${method === 'HEAD' ? 'GET' : method} ${url}`];
}

/**
 * Throws for a route that is neither public nor in the table: it would be
 * refused to everyone, so the backend says so when the route is registered
 * rather than at its first request.
 */
export function requireDeclaredRole(method: string, url: string, isPublic: boolean): void {
  if (!isPublic && !routeAccess(method, url)) throw new Error(`route ${method} ${url} declares no role: add it to backend/src/rest/route-roles.ts`);
}
