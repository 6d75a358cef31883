/**
 * The poller protocol (PROTOCOL.md) as runtime schemas and the types inferred
 * from them. Each method is defined once, in `Methods`: its params and result.
 * The backend validates params on arrival and the poller validates results on
 * arrival, with these same schemas.
 *
 * Objects are not strict: a newer peer may send optional fields an older one
 * does not know, and those are dropped rather than refused.
 *
 * What pollers send (every method's params) is bounded: each string in
 * length and to storable text, each map in entries and key length, each
 * number in range (`limits.ts`, PROTOCOL.md "Limits"). What the backend
 * sends is not: it comes from the operator's configuration.
 */
import { z } from 'zod';
import {
  MAX_DETAIL_VALUE_LENGTH,
  MAX_KEY_LENGTH,
  MAX_LOCATION_LENGTH,
  MAX_MEASUREMENT,
  MAX_MONITOR_DETAILS,
  MAX_MONITOR_NAME_LENGTH,
  MAX_REASON_LENGTH,
  MAX_RESPONSE_TIME_MS,
  MAX_RESULT_DETAILS,
  MAX_RESULTS_PER_CALL,
  MAX_SEQ,
  MAX_SERVER_URL_LENGTH,
  MAX_SERVICE_ID_LENGTH,
  MAX_STATS,
  MAX_TOKEN_LENGTH,
  MAX_VERSION_LENGTH,
} from './limits.ts';
import { MONITOR_STATUSES, SERVICE_STATUSES } from './status.ts';
import { isStorableText, UNSTORABLE_TEXT_MESSAGE } from './text.ts';

const epochMs = z.number().int().nonnegative();
const durationMs = z.number().int().nonnegative();
const positiveMs = z.number().int().positive();
const nonEmpty = z.string().min(1, 'must not be empty');

/** A string a poller sends: at most `max` characters of storable text. */
const text = (max: number) => z.string().max(max, `at most ${max} characters`).refine(isStorableText, UNSTORABLE_TEXT_MESSAGE);
const nonEmptyText = (max: number) => text(max).min(1, 'must not be empty');
/** A figure a poller measured: finite and at most 10^15 either way. */
const measurement = z
  .number()
  .min(-MAX_MEASUREMENT, `at least -${MAX_MEASUREMENT}`)
  .max(MAX_MEASUREMENT, `at most ${MAX_MEASUREMENT}`);

/**
 * A map a poller sends: at most `maxEntries` entries whose names are storable
 * text of at most MAX_KEY_LENGTH characters. The entry count and the names
 * are checked before any value, so a map of a million entries costs one look
 * at its size, and a bad name is described by its position (it may not be
 * printable).
 */
function boundedMap<V extends z.ZodType>(value: V, maxEntries: number) {
  return z.preprocess((input, ctx) => {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
    const keys = Object.keys(input);
    let problem: string | undefined;
    if (keys.length > maxEntries) {
      problem = `at most ${maxEntries} entries, got ${keys.length}`;
    } else {
      const index = keys.findIndex((key) => key.length > MAX_KEY_LENGTH || !isStorableText(key));
      if (index >= 0) {
        problem = keys[index]!.length > MAX_KEY_LENGTH ? `name of entry ${index + 1}: at most ${MAX_KEY_LENGTH} characters` : `name of entry ${index + 1}: ${UNSTORABLE_TEXT_MESSAGE}`;
      }
    }
    if (problem === undefined) return input;
    ctx.addIssue({ code: 'custom', message: problem, input });
    // Nothing more to learn from the entries: an empty map stops their validation.
    return {};
  }, z.record(z.string(), value));
}

export const MonitorStatusSchema = z.enum(MONITOR_STATUSES);
export const ServiceStatusSchema = z.enum(SERVICE_STATUSES);

/** Free-form facts about the poller's host, shown to administrators. */
export const MonitorDetailsSchema = boundedMap(text(MAX_DETAIL_VALUE_LENGTH), MAX_MONITOR_DETAILS);
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
  seq: z.number().int().min(1, 'at least 1').max(MAX_SEQ, `at most 2^48 (${MAX_SEQ})`),
  serviceId: nonEmptyText(MAX_SERVICE_ID_LENGTH),
  /** Also checked against the backend's clock on arrival: CLOCK_SKEW_TOLERANCE_MS. */
  timestamp: epochMs,
  status: ServiceStatusSchema,
  responseTimeMs: z.number().nonnegative().max(MAX_RESPONSE_TIME_MS, `at most ${MAX_RESPONSE_TIME_MS} (a day)`).optional(),
  reason: text(MAX_REASON_LENGTH).optional(),
  /** Further measurements of the check, such as HTTP phases (`connectMs`, `firstByteMs`, …) or a certificate's `daysLeft`. */
  details: boundedMap(measurement, MAX_RESULT_DETAILS).optional(),
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
  server: nonEmptyText(MAX_SERVER_URL_LENGTH),
  role: z.enum(['home', 'standby']),
  /** Present on the first call of a connection. */
  arrival: z.enum(['first', 'reconnect', 'switchover', 'switchback']).optional(),
  /** The server it was using before a switchover or switchback. */
  switchedFrom: text(MAX_SERVER_URL_LENGTH).optional(),
});
export type Connection = z.infer<typeof ConnectionSchema>;

/** The methods the backend serves: params and result of each. */
export const Methods = {
  registerLocationMonitor: {
    params: z.object({
      location: nonEmptyText(MAX_LOCATION_LENGTH),
      name: nonEmptyText(MAX_MONITOR_NAME_LENGTH),
      token: text(MAX_TOKEN_LENGTH).optional(),
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
    params: z.object({ knownVersion: text(MAX_VERSION_LENGTH).optional() }),
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
      configVersion: text(MAX_VERSION_LENGTH),
      stats: boundedMap(measurement, MAX_STATS).optional(),
      connection: ConnectionSchema.optional(),
    }),
    result: statusAnswer,
  },
  reportResults: {
    params: z.object({ results: z.array(ResultSchema).max(MAX_RESULTS_PER_CALL, `at most ${MAX_RESULTS_PER_CALL} results in one call`) }),
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
