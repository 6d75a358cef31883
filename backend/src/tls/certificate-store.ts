/**
 * Where the generated self-signed certificate is kept between starts. Today
 * a folder in the data directory; the interface is what a store in the
 * shared database would implement, so that several backend instances can
 * serve one certificate.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PairSources } from './certificate-pair.ts';

export interface CertificateStore {
  /** Where the pair lives, for messages ("delete it to make a new one"). */
  readonly location: string;
  readonly sources: PairSources;
  /** What is stored; either half may be missing. */
  load(): Promise<{ cert?: string; key?: string }>;
  save(pair: { cert: string; key: string }): Promise<void>;
}

/** `DIR/cert.pem` and `DIR/key.pem`; the folder 0700 and the key 0600, so only the backend's user reads the key. */
export class FileCertificateStore implements CertificateStore {
  readonly sources: PairSources;

  constructor(readonly location: string) {
    this.sources = { cert: join(location, 'cert.pem'), key: join(location, 'key.pem') };
  }

  async load(): Promise<{ cert?: string; key?: string }> {
    return { cert: await readIfPresent(this.sources.cert), key: await readIfPresent(this.sources.key) };
  }

  /** The key first, the certificate last: a start cut short leaves no certificate without its key. Each file is written whole, then renamed into place. */
  async save(pair: { cert: string; key: string }): Promise<void> {
    await mkdir(this.location, { recursive: true, mode: 0o700 });
    await writeWhole(this.sources.key, pair.key, 0o600);
    await writeWhole(this.sources.cert, pair.cert, 0o644);
  }
}

async function readIfPresent(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
}

async function writeWhole(file: string, text: string, mode: number): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  // Created afresh, so that its mode is ours and not that of a leftover.
  await rm(temporary, { force: true });
  await writeFile(temporary, text, { mode, flag: 'wx' });
  await rename(temporary, file);
}
