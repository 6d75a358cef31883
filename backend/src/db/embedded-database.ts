/**
 * The embedded PGlite as a small installation needs it: settings sized for
 * one process, and a new data folder made by copying an empty database built
 * ahead (`npm run build`) instead of running initdb in the backend.
 *
 * Why: PGlite is PostgreSQL compiled to WebAssembly, and WebAssembly memory
 * grows and never shrinks, so whatever PostgreSQL touches once stays in the
 * process's RSS. Its defaults are a server's: shared_buffers 128MB, work_mem
 * 4MB, maintenance_work_mem 64MB. And PGlite's own first start runs initdb
 * inside the process with a second PostgreSQL instance beside the first,
 * which took the standalone past 900 MB at its first start.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { EMPTY_DATABASE_PATH } from '../../bundle-files.mjs';

/**
 * PostgreSQL settings for the embedded database, passed at every start.
 * - shared_buffers 16MB: the page cache lives in the WebAssembly memory, so
 *   every buffer ever used stays resident; the operating system's page cache
 *   still holds the files, and a small installation's working set (recent
 *   results, service states, events) fits.
 * - work_mem 2MB, maintenance_work_mem 16MB, temp_buffers 2MB: one session
 *   runs one query at a time; sorts beyond it spill to disk instead of
 *   growing the memory for good.
 * - wal_buffers 512kB; min_wal_size 32MB, max_wal_size 64MB: checkpoints
 *   come sooner and fewer WAL segments are kept, so the folder stays small
 *   (the defaults keep 80 MB to 1 GB of WAL).
 */
export const EMBEDDED_SETTINGS: Readonly<Record<string, string>> = {
  shared_buffers: '16MB',
  work_mem: '2MB',
  maintenance_work_mem: '16MB',
  temp_buffers: '2MB',
  wal_buffers: '512kB',
  min_wal_size: '32MB',
  max_wal_size: '64MB',
};

export function embeddedStartParams(): string[] {
  return [...PGlite.defaultStartParams, ...Object.entries(EMBEDDED_SETTINGS).flatMap(([name, value]) => ['-c', `${name}=${value}`])];
}

/** Whether `dataDir` holds an embedded database already (false: a first start on it). */
export function holdsDatabase(dataDir: string): boolean {
  return existsSync(join(dataDir, 'PG_VERSION'));
}

/**
 * Makes `dataDir` a copy of the empty database built ahead, when it holds no
 * database yet and the build has made one. Copied aside and renamed into
 * place, so a start that dies half-way leaves no half database. Returns
 * whether it did; otherwise PGlite makes the database itself (initdb).
 */
export function seedFromEmptyDatabase(dataDir: string, template = EMPTY_DATABASE_PATH): boolean {
  if (holdsDatabase(dataDir) || !existsSync(join(template, 'PG_VERSION'))) return false;
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0) return false; // something else is there: PGlite says what
  mkdirSync(dirname(dataDir), { recursive: true });
  const copying = `${dataDir}.${process.pid}.seeding`;
  rmSync(copying, { recursive: true, force: true });
  cpSync(template, copying, { recursive: true });
  rmSync(dataDir, { recursive: true, force: true });
  renameSync(copying, dataDir);
  return true;
}
