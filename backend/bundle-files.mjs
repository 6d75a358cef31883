/**
 * Where the backend is built, what from, and building what is stale: run
 * as a script before `npm start` and `npm run poller`. Plain JavaScript, so
 * that when nothing changed, starting costs no transpiler and no bundler.
 */
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isStale, POLLER_BUNDLE_PATH, POLLER_SOURCES } from '../frontend-poller/bundle-files.mjs';

export const BACKEND_BUNDLE_PATH = fileURLToPath(new URL('./dist/vantage.mjs', import.meta.url));

/** The workspaces the backend is made of: a change in any of them makes the build stale. */
export const BACKEND_SOURCES = ['backend/src', 'frontend-poller/src', 'monitors/src', 'events/src', 'common/src', 'runtime/src'].map((dir) =>
  fileURLToPath(new URL(`../${dir}`, import.meta.url)),
);

/**
 * An empty embedded database, made once by the build, that a new data folder
 * starts as a copy of (PGlite's own initdb would run in the backend, with a
 * second PostgreSQL beside the first: hundreds of MB at the first start).
 */
export const EMPTY_DATABASE_PATH = fileURLToPath(new URL('./dist/empty-database', import.meta.url));
const PGLITE_PACKAGE = fileURLToPath(new URL('../node_modules/@electric-sql/pglite/package.json', import.meta.url));

/** Missing, or made by another PGlite than the one installed now. */
export function emptyDatabaseIsStale() {
  let madeMs;
  try {
    madeMs = statSync(join(EMPTY_DATABASE_PATH, 'PG_VERSION')).mtimeMs;
  } catch {
    return true;
  }
  try {
    return madeMs < statSync(PGLITE_PACKAGE).mtimeMs;
  } catch {
    return false; // PGlite installed elsewhere: the one made is kept
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (isStale(POLLER_BUNDLE_PATH, POLLER_SOURCES) || isStale(BACKEND_BUNDLE_PATH, BACKEND_SOURCES) || emptyDatabaseIsStale()) {
    const build = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./build.ts', import.meta.url)), '--if-stale'], { stdio: 'inherit' });
    process.exit(build.status ?? 1);
  }
}
