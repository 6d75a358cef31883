/**
 * Builds the poller into one file that needs only Node.js 20:
 * `node vantage-poller.mjs --server … --location … --name …`, no node_modules.
 * The backend serves it for download (GDMA's "download the agent from its
 * server"); run with `npm run build` at the top level.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const BUNDLE_PATH = fileURLToPath(new URL('./dist/vantage-poller.mjs', import.meta.url));

export async function buildPollerBundle(outfile = BUNDLE_PATH): Promise<{ outfile: string; bytes: number; sha256: string }> {
  await build({
    entryPoints: [fileURLToPath(new URL('./src/cli.ts', import.meta.url))],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    // pg loads its native binding only when asked to; the poller never asks.
    external: ['pg-native'],
    // Bundled CommonJS dependencies (pg, ws) call require(): give them one.
    banner: { js: "#!/usr/bin/env node\nimport { createRequire as __vantageCreateRequire } from 'node:module';\nconst require = __vantageCreateRequire(import.meta.url);" },
    legalComments: 'linked',
    logLevel: 'warning',
  });
  const bytes = await readFile(outfile);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  await writeFile(`${outfile}.sha256`, `${sha256}  vantage-poller.mjs\n`);
  return { outfile, bytes: bytes.length, sha256 };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { outfile, bytes, sha256 } = await buildPollerBundle(process.argv[2] ?? BUNDLE_PATH);
  process.stdout.write(`built ${outfile} (${Math.round(bytes / 1024)} KiB, sha256 ${sha256})\n`);
}
