/**
 * Holds the polling configuration in force and the packages computed from
 * it. A new configuration replaces both at once, so readers never see a mix.
 */
import { computeLocationPackages, type LocationPackage } from '../packages/location-packages.ts';
import type { LocationDefinition, PollingConfig } from './polling-config.ts';

export class ConfigHolder {
  private current: { config: PollingConfig; packages: Map<string, LocationPackage> };

  constructor(config: PollingConfig) {
    this.current = { config, packages: computeLocationPackages(config) };
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

  /** Swaps in a new configuration; returns the locations whose package version changed. */
  replace(config: PollingConfig): string[] {
    const packages = computeLocationPackages(config);
    const changed = [...packages].filter(([name, pkg]) => this.current.packages.get(name)?.version !== pkg.version).map(([name]) => name);
    this.current = { config, packages };
    return changed;
  }
}
