/**
 * Where the poller's single file is built, what from, and whether it is
 * stale. Plain JavaScript, so that `npm start` and `npm run poller` can ask
 * before running built code without loading a transpiler first.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const POLLER_BUNDLE_PATH = fileURLToPath(new URL('./dist/vantage-poller.mjs', import.meta.url));

/** The workspaces the bundle is made of: a change in any of them makes it stale. */
export const POLLER_SOURCES = ['frontend-poller/src', 'monitors/src', 'common/src', 'runtime/src'].map((dir) => fileURLToPath(new URL(`../${dir}`, import.meta.url)));

/**
 * Whether a built file is missing or older than one of its sources.
 * @param {string} outfile the built file
 * @param {string[]} sources folders whose files it is built from (tests aside), or single files
 * @returns {boolean}
 */
export function isStale(outfile, sources) {
  let builtMs;
  try {
    builtMs = statSync(outfile).mtimeMs;
  } catch {
    return true;
  }
  for (const source of sources) {
    const stat = statSync(source);
    if (stat.isFile()) {
      if (stat.mtimeMs > builtMs) return true;
      continue;
    }
    for (const entry of readdirSync(source, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || entry.name.endsWith('.test.ts')) continue;
      if (statSync(join(entry.parentPath, entry.name)).mtimeMs > builtMs) return true;
    }
  }
  return false;
}
