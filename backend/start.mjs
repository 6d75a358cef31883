/**
 * `npm start`: builds what is missing or stale (in a child process, only
 * then), and runs the built backend in this same process. One Node process
 * instead of a second one for the check: less start-up time and one less
 * process's memory beside npm. Plain JavaScript, so that when nothing
 * changed, starting loads no transpiler and no bundler.
 */
import { buildIfStale } from './bundle-files.mjs';
import { startCompilingPGlite } from './pglite-preload.mjs';

// The embedded database's WebAssembly compiles while the bundle loads (not needed with PostgreSQL).
if (!process.env.DATABASE_URL) startCompilingPGlite();
const status = buildIfStale();
if (status !== 0) process.exit(status);
await import('./dist/vantage.mjs');
