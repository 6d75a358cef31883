/**
 * The polling configuration model: what to poll (packages), from where
 * (locations), which services make up an application, when not to raise
 * alarms (outage calendars), and the settings pushed to pollers. Parsed from
 * `polling-config.xml` by `parsePollingConfig`.
 */
import type { Downtime, PollerSettings } from '@vantage/common';
import type { NotificationRule, NotificationSinkConfig } from '../notifications/rules.ts';
import type { OutageCalendar } from './outage-calendar.ts';

export interface Target {
  host: string;
  nodeLabel: string;
}

export interface ServiceDefinition {
  name: string;
  intervalMs: number;
  /** Services with status="off" are configured but not polled. */
  enabled: boolean;
  params: Record<string, string>;
}

export interface PackageDefinition {
  name: string;
  targets: Target[];
  services: ServiceDefinition[];
  /** How to poll a service that has been down for a while (OpenNMS's `<downtime>`), in order. */
  downtime: Downtime[];
  /** Names of the outage calendars that apply to this package's services. */
  outageCalendars: string[];
}

/**
 * How a location's monitors share its package: `replicate` (each polls every
 * service, OpenNMS's perspective model) or `distribute` (the monitors split
 * the work between them, Pro.Monitor's group workload).
 */
export type LocationMode = 'replicate' | 'distribute';

export interface LocationDefinition {
  name: string;
  monitoringArea: string;
  packageNames: string[];
  /** When set, a poller presenting this token registers at once; otherwise an administrator approves it. */
  registrationToken?: string;
  /** A place name for people, such as "Raleigh, NC". */
  geolocation?: string;
  coordinates?: { latitude: number; longitude: number };
  mode: LocationMode;
  /**
   * `distribute` only: with fewer members (STARTED, unpaused monitors) than
   * this, the location raises locationBelowMinimumOnline (an alarm) until it
   * has enough again. The members left keep polling everything between them.
   */
  minOnline?: number;
}

/** One service of an application: a service of a node in a package. */
export interface ApplicationMember {
  packageName: string;
  nodeLabel: string;
  serviceName: string;
  serviceId: string;
}

export interface ApplicationDefinition {
  name: string;
  members: ApplicationMember[];
  /**
   * How many locations must see it down before the application itself is
   * down (applicationDown); when fewer locations report, all of them.
   */
  downThreshold: number;
}

export const DEFAULT_APPLICATION_DOWN_THRESHOLD = 2;

export interface BackendPollerSettings extends PollerSettings {
  /** A STARTED monitor that has not checked in for this long is DISCONNECTED. Backend-side only. */
  disconnectTimeoutMs: number;
}

export interface PollingConfig {
  settings: BackendPollerSettings;
  packages: Map<string, PackageDefinition>;
  locations: Map<string, LocationDefinition>;
  /** Service name → monitor type, as `<monitor service="HTTP" type="http"/>`. */
  monitorTypes: Map<string, string>;
  outageCalendars: Map<string, OutageCalendar>;
  applications: Map<string, ApplicationDefinition>;
  /** Where notifications go (webhooks, e-mail) and which events go where. */
  notificationSinks: Map<string, NotificationSinkConfig>;
  notificationRules: NotificationRule[];
}

export const DEFAULT_SETTINGS: BackendPollerSettings = {
  checkInIntervalMs: 30_000,
  disconnectTimeoutMs: 90_000,
  parallelTasks: 50,
  defaultTimeoutMs: 3_000,
  logLevel: 'info',
  spoolMaxAgeMs: 24 * 3_600_000,
  spoolMaxBytes: 64 * 1024 * 1024,
};

/** The most addresses one package may cover; a larger network is better split into packages. */
export const MAX_TARGETS_PER_PACKAGE = 100_000;
