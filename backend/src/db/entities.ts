/**
 * Table mappings. EntitySchema rather than decorators: the TypeScript runner
 * emits no decorator metadata, and explicit column types keep both PGlite
 * and PostgreSQL on the same schema (created by migrations, never synchronised).
 */
import { EntitySchema, type ValueTransformer } from 'typeorm';

/** int8 arrives as a string (pg) or bigint (PGlite); epoch milliseconds fit a JS number. */
const bigintAsNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | bigint | number | null) => (value === null ? null : Number(value)),
};

export type LifecycleState = 'PENDING' | 'DENIED' | 'REGISTERED' | 'STARTED' | 'STOPPED' | 'DISCONNECTED' | 'REVOKED' | 'DELETED';

export interface LocationMonitorRow {
  id: string;
  location: string;
  name: string;
  lifecycle: LifecycleState;
  paused: boolean;
  isLocal: boolean;
  secretHash: string;
  details: Record<string, string>;
  registeredAt: number;
  lastCheckInAt: number | null;
  lastSeq: number;
  /** Version of the location package last delivered (not the paused one); detects config changes. */
  deliveredVersion: string | null;
  lastStats: Record<string, number> | null;
  /** It cannot reach any service it polls while another location reaches one at the same time or later: its own network is at fault (correlation/connectivity.ts). */
  connectivityLost: boolean;
  /** The server it last said it uses (one of its home and standbys), and which of them. */
  serverUrl: string | null;
  serverRole: 'home' | 'standby' | null;
  /** The address it registered from (null for the built-in poller and monitors older than this column). */
  sourceAddress: string | null;
  /** When an administrator revoked its secret; from then on every call with it answers -32006, even once deleted. */
  revokedAt: number | null;
}

export const LocationMonitorEntity = new EntitySchema<LocationMonitorRow>({
  name: 'LocationMonitor',
  tableName: 'location_monitor',
  columns: {
    id: { type: 'text', primary: true },
    location: { type: 'text' },
    name: { type: 'text' },
    lifecycle: { type: 'text' },
    paused: { type: 'boolean', default: false },
    isLocal: { type: 'boolean', name: 'is_local', default: false },
    secretHash: { type: 'text', name: 'secret_hash' },
    details: { type: 'jsonb', default: {} },
    registeredAt: { type: 'bigint', name: 'registered_at', transformer: bigintAsNumber },
    lastCheckInAt: { type: 'bigint', name: 'last_check_in_at', nullable: true, transformer: bigintAsNumber },
    lastSeq: { type: 'bigint', name: 'last_seq', default: 0, transformer: bigintAsNumber },
    deliveredVersion: { type: 'text', name: 'delivered_version', nullable: true },
    lastStats: { type: 'jsonb', name: 'last_stats', nullable: true },
    connectivityLost: { type: 'boolean', name: 'connectivity_lost', default: false },
    serverUrl: { type: 'text', name: 'server_url', nullable: true },
    serverRole: { type: 'text', name: 'server_role', nullable: true },
    sourceAddress: { type: 'text', name: 'source_address', nullable: true },
    revokedAt: { type: 'bigint', name: 'revoked_at', nullable: true, transformer: bigintAsNumber },
  },
});

/**
 * A location's registration tokens, current and past. At most one per
 * location is not revoked; only a SHA-256 of each is kept (tokens are
 * 256-bit random, or taken from the configuration, which holds them anyway).
 */
export interface RegistrationTokenRow {
  id: number;
  location: string;
  tokenHash: string;
  createdAt: number;
  /** The user who rotated it, or "configuration" for a token seeded from the file. */
  createdBy: string;
  revokedAt: number | null;
  revokedBy: string | null;
}

export const RegistrationTokenEntity = new EntitySchema<RegistrationTokenRow>({
  name: 'RegistrationToken',
  tableName: 'registration_token',
  columns: {
    id: { type: 'int', primary: true, generated: 'increment' },
    location: { type: 'text' },
    tokenHash: { type: 'text', name: 'token_hash' },
    createdAt: { type: 'bigint', name: 'created_at', transformer: bigintAsNumber },
    createdBy: { type: 'text', name: 'created_by' },
    revokedAt: { type: 'bigint', name: 'revoked_at', nullable: true, transformer: bigintAsNumber },
    revokedBy: { type: 'text', name: 'revoked_by', nullable: true },
  },
});

/** Source addresses whose registrations are refused (an administrator's "deny and block address", or by hand). */
export interface BlockedAddressRow {
  address: string;
  createdAt: number;
  createdBy: string;
  reason: string | null;
  /** The denied monitor that led to the block, if any. */
  monitorId: string | null;
}

export const BlockedAddressEntity = new EntitySchema<BlockedAddressRow>({
  name: 'BlockedAddress',
  tableName: 'blocked_address',
  columns: {
    address: { type: 'text', primary: true },
    createdAt: { type: 'bigint', name: 'created_at', transformer: bigintAsNumber },
    createdBy: { type: 'text', name: 'created_by' },
    reason: { type: 'text', nullable: true },
    monitorId: { type: 'text', name: 'monitor_id', nullable: true },
  },
});

export interface ServiceStateRow {
  monitorId: string;
  serviceId: string;
  /** What the monitor last saw; drives outages. */
  status: 'UP' | 'DOWN';
  /**
   * What the event stream has announced (lost/regained). It lags the status
   * inside outage calendars and while the monitor's own connectivity is lost,
   * and catches up with the first result after.
   */
  eventStatus: 'UP' | 'DOWN';
  changedAt: number;
  reason: string | null;
  lastResultAt: number;
}

export const ServiceStateEntity = new EntitySchema<ServiceStateRow>({
  name: 'ServiceState',
  tableName: 'service_state',
  columns: {
    monitorId: { type: 'text', name: 'monitor_id', primary: true },
    serviceId: { type: 'text', name: 'service_id', primary: true },
    status: { type: 'text' },
    eventStatus: { type: 'text', name: 'event_status', default: 'UP' },
    changedAt: { type: 'bigint', name: 'changed_at', transformer: bigintAsNumber },
    reason: { type: 'text', nullable: true },
    lastResultAt: { type: 'bigint', name: 'last_result_at', transformer: bigintAsNumber },
  },
});

export interface PollResultRow {
  monitorId: string;
  seq: number;
  serviceId: string;
  timestamp: number;
  status: 'UP' | 'DOWN' | 'UNKNOWN';
  responseTimeMs: number | null;
  reason: string | null;
  details: Record<string, number> | null;
}

export const PollResultEntity = new EntitySchema<PollResultRow>({
  name: 'PollResult',
  tableName: 'poll_result',
  columns: {
    monitorId: { type: 'text', name: 'monitor_id', primary: true },
    seq: { type: 'bigint', primary: true, transformer: bigintAsNumber },
    serviceId: { type: 'text', name: 'service_id' },
    timestamp: { type: 'bigint', transformer: bigintAsNumber },
    status: { type: 'text' },
    responseTimeMs: { type: 'double precision', name: 'response_time_ms', nullable: true },
    reason: { type: 'text', nullable: true },
    details: { type: 'jsonb', nullable: true },
  },
});

export interface EventRow {
  id: number;
  time: number;
  uei: string;
  severity: string;
  location: string | null;
  monitorId: string | null;
  serviceId: string | null;
  nodeLabel: string | null;
  params: Record<string, string>;
}

export const EventEntity = new EntitySchema<EventRow>({
  name: 'Event',
  tableName: 'event',
  columns: {
    id: { type: 'bigint', primary: true, generated: 'increment', transformer: bigintAsNumber },
    time: { type: 'bigint', transformer: bigintAsNumber },
    uei: { type: 'text' },
    severity: { type: 'text' },
    location: { type: 'text', nullable: true },
    monitorId: { type: 'text', name: 'monitor_id', nullable: true },
    serviceId: { type: 'text', name: 'service_id', nullable: true },
    nodeLabel: { type: 'text', name: 'node_label', nullable: true },
    params: { type: 'jsonb', default: {} },
  },
});

export interface AlarmRow {
  id: number;
  reductionKey: string;
  uei: string;
  severity: string;
  location: string | null;
  monitorId: string | null;
  serviceId: string | null;
  nodeLabel: string | null;
  application: string | null;
  description: string;
  reason: string | null;
  firstEventTime: number;
  lastEventTime: number;
  lastEventId: number;
  count: number;
  clearedAt: number | null;
  acknowledgedBy: string | null;
  acknowledgedAt: number | null;
}

export const AlarmEntity = new EntitySchema<AlarmRow>({
  name: 'Alarm',
  tableName: 'alarm',
  columns: {
    id: { type: 'bigint', primary: true, generated: 'increment', transformer: bigintAsNumber },
    reductionKey: { type: 'text', name: 'reduction_key', unique: true },
    uei: { type: 'text' },
    severity: { type: 'text' },
    location: { type: 'text', nullable: true },
    monitorId: { type: 'text', name: 'monitor_id', nullable: true },
    serviceId: { type: 'text', name: 'service_id', nullable: true },
    nodeLabel: { type: 'text', name: 'node_label', nullable: true },
    application: { type: 'text', nullable: true },
    description: { type: 'text' },
    reason: { type: 'text', nullable: true },
    firstEventTime: { type: 'bigint', name: 'first_event_time', transformer: bigintAsNumber },
    lastEventTime: { type: 'bigint', name: 'last_event_time', transformer: bigintAsNumber },
    lastEventId: { type: 'bigint', name: 'last_event_id', transformer: bigintAsNumber },
    count: { type: 'int' },
    clearedAt: { type: 'bigint', name: 'cleared_at', nullable: true, transformer: bigintAsNumber },
    acknowledgedBy: { type: 'text', name: 'acknowledged_by', nullable: true },
    acknowledgedAt: { type: 'bigint', name: 'acknowledged_at', nullable: true, transformer: bigintAsNumber },
  },
});

export interface OutageRow {
  id: number;
  monitorId: string;
  location: string;
  serviceId: string;
  nodeLabel: string | null;
  startedAt: number;
  endedAt: number | null;
  reason: string | null;
  scheduled: boolean;
}

export const OutageEntity = new EntitySchema<OutageRow>({
  name: 'Outage',
  tableName: 'outage',
  columns: {
    id: { type: 'bigint', primary: true, generated: 'increment', transformer: bigintAsNumber },
    monitorId: { type: 'text', name: 'monitor_id' },
    location: { type: 'text' },
    serviceId: { type: 'text', name: 'service_id' },
    nodeLabel: { type: 'text', name: 'node_label', nullable: true },
    startedAt: { type: 'bigint', name: 'started_at', transformer: bigintAsNumber },
    endedAt: { type: 'bigint', name: 'ended_at', nullable: true, transformer: bigintAsNumber },
    reason: { type: 'text', nullable: true },
    scheduled: { type: 'boolean', default: false },
  },
});

export interface NotificationRow {
  id: number;
  sink: string;
  eventId: number;
  event: unknown;
  state: 'pending' | 'inflight' | 'delivered' | 'dead';
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  createdAt: number;
  finishedAt: number | null;
  /** The instance that claimed it last (delivering it while in flight; the one that finished it after). */
  claimedBy: string | null;
  /** While in flight: until when the claim holds unless renewed (the database's clock); another instance takes it over after. */
  leaseExpiresAt: number | null;
  /** Which claim of it this is: each claim, a takeover included, counts one. */
  leaseSeq: number;
}

export const NotificationEntity = new EntitySchema<NotificationRow>({
  name: 'Notification',
  tableName: 'notification',
  columns: {
    id: { type: 'bigint', primary: true, generated: 'increment', transformer: bigintAsNumber },
    sink: { type: 'text' },
    eventId: { type: 'bigint', name: 'event_id', transformer: bigintAsNumber },
    event: { type: 'jsonb' },
    state: { type: 'text', default: 'pending' },
    attempts: { type: 'int', default: 0 },
    nextAttemptAt: { type: 'bigint', name: 'next_attempt_at', transformer: bigintAsNumber },
    lastError: { type: 'text', name: 'last_error', nullable: true },
    createdAt: { type: 'bigint', name: 'created_at', transformer: bigintAsNumber },
    finishedAt: { type: 'bigint', name: 'finished_at', nullable: true, transformer: bigintAsNumber },
    claimedBy: { type: 'text', name: 'claimed_by', nullable: true },
    leaseExpiresAt: { type: 'bigint', name: 'lease_expires_at', nullable: true, transformer: bigintAsNumber },
    leaseSeq: { type: 'int', name: 'lease_seq', default: 0 },
  },
});

export interface ApplicationStateRow {
  name: string;
  down: boolean;
  changedAt: number;
  downLocations: string[];
}

export const ApplicationStateEntity = new EntitySchema<ApplicationStateRow>({
  name: 'ApplicationState',
  tableName: 'application_state',
  columns: {
    name: { type: 'text', primary: true },
    down: { type: 'boolean' },
    changedAt: { type: 'bigint', name: 'changed_at', transformer: bigintAsNumber },
    downLocations: { type: 'jsonb', name: 'down_locations', default: [] },
  },
});

export const ENTITIES = [
  LocationMonitorEntity,
  RegistrationTokenEntity,
  BlockedAddressEntity,
  ServiceStateEntity,
  PollResultEntity,
  EventEntity,
  AlarmEntity,
  OutageEntity,
  NotificationEntity,
  ApplicationStateEntity,
];
