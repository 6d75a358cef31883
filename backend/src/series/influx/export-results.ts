/**
 * Every committed result goes to InfluxDB as well, tagged with its location,
 * monitor, node and service. The ingest never waits: `write` only appends to
 * the writer's spool.
 */
import type { ConfigHolder } from '../../config/config-holder.ts';
import type { ResultIngest } from '../../ingest/result-ingest.ts';
import type { InfluxWriter } from './influx-writer.ts';

export function exportResultsToInflux(ingest: ResultIngest, configs: ConfigHolder, writer: InfluxWriter): void {
  ingest.onCommitted((monitor, results) => {
    const services = configs.packageFor(monitor.location)?.servicesById;
    for (const result of results) {
      const service = services?.get(result.serviceId);
      writer.write({
        location: monitor.location,
        monitorId: monitor.id,
        monitorName: monitor.name,
        node: service?.nodeLabel ?? result.serviceId.split('/')[0]!,
        serviceId: result.serviceId,
        service: service?.serviceName ?? result.serviceId,
        timestamp: result.timestamp,
        responseTimeMs: result.responseTimeMs,
        status: result.status,
      });
    }
  });
}
