/**
 * Turns the polling configuration into the package each location's monitors
 * poll, with a version that changes only when what the location polls (or the
 * settings its pollers get) changes.
 */
import { createHash } from 'node:crypto';
import type { PolledService, PollerSettings, PollingPackage } from '@vantage/common';
import type { BackendPollerSettings, PollingConfig } from '../config/polling-config.ts';
import { serviceIdOf } from '../config/service-id.ts';
import { LocationShares } from './distribute.ts';

export interface LocationPackage {
  package: PollingPackage;
  settings: PollerSettings;
  version: string;
  /** Fast membership test for result ingest. */
  serviceIds: ReadonlySet<string>;
  /** The package's services by id, built once per configuration so that no result batch builds its own. */
  servicesById: ReadonlyMap<string, PolledService>;
  /** Outage calendars that apply to each service (from its package); backend-side, not sent to pollers. */
  outageCalendars: ReadonlyMap<string, readonly string[]>;
  /**
   * For a location in `distribute` mode, its services split among its
   * members (the split of each membership is cached here, so it lives as
   * long as this configuration); null in `replicate` mode.
   */
  shares: LocationShares | null;
}

/**
 * `previous` (the packages of the configuration being replaced): a location
 * whose package version did not change keeps its indexes (`serviceIds`,
 * `servicesById`) and, in `distribute` mode, its cached splits, so a reload
 * rebuilds only what changed. The version covers every service of the
 * package, so an index of the same version is the same index.
 */
export function computeLocationPackages(config: PollingConfig, previous?: ReadonlyMap<string, LocationPackage>): Map<string, LocationPackage> {
  const settings = pollerSettingsOf(config.settings);
  const result = new Map<string, LocationPackage>();
  for (const location of config.locations.values()) {
    const services = new Map<string, PolledService>();
    const calendars = new Map<string, readonly string[]>();
    for (const packageName of location.packageNames) {
      const definition = config.packages.get(packageName);
      if (!definition) continue; // the parser refuses unknown package names
      for (const target of definition.targets) {
        for (const service of definition.services) {
          if (!service.enabled) continue;
          const serviceId = serviceIdOf(target.nodeLabel, service.name);
          // The first package naming a node's service wins, as in OpenNMS's package order.
          if (services.has(serviceId)) continue;
          const polled: PolledService = {
            serviceId,
            serviceName: service.name,
            monitor: config.monitorTypes.get(service.name) ?? service.name.toLowerCase(),
            nodeLabel: target.nodeLabel,
            host: target.host,
            intervalMs: service.intervalMs,
            params: service.params,
          };
          if (definition.downtime.length > 0) polled.downtime = definition.downtime;
          services.set(serviceId, polled);
          if (definition.outageCalendars.length > 0) calendars.set(serviceId, definition.outageCalendars);
        }
      }
    }
    const pkg: PollingPackage = {
      name: location.packageNames.join('+'),
      location: location.name,
      services: [...services.values()].sort((a, b) => (a.serviceId < b.serviceId ? -1 : a.serviceId > b.serviceId ? 1 : 0)),
    };
    const version = versionOf({ pkg, settings });
    const same = previous?.get(location.name)?.version === version ? previous.get(location.name) : undefined;
    result.set(location.name, {
      package: same?.package ?? pkg,
      settings,
      version,
      serviceIds: same?.serviceIds ?? new Set(services.keys()),
      servicesById: same?.servicesById ?? services,
      outageCalendars: calendars,
      shares: location.mode === 'distribute' ? (same?.shares ?? new LocationShares(pkg, version)) : null,
    });
  }
  return result;
}

/** The version a paused monitor sees: an empty package, distinct from every real one. */
export function pausedVersion(settings: PollerSettings): string {
  return `paused-${versionOf(settings)}`;
}

function pollerSettingsOf(settings: BackendPollerSettings): PollerSettings {
  const { disconnectTimeoutMs: _backendOnly, ...rest } = settings;
  return rest;
}

function versionOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('base64url').slice(0, 16);
}
