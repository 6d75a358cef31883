/**
 * A response time as InfluxDB line protocol: measurement `vantage_response`,
 * tags location, monitor, node, service; fields response_time_ms, status, up.
 */
import { escape } from '@influxdata/influxdb-client';

/** One poll result with a response time, as it goes to InfluxDB. */
export interface ResponsePoint {
  location: string;
  monitorId: string;
  /** Preferred over the id for the `monitor` tag: dashboards show names. */
  monitorName?: string;
  node: string;
  serviceId: string;
  service: string;
  /** Epoch milliseconds. */
  timestamp: number;
  responseTimeMs?: number;
  status: 'UP' | 'DOWN' | 'UNKNOWN';
}

export const INFLUX_MEASUREMENT = 'vantage_response';

/**
 * One point as a line of InfluxDB line protocol (without the newline), time in
 * milliseconds. Tags with an empty value are left out: line protocol has no
 * empty tag values. Throws on a timestamp that is not a number.
 */
export function toLineProtocol(point: ResponsePoint): string {
  if (!Number.isFinite(point.timestamp)) throw new Error(`timestamp ${String(point.timestamp)} is not a number`);
  let line =
    INFLUX_MEASUREMENT +
    tag('location', point.location) +
    tag('monitor', point.monitorName || point.monitorId) +
    tag('node', point.node) +
    tag('service', point.service) +
    ' ';
  const rt = point.responseTimeMs;
  if (typeof rt === 'number' && Number.isFinite(rt)) line += `response_time_ms=${rt},`;
  line += `status=${escape.quoted(point.status)},up=${point.status === 'UP' ? 1 : 0}i ${Math.trunc(point.timestamp)}`;
  return line;
}

function tag(key: string, value: string | undefined): string {
  if (!value) return '';
  let escaped = escape.tag(value);
  // A trailing backslash would escape the comma or space after the value and
  // break the whole line; doubled, it reads as a literal backslash.
  if (escaped.endsWith('\\')) escaped += '\\';
  return `,${key}=${escaped}`;
}
