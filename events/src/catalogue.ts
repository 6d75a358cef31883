/**
 * The event catalogue: every UEI Vantage emits, with the severity, label and
 * description from OpenNMS's remote-poller event definitions (seed 003), and
 * the alarm data that says which events raise an alarm (by reduction key)
 * and which clear one.
 */
import { Uei, type UeiValue } from '@vantage/common';

export const SEVERITIES = ['Indeterminate', 'Cleared', 'Normal', 'Warning', 'Minor', 'Major', 'Critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The fields of an event an alarm key is built from. */
export interface AlarmKeyFields {
  uei: string;
  monitorId: string | null;
  serviceId: string | null;
  /** The event's location, for alarms kept per location. */
  location?: string | null;
  params: Record<string, string>;
}

/**
 * OpenNMS's alarm-data: a problem event raises (or reduces into) the alarm
 * with its reduction key; a resolution event clears the alarm whose key it
 * names.
 */
export type AlarmData = { type: 'problem'; reductionKey: (e: AlarmKeyFields) => string } | { type: 'resolution'; clears: (e: AlarmKeyFields) => string };

export interface EventDefinition {
  uei: UeiValue;
  severity: Severity;
  label: string;
  description: string;
  alarm?: AlarmData;
}

const perMonitor = (uei: string) => (e: AlarmKeyFields) => `${uei}:${e.monitorId}`;
const perServiceAndMonitor = (uei: string) => (e: AlarmKeyFields) => `${uei}:${e.monitorId}:${e.serviceId}`;
const perApplication = (uei: string) => (e: AlarmKeyFields) => `${uei}:${e.params.application}`;
const perLocation = (uei: string) => (e: AlarmKeyFields) => `${uei}:${e.location}`;

const definitions: EventDefinition[] = [
  {
    uei: Uei.nodeLostService,
    severity: 'Minor',
    label: 'A service is down, as seen from one location monitor',
    description: 'Sent when a service fails to respond to a poll by a location monitor (UEI from OpenNMS: nodeLostService).',
    alarm: { type: 'problem', reductionKey: perServiceAndMonitor(Uei.nodeLostService) },
  },
  {
    uei: Uei.nodeRegainedService,
    severity: 'Normal',
    label: 'A service is up again, as seen from one location monitor',
    description: 'Sent when a service responds to a location monitor again after having failed to (UEI from OpenNMS: nodeRegainedService).',
    alarm: { type: 'resolution', clears: perServiceAndMonitor(Uei.nodeLostService) },
  },
  {
    uei: Uei.locationMonitorRegistered,
    severity: 'Normal',
    label: 'A remote location monitor has registered',
    description: 'Sent when a remote location monitor is created.',
  },
  {
    uei: Uei.locationMonitorStarted,
    severity: 'Normal',
    label: 'A remote location monitor has started polling',
    description: 'Sent when a registered remote location monitor begins monitoring the services of its package.',
  },
  {
    uei: Uei.locationMonitorPaused,
    severity: 'Minor',
    label: 'A remote location monitor has been paused',
    description: 'Sent when an administrator pauses a remote location monitor: its package becomes empty.',
  },
  {
    uei: Uei.locationMonitorStopped,
    severity: 'Normal',
    label: 'A remote location monitor has been shut down',
    description: 'Sent when a remote location monitor shuts down cleanly.',
  },
  {
    uei: Uei.locationMonitorDisconnected,
    severity: 'Warning',
    label: 'A remote location monitor has disconnected',
    description: 'Sent when a remote location monitor fails to check in at the required interval.',
    alarm: { type: 'problem', reductionKey: perMonitor(Uei.locationMonitorDisconnected) },
  },
  {
    uei: Uei.locationMonitorReconnected,
    severity: 'Normal',
    label: 'A disconnected remote location monitor has reconnected',
    description: 'Sent when a disconnected remote location monitor checks in again.',
    alarm: { type: 'resolution', clears: perMonitor(Uei.locationMonitorDisconnected) },
  },
  {
    uei: Uei.configurationChangeDetected,
    severity: 'Normal',
    label: "A remote location monitor's configuration has been changed",
    description: "Sent when a remote location monitor's configuration has changed and the monitor fetched it.",
  },
  {
    uei: Uei.applicationDown,
    severity: 'Major',
    label: 'An application is down',
    description:
      "Sent when enough locations see a service of the application down: the application's threshold, or every reporting location when fewer report. The reason gives the counts.",
    alarm: { type: 'problem', reductionKey: perApplication(Uei.applicationDown) },
  },
  {
    uei: Uei.applicationUp,
    severity: 'Normal',
    label: 'An application is up again',
    description: 'Sent when fewer locations than the threshold see the application down.',
    alarm: { type: 'resolution', clears: perApplication(Uei.applicationDown) },
  },
  {
    uei: Uei.monitorConnectivityLost,
    severity: 'Major',
    label: 'A location monitor lost its own connectivity',
    description:
      "Sent when one monitor cannot reach any service it polls while another location reaches one of them at the same time or later: the problem is the monitor's network, not the services. Its lost-service alarms are cleared as explained, and it raises none until it reaches a service again or other locations see its services down too.",
    alarm: { type: 'problem', reductionKey: perMonitor(Uei.monitorConnectivityLost) },
  },
  {
    uei: Uei.monitorConnectivityRestored,
    severity: 'Normal',
    label: 'A location monitor regained its connectivity',
    description: 'Sent when a monitor that had lost its connectivity reaches a service again, or when other locations see its services down too (the outage is real, and its lost-service alarms are raised).',
    alarm: { type: 'resolution', clears: perMonitor(Uei.monitorConnectivityLost) },
  },
  {
    uei: Uei.locationMonitorSwitchedOver,
    severity: 'Warning',
    label: 'A location monitor switched over to a standby server',
    description: 'Sent by the server a monitor moved to after its home server stopped answering (params: server, from).',
  },
  {
    uei: Uei.locationMonitorSwitchedBack,
    severity: 'Normal',
    label: 'A location monitor switched back to its home server',
    description: 'Sent by the home server when a monitor that had moved to a standby comes back to it (params: server, from).',
  },
  {
    uei: Uei.registrationTokenRotated,
    severity: 'Normal',
    label: "A location's registration token has been replaced",
    description:
      "Sent when an administrator rotates a location's registration token, or a new token appears in the configuration: the previous token stops working at once; monitors registered with it keep their own secret.",
  },
  {
    uei: Uei.registrationTokenRevoked,
    severity: 'Warning',
    label: "A location's registration token has been revoked",
    description: "Sent when an administrator revokes a location's registration token (or removes it from the configuration): new monitors there wait for approval.",
  },
  {
    uei: Uei.pendingMonitorsPurged,
    severity: 'Normal',
    label: 'Monitors waiting for approval have been purged',
    description: 'Sent when an administrator deletes every monitor waiting for approval at a location at once; the count is in the parameters.',
  },
  {
    uei: Uei.monitorCredentialsRevoked,
    severity: 'Warning',
    label: "A location monitor's credentials have been revoked",
    description: "Sent when an administrator revokes a monitor's secret: its calls are refused from then on and the poller stops.",
  },
  {
    uei: Uei.locationBelowMinimumOnline,
    severity: 'Major',
    label: 'A distributed location has fewer monitors online than its minimum',
    description:
      'Sent when a location in distribute mode has fewer started, unpaused monitors than its min-online: the ones left poll every service between them, so each carries more (params: online, minOnline).',
    alarm: { type: 'problem', reductionKey: perLocation(Uei.locationBelowMinimumOnline) },
  },
  {
    uei: Uei.locationMinimumOnlineRestored,
    severity: 'Normal',
    label: 'A distributed location has its minimum of monitors online again',
    description: 'Sent when a location in distribute mode that was below its min-online has at least that many started, unpaused monitors again (params: online, minOnline).',
    alarm: { type: 'resolution', clears: perLocation(Uei.locationBelowMinimumOnline) },
  },
];

const byUei = new Map<string, EventDefinition>(definitions.map((d) => [d.uei, d]));

export const eventCatalogue: readonly EventDefinition[] = definitions;

export function eventDefinition(uei: UeiValue): EventDefinition {
  const definition = byUei.get(uei);
  // Every UeiValue is in the table above; a miss means the table lost an entry.
  if (!definition) throw new Error(`event catalogue has no definition for ${uei}`);
  return definition;
}

/** What an event does to alarms: raise or reduce into one, clear one, or nothing. */
export function alarmActionFor(event: AlarmKeyFields & { uei: UeiValue }): { kind: 'raise' | 'clear'; reductionKey: string } | null {
  const alarm = eventDefinition(event.uei).alarm;
  if (!alarm) return null;
  return alarm.type === 'problem' ? { kind: 'raise', reductionKey: alarm.reductionKey(event) } : { kind: 'clear', reductionKey: alarm.clears(event) };
}
