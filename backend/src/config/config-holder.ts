/**
 * Holds the polling configuration in force and the packages computed from
 * it. A new configuration replaces both at once, so readers never see a mix.
 */
import { computeLocationPackages, type LocationPackage } from '../packages/location-packages.ts';
import { isInOutage } from './outage-calendar.ts';
import type { ApplicationDefinition, LocationDefinition, PollingConfig } from './polling-config.ts';

export class ConfigHolder {
  private current: { config: PollingConfig; packages: Map<string, LocationPackage>; applicationsByService: Map<string, ApplicationDefinition[]> };

  constructor(config: PollingConfig) {
    this.current = ConfigHolder.derive(config);
  }

  private static derive(config: PollingConfig, previous?: ReadonlyMap<string, LocationPackage>) {
    const applicationsByService = new Map<string, ApplicationDefinition[]>();
    for (const application of config.applications.values()) {
      for (const member of application.members) {
        const list = applicationsByService.get(member.serviceId) ?? [];
        if (!list.includes(application)) list.push(application);
        applicationsByService.set(member.serviceId, list);
      }
    }
    return { config, packages: computeLocationPackages(config, previous), applicationsByService };
  }

  /** The applications a service is part of. */
  applicationsOf(serviceId: string): readonly ApplicationDefinition[] {
    return this.current.applicationsByService.get(serviceId) ?? [];
  }

  get config(): PollingConfig {
    return this.current.config;
  }

  location(name: string): LocationDefinition | undefined {
    return this.current.config.locations.get(name);
  }

  packageFor(location: string): LocationPackage | undefined {
    return this.current.packages.get(location);
  }

  /**
   * Whether a service polled from a location is inside one of its outage
   * calendars' windows at this instant (scheduled maintenance).
   */
  inScheduledOutage(location: string, serviceId: string, timeMs: number): boolean {
    const names = this.current.packages.get(location)?.outageCalendars.get(serviceId);
    if (!names) return false;
    return names.some((name) => {
      const calendar = this.current.config.outageCalendars.get(name);
      return calendar !== undefined && isInOutage(calendar, timeMs);
    });
  }

  private readonly listeners: ((config: PollingConfig) => void)[] = [];

  /** Called after every successful replacement, with the configuration now in force. */
  onReplaced(listener: (config: PollingConfig) => void): void {
    this.listeners.push(listener);
  }

  /** Swaps in a new configuration; returns the locations whose package version changed. */
  replace(config: PollingConfig): string[] {
    const next = ConfigHolder.derive(config, this.current.packages);
    const changed = [...next.packages].filter(([name, pkg]) => this.current.packages.get(name)?.version !== pkg.version).map(([name]) => name);
    this.current = next;
    for (const listener of this.listeners) listener(config);
    return changed;
  }
}
