/**
 * Compiles every TypeScript file of the workspaces into ts-hooks.mjs's cache
 * at once, in this one process (`npm test` runs it first, as `pretest`). In a
 * fresh checkout the cache is empty, and the test processes started together
 * (and the backends and pollers they start) each compiled the same files
 * before their first step, on the same two cores. A file compiled before is
 * only read back, so in a used checkout this takes a moment.
 *
 * Usage: node runtime/ts-cache-warm.mjs
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile } from './ts-hooks.mjs';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const WORKSPACES = ['common', 'runtime', 'monitors', 'events', 'frontend-poller', 'backend', 'e2e', 'bench'];

/**
 * The TypeScript files below `dir` (not in node_modules, build output or hidden folders), sorted; the test
 * runner (e2e/support/run-tests.ts) takes its test files from here too.
 * @param {string} dir @returns {string[]}
 */
export function typeScriptFiles(dir) {
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...typeScriptFiles(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) files.push(path);
  }
  return files.sort();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = Date.now();
  const files = WORKSPACES.flatMap((workspace) => typeScriptFiles(join(REPO_ROOT, workspace)));
  for (const file of files) await compile(file, readFileSync(file, 'utf8'));
  console.log(`TypeScript ready: ${files.length} files in ${Date.now() - started} ms`);
}
