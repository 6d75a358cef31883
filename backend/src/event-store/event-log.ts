/** One log line per stored event, for operators reading the backend's log. */
import type { EventBus } from '@vantage/events';
import type { Logger } from '@vantage/runtime';

export function logEvents(bus: EventBus, log: Logger): void {
  bus.subscribe('log', (e) => {
    const where = `${e.location}/${e.params.monitorName ?? e.monitorId}`;
    log.info(`${e.uei.split('/').pop()} ${where}${e.serviceId ? ` ${e.serviceId}` : ''}${e.params.reason ? `: ${e.params.reason}` : ''}`);
  });
}
