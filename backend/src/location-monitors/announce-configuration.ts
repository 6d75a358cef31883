/**
 * After a reload, the connected monitors of each location whose package
 * changed get the configurationChanged hint at once; the others learn it at
 * their next check-in (CONFIG_CHANGED) either way.
 */
import type { ConfigHolder } from '../config/config-holder.ts';
import type { LocationMonitorService, PollerNotifier } from './location-monitor-service.ts';

export function announceConfiguration(configs: ConfigHolder, monitors: LocationMonitorService, notifier: PollerNotifier) {
  return async (locations: string[]): Promise<void> => {
    for (const location of locations) {
      const version = configs.packageFor(location)?.version;
      if (version === undefined) continue;
      for (const monitor of await monitors.list(location)) notifier.notify(monitor.id, 'configurationChanged', { version });
    }
  };
}
