/**
 * The poller's identities in its state folder: one per installation it has
 * registered with (all the servers of one installation share a database, so
 * one identity serves them all; a standby installation with its own database
 * gets its own). Written atomically (temporary file, then rename), readable
 * by the poller's user only: it holds the secrets. Written only when an
 * identity changes, never per result: result numbering lives in the spool.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MonitorCredentials } from '@vantage/common';

export interface PollerIdentity extends MonitorCredentials {
  /** The installation it belongs to (getServerInfo); unknown for one kept by an older poller. */
  installationId?: string;
  /** The servers it was used with, so an identity from before installation ids can still be matched. */
  servers: string[];
  location: string;
  name: string;
}

export interface PollerState {
  identities: PollerIdentity[];
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
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { identities: [] };
      throw new Error(`cannot read poller state ${this.file}: ${(err as Error).message}`, { cause: err });
    }
    try {
      return parseState(JSON.parse(text) as unknown);
    } catch (err) {
      throw new Error(`poller state ${this.file} is damaged (${(err as Error).message}); move it aside to register anew`, { cause: err });
    }
  }

  async save(state: PollerState): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    // The secrets are in here: readable by the poller's user only.
    await writeFile(tmp, JSON.stringify(state, null, 2), { mode: 0o600 });
    await rename(tmp, this.file);
  }
}

/** Today's shape, or the one-identity shape of earlier pollers ({identity: {server, …}, nextSeq}). */
function parseState(value: unknown): PollerState {
  if (value === null || typeof value !== 'object') throw new Error('not an object');
  const record = value as Record<string, unknown>;
  if (Array.isArray(record.identities)) {
    return { identities: record.identities.map((identity, i) => checkIdentity(identity, `identities[${i}]`)) };
  }
  if ('nextSeq' in record && !(Number.isSafeInteger(record.nextSeq) && (record.nextSeq as number) >= 1)) throw new Error('nextSeq is not a positive integer');
  if (record.identity === undefined) {
    if (!('nextSeq' in record)) throw new Error('no identities');
    return { identities: [] };
  }
  const legacy = record.identity as Record<string, unknown>;
  const { server, ...rest } = legacy;
  if (typeof server !== 'string') throw new Error('identity.server is not a string');
  return { identities: [checkIdentity({ ...rest, servers: [server] }, 'identity')] };
}

function checkIdentity(value: unknown, where: string): PollerIdentity {
  const v = value as Record<string, unknown> | null;
  const isText = (x: unknown) => typeof x === 'string' && x.length > 0;
  if (!v || !isText(v.monitorId) || !isText(v.secret) || !isText(v.location) || !isText(v.name)) throw new Error(`${where} lacks monitorId, secret, location or name`);
  if (!Array.isArray(v.servers) || !v.servers.every(isText)) throw new Error(`${where}.servers is not a list of URLs`);
  if (v.installationId !== undefined && !isText(v.installationId)) throw new Error(`${where}.installationId is not a string`);
  return v as unknown as PollerIdentity;
}

/**
 * The identity to use with a server of `installationId` reached at `server`:
 * the one of that installation, else one kept before installation ids were
 * known that was used with this very URL; only for this location and name.
 */
export function identityFor(state: PollerState, installationId: string, server: string, location: string, name: string): PollerIdentity | undefined {
  const mine = (i: PollerIdentity) => i.location === location && i.name === name;
  return (
    state.identities.find((i) => mine(i) && i.installationId === installationId) ??
    state.identities.find((i) => mine(i) && i.installationId === undefined && i.servers.includes(server))
  );
}
