/**
 * Where the backend is built, what from, and building what is stale: run
 * as a script before `npm start` and `npm run poller`. Plain JavaScript, so
 * that when nothing changed, starting costs no transpiler and no bundler.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isStale, POLLER_BUNDLE_PATH, POLLER_SOURCES } from '../frontend-poller/bundle-files.mjs';

export const BACKEND_BUNDLE_PATH = fileURLToPath(new URL('./dist/vantage.mjs', import.meta.url));

/** The workspaces the backend is made of: a change in any of them makes the build stale. */
export const BACKEND_SOURCES = ['backend/src', 'frontend-poller/src', 'monitors/src', 'events/src', 'common/src', 'runtime/src'].map((dir) =>
  fileURLToPath(new URL(`../${dir}`, import.meta.url)),
);

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (isStale(POLLER_BUNDLE_PATH, POLLER_SOURCES) || isStale(BACKEND_BUNDLE_PATH, BACKEND_SOURCES)) {
    const build = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./build.ts', import.meta.url)), '--if-stale'], { stdio: 'inherit' });
    process.exit(build.status ?? 1);
  }
}
