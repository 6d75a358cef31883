/**
 * The events Vantage emits (common/src/ueis.ts and the event catalogue),
 * for filters and for wording. The REST API accepts only these UEIs.
 */

/** @type {{ uei: string, label: string }[]} */
export const UEIS = [
  { uei: 'uei.opennms.org/remote/nodes/nodeLostService', label: 'Service lost' },
  { uei: 'uei.opennms.org/remote/nodes/nodeRegainedService', label: 'Service regained' },
  { uei: 'uei.opennms.org/remote/locationMonitorRegistered', label: 'Monitor registered' },
  { uei: 'uei.opennms.org/remote/locationMonitorStarted', label: 'Monitor started' },
  { uei: 'uei.opennms.org/remote/locationMonitorPaused', label: 'Monitor paused' },
  { uei: 'uei.opennms.org/remote/locationMonitorStopped', label: 'Monitor stopped' },
  { uei: 'uei.opennms.org/remote/locationMonitorDisconnected', label: 'Monitor disconnected' },
  { uei: 'uei.opennms.org/remote/locationMonitorReconnected', label: 'Monitor reconnected' },
  { uei: 'uei.opennms.org/remote/configurationChangeDetected', label: 'Configuration changed' },
  { uei: 'uei.vantage/application/applicationDown', label: 'Application down' },
  { uei: 'uei.vantage/application/applicationUp', label: 'Application up' },
  { uei: 'uei.vantage/location/monitorConnectivityLost', label: 'Monitor connectivity lost' },
  { uei: 'uei.vantage/location/monitorConnectivityRestored', label: 'Monitor connectivity restored' },
];

/** UEIs that raise or clear alarms. */
export const ALARM_UEIS = new Set([
  'uei.opennms.org/remote/nodes/nodeLostService',
  'uei.opennms.org/remote/nodes/nodeRegainedService',
  'uei.opennms.org/remote/locationMonitorDisconnected',
  'uei.opennms.org/remote/locationMonitorReconnected',
  'uei.vantage/application/applicationDown',
  'uei.vantage/application/applicationUp',
  'uei.vantage/location/monitorConnectivityLost',
  'uei.vantage/location/monitorConnectivityRestored',
]);

/** The last segment of a UEI: "locationMonitorPaused". */
export const ueiName = (/** @type {string} */ uei) => uei.slice(uei.lastIndexOf('/') + 1);

/** A person's wording for a UEI, when it is one of ours. */
export const ueiLabel = (/** @type {string} */ uei) => UEIS.find((u) => u.uei === uei)?.label ?? ueiName(uei);
