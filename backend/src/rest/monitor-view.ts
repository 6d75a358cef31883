/** A location monitor as the REST API shows it. */
import type { LocationMonitorRow } from '../db/entities.ts';
import { wireStatus } from '../location-monitors/monitor-state.ts';

export function monitorView(row: LocationMonitorRow, connected: boolean) {
  return {
    id: row.id,
    name: row.name,
    location: row.location,
    status: wireStatus(row),
    paused: row.paused,
    local: row.isLocal,
    connected,
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
