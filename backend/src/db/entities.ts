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

export type LifecycleState = 'PENDING' | 'DENIED' | 'REGISTERED' | 'STARTED' | 'STOPPED' | 'DISCONNECTED' | 'DELETED';

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
  },
});

export interface ServiceStateRow {
  monitorId: string;
  serviceId: string;
  status: 'UP' | 'DOWN';
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
  location: string;
  monitorId: string;
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
    location: { type: 'text' },
    monitorId: { type: 'text', name: 'monitor_id' },
    serviceId: { type: 'text', name: 'service_id', nullable: true },
    nodeLabel: { type: 'text', name: 'node_label', nullable: true },
    params: { type: 'jsonb', default: {} },
  },
});

export const ENTITIES = [LocationMonitorEntity, ServiceStateEntity, PollResultEntity, EventEntity];
