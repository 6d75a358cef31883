/**
 * Where the backend is built, what from, and building what is stale: run
 * as a script before `npm run poller`, and by `backend/start.mjs` for `npm start`. Plain JavaScript, so
 * that when nothing changed, starting costs no transpiler and no bundler.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isStale, POLLER_BUNDLE_PATH, POLLER_SOURCES } from '../frontend-poller/bundle-files.mjs';

export const BACKEND_BUNDLE_PATH = fileURLToPath(new URL('./dist/vantage.mjs', import.meta.url));

/** The workspaces the backend is made of, and the preload its bundle holds a copy of: a change in any of them makes the build stale. */
export const BACKEND_SOURCES = ['backend/src', 'backend/pglite-preload.mjs', 'frontend-poller/src', 'monitors/src', 'events/src', 'common/src', 'runtime/src'].map((dir) =>
  fileURLToPath(new URL(`../${dir}`, import.meta.url)),
);

/** The web UI bundled (`app.<hash>.js`, its map, and manifest.json naming it and its sources), and what from: its modules (first: the folder the bundle is made from) and what rewrites and compiles them. */
export const WEBUI_BUNDLE_DIR = fileURLToPath(new URL('../webui/dist', import.meta.url));
export const WEBUI_SOURCES = ['../webui/src', './src/rest/webui-htm-compile.ts', './src/rest/webui-source-rewrites.ts'].map((path) => fileURLToPath(new URL(path, import.meta.url)));
const WEBUI_MANIFEST = join(WEBUI_BUNDLE_DIR, 'manifest.json');

/** Whether the web UI's bundle is missing or older than one of its sources. */
export function webUiIsStale() {
  return isStale(WEBUI_MANIFEST, WEBUI_SOURCES);
}

/**
 * The embedded database a new data folder starts as a copy of, made once by
 * the build with every migration applied (PGlite's own initdb would run in
 * the backend, with a second PostgreSQL beside the first: hundreds of MB at
 * the first start; and the migrations took a first start past 3 s).
 */
export const EMPTY_DATABASE_PATH = fileURLToPath(new URL('./dist/empty-database', import.meta.url));
const PGLITE_PACKAGE = fileURLToPath(new URL('../node_modules/@electric-sql/pglite/package.json', import.meta.url));
/** The migrations and what they use: a change in them makes the empty database stale. */
const EMPTY_DATABASE_SOURCES = ['./src/db/migrations', './src/db/database-template.ts', './src/db/installation.ts'].map((path) =>
  fileURLToPath(new URL(path, import.meta.url)),
);

/** Which PGlite made the empty database: kept beside it, since npm gives every installed file the same old mtime. */
export const EMPTY_DATABASE_MADE_BY = `${EMPTY_DATABASE_PATH}.pglite-version`;

/** The version of the PGlite installed now, or undefined where it cannot be read. */
export function installedPgliteVersion() {
  try {
    return JSON.parse(readFileSync(PGLITE_PACKAGE, 'utf8')).version;
  } catch {
    return undefined;
  }
}

/** Missing, older than a migration, or made by another PGlite than the one installed now. */
export function emptyDatabaseIsStale() {
  if (!existsSync(join(EMPTY_DATABASE_PATH, 'PG_VERSION'))) return true;
  if (isStale(EMPTY_DATABASE_MADE_BY, EMPTY_DATABASE_SOURCES)) return true;
  let madeBy;
  try {
    madeBy = readFileSync(EMPTY_DATABASE_MADE_BY, 'utf8').trim();
  } catch {
    return true;
  }
  const installed = installedPgliteVersion();
  return installed !== undefined && installed !== madeBy;
}

/**
 * Builds the poller, the backend, the web UI's bundle and the empty database when any is missing
 * or stale (with tsx, in a child process: only then is a transpiler loaded).
 * Returns the exit status: 0 when all is built.
 */
export function buildIfStale() {
  if (!isStale(POLLER_BUNDLE_PATH, POLLER_SOURCES) && !isStale(BACKEND_BUNDLE_PATH, BACKEND_SOURCES) && !webUiIsStale() && !emptyDatabaseIsStale()) return 0;
  const build = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./build.ts', import.meta.url)), '--if-stale'], { stdio: 'inherit' });
  return build.status ?? 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exit(buildIfStale());
