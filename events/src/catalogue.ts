/**
 * The event catalogue: every UEI Vantage emits, with the severity, label and
 * description from OpenNMS's remote-poller event definitions (seed 003).
 */
import { Uei, type UeiValue } from '@vantage/common';

export const SEVERITIES = ['Indeterminate', 'Cleared', 'Normal', 'Warning', 'Minor', 'Major', 'Critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface EventDefinition {
  uei: UeiValue;
  severity: Severity;
  label: string;
  description: string;
}

const definitions: EventDefinition[] = [
  {
    uei: Uei.nodeLostService,
    severity: 'Minor',
    label: 'A remote location monitor detected a node lost service',
    description: 'Sent when a service fails to respond to a remote location monitor poll.',
  },
  {
    uei: Uei.nodeRegainedService,
    severity: 'Normal',
    label: 'A remote location monitor detected a node regained service',
    description: 'Sent when a service responds after having failed to respond to a remote location monitor poll.',
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
  },
  {
    uei: Uei.locationMonitorReconnected,
    severity: 'Normal',
    label: 'A disconnected remote location monitor has reconnected',
    description: 'Sent when a disconnected remote location monitor checks in again.',
  },
  {
    uei: Uei.configurationChangeDetected,
    severity: 'Normal',
    label: "A remote location monitor's configuration has been changed",
    description: "Sent when a remote location monitor's configuration has changed and the monitor fetched it.",
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
