/** Event identifiers (UEIs) of PROTOCOL.md, spelled as in OpenNMS's remote poller. */
export const Uei = {
  nodeLostService: 'uei.opennms.org/remote/nodes/nodeLostService',
  nodeRegainedService: 'uei.opennms.org/remote/nodes/nodeRegainedService',
  locationMonitorRegistered: 'uei.opennms.org/remote/locationMonitorRegistered',
  locationMonitorStarted: 'uei.opennms.org/remote/locationMonitorStarted',
  locationMonitorPaused: 'uei.opennms.org/remote/locationMonitorPaused',
  locationMonitorStopped: 'uei.opennms.org/remote/locationMonitorStopped',
  locationMonitorDisconnected: 'uei.opennms.org/remote/locationMonitorDisconnected',
  locationMonitorReconnected: 'uei.opennms.org/remote/locationMonitorReconnected',
  configurationChangeDetected: 'uei.opennms.org/remote/configurationChangeDetected',
  // Vantage's own, for what OpenNMS left open: correlation across locations.
  applicationDown: 'uei.vantage/application/applicationDown',
  applicationUp: 'uei.vantage/application/applicationUp',
  monitorConnectivityLost: 'uei.vantage/location/monitorConnectivityLost',
  monitorConnectivityRestored: 'uei.vantage/location/monitorConnectivityRestored',
  // A poller's home and standby servers (seed 004's switchover and switchback).
  locationMonitorSwitchedOver: 'uei.vantage/location/locationMonitorSwitchedOver',
  locationMonitorSwitchedBack: 'uei.vantage/location/locationMonitorSwitchedBack',
  // Vantage's own: administrators' actions on admission, recorded for the audit trail.
  registrationTokenRotated: 'uei.vantage/location/registrationTokenRotated',
  registrationTokenRevoked: 'uei.vantage/location/registrationTokenRevoked',
  pendingMonitorsPurged: 'uei.vantage/location/pendingMonitorsPurged',
  monitorCredentialsRevoked: 'uei.vantage/location/monitorCredentialsRevoked',
  // Vantage's own: a `distribute` location with fewer members than its min-online (Zabbix proxy groups' minimum online).
  locationBelowMinimumOnline: 'uei.vantage/location/locationBelowMinimumOnline',
  locationMinimumOnlineRestored: 'uei.vantage/location/locationMinimumOnlineRestored',
} as const;

export type UeiName = keyof typeof Uei;
export type UeiValue = (typeof Uei)[UeiName];

const KNOWN_UEIS: ReadonlySet<string> = new Set(Object.values(Uei));

export function isUeiValue(value: string): value is UeiValue {
  return KNOWN_UEIS.has(value);
}
