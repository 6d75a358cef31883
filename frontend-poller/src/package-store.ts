/**
 * The last good package, kept in the state folder (GroundWork GDMA's "last
 * good configuration"): when the backend cannot be reached at start, the
 * poller polls it at once rather than nothing, for at most `package-max-age`
 * after the backend last confirmed it. Two files: the package itself, written
 * when a new one arrives, and a small note of when the backend last confirmed
 * it (a check-in that found it current), written at most once a minute.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PollerSettingsSchema, PollingPackageSchema, type PollerSettings, type PollingPackage } from '@vantage/common';
import type { Logger } from '@vantage/runtime';
import { z } from 'zod';

export interface StoredPackage {
  version: string;
  package: PollingPackage;
  settings: PollerSettings;
  /** When the backend sent it or last said it is current (epoch ms). */
  confirmedAt: number;
}

const StoredPackageSchema = z.object({ version: z.string(), package: PollingPackageSchema, settings: PollerSettingsSchema, confirmedAt: z.number() });
const ConfirmationSchema = z.object({ version: z.string(), confirmedAt: z.number() });

/** Confirmations closer together than this are not written (a check-in every second would otherwise write every second). */
const CONFIRM_WRITE_EVERY_MS = 60_000;

export class PackageStore {
  private readonly packageFile: string;
  private readonly confirmationFile: string;
  private lastWrittenConfirmation = 0;

  constructor(
    private readonly dir: string,
    private readonly log: Logger,
  ) {
    this.packageFile = join(dir, 'package.json');
    this.confirmationFile = join(dir, 'package-confirmed.json');
  }

  /** The stored package, or undefined when there is none or it is damaged (said in the log). */
  load(): StoredPackage | undefined {
    let text: string;
    try {
      text = readFileSync(this.packageFile, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.log.warn(`cannot read the stored package ${this.packageFile}: ${(err as Error).message}; ignoring it`);
      return undefined;
    }
    let stored: StoredPackage;
    try {
      const parsed = StoredPackageSchema.safeParse(JSON.parse(text));
      if (!parsed.success) throw new Error(parsed.error.issues[0]?.message ?? 'not a package');
      stored = parsed.data;
    } catch (err) {
      this.log.warn(`the stored package ${this.packageFile} is damaged (${(err as Error).message}); ignoring it`);
      return undefined;
    }
    try {
      const confirmation = ConfirmationSchema.parse(JSON.parse(readFileSync(this.confirmationFile, 'utf8')));
      if (confirmation.version === stored.version) stored.confirmedAt = Math.max(stored.confirmedAt, confirmation.confirmedAt);
    } catch {
      // no later confirmation than the package's own
    }
    return stored;
  }

  save(stored: StoredPackage): void {
    this.write(this.packageFile, stored);
    this.lastWrittenConfirmation = stored.confirmedAt;
  }

  /** The backend said `version` is current at `atMs`. */
  confirm(version: string, atMs: number): void {
    if (atMs - this.lastWrittenConfirmation < CONFIRM_WRITE_EVERY_MS) return;
    this.write(this.confirmationFile, { version, confirmedAt: atMs });
    this.lastWrittenConfirmation = atMs;
  }

  private write(file: string, value: unknown): void {
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(value), { mode: 0o600 });
      renameSync(tmp, file);
    } catch (err) {
      // Polling goes on with the package in memory; only a restart without the backend would miss it.
      this.log.warn(`cannot store the package in ${file}: ${(err as Error).message}`);
    }
  }
}
