/** One log line per stored event, for operators reading the backend's log. */
import type { UeiValue } from '@vantage/common';
import { eventDefinition, type EventBus, type StoredEvent } from '@vantage/events';
import type { Logger } from '@vantage/runtime';

/**
 * Logs every event on the bus at info, except those another instance
 * recorded (`recordedElsewhere`): that instance logged them, so they are
 * debug lines here and an aggregated log holds each event once.
 */
export function logEvents(bus: EventBus, log: Logger, recordedElsewhere: (eventId: number) => boolean = () => false): void {
  bus.subscribe('log', (e) => {
    const line = eventLogLine(e);
    if (recordedElsewhere(e.id)) log.debug(`${line} (recorded by another instance)`);
    else log.info(line);
  });
}

/**
 * The event in words: its label, what and where, the reason, and the UEI's
 * last segment to search for, e.g. "A service is down, as seen from one
 * location monitor: payments-eu/HTTP from LON (lon-1): connection refused [nodeLostService]".
 */
export function eventLogLine(e: StoredEvent): string {
  const subject = e.serviceId ?? (e.params.application !== undefined ? `application ${e.params.application}` : null);
  const monitor = e.params.monitorName ?? e.monitorId;
  const where = e.location !== null ? `${subject !== null ? ' from' : ''} ${e.location}${monitor !== null ? ` (${monitor})` : ''}` : '';
  const reason = e.params.reason !== undefined ? `: ${e.params.reason}` : '';
  return `${eventDefinition(e.uei as UeiValue).label}:${subject !== null ? ` ${subject}` : ''}${where}${reason} [${e.uei.split('/').pop()}]`;
}
