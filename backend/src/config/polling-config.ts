/**
 * The polling configuration model: what to poll (packages), from where
 * (locations), and the settings pushed to pollers. Parsed from
 * `polling-config.xml` by `parsePollingConfig`.
 */
import type { PollerSettings } from '@vantage/common';

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
}

export interface LocationDefinition {
  name: string;
  monitoringArea: string;
  packageNames: string[];
  /** When set, a poller presenting this token registers at once; otherwise an administrator approves it. */
  registrationToken?: string;
}

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
