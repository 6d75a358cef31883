/**
 * The web UI as one module: `webui/src/app.js` and everything it imports
 * (our modules and the browser libraries), bundled and minified by esbuild
 * into `/ui/app.<content hash>.js`, with its source map beside it. One
 * file the browser keeps for good instead of some thirty modules it had to
 * fetch, parse and link one by one: that linking alone took about 130 ms of
 * every page load.
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
import { join, sep } from 'node:path';
import { promisify } from 'node:util';
import { constants } from 'node:zlib';
import type { BuildOptions } from 'esbuild';
import type { FastifyBaseLogger } from 'fastify';
import { prepare, preparedFrom, type PreparedFile } from './compressed-files.ts';

export interface WebUiBundle {
  /** The file name under /ui/: `app.<hash>.js`. */
  name: string;
  script: PreparedFile;
  /** `<name>.map`: the source map (with the sources), prepared at its first request: only developer tools ask for it. */
  sourceMap: () => Promise<PreparedFile>;
}

/** Browsers the bundle is written for: what the web UI already needs (modules, import maps, optional chaining). */
const TARGETS = ['chrome100', 'firefox100', 'safari15', 'edge100'];

export class WebUiBundler {
  private built: { fingerprint: string; bundle: Promise<WebUiBundle | undefined> } | undefined;

  constructor(
    private readonly srcDir: string,
    private readonly log: FastifyBaseLogger,
    /** Where `npm run build` put the bundle (writePrebuiltWebUi). */
    private readonly prebuiltDir: string,
  ) {}

  /** The bundle of the sources as they are now (built when they changed), or undefined when it cannot be built. */
  async current(): Promise<WebUiBundle | undefined> {
    const fingerprint = await sourcesFingerprint(this.srcDir);
    if (this.built?.fingerprint !== fingerprint) {
      const bundle = this.prebuilt(fingerprint).then((found) => found ?? this.build()).catch((err: unknown) => {
        this.log.warn({ err }, 'bundling the web UI failed; the page loads its modules one by one');
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

  /** The bundle with this name, if it is the current one (an older name is not kept). */
  async named(name: string): Promise<{ file: PreparedFile; kind: 'script' | 'map' } | undefined> {
    const bundle = await this.current();
    if (!bundle) return undefined;
    if (name === bundle.name) return { file: bundle.script, kind: 'script' };
    if (name === `${bundle.name}.map`) return { file: await bundle.sourceMap(), kind: 'map' };
    return undefined;
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
    const file = (suffix: string) => readFile(join(this.prebuiltDir, `${manifest.name}${suffix}`));
    let identity: Buffer, br: Buffer, gzip: Buffer;
    try {
      [identity, br, gzip] = await Promise.all([file(''), file('.br'), file('.gz')]);
    } catch (err) {
      this.log.warn({ err }, `the web UI bundle in ${this.prebuiltDir} is incomplete; bundling the sources here`);
      return undefined;
    }
    return { name: manifest.name, script: preparedFrom(identity, br, gzip), sourceMap: once(async () => prepare(await file('.map'))) };
  }

  private async build(): Promise<WebUiBundle> {
    const { name, code, map } = await bundleWebUi(this.srcDir);
    return { name, script: await prepare(code), sourceMap: once(() => prepare(map)) };
  }
}

/** The first call's promise, kept for every later call. */
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => (made ??= make());
}

/** What `webui/dist/manifest.json` says: the bundle's file name and the sources it was made from. */
interface PrebuiltManifest {
  name: string;
  fingerprint: string;
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
  return parts.join('\n');
}

/** Bundles the web UI's sources: the file name (by content hash), the script and its source map. */
async function bundleWebUi(srcDir: string): Promise<{ name: string; code: Buffer; map: Buffer }> {
  const result = await buildAside({
    entryPoints: [join(srcDir, 'app.js')],
    bundle: true,
    minify: true,
    format: 'esm',
    target: TARGETS,
    platform: 'browser',
    sourcemap: 'external',
    sourcesContent: true,
    outfile: join(srcDir, 'app.bundle.js'),
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const script = result.find((f) => f.path.endsWith('.js'));
  const map = result.find((f) => f.path.endsWith('.js.map'));
  if (!script || !map) throw new Error(`esbuild gave ${result.map((f) => f.path).join(', ')}, not a script and its map`);
  const name = `app.${createHash('sha256').update(script.text).digest('base64url').slice(0, 16)}.js`;
  // 'external' writes no comment: developer tools find the map by this one.
  return { name, code: Buffer.from(`${script.text}//# sourceMappingURL=${name}.map\n`), map: Buffer.from(map.text) };
}

/**
 * Builds the bundle into `outDir` with its manifest, for the backend to serve
 * without bundling (`npm run build`). Written aside and renamed into place:
 * the manifest last, so it never names a file not yet there.
 */
export async function writePrebuiltWebUi(srcDir: string, outDir: string): Promise<{ name: string }> {
  const fingerprint = await sourcesFingerprint(srcDir);
  const { name, code, map } = await bundleWebUi(srcDir);
  await mkdir(outDir, { recursive: true });
  const put = async (file: string, body: Buffer | string) => {
    const building = join(outDir, `${file}.${process.pid}.tmp`);
    await writeFile(building, body);
    await rename(building, join(outDir, file));
  };
  // Brotli at its highest quality: once, here, not at every start.
  const { br, gzip } = await prepare(code, constants.BROTLI_MAX_QUALITY);
  await put(name, code);
  await put(`${name}.br`, br);
  await put(`${name}.gz`, gzip);
  await put(`${name}.map`, map);
  await put(MANIFEST, `${JSON.stringify({ name, fingerprint } satisfies PrebuiltManifest)}\n`);
  // Earlier builds' files: nothing serves them any more.
  for (const file of await readdir(outDir)) if (/^app\.[\w-]+\.js(\.map|\.br|\.gz)?$/.test(file) && !file.startsWith(`${name}`)) await rm(join(outDir, file), { force: true });
  return { name };
}

/**
 * Runs esbuild in a short-lived Node process of its own: its asynchronous API
 * would keep an esbuild process running in ours for good (some 40 MB, for a
 * build made once per start), and stopping it could stop a build someone else
 * in this process runs (tsx, the poller's bundle), which shares the instance.
 * A worker thread does not do either: its esbuild process stays behind
 * unreaped when the thread ends. The script is given as text, so the built
 * backend, one file, needs no file beside it.
 */
async function buildAside(options: BuildOptions): Promise<{ path: string; text: string }[]> {
  const esbuildPath = createRequire(import.meta.url).resolve('esbuild');
  const script = `
    const [esbuildPath, options] = process.argv.slice(1);
    require(esbuildPath).build(JSON.parse(options)).then(
      (result) => process.stdout.write(JSON.stringify(result.outputFiles.map((f) => ({ path: f.path, text: f.text })))),
      (err) => { process.stderr.write(err instanceof Error ? err.message : String(err)); process.exitCode = 1; },
    );`;
  try {
    const { stdout } = await execFileAsync(process.execPath, ['-e', script, esbuildPath, JSON.stringify(options)], {
      maxBuffer: MAX_OUTPUT_BYTES,
      // Plain Node: nothing of ours in NODE_OPTIONS (a loader like tsx) for a script that needs none.
      env: { PATH: process.env.PATH ?? '' },
    });
    return JSON.parse(stdout) as { path: string; text: string }[];
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr;
    throw stderr ? new Error(stderr.trim()) : err;
  }
}

/** The bundle and its map with the sources, as JSON: a few MB at most (some 1 MB today). */
const MAX_OUTPUT_BYTES = 32 * 1024 * 1024;
const execFileAsync = promisify(execFile);
