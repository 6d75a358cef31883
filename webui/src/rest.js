/**
 * The REST API as the pages use it: the shape of each answer (README.md's
 * REST section and backend/src/rest/ are the reference) and one function per
 * request, so a page never handles an untyped answer. The answers are taken
 * as the backend describes them, not validated again here: each function is
 * the one place that says what its route returns.
 */
import { del, get, patch, post, request, seg } from './api.js';

// --- answers ---

/**
 * GET /api/locations
 * @typedef {{ name: string, monitoringArea: string, geolocation: string | null, coordinates: { latitude: number, longitude: number } | null, mode: string, minOnline: number | null, packages: string[], admission: 'token' | 'approval', packageVersion: string | null, services: number, monitors: number, monitorsByStatus: Record<string, number>, shares: Record<string, number> | null }} Location
 */

/**
 * GET /api/monitors. `stats` holds what the poller reports at check-in
 * (checksDone, checksStarted, lateMsP50, clockMs, …), absent until its first.
 * `address` is where it registered from (null for the built-in poller);
 * `revokedAt` when an administrator revoked its secret; `server` the one it uses (home or a standby);
 * `instance` the backend instance holding its connection (`host:port:random`) and `connectedSince` since when, null when not connected.
 * @typedef {{ id: string, name: string, location: string, status: string, paused: boolean, local: boolean, connected: boolean, instance: string | null, connectedSince: number | null, registeredAt: number, lastCheckInAt: number | null, lastSeq: number, details: Record<string, string>, stats: Record<string, number> | null, address: string | null, revokedAt: number | null, server: string | null, serverRole: 'home' | 'standby' | null }} Monitor
 */

/**
 * GET /api/monitors/ID/services: a service of the monitor's package and what it last saw.
 * @typedef {{ serviceId: string, serviceName: string, nodeLabel: string, host: string, monitor: string, intervalMs: number, status: 'UP' | 'DOWN' | null, since: number | null, reason: string | null, lastResultAt: number | null }} MonitorService
 */

/**
 * GET /api/applications
 * @typedef {{ name: string, downThreshold: number, services: { serviceId: string, package: string, node: string, service: string }[], locations: string[], status: CellState, downLocations: string[], reportingLocations: string[] }} Application
 */

/** @typedef {'up' | 'partial' | 'down' | 'no data'} CellState */

/**
 * GET /api/availability: one cell per application and location.
 * @typedef {{ location: string, availability: number | null, coverage: number, upMs: number, downMs: number, noDataMs: number, state: CellState, distributed: boolean }} Cell
 * @typedef {{ window: { fromMs: number, toMs: number, nowMs: number, measuredFromMs: number, measuredToMs: number }, applications: { name: string, cells: Cell[] }[] }} Matrix
 */

/**
 * GET /api/response-times: per monitor, points at the finest tier that fits.
 * @typedef {{ t: number, avg: number | null, min: number | null, max: number | null, count: number, up: number, down: number }} SeriesPoint
 * @typedef {{ monitorId: string, resolution: 'raw' | '5m' | '1h', stepMs: number | null, points: SeriesPoint[] }} MonitorSeries
 */

/**
 * GET /api/outages
 * @typedef {{ id: number, monitorId: string, location: string, serviceId: string, nodeLabel: string | null, startedAt: number, endedAt: number | null, reason: string | null, scheduled: boolean }} Outage
 */

/**
 * GET /api/events, and each message of GET /api/live.
 * @typedef {{ id: number, time: number, uei: string, severity: string, location: string | null, monitorId: string | null, serviceId: string | null, nodeLabel: string | null, params: Record<string, string> }} StoredEvent
 */

/**
 * GET /api/alarms
 * @typedef {{ id: number, reductionKey: string, uei: string, severity: string, location: string | null, monitorId: string | null, serviceId: string | null, nodeLabel: string | null, application: string | null, description: string, reason: string | null, firstEventTime: number, lastEventTime: number, lastEventId: number, count: number, clearedAt: number | null, acknowledgedBy: string | null, acknowledgedAt: number | null }} Alarm
 */

/**
 * GET /api/locations/NAME/registration. `token` is null when the location
 * has none, and also when its token was rotated here: that one is shown once,
 * in the answer to the rotation, and the command then holds a placeholder.
 * `fingerprint` is the backend's TLS certificate (sha256:AB:…), null without
 * TLS; `command` pins it with --fingerprint when the certificate is
 * self-signed; `downloadCommand` fetches the poller from this backend.
 * @typedef {{ location: string, admission: 'token' | 'approval', token: string | null, fingerprint: string | null, command: string, downloadCommand: string | null }} Registration
 */

/**
 * POST /api/locations/NAME/token/rotate: the new token, shown this once, and the command with it.
 * @typedef {{ location: string, admission: 'token', token: string, fingerprint: string | null, command: string, downloadCommand: string | null }} RotatedToken
 */

/**
 * POST /api/locations/NAME/purge-pending
 * @typedef {{ location: string, purged: number }} PurgeOutcome
 */

/**
 * GET /api/blocked-addresses: source addresses whose registrations are refused.
 * @typedef {{ address: string, createdAt: number, createdBy: string, reason: string | null, monitorId: string | null }} BlockedAddress
 */

/**
 * POST /api/locations/NAME/pause-all and …/resume-all
 * @typedef {{ changed: string[], skipped: { id: string, reason: string }[] }} BulkOutcome
 */

/**
 * GET /api/events/catalogue: every event the backend emits.
 * @typedef {'raises' | 'clears' | null} AlarmRole
 * @typedef {{ uei: string, name: string, label: string, description: string, severity: string, alarm: AlarmRole }} EventDefinition
 * @typedef {{ severities: string[], events: EventDefinition[] }} EventCatalogue
 */

/**
 * GET /api/users (administrators only)
 * @typedef {{ id: number, username: string, role: import('./role.js').Role, createdAt: number }} User
 */

/**
 * GET /api/audit: who changed what. `target` is what the action was on (a monitor id, a location, a user), `details` what else it said.
 * @typedef {{ id: number, time: number, user: string, action: string, target: string | null, details: Record<string, string> }} AuditEntry
 */

// --- requests ---

/** @returns {Promise<Location[]>} */
export const getLocations = () => /** @type {Promise<Location[]>} */ (get('/api/locations'));

/** @param {string} location @returns {Promise<Registration>} */
export const getRegistration = (location) => /** @type {Promise<Registration>} */ (get(`/api/locations/${seg(location)}/registration`));

/** Replaces the location's registration token. @param {string} location @returns {Promise<RotatedToken>} */
export const rotateToken = (location) => /** @type {Promise<RotatedToken>} */ (post(`/api/locations/${seg(location)}/token/rotate`));

/** Revokes the location's registration token: new monitors wait for approval. @param {string} location */
export const revokeToken = (location) => del(`/api/locations/${seg(location)}/token`);

/** Deletes every monitor waiting for approval at the location. @param {string} location @returns {Promise<PurgeOutcome>} */
export const purgePending = (location) => /** @type {Promise<PurgeOutcome>} */ (post(`/api/locations/${seg(location)}/purge-pending`));

/** @param {string} location @param {'pause' | 'resume'} action @returns {Promise<BulkOutcome>} */
export const administerLocation = (location, action) => /** @type {Promise<BulkOutcome>} */ (post(`/api/locations/${seg(location)}/${action}-all`));

/** @param {{ location?: string }} [query] @returns {Promise<Monitor[]>} */
export const getMonitors = (query) => /** @type {Promise<Monitor[]>} */ (get('/api/monitors', query));

/** @param {string} id @returns {Promise<MonitorService[]>} */
export const getMonitorServices = (id) => /** @type {Promise<MonitorService[]>} */ (get(`/api/monitors/${seg(id)}/services`));

/** @param {string} id @param {'approve' | 'pause' | 'resume'} action @returns {Promise<Monitor>} */
export const administerMonitor = (id, action) => /** @type {Promise<Monitor>} */ (post(`/api/monitors/${seg(id)}/${action}`));

/** Denies a pending monitor for good; `blockAddress` also refuses registrations from its address. @param {string} id @param {boolean} blockAddress @returns {Promise<Monitor>} */
export const denyMonitor = (id, blockAddress) => /** @type {Promise<Monitor>} */ (post(`/api/monitors/${seg(id)}/deny`, { blockAddress }));

/** Revokes the monitor's secret: its poller is refused and stops. @param {string} id @returns {Promise<Monitor>} */
export const revokeMonitor = (id) => /** @type {Promise<Monitor>} */ (post(`/api/monitors/${seg(id)}/revoke`));

/** @returns {Promise<BlockedAddress[]>} */
export const getBlockedAddresses = () => /** @type {Promise<BlockedAddress[]>} */ (get('/api/blocked-addresses'));

/** Lifts a block. @param {string} address */
export const unblockAddress = (address) => del(`/api/blocked-addresses/${seg(address)}`);

/** @param {string} id @returns {Promise<Monitor>} */
export const deleteMonitor = (id) => /** @type {Promise<Monitor>} */ (del(`/api/monitors/${seg(id)}`));

/** @returns {Promise<Application[]>} */
export const getApplications = () => /** @type {Promise<Application[]>} */ (get('/api/applications'));

/** @param {{ window: string } | { from: number, to: number }} query @returns {Promise<Matrix>} */
export const getAvailability = (query) => /** @type {Promise<Matrix>} */ (get('/api/availability', query));

/**
 * One cell of the matrix in detail (GET /api/availability/APPLICATION/LOCATION), in one answer.
 * @typedef {{ application: string, location: string, fromMs: number, toMs: number, serviceIds: string[], monitors: Monitor[], pending: number,
 *   seen: { monitorId: string, services: MonitorService[] }[], outages: Outage[], responseTimes: { service: string, series: MonitorSeries[] }[] }} CellDetail
 * @param {string} application @param {string} location @param {{ from: number, to: number }} range
 */
export const getCellDetail = (application, location, range) =>
  /** @type {Promise<CellDetail>} */ (get(`/api/availability/${seg(application)}/${seg(location)}`, range));

/** @param {{ service: string, monitor?: string, from?: number, to?: number, maxPoints?: number }} query @returns {Promise<MonitorSeries[]>} */
export const getResponseTimes = (query) => /** @type {Promise<MonitorSeries[]>} */ (get('/api/response-times', query));

/** @param {{ location?: string, monitor?: string, service?: string, from?: number, to?: number, limit?: number }} query @returns {Promise<Outage[]>} */
export const getOutages = (query) => /** @type {Promise<Outage[]>} */ (get('/api/outages', query));

/** @param {{ location?: string, monitor?: string, service?: string, uei?: string, since?: number | null, until?: number | null, limit?: number }} query @returns {Promise<StoredEvent[]>} */
export const getEvents = (query) => /** @type {Promise<StoredEvent[]>} */ (get('/api/events', query));

/**
 * `quiet401`: asked before the session is confirmed (at page load, alongside
 * it): a 401 then only means "not signed in", which the session check says.
 * @param {boolean} [quiet401]
 * @returns {Promise<EventCatalogue>}
 */
export const getEventCatalogue = (quiet401 = false) => /** @type {Promise<EventCatalogue>} */ (request('GET', '/api/events/catalogue', { quiet401 }));

/** @param {{ state?: 'open' | 'cleared' | 'all', location?: string, monitor?: string, uei?: string, severity?: string, limit?: number }} query @returns {Promise<Alarm[]>} */
export const getAlarms = (query) => /** @type {Promise<Alarm[]>} */ (get('/api/alarms', query));

/** How many alarms are open (the navigation's count). @returns {Promise<{ open: number }>} */
export const getAlarmCount = () => /** @type {Promise<{ open: number }>} */ (get('/api/alarms/count'));

/** Acts as the signed-in user. @param {number} id @param {'acknowledge' | 'unacknowledge' | 'clear'} action @returns {Promise<Alarm>} */
export const administerAlarm = (id, action) => /** @type {Promise<Alarm>} */ (post(`/api/alarms/${id}/${action}`));

// --- services ---

/**
 * A service's state at a location, or across its locations
 * (backend/src/rest/service-states.ts): up, partial, down, or why no
 * monitor is checking it (paused, stopped, disconnected, no data).
 * @typedef {'up' | 'partial' | 'down' | 'paused' | 'stopped' | 'disconnected' | 'no data'} ServiceState
 */

/**
 * GET /api/services: one service. `history` has a letter per period of the
 * window, oldest first (u up, d down, p both, - no result); `responseMs` the
 * mean response time per period.
 * @typedef {{ id: string, node: string, service: string, host: string, monitorType: string, intervalMs: number, applications: string[], state: ServiceState, uptime: number | null, avgResponseMs: number | null, locations: { location: string, state: ServiceState, monitors: number, checking: number }[], history: string, responseMs: (number | null)[] }} ServiceSummary
 * @typedef {{ key: string, fromMs: number, toMs: number, stepMs: number, periods: number, firstPeriodMs: number }} ServiceWindow
 * @typedef {{ window: ServiceWindow, total: number, locations: string[], applications: string[], services: ServiceSummary[] }} ServiceList
 */

/**
 * GET /api/services/NODE/SERVICE: everything the service page shows.
 * @typedef {{ id: string, name: string, location: string, status: string, seen: { status: 'UP' | 'DOWN', since: number, reason: string | null, lastResultAt: number } | null }} ServiceMonitor
 * @typedef {{ window: ServiceWindow, service: ServiceSummary, locations: { location: string, state: ServiceState, monitors: number, checking: number, history: string }[], monitors: ServiceMonitor[], responseTimes: { location: string, points: SeriesPoint[] }[], outages: Outage[] }} ServiceDetail
 */

/** @param {{ window?: string, q?: string, state?: string, location?: string, application?: string, sort?: string }} [query] @returns {Promise<ServiceList>} */
export const getServices = (query) => /** @type {Promise<ServiceList>} */ (get('/api/services', query));

/**
 * The service NODE/SERVICE: its parts go as the path's last two segments (a service name has no slash; a node label might).
 * @param {string} id @param {string} window @returns {Promise<ServiceDetail>}
 */
export const getService = (id, window) => {
  const cut = id.lastIndexOf('/');
  return /** @type {Promise<ServiceDetail>} */ (get(`/api/services/${seg(id.slice(0, cut))}/${seg(id.slice(cut + 1))}`, { window }));
};

// --- users and the audit trail ---

/** @returns {Promise<User[]>} */
export const getUsers = () => /** @type {Promise<User[]>} */ (get('/api/users'));

/** @param {{ username: string, role: string, password: string }} user @returns {Promise<User>} */
export const createUser = (user) => /** @type {Promise<User>} */ (post('/api/users', user));

/** Changes the role, sets a new password (which ends the user's sessions), or both. @param {string} username @param {{ role?: string, password?: string }} change @returns {Promise<User>} */
export const changeUser = (username, change) => /** @type {Promise<User>} */ (patch(`/api/users/${seg(username)}`, change));

/** @param {string} username @returns {Promise<User>} */
export const deleteUser = (username) => /** @type {Promise<User>} */ (del(`/api/users/${seg(username)}`));

/** @param {{ user?: string, action?: string, target?: string, from?: number, to?: number, limit?: number }} query @returns {Promise<AuditEntry[]>} */
export const getAudit = (query) => /** @type {Promise<AuditEntry[]>} */ (get('/api/audit', query));
