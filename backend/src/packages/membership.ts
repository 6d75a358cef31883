/**
 * Who shares a `distribute` location's work: its monitors that are STARTED
 * and not paused. DISCONNECTED (missed check-ins past the disconnect
 * timeout: the failover delay), STOPPED, DELETED, paused or not yet started
 * monitors hold nothing. The lifecycle is in the database, so every backend
 * instance reads the same membership and computes the same split.
 */
import type { EntityManager } from 'typeorm';
import type { LocationMonitorRow } from '../db/entities.ts';

export function isMember(row: Pick<LocationMonitorRow, 'lifecycle' | 'paused'>): boolean {
  return row.lifecycle === 'STARTED' && !row.paused;
}

/** The ids of a location's members now (as the caller's transaction sees them), sorted. */
export async function locationMembers(manager: EntityManager, location: string): Promise<string[]> {
  const rows = (await manager.query(
    `SELECT id FROM location_monitor WHERE location = $1 AND lifecycle = 'STARTED' AND NOT paused ORDER BY id`,
    [location],
  )) as { id: string }[];
  return rows.map((r) => r.id);
}
