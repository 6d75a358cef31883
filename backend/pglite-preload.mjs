/**
 * Compiles PGlite's WebAssembly (9 MB) in the background, from the first
 * lines `npm start` runs: V8 compiles it on its own threads while this
 * process reads and links the backend's bundle, instead of after, when the
 * database opens. Database.open hands the compiled module to PGlite.
 *
 * The promise lives on globalThis because this file is imported twice in one
 * process: by start.mjs as it is, and by the bundle, which holds its own copy.
 * Plain JavaScript for the same reason as start.mjs.
 */
import { readFileSync } from 'node:fs';

const COMPILING = Symbol.for('vantage.pgliteWasmModule');
const PGLITE_WASM = new URL('./pglite.wasm', import.meta.resolve('@electric-sql/pglite'));

/** Starts compiling PGlite's WebAssembly module, once per process. */
export function startCompilingPGlite() {
  // A failure is reported where the module is awaited, when the database opens.
  pgliteWasmModule().catch(() => undefined);
}

/** PGlite's compiled WebAssembly module: the one already compiling, or one compiled now. */
export function pgliteWasmModule() {
  globalThis[COMPILING] ??= WebAssembly.compile(readFileSync(PGLITE_WASM));
  return globalThis[COMPILING];
}
