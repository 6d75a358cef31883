/** Lifecycle status of a location monitor, as the protocol sends it. */
export const MONITOR_STATUSES = [
  'PENDING',
  'REGISTERED',
  'STARTED',
  'PAUSED',
  'STOPPED',
  'DISCONNECTED',
  'CONFIG_CHANGED',
  'DELETED',
] as const;
export type MonitorStatus = (typeof MONITOR_STATUSES)[number];

/** Result of one check. UNKNOWN: the check could not run; it changes no outage. */
export const SERVICE_STATUSES = ['UP', 'DOWN', 'UNKNOWN'] as const;
export type ServiceStatus = (typeof SERVICE_STATUSES)[number];
