/**
 * The poller protocol (PROTOCOL.md) as runtime schemas and the types inferred
 * from them. Each method is defined once, in `Methods`: its params and result.
 * The backend validates params on arrival and the poller validates results on
 * arrival, with these same schemas.
 *
 * Objects are not strict: a newer peer may send optional fields an older one
 * does not know, and those are dropped rather than refused.
 */
import { z } from 'zod';
import { MONITOR_STATUSES, SERVICE_STATUSES } from './status.ts';

const epochMs = z.number().int().nonnegative();
const durationMs = z.number().int().nonnegative();
const positiveMs = z.number().int().positive();
const nonEmpty = z.string().min(1, 'must not be empty');

export const MonitorStatusSchema = z.enum(MONITOR_STATUSES);
export const ServiceStatusSchema = z.enum(SERVICE_STATUSES);

/** Free-form facts about the poller's host, shown to administrators. */
export const MonitorDetailsSchema = z.record(z.string(), z.string());
export type MonitorDetails = z.infer<typeof MonitorDetailsSchema>;

/** One step of the downtime model: poll at `intervalMs` once down for `beginMs`, until `endMs`. */
export const DowntimeSchema = z.object({
  beginMs: durationMs,
  endMs: durationMs.optional(),
  intervalMs: positiveMs.optional(),
  delete: z.boolean().optional(),
});
export type Downtime = z.infer<typeof DowntimeSchema>;

/** A service a poller checks: which monitor, against which host, how often, with what parameters. */
export const PolledServiceSchema = z.object({
  serviceId: nonEmpty,
  serviceName: nonEmpty,
  monitor: nonEmpty,
  nodeLabel: z.string(),
  host: nonEmpty,
  intervalMs: positiveMs,
  params: z.record(z.string(), z.string()),
  downtime: z.array(DowntimeSchema).optional(),
});
export type PolledService = z.infer<typeof PolledServiceSchema>;

export const PollingPackageSchema = z.object({
  name: z.string(),
  location: nonEmpty,
  services: z.array(PolledServiceSchema),
});
export type PollingPackage = z.infer<typeof PollingPackageSchema>;

/** Settings the backend propagates to its pollers. Unknown settings pass through. */
export const PollerSettingsSchema = z.looseObject({
  checkInIntervalMs: positiveMs,
  parallelTasks: z.number().int().positive(),
  defaultTimeoutMs: positiveMs,
  logLevel: z.enum(['error', 'warn', 'info', 'debug']),
  spoolMaxAgeMs: positiveMs,
  spoolMaxBytes: z.number().int().positive(),
});
export type PollerSettings = z.infer<typeof PollerSettingsSchema>;

export const ResultSchema = z.object({
  seq: z.number().int().positive(),
  serviceId: nonEmpty,
  timestamp: epochMs,
  status: ServiceStatusSchema,
  responseTimeMs: z.number().nonnegative().optional(),
  reason: z.string().max(2000).optional(),
  /** Further measurements of the check, such as HTTP phases (`connectMs`, `firstByteMs`, …) or a certificate's `daysLeft`. */
  details: z.record(z.string().max(64), z.number()).optional(),
});
export type PollResultRecord = z.infer<typeof ResultSchema>;

const statusAnswer = z.object({ status: MonitorStatusSchema, serverTime: epochMs });

/**
 * Which server a poller is using, among the ones it was given (home first),
 * and, on the first call after it connected, how it got there. The backend
 * shows the server and records switchovers and switchbacks as events.
 */
export const ConnectionSchema = z.object({
  /** The URL the poller connected to, as it was configured. */
  server: z.string().min(1).max(512),
  role: z.enum(['home', 'standby']),
  /** Present on the first call of a connection. */
  arrival: z.enum(['first', 'reconnect', 'switchover', 'switchback']).optional(),
  /** The server it was using before a switchover or switchback. */
  switchedFrom: z.string().max(512).optional(),
});
export type Connection = z.infer<typeof ConnectionSchema>;

/** The methods the backend serves: params and result of each. */
export const Methods = {
  registerLocationMonitor: {
    params: z.object({
      location: nonEmpty,
      name: nonEmpty.max(200),
      token: z.string().optional(),
      details: MonitorDetailsSchema.optional(),
    }),
    result: z.object({
      monitorId: nonEmpty,
      secret: nonEmpty,
      status: z.enum(['REGISTERED', 'PENDING']),
    }),
  },
  /** Unauthenticated: which installation this server belongs to, so a poller keeps one identity per installation. */
  getServerInfo: {
    params: z.object({}),
    result: z.object({ installationId: nonEmpty, serverTime: epochMs }),
  },
  pollerStarting: {
    params: z.object({ details: MonitorDetailsSchema.optional(), connection: ConnectionSchema.optional() }),
    result: statusAnswer,
  },
  getPollingPackage: {
    params: z.object({ knownVersion: z.string().optional() }),
    result: z.union([
      z.object({ version: z.string(), notModified: z.literal(true) }),
      z.object({
        version: z.string(),
        package: PollingPackageSchema,
        settings: PollerSettingsSchema,
        serverTime: epochMs,
      }),
    ]),
  },
  pollerCheckingIn: {
    params: z.object({
      configVersion: z.string(),
      stats: z.record(z.string(), z.number()).optional(),
      connection: ConnectionSchema.optional(),
    }),
    result: statusAnswer,
  },
  reportResults: {
    params: z.object({ results: z.array(ResultSchema).max(10_000) }),
    result: z.object({ ackedSeq: z.number().int().nonnegative() }),
  },
  pollerStopping: {
    params: z.object({}),
    result: z.object({ status: MonitorStatusSchema }),
  },
} as const;

export type MethodName = keyof typeof Methods;
export type ParamsOf<M extends MethodName> = z.infer<(typeof Methods)[M]['params']>;
export type ResultOf<M extends MethodName> = z.infer<(typeof Methods)[M]['result']>;
export const METHOD_NAMES = Object.keys(Methods) as MethodName[];

/** Notifications the backend may push over WebSocket. Hints only: pollers must work without them. */
export const Notifications = {
  configurationChanged: z.object({ version: z.string() }),
  statusChanged: z.object({ status: MonitorStatusSchema }),
} as const;
export type NotificationName = keyof typeof Notifications;
export type NotificationParams<N extends NotificationName> = z.infer<(typeof Notifications)[N]>;

/** The methods a poller may call without credentials. */
export const UNAUTHENTICATED_METHODS: ReadonlySet<MethodName> = new Set(['registerLocationMonitor', 'getServerInfo']);

export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(Methods, name);
}
