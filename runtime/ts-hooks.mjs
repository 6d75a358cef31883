/**
 * Module hooks that load our TypeScript sources, for the bins run from a
 * checkout (`npx vantage`, `npx vantage-poller`) and the tests: each
 * `.ts` file of the checkout is compiled by esbuild (types stripped, nothing
 * else changed, as `tsconfig.base.json` asks: ES2022 class fields, imports
 * kept as written) and kept in `node_modules/.cache/vantage-ts`, keyed by
 * its path and text, so a file compiles once for every later process.
 *
 * Why not tsx, which the benchmarks use: every test file is a process of
 * its own, and so is each backend and poller an e2e test starts; tsx's
 * hooks also resolve each import and each require() of every package,
 * which doubled the cost of loading the backend (2.6 s of CPU in each
 * process, against 1.3 s with these). Our imports name their files in full
 * (`./x.ts`) and packages resolve the usual way, so only loading needs a
 * hook.
 *
 * Registered by ts-register.mjs (`node --import ./runtime/ts-register.mjs`,
 * or imported first by a bin). `npm test` fills the cache first, in one
 * process (ts-cache-warm.mjs).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Changes when the compile options below do, so that older output is not reused. */
const OPTIONS_VERSION = '1';
const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CACHE_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'vantage-ts');

/** @type {typeof import('esbuild') | undefined} */
let esbuild;

/** @param {string} path @param {string} source */
export async function compile(path, source) {
  const key = createHash('sha256').update(OPTIONS_VERSION).update('\0').update(path).update('\0').update(source).digest('hex');
  const cached = join(CACHE_DIR, `${key}.mjs`);
  try {
    return readFileSync(cached, 'utf8');
  } catch {
    // not compiled yet
  }
  esbuild ??= await import('esbuild');
  const { code } = esbuild.transformSync(source, {
    loader: 'ts',
    format: 'esm',
    target: 'node20',
    sourcemap: 'inline',
    sourcefile: path,
    tsconfigRaw: { compilerOptions: { target: 'ES2022', useDefineForClassFields: true, verbatimModuleSyntax: true } },
  });
  // Written aside and renamed: another process reading the cache sees a whole file or none.
  mkdirSync(CACHE_DIR, { recursive: true });
  const partial = `${cached}.${process.pid}.tmp`;
  writeFileSync(partial, code);
  renameSync(partial, cached);
  return code;
}

/** @type {import('node:module').LoadHook} */
export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context);
  const path = fileURLToPath(url);
  return { format: 'module', source: await compile(path, readFileSync(path, 'utf8')), shortCircuit: true };
}
