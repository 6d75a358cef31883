import type { PollResultRecord } from '@vantage/common';
import type { ServiceStateRow } from '../db/entities.ts';

export interface ServiceTransition {
  row: ServiceStateRow;
  /** The status the monitor sees changed: an outage opens or closes. */
  statusChanged: boolean;
  /** The event stream must announce this status (lost for DOWN, regained for UP). */
  announce: 'UP' | 'DOWN' | null;
}

/**
 * A service's state after one result, as one monitor sees it. A service is
 * taken to be up until a monitor sees otherwise, as in OpenNMS; UNKNOWN
 * changes nothing. The status always follows the result; the announced
 * status catches up with it only when announcements are not suppressed
 * (outage calendar window, the monitor's own connectivity lost).
 */
export function serviceTransition(
  previous: ServiceStateRow | undefined,
  monitorId: string,
  result: PollResultRecord,
  suppressAnnouncement: boolean,
): ServiceTransition | null {
  if (result.status === 'UNKNOWN') return null;
  const status = result.status;
  const before = previous?.status ?? 'UP';
  const announcedBefore = previous?.eventStatus ?? 'UP';
  const statusChanged = before !== status;
  const announce = !suppressAnnouncement && announcedBefore !== status ? status : null;
  return {
    statusChanged,
    announce,
    row: {
      monitorId,
      serviceId: result.serviceId,
      status,
      eventStatus: announce ?? announcedBefore,
      changedAt: statusChanged ? result.timestamp : (previous?.changedAt ?? result.timestamp),
      reason: status === 'DOWN' ? (result.reason ?? null) : null,
      lastResultAt: result.timestamp,
    },
  };
}
