/** One log line per stored event, for operators reading the backend's log. */
import type { EventBus } from '@vantage/events';
import type { Logger } from '@vantage/runtime';

/**
 * Logs every event on the bus at info, except those another instance
 * recorded (`recordedElsewhere`): that instance logged them, so they are
 * debug lines here and an aggregated log holds each event once.
 */
export function logEvents(bus: EventBus, log: Logger, recordedElsewhere: (eventId: number) => boolean = () => false): void {
  bus.subscribe('log', (e) => {
    const where = `${e.location}/${e.params.monitorName ?? e.monitorId}`;
    const line = `${e.uei.split('/').pop()} ${where}${e.serviceId ? ` ${e.serviceId}` : ''}${e.params.reason ? `: ${e.params.reason}` : ''}`;
    if (recordedElsewhere(e.id)) log.debug(`${line} (recorded by another instance)`);
    else log.info(line);
  });
}
