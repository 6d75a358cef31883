/**
 * Reloads the polling configuration when its file changes or when asked
 * (REST), atomically: a file that fails validation is refused with its error
 * and the running configuration stays in force. Locations whose package
 * changed get their connected monitors hinted at once; the others learn it
 * from CONFIG_CHANGED at their next check-in either way.
 */
import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Logger } from '@vantage/runtime';
import type { ConfigHolder } from './config-holder.ts';
import { ConfigError } from './config-error.ts';
import { loadPollingConfigFile } from './load-config.ts';

export type ReloadOutcome =
  | { status: 'reloaded'; changedLocations: string[] }
  | { status: 'unchanged' }
  | { status: 'refused'; error: string };

export class ConfigReloader {
  private running: Promise<ReloadOutcome> = Promise.resolve({ status: 'unchanged' });
  private watcher: FSWatcher | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private lastDigest: string | undefined;

  constructor(
    private readonly path: string,
    private readonly variables: Record<string, string>,
    private readonly holder: ConfigHolder,
    /** Called with the locations whose package version changed. */
    private readonly onChanged: (locations: string[]) => Promise<void>,
    private readonly log: Logger,
  ) {}

  /** Reloads now; reloads never overlap (a second request waits for the first). */
  reload(reason: string): Promise<ReloadOutcome> {
    this.running = this.running.then(() => this.reloadOnce(reason));
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
    const digest = await this.digest();
    // Editors fire several events per save; the same bytes twice are one reload.
    if (digest !== undefined && digest === this.lastDigest && reason === 'the file changed') return { status: 'unchanged' };
    let config;
    try {
      config = await loadPollingConfigFile(this.path, this.variables);
    } catch (err) {
      const error = err instanceof ConfigError ? err.message : `${this.path}: ${(err as Error).message}`;
      this.log.error(`configuration reload (${reason}) refused: ${error}; the running configuration stays in force`);
      return { status: 'refused', error };
    }
    this.lastDigest = digest;
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
      return createHash('sha256').update(await readFile(this.path)).digest('hex');
    } catch {
      return undefined;
    }
  }
}
