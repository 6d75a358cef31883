/** A location monitor as the REST API shows it. */
import type { MonitorConnection } from '../cluster/poller-connections.ts';
import type { LocationMonitorRow } from '../db/entities.ts';
import { wireStatus } from '../location-monitors/monitor-state.ts';

/** `connection`: its newest open connection to any live instance, if it has one. */
export function monitorView(row: LocationMonitorRow, connection: MonitorConnection | undefined) {
  return {
    id: row.id,
    name: row.name,
    location: row.location,
    status: wireStatus(row),
    paused: row.paused,
    local: row.isLocal,
    connected: connection !== undefined,
    // Which backend instance holds its connection, and since when: the same answer from every instance.
    instance: connection?.instance ?? null,
    connectedSince: connection?.connectedSince ?? null,
    registeredAt: row.registeredAt,
    lastCheckInAt: row.lastCheckInAt,
    lastSeq: row.lastSeq,
    details: row.details,
    stats: row.lastStats,
    server: row.serverUrl,
    serverRole: row.serverRole,
    // Where it registered from: what "deny and block address" blocks.
    address: row.sourceAddress,
    revokedAt: row.revokedAt,
  };
}
