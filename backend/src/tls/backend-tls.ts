/**
 * The certificate the backend's one port serves (HTTPS, WSS, POST /rpc, the
 * web UI): from `--tls-cert`/`--tls-key` files, reloaded on SIGHUP and when
 * the files change, or the generated self-signed one. A reload that fails
 * (unreadable files, a key that does not match, a half-written renewal) is
 * refused with a log line and the certificate in service stays.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type tls from 'node:tls';
import type { Logger } from '@vantage/runtime';
import { readCertificateFiles, type ServedCertificate } from './certificate-pair.ts';
import { FileCertificateStore } from './certificate-store.ts';
import { defaultCertificateNames, loadSelfSignedCertificate } from './self-signed.ts';

/** How the backend gets its certificate. */
export type TlsSettings = { certFile: string; keyFile: string } | { selfSigned: true; names?: string[] };

export type TlsReloadOutcome = { status: 'reloaded'; fingerprint: string } | { status: 'unchanged' } | { status: 'refused'; error: string };

/** What the rest of the backend may know of its TLS: the certificate in service, and a way to reload it. */
export interface TlsStatus {
  /** The SHA-256 fingerprint of the certificate in service (`sha256:AB:…`). */
  readonly fingerprint: string;
  /** Whether it signed itself: pollers must pin it, no CA vouches for it. */
  readonly selfSigned: boolean;
  reload(reason: string): Promise<TlsReloadOutcome>;
}

/** A certificate expiring sooner than this is announced with a warning at each start and reload. */
const EXPIRY_WARNING_MS = 30 * 86_400_000;
/** Renewals write the certificate and the key one after the other: wait for both before reading. */
const WATCH_DEBOUNCE_MS = 500;

export class BackendTls implements TlsStatus {
  private server: tls.Server | undefined;
  private watchers: FSWatcher[] = [];
  private debounce: NodeJS.Timeout | undefined;
  private running: Promise<TlsReloadOutcome> = Promise.resolve({ status: 'unchanged' });

  private constructor(
    private readonly settings: TlsSettings,
    private current: ServedCertificate,
    private readonly log: Logger,
  ) {}

  /** Reads (or, self-signed at the first start, makes) the certificate; throws with a message naming the file and the problem. */
  static async load(settings: TlsSettings, dataDir: string, log: Logger): Promise<BackendTls> {
    const served =
      'certFile' in settings
        ? await readCertificateFiles(settings.certFile, settings.keyFile)
        : await loadSelfSignedCertificate(new FileCertificateStore(join(dataDir, 'tls')), settings.names ?? defaultCertificateNames(), log);
    const backendTls = new BackendTls(settings, served, log);
    backendTls.announce(served);
    return backendTls;
  }

  get fingerprint(): string {
    return this.current.fingerprint;
  }

  get selfSigned(): boolean {
    return this.current.selfSigned;
  }

  /** For the HTTPS server's options. */
  get serverOptions(): { cert: string; key: string } {
    return { cert: this.current.cert, key: this.current.key };
  }

  /** The server whose secure context reloads replace. */
  attach(server: tls.Server): void {
    this.server = server;
  }

  /** Reads the files again and serves them from the next connection on; reloads never overlap. */
  reload(reason: string): Promise<TlsReloadOutcome> {
    this.running = this.running.then(() => this.reloadOnce(reason));
    return this.running;
  }

  /**
   * Watches the files' folders rather than the files: renewals (certbot's
   * symlinks, editors, `mv`) replace files, which a watch on the old one would miss.
   */
  watch(): void {
    const settings = this.settings;
    if (!('certFile' in settings) || this.watchers.length > 0) return;
    const files = [resolve(settings.certFile), resolve(settings.keyFile)];
    for (const folder of new Set(files.map((file) => dirname(file)))) {
      const names = new Set(files.filter((file) => dirname(file) === folder).map((file) => basename(file)));
      try {
        const watcher = watch(folder, (_event, file) => {
          if (file !== null && !names.has(file)) return;
          clearTimeout(this.debounce);
          this.debounce = setTimeout(() => void this.reload('the files changed'), WATCH_DEBOUNCE_MS);
        });
        watcher.on('error', (err) => this.log.warn(`stopped watching ${folder} for a new TLS certificate: ${err.message}; reload with SIGHUP`));
        watcher.unref();
        this.watchers.push(watcher);
      } catch (err) {
        this.log.warn(`cannot watch ${folder} for a new TLS certificate (${(err as Error).message}); reload with SIGHUP`);
      }
    }
  }

  async close(): Promise<void> {
    clearTimeout(this.debounce);
    for (const watcher of this.watchers.splice(0)) watcher.close();
    await this.running;
  }

  private async reloadOnce(reason: string): Promise<TlsReloadOutcome> {
    const settings = this.settings;
    if (!('certFile' in settings)) {
      this.log.info(`TLS reload (${reason}): the self-signed certificate is not reloaded; still serving ${this.current.fingerprint}`);
      return { status: 'unchanged' };
    }
    let next: ServedCertificate;
    try {
      next = await readCertificateFiles(settings.certFile, settings.keyFile);
      if (next.cert === this.current.cert && next.key === this.current.key) return { status: 'unchanged' };
      // Throws on what Node will not serve; the server keeps its context then.
      this.server?.setSecureContext({ cert: next.cert, key: next.key });
    } catch (err) {
      const error = (err as Error).message;
      this.log.error(`TLS certificate reload (${reason}) refused: ${error}; still serving ${this.current.fingerprint}`);
      return { status: 'refused', error };
    }
    this.current = next;
    this.log.info(`TLS certificate reloaded (${reason})`);
    this.announce(next);
    return { status: 'reloaded', fingerprint: next.fingerprint };
  }

  private announce(served: ServedCertificate): void {
    this.log.info(`TLS certificate SHA-256 fingerprint: ${served.fingerprint}`);
    const leftMs = served.notAfter.getTime() - Date.now();
    if (leftMs <= 0) this.log.warn(`the TLS certificate expired on ${served.notAfter.toISOString()}: browsers and pollers verifying by CA refuse it`);
    else if (leftMs < EXPIRY_WARNING_MS) this.log.warn(`the TLS certificate expires on ${served.notAfter.toISOString()}`);
  }
}
