/**
 * The web UI as one module: `webui/src/app.js` and everything it imports
 * (our modules and the browser libraries), bundled and minified by esbuild
 * into `/ui/app.<content hash>.js`, with its source map beside it. One
 * file the browser keeps for good instead of some thirty modules it had to
 * fetch, parse and link one by one: that linking alone took about 130 ms of
 * every page load. What is imported only with `import()` becomes a module
 * of its own, `/ui/chunk.<content hash>.js`, that the pages which do not
 * need it never load or compile. The chart library (webui/src/chart-library.js
 * and uPlot, which only pages with charts need: a third of the whole) is such
 * a module and an entry too, `/ui/chart.<content hash>.js`: a service's page
 * runs it as a script of its own before the app's, so that the app's first
 * render draws the chart. A few statements of the libraries are rewritten
 * on the way (webui-source-rewrites.ts).
 *
 * Built ahead by `npm run build` (and by `npm start` when stale) into
 * `webui/dist/`, with the fingerprint of the sources it was made from: the
 * backend serves that one as long as the sources are unchanged, so the first
 * page after a start waits for no bundler. When the sources differ (someone
 * editing the web UI, or tests running from the sources), it is built at the
 * first page that asks (by esbuild in a short-lived process, nothing written
 * to disk), and again after each change, so editing the web UI needs no
 * build step: reload the page. Where esbuild is missing or the build fails,
 * the page loads the modules as they are (webui-routes.ts) and the failure
 * is logged once per change.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, join, sep } from 'node:path';
import { promisify } from 'node:util';
import { constants } from 'node:zlib';
import type { BuildOptions } from 'esbuild';
import { errorMessage, type Logger } from '@vantage/runtime';
import { prepare, preparedFrom, type PreparedFile } from './compressed-files.ts';
import { HTM_COMPILER_VERSION, HTM_PLUGIN_SOURCE } from './webui-htm-compile.ts';
import { REWRITE_PLUGIN_SOURCE, SOURCE_REWRITES, type SourceRewrite } from './webui-source-rewrites.ts';

export interface BundledModule {
  script: PreparedFile;
  /** `<name>.map`: the source map (with the sources), prepared at its first request: only developer tools ask for it. */
  sourceMap: () => Promise<PreparedFile>;
}

export interface WebUiBundle extends BundledModule {
  /** The entry's file name under /ui/: `app.<hash>.js`. */
  name: string;
  /** The modules the entry loads when it needs them, by file name under /ui/ (`chunk.<hash>.js`). */
  chunks: ReadonlyMap<string, BundledModule>;
  /** The chart library's module (`chart.<hash>.js`, among `chunks`), which a page drawing a chart at once runs before the app. */
  chartEntry: string | undefined;
}

/** Browsers the bundle is written for: what the web UI already needs (modules, import maps, optional chaining). */
const TARGETS = ['chrome100', 'firefox100', 'safari15', 'edge100'];

export class WebUiBundler {
  private built: { fingerprint: string; bundle: Promise<WebUiBundle | undefined> } | undefined;

  constructor(
    private readonly srcDir: string,
    private readonly log: Pick<Logger, 'warn' | 'info'>,
    /** Where `npm run build` put the bundle (writePrebuiltWebUi). */
    private readonly prebuiltDir: string,
  ) {}

  /** The bundle of the sources as they are now (built when they changed), or undefined when it cannot be built. */
  async current(): Promise<WebUiBundle | undefined> {
    const fingerprint = await sourcesFingerprint(this.srcDir);
    if (this.built?.fingerprint !== fingerprint) {
      const bundle = this.prebuilt(fingerprint)
        .then((found) => {
          if (found) return found;
          this.log.info('the web UI sources differ from the bundle built ahead (npm run build): bundling them now');
          return this.build();
        })
        .catch((err: unknown) => {
          this.log.warn(`bundling the web UI failed; the page loads its modules one by one: ${errorMessage(err)}`);
          return undefined;
        });
      this.built = { fingerprint, bundle };
    }
    return this.built.bundle;
  }

  /** Loads the bundle built ahead, when it matches the sources, before any page asks; never bundles. */
  async warm(): Promise<void> {
    const fingerprint = await sourcesFingerprint(this.srcDir);
    const found = await this.prebuilt(fingerprint);
    if (found && this.built === undefined) this.built = { fingerprint, bundle: Promise.resolve(found) };
  }

  /** The bundle's entry or chunk with this name, or its map, if it is of the current bundle (an older name is not kept). */
  async named(name: string): Promise<{ file: PreparedFile; kind: 'script' | 'map' } | undefined> {
    const bundle = await this.current();
    if (!bundle) return undefined;
    const map = name.endsWith('.map');
    const moduleName = map ? name.slice(0, -'.map'.length) : name;
    const module = moduleName === bundle.name ? bundle : bundle.chunks.get(moduleName);
    if (!module) return undefined;
    return map ? { file: await module.sourceMap(), kind: 'map' } : { file: module.script, kind: 'script' };
  }

  /** The bundle `npm run build` made, if it was made from the sources as they are now. */
  private async prebuilt(fingerprint: string): Promise<WebUiBundle | undefined> {
    let manifest: PrebuiltManifest;
    try {
      manifest = JSON.parse(await readFile(join(this.prebuiltDir, MANIFEST), 'utf8')) as PrebuiltManifest;
    } catch {
      return undefined; // none built: the sources are bundled here
    }
    if (manifest.fingerprint !== fingerprint) return undefined;
    // Compressed by the build too: nothing to compress before the first page.
    const read = async (name: string): Promise<BundledModule> => {
      const file = (suffix: string) => readFile(join(this.prebuiltDir, `${name}${suffix}`));
      const [identity, br, gzip] = await Promise.all([file(''), file('.br'), file('.gz')]);
      return { script: preparedFrom(identity, br, gzip), sourceMap: once(async () => prepare(await file('.map'))) };
    };
    try {
      const [entry, ...chunks] = await Promise.all([manifest.name, ...(manifest.chunks ?? [])].map(read));
      return { name: manifest.name, ...entry!, chunks: new Map((manifest.chunks ?? []).map((name, i) => [name, chunks[i]!])), chartEntry: manifest.chartEntry };
    } catch (err) {
      this.log.warn(`the web UI bundle in ${this.prebuiltDir} is incomplete; bundling the sources here: ${errorMessage(err)}`);
      return undefined;
    }
  }

  private async build(): Promise<WebUiBundle> {
    const built = await bundleWebUi(this.srcDir);
    const prepared = async (module: BuiltModule): Promise<BundledModule> => ({ script: await prepare(module.code), sourceMap: once(() => prepare(module.map)) });
    const chunks = await Promise.all(built.chunks.map(async (chunk) => [chunk.name, await prepared(chunk)] as const));
    return { name: built.entry.name, ...(await prepared(built.entry)), chunks: new Map(chunks), chartEntry: built.chartEntry };
  }
}

/** The first call's promise, kept for every later call. */
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => (made ??= make());
}

/** What `webui/dist/manifest.json` says: the bundle's file names and the sources it was made from. */
interface PrebuiltManifest {
  name: string;
  fingerprint: string;
  chunks?: string[];
  chartEntry?: string;
}

const MANIFEST = 'manifest.json';

/** Every source file's path, size and modification time: a change to any of them makes a new bundle. */
async function sourcesFingerprint(srcDir: string): Promise<string> {
  const entries = (await readdir(srcDir, { recursive: true })).filter((e) => e.endsWith('.js')).sort();
  const parts = await Promise.all(
    entries.map(async (e) => {
      const info = await stat(join(srcDir, e)).catch(() => undefined);
      return `${e.split(sep).join('/')}:${info?.size ?? '-'}:${info?.mtimeMs ?? '-'}`;
    }),
  );
  // How the libraries are rewritten and the templates compiled makes the bundle too.
  return [...parts, JSON.stringify(SOURCE_REWRITES), `htm compiler ${HTM_COMPILER_VERSION}`].join('\n');
}

/** A module of the bundle: its file name under /ui/, the script and its source map. */
interface BuiltModule {
  name: string;
  code: Buffer;
  map: Buffer;
}

/** The entry's name as esbuild writes it (nothing is written: the outputs are only named), beside the sources, so the map names them as they are. */
const ENTRY_OUT = 'app.bundle';
/** The chart library's module (when the sources have one), an entry named by esbuild with its content's hash (`chart.<hash>.js`), the name the app's `import()` of it carries. */
const CHART_LIBRARY = 'chart-library.js';
const CHART_ENTRY_OUT = 'chart';

/**
 * Bundles the web UI's sources: the entry (named by its content's hash), the
 * chunks it imports with `import()` (named by esbuild by their content's
 * hash, which the entry's imports carry), among them the chart library's
 * entry (`chart.<hash>.js`) when the sources have chart-library.js.
 */
async function bundleWebUi(srcDir: string): Promise<{ entry: BuiltModule; chunks: BuiltModule[]; chartEntry: string | undefined }> {
  const chartLibrary = join(srcDir, CHART_LIBRARY);
  const hasChartLibrary = await stat(chartLibrary).then(() => true, () => false);
  const { outputFiles } = await buildAside({
    entryPoints: { [ENTRY_OUT]: join(srcDir, 'app.js'), ...(hasChartLibrary ? { [CHART_ENTRY_OUT]: chartLibrary } : {}) },
    bundle: true,
    splitting: true,
    chunkNames: 'chunk.[hash]',
    entryNames: '[name].[hash]',
    minify: true,
    format: 'esm',
    target: TARGETS,
    platform: 'browser',
    sourcemap: 'external',
    sourcesContent: true,
    outdir: srcDir,
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  }, SOURCE_REWRITES, srcDir);
  const file = (path: string) => outputFiles.find((f) => f.path === path);
  /** @param name the module's name under /ui/ (the entry is renamed by its hash) */
  const module = (path: string, name: string): BuiltModule => {
    const map = file(`${path}.map`);
    if (!map) throw new Error(`esbuild gave no source map for ${path}`);
    // 'external' writes no comment: developer tools find the map by this one.
    return { name, code: Buffer.from(`${file(path)!.text}//# sourceMappingURL=${name}.map\n`), map: Buffer.from(map.text) };
  };
  const scripts = outputFiles.filter((f) => f.path.endsWith('.js'));
  const entryPath = scripts.find((f) => basename(f.path).startsWith(`${ENTRY_OUT}.`))?.path;
  if (!entryPath) throw new Error(`esbuild gave ${outputFiles.map((f) => f.path).join(', ')}, no ${ENTRY_OUT}.<hash>.js`);
  const entryText = file(entryPath)!.text;
  const entry = module(entryPath, `app.${createHash('sha256').update(entryText).digest('base64url').slice(0, 16)}.js`);
  const chunks = scripts.filter((f) => f.path !== entryPath).map((f) => module(f.path, basename(f.path)));
  const chartEntry = chunks.find((c) => c.name.startsWith(`${CHART_ENTRY_OUT}.`))?.name;
  return { entry, chunks, chartEntry };
}

/**
 * Builds the bundle into `outDir` with its manifest, for the backend to serve
 * without bundling (`npm run build`). Written aside and renamed into place:
 * the manifest last, so it never names a file not yet there.
 */
export async function writePrebuiltWebUi(srcDir: string, outDir: string): Promise<{ name: string; chunks: string[] }> {
  const fingerprint = await sourcesFingerprint(srcDir);
  const { entry, chunks, chartEntry } = await bundleWebUi(srcDir);
  await mkdir(outDir, { recursive: true });
  const put = async (file: string, body: Buffer | string) => {
    const building = join(outDir, `${file}.${process.pid}.tmp`);
    await writeFile(building, body);
    await rename(building, join(outDir, file));
  };
  for (const { name, code, map } of [entry, ...chunks]) {
    // Brotli at its highest quality: once, here, not at every start.
    const { br, gzip } = await prepare(code, constants.BROTLI_MAX_QUALITY);
    await put(name, code);
    await put(`${name}.br`, br);
    await put(`${name}.gz`, gzip);
    await put(`${name}.map`, map);
  }
  const chunkNames = chunks.map((c) => c.name);
  await put(MANIFEST, `${JSON.stringify({ name: entry.name, fingerprint, chunks: chunkNames, chartEntry } satisfies PrebuiltManifest)}\n`);
  // Earlier builds' files: nothing serves them any more.
  const kept = new Set([entry.name, ...chunkNames]);
  for (const file of await readdir(outDir)) {
    const built = BUILT_FILE.exec(file);
    if (built && !kept.has(built[1]!)) await rm(join(outDir, file), { force: true });
  }
  return { name: entry.name, chunks: chunkNames };
}

/** A file a build writes: a module (its name the first group), its map or a compressed form. */
const BUILT_FILE = /^((?:app|chunk|chart)\.[\w-]+\.js)(\.map|\.br|\.gz)?$/;

/**
 * Runs esbuild in a short-lived Node process of its own: its asynchronous API
 * would keep an esbuild process running in ours for good (some 40 MB, for a
 * build made once per start), and stopping it could stop a build someone else
 * in this process runs (tsx, the poller's bundle), which shares the instance.
 * A worker thread does not do either: its esbuild process stays behind
 * unreaped when the thread ends. The script is given as text, so the built
 * backend, one file, needs no file beside it.
 */
async function buildAside(options: BuildOptions, rewrites: SourceRewrite[], srcDir: string): Promise<{ outputFiles: { path: string; text: string }[] }> {
  const requireHere = createRequire(import.meta.url);
  const esbuildPath = requireHere.resolve('esbuild');
  const htmTools = { srcDir: srcDir + sep, acornPath: requireHere.resolve('acorn'), htmPath: htmPathFor(srcDir) };
  const script = `${REWRITE_PLUGIN_SOURCE}${HTM_PLUGIN_SOURCE}
    const [esbuildPath, options, rewrites, htmTools] = process.argv.slice(1);
    require(esbuildPath).build({ ...JSON.parse(options), plugins: [rewritePlugin(JSON.parse(rewrites)), htmPlugin(JSON.parse(htmTools))] }).then(
      (result) => process.stdout.write(JSON.stringify({ outputFiles: result.outputFiles.map((f) => ({ path: f.path, text: f.text })) })),
      (err) => { process.stderr.write(err instanceof Error ? err.message : String(err)); process.exitCode = 1; },
    );`;
  try {
    const { stdout } = await execFileAsync(process.execPath, ['-e', script, esbuildPath, JSON.stringify(options), JSON.stringify(rewrites), JSON.stringify(htmTools)], {
      maxBuffer: MAX_OUTPUT_BYTES,
      // Plain Node: nothing of ours in NODE_OPTIONS (a loader like tsx) for a script that needs none.
      env: { PATH: process.env.PATH ?? '' },
    });
    return JSON.parse(stdout) as { outputFiles: { path: string; text: string }[] };
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr;
    throw stderr ? new Error(stderr.trim()) : err;
  }
}

/** htm as the web UI's modules import it: from beside their folder, else the backend's own (sources elsewhere: the tests'). */
function htmPathFor(srcDir: string): string {
  try {
    return createRequire(join(srcDir, '..', 'package.json')).resolve('htm');
  } catch {
    return createRequire(import.meta.url).resolve('htm');
  }
}

/** The bundle and its map with the sources, as JSON: a few MB at most (some 1 MB today). */
const MAX_OUTPUT_BYTES = 32 * 1024 * 1024;
const execFileAsync = promisify(execFile);
