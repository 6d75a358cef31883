/**
 * Reloads the polling configuration when its file changes or when asked
 * (REST), atomically: a file that fails validation is refused with its error
 * and the running configuration stays in force. A valid file is stored as
 * the configuration in force of every instance (cluster/shared-configuration.ts)
 * before it is put in force here; a configuration another instance stored
 * is put in force through `adopt`. Locations whose package changed get
 * their connected monitors hinted at once; the others learn it from
 * CONFIG_CHANGED at their next check-in either way.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from '@vantage/runtime';
import { configurationDigest, type StoredConfiguration } from '../cluster/shared-configuration.ts';
import type { ConfigHolder } from './config-holder.ts';
import { ConfigError } from './config-error.ts';
import { parsePollingConfigText, readPollingConfigText } from './load-config.ts';
import type { PollingConfig } from './polling-config.ts';

/** Where a loaded configuration is kept for the other instances; resolves once stored. */
export interface ConfigurationStore {
  store(text: string): Promise<unknown>;
}

export type ReloadOutcome =
  | { status: 'reloaded'; changedLocations: string[] }
  | { status: 'unchanged' }
  | { status: 'refused'; error: string };

export class ConfigReloader {
  private running: Promise<ReloadOutcome> = Promise.resolve({ status: 'unchanged' });
  private watcher: FSWatcher | undefined;
  private debounce: NodeJS.Timeout | undefined;
  /** The digest of the file's text last read, so that several events of one save are one reload. */
  private lastDigest: string | undefined;

  constructor(
    private readonly path: string,
    private readonly variables: Record<string, string>,
    private readonly holder: ConfigHolder,
    /** Called with the locations whose package version changed. */
    private readonly onChanged: (locations: string[]) => Promise<void>,
    private readonly log: Logger,
    /** The digest of the text in force in `holder` now. */
    private inForceDigest: string | undefined = undefined,
    private readonly store: ConfigurationStore | undefined = undefined,
  ) {}

  /** Reloads now; reloads never overlap (a second request waits for the first). */
  reload(reason: string): Promise<ReloadOutcome> {
    this.running = this.running.then(() => this.reloadOnce(reason));
    return this.running;
  }

  /** Puts in force a configuration another instance stored, unless it already is; in turn with reloads. */
  adopt(stored: StoredConfiguration): Promise<ReloadOutcome> {
    this.running = this.running.then(() => {
      if (stored.digest === this.inForceDigest) return { status: 'unchanged' } as const;
      let config: PollingConfig;
      try {
        config = parsePollingConfigText(stored.text, `the configuration stored by another instance (revision ${stored.revision})`, this.variables);
      } catch (err) {
        const error = (err as Error).message;
        this.log.error(`cannot put in force ${error}; the running configuration stays in force`);
        return { status: 'refused', error };
      }
      return this.putInForce(config, stored.digest, `another instance stored revision ${stored.revision}`);
    });
    return this.running;
  }

  /**
   * Watches the file's folder rather than the file: editors often save by
   * writing a new file and renaming it over the old one, which a watch on
   * the old file would not see.
   */
  watch(debounceMs = 300): void {
    if (this.watcher) return;
    const name = basename(this.path);
    void this.digest().then((d) => (this.lastDigest ??= d));
    try {
      this.watcher = watch(dirname(this.path), (_event, file) => {
        if (file !== null && file !== name) return;
        clearTimeout(this.debounce);
        this.debounce = setTimeout(() => void this.reload('the file changed'), debounceMs);
      });
      this.watcher.on('error', (err) => this.log.warn(`stopped watching ${this.path}: ${err.message}; reload with POST /api/config/reload`));
      this.watcher.unref();
    } catch (err) {
      this.log.warn(`cannot watch ${this.path} (${(err as Error).message}); reload with POST /api/config/reload`);
    }
  }

  async close(): Promise<void> {
    clearTimeout(this.debounce);
    this.watcher?.close();
    this.watcher = undefined;
    await this.running;
  }

  private async reloadOnce(reason: string): Promise<ReloadOutcome> {
    let text: string;
    let config: PollingConfig;
    try {
      text = await readPollingConfigText(this.path);
      const digest = configurationDigest(text);
      // Editors fire several events per save; the same bytes twice are one reload.
      if (digest === this.lastDigest && reason === 'the file changed') return { status: 'unchanged' };
      config = parsePollingConfigText(text, this.path, this.variables);
    } catch (err) {
      const error = err instanceof ConfigError ? err.message : `${this.path}: ${(err as Error).message}`;
      this.log.error(`configuration reload (${reason}) refused: ${error}; the running configuration stays in force`);
      return { status: 'refused', error };
    }
    const digest = configurationDigest(text);
    this.lastDigest = digest;
    try {
      // First for every instance: what is in force here is what the database says is in force.
      await this.store?.store(text);
    } catch (err) {
      const error = `cannot store the configuration in the database: ${(err as Error).message}`;
      this.log.error(`configuration reload (${reason}) refused: ${error}; the running configuration stays in force`);
      return { status: 'refused', error };
    }
    return this.putInForce(config, digest, reason);
  }

  private async putInForce(config: PollingConfig, digest: string, reason: string): Promise<ReloadOutcome> {
    this.inForceDigest = digest;
    const changedLocations = this.holder.replace(config);
    if (changedLocations.length === 0) {
      this.log.info(`configuration reloaded (${reason}): no location's package changed`);
      return { status: 'reloaded', changedLocations };
    }
    this.log.info(`configuration reloaded (${reason}): new packages for ${changedLocations.join(', ')}`);
    try {
      await this.onChanged(changedLocations);
    } catch (err) {
      // The new configuration is in force; monitors will learn of it at their next check-in.
      this.log.warn(`could not hint monitors of the new configuration: ${(err as Error).message}`);
    }
    return { status: 'reloaded', changedLocations };
  }

  private async digest(): Promise<string | undefined> {
    try {
      return configurationDigest(await readPollingConfigText(this.path));
    } catch {
      return undefined;
    }
  }
}
