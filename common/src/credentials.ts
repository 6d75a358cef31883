/**
 * The bearer credential a poller presents: `Authorization: Bearer MONITOR_ID.SECRET`.
 * Monitor ids never contain a dot, so the first dot separates the two.
 */
export interface MonitorCredentials {
  monitorId: string;
  secret: string;
}

export function formatAuthorization(credentials: MonitorCredentials): string {
  return `Bearer ${credentials.monitorId}.${credentials.secret}`;
}

/** Parses an Authorization header (the scheme name is case-insensitive, as HTTP says); undefined when absent, null when malformed. */
export function parseAuthorization(header: string | undefined): MonitorCredentials | null | undefined {
  if (header === undefined || header === '') return undefined;
  const match = /^Bearer ([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/i.exec(header.trim());
  if (!match) return null;
  return { monitorId: match[1]!, secret: match[2]! };
}
