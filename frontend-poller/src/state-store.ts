/**
 * The poller's durable state in its state folder: its identity (monitor id
 * and secret, for the location and name it registered with) and the next
 * result `seq`, which must survive restarts so the backend never mistakes a
 * new result for a resend. Written atomically (temporary file, then rename).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MonitorCredentials } from '@vantage/common';

export interface PollerIdentity extends MonitorCredentials {
  server: string;
  location: string;
  name: string;
}

export interface PollerState {
  identity?: PollerIdentity;
  /** The seq the next result gets; results below it were numbered before. */
  nextSeq: number;
}

export class StateStore {
  private readonly file: string;

  constructor(readonly dir: string) {
    this.file = join(dir, 'state.json');
  }

  async load(): Promise<PollerState> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { nextSeq: 1 };
      throw new Error(`cannot read poller state ${this.file}: ${(err as Error).message}`, { cause: err });
    }
    try {
      const state = JSON.parse(text) as PollerState;
      if (!Number.isSafeInteger(state.nextSeq) || state.nextSeq < 1) throw new Error('nextSeq is not a positive integer');
      return state;
    } catch (err) {
      throw new Error(`poller state ${this.file} is damaged (${(err as Error).message}); move it aside to register anew`, { cause: err });
    }
  }

  async save(state: PollerState): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    // The secret is in here: readable by the poller's user only.
    await writeFile(tmp, JSON.stringify(state, null, 2), { mode: 0o600 });
    await rename(tmp, this.file);
  }
}
