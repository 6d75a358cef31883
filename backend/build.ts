/**
 * Builds the backend ahead of time into one JavaScript file,
 * `backend/dist/vantage.mjs`, that plain `node` runs: no transpiler at run
 * time. Our workspaces are bundled in; packages from node_modules stay
 * imports, loaded from node_modules as usual. `npm run build` builds it and
 * the poller's single file; `npm start` builds what is missing or stale first.
 */
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { isStale } from '../frontend-poller/bundle-files.mjs';
import { bundleIsStale, buildPollerBundle } from '../frontend-poller/build.ts';
import {
  BACKEND_BUNDLE_PATH,
  BACKEND_SOURCES,
  EMPTY_DATABASE_MADE_BY,
  EMPTY_DATABASE_PATH,
  emptyDatabaseIsStale,
  installedPgliteVersion,
  WEBUI_BUNDLE_DIR,
  WEBUI_SOURCES,
  webUiIsStale,
} from './bundle-files.mjs';
import { makeDatabaseTemplate } from './src/db/database-template.ts';
import { writePrebuiltWebUi } from './src/rest/webui-bundle.ts';

export async function buildBackendBundle(outfile = BACKEND_BUNDLE_PATH): Promise<{ outfile: string }> {
  // Built aside and renamed into place: a start at the same moment never runs half a file.
  const building = `${outfile}.${process.pid}.tmp`;
  await build({
    entryPoints: [fileURLToPath(new URL('./src/cli.ts', import.meta.url))],
    outfile: building,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    plugins: [packagesStayImports, sourceRelativeUrls(dirname(outfile))],
    minifyWhitespace: true,
    minifySyntax: true,
    // Bundled CommonJS packages call require() and look at __dirname: give them both.
    banner: {
      js: [
        "import { createRequire as __vantageCreateRequire } from 'node:module';",
        "import { fileURLToPath as __vantageFileURLToPath } from 'node:url';",
        'const require = __vantageCreateRequire(import.meta.url);',
        'const __filename = __vantageFileURLToPath(import.meta.url);',
        "const __dirname = __vantageFileURLToPath(new URL('.', import.meta.url));",
      ].join('\n'),
    },
    logLevel: 'warning',
  });
  await rename(building, outfile);
  return { outfile };
}

/**
 * Packages that stay imports, loaded from node_modules at run time: PGlite
 * finds its WebAssembly and data files next to its own modules; e-mail and
 * certificate making are loaded only when used. Every other package is
 * bundled: loading one file is much quicker than resolving, reading and
 * linking a few thousand (TypeORM's above all) at every start. A package
 * that is not installed (TypeORM's drivers for other databases) stays a
 * require() that is never called.
 */
const KEEP_AS_IMPORTS = ['@electric-sql/pglite', 'nodemailer', '@peculiar/x509', 'pg-native'];

const packagesStayImports: Plugin = {
  name: 'packages-stay-imports',
  setup(builder) {
    builder.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('@vantage/') || args.path.startsWith('node:')) return undefined;
      const parts = args.path.split('/');
      const name = args.path.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? args.path);
      if (KEEP_AS_IMPORTS.includes(name)) return { path: args.path, external: true };
      try {
        createRequire(join(args.resolveDir, 'x.js')).resolve(args.path);
      } catch {
        return { path: args.path, external: true };
      }
      return undefined;
    });
  },
};

/**
 * A module that finds files next to its source (`new URL('../../../webui/', import.meta.url)`)
 * must find the same files from the bundle: its `import.meta.url` becomes the
 * URL of its source file, relative to the bundle, so the installation can move.
 */
function sourceRelativeUrls(bundleDir: string): Plugin {
  return {
    name: 'source-relative-urls',
    setup(builder) {
      builder.onLoad({ filter: /\.m?[jt]s$/ }, async (args) => {
        if (args.path.includes(`${sep}node_modules${sep}`)) return undefined;
        const source = await readFile(args.path, 'utf8');
        if (!source.includes('import.meta.url')) return undefined;
        const fromBundle = relative(bundleDir, args.path).split(sep).join('/');
        return { contents: source.replaceAll('import.meta.url', `new URL(${JSON.stringify(fromBundle)}, import.meta.url).href`), loader: 'ts' };
      });
    },
  };
}

/**
 * The embedded database a new data folder starts as a copy of, with every
 * migration applied and no installation's own rows (db/database-template.ts).
 */
export async function buildEmptyDatabase(path = EMPTY_DATABASE_PATH): Promise<{ path: string }> {
  const building = `${path}.${process.pid}.tmp`;
  await makeDatabaseTemplate(building);
  await rm(path, { recursive: true, force: true });
  await rename(building, path);
  await writeFile(EMPTY_DATABASE_MADE_BY, `${installedPgliteVersion() ?? 'unknown'}\n`);
  return { path };
}

export function backendIsStale(outfile = BACKEND_BUNDLE_PATH): boolean {
  return isStale(outfile, BACKEND_SOURCES);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const ifStale = process.argv.includes('--if-stale');
  if (!ifStale || bundleIsStale()) {
    const { outfile, bytes, sha256 } = await buildPollerBundle();
    process.stdout.write(`built ${outfile} (${Math.round(bytes / 1024)} KiB, sha256 ${sha256})\n`);
  }
  if (!ifStale || backendIsStale()) process.stdout.write(`built ${(await buildBackendBundle()).outfile}\n`);
  if (!ifStale || webUiIsStale()) process.stdout.write(`built ${WEBUI_BUNDLE_DIR}/${(await writePrebuiltWebUi(WEBUI_SOURCES[0]!, WEBUI_BUNDLE_DIR)).name}\n`);
  if (!ifStale || emptyDatabaseIsStale()) process.stdout.write(`built ${(await buildEmptyDatabase()).path}\n`);
}
