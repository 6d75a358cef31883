/**
 * Builds the poller into one file that needs only Node.js 20:
 * `node vantage-poller.mjs --server … --location … --name …`, no node_modules.
 * The backend serves it for download (GDMA's "download the agent from its
 * server"); run with `npm run build` at the top level.
 */
import { createHash } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { isStale, POLLER_BUNDLE_PATH, POLLER_SOURCES } from './bundle-files.mjs';

export const BUNDLE_PATH = POLLER_BUNDLE_PATH;

export async function buildPollerBundle(outfile = BUNDLE_PATH): Promise<{ outfile: string; bytes: number; sha256: string }> {
  // Built aside and renamed into place: a backend serving the old file, or another build at the same time, never sees half a file.
  const building = `${outfile}.${process.pid}.tmp`;
  await build({
    entryPoints: [fileURLToPath(new URL('./src/cli.ts', import.meta.url))],
    outfile: building,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    // pg loads its native binding only when asked to; the poller never asks.
    external: ['pg-native'],
    // Without comments and spaces the file is half the size, and all of it one-byte text: a single
    // character beyond Latin-1 in a comment ("—", "…") made V8 keep the whole source as two bytes a
    // character, 3 MB of the poller's heap. Names stay as written, for readable stack traces.
    minifyWhitespace: true,
    minifySyntax: true,
    // Bundled CommonJS dependencies (pg, ws) call require(): give them one.
    banner: { js: "#!/usr/bin/env node\nimport { createRequire as __vantageCreateRequire } from 'node:module';\nconst require = __vantageCreateRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  const bytes = await readFile(building);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  await writeFile(`${building}.sha256`, `${sha256}  vantage-poller.mjs\n`);
  await rename(building, outfile);
  await rename(`${building}.sha256`, `${outfile}.sha256`);
  return { outfile, bytes: bytes.length, sha256 };
}

/** Whether the bundle is missing or older than one of its sources. */
export function bundleIsStale(outfile = BUNDLE_PATH): boolean {
  return isStale(outfile, POLLER_SOURCES);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const ifStale = process.argv.includes('--if-stale');
  if (ifStale && !bundleIsStale()) process.exit(0);
  const { outfile, bytes, sha256 } = await buildPollerBundle();
  process.stdout.write(`built ${outfile} (${Math.round(bytes / 1024)} KiB, sha256 ${sha256})\n`);
}
