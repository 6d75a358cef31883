/**
 * The REST API used by the web UI and by scripts (documented in README.md and
 * at /api/openapi.json), composed from one file per resource. Times are epoch
 * milliseconds, like the poller protocol. Sign-in is auth/auth-routes.ts; who
 * may call each route, and what it records in the audit trail, is route-roles.ts.
 */
import type { Logger } from '@vantage/runtime';
import type { EventBus } from '@vantage/events';
import type { FastifyInstance } from 'fastify';
import type { MonitorConnection } from '../cluster/poller-connections.ts';
import type { ConfigHolder } from '../config/config-holder.ts';
import type { ConfigReloader } from '../config/config-reloader.ts';
import type { Database } from '../db/database.ts';
import type { ResultIngest } from '../ingest/result-ingest.ts';
import type { BlockedAddressStore } from '../location-monitors/blocked-addresses.ts';
import type { LocationMonitorService } from '../location-monitors/location-monitor-service.ts';
import type { RegistrationTokenStore } from '../location-monitors/registration-tokens.ts';
import type { UserStore } from '../auth/user-store.ts';
import type { NotificationList } from '../notifications/outbox-store.ts';
import type { TlsStatus } from '../tls/backend-tls.ts';
import { registerAlarmCountRoute } from './alarm-count-route.ts';
import { registerAlarmRoutes } from './alarm-routes.ts';
import { registerApiCompression } from './api-compression.ts';
import { registerApplicationRoutes } from './application-routes.ts';
import { registerCellDetailRoutes } from './cell-detail-routes.ts';
import { registerAuditRoutes } from './audit-routes.ts';
import { PollerBundle, registerDownloadRoutes } from './download-routes.ts';
import { registerBlockedAddressRoutes } from './blocked-address-routes.ts';
import { registerEventRoutes } from './event-routes.ts';
import { registerInstanceRoutes, type InstanceRouteDependencies } from './instance-routes.ts';
import { registerLiveRoute } from './live-routes.ts';
import { registerLocationRoutes } from './location-routes.ts';
import { registerMonitorRoutes } from './monitor-routes.ts';
import { registerNotificationRoutes } from './notification-routes.ts';
import { registerOutageRoutes } from './outage-routes.ts';
import { registerResponseTimeRoutes } from './response-time-routes.ts';
import { registerServiceRoutes } from './service-routes.ts';
import { registerSystemRoutes } from './system-routes.ts';
import { registerUserRoutes } from './user-routes.ts';
import { registerWebUi } from './webui-routes.ts';

export interface RestDependencies extends InstanceRouteDependencies {
  db: Database;
  configs: ConfigHolder;
  monitors: LocationMonitorService;
  tokens: RegistrationTokenStore;
  blocked: BlockedAddressStore;
  reloader: ConfigReloader;
  outbox: NotificationList;
  bus: EventBus;
  /** Tells when results changed a service's status here: the kept answers (answer-cache.ts) are made again. */
  ingest: Pick<ResultIngest, 'onStatusesChanged'>;
  users: UserStore;
  /** The certificate in service, when the backend serves TLS. */
  tls: TlsStatus | undefined;
  /** The open connections of these monitors (of all when absent), on every live instance. */
  connectionsOf: (monitorIds?: readonly string[]) => Promise<Map<string, MonitorConnection>>;
  /** The backend's logger: the routes' parts log under their own names (a web UI bundle that could not be made, say). */
  log: Pick<Logger, 'child'>;
}

export function registerRestRoutes(app: FastifyInstance, deps: RestDependencies): void {
  registerApiCompression(app);
  registerSystemRoutes(app, deps);
  const bundle = new PollerBundle();
  registerLocationRoutes(app, { ...deps, bundle });
  registerMonitorRoutes(app, deps);
  registerBlockedAddressRoutes(app, deps);
  registerApplicationRoutes(app, deps);
  registerCellDetailRoutes(app, deps);
  registerEventRoutes(app, deps.db);
  registerLiveRoute(app, deps.bus);
  registerInstanceRoutes(app, deps);
  registerAlarmRoutes(app, deps.db);
  registerAlarmCountRoute(app, deps.db);
  registerOutageRoutes(app, deps.db);
  registerResponseTimeRoutes(app, deps.db);
  registerServiceRoutes(app, deps);
  registerNotificationRoutes(app, deps.outbox);
  registerUserRoutes(app, deps.users);
  registerAuditRoutes(app, deps.db);
  registerDownloadRoutes(app, bundle);
  registerWebUi(app, deps.log.child('web-ui'));
}
