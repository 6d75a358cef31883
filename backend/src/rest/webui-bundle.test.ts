/**
 * The web UI's bundle: built from the sources as they are, named by its
 * content, built again when a source changes (an editor's save, then a
 * reload), and, when the sources do not build, no bundle and a logged
 * reason (the page then loads the modules one by one). One built ahead
 * (`npm run build`) is served as it is while the sources are unchanged.
 */
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { WebUiBundler, writePrebuiltWebUi } from './webui-bundle.ts';

let dir: string;
const warnings: string[] = [];
const log = { warn: (message: string) => void warnings.push(message), info: () => {} };

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vantage-webui-'));
  await writeFile(join(dir, 'app.js'), "import { greeting } from './words.js';\ndocument.title = greeting('Vantage');\n");
  await writeFile(join(dir, 'words.js'), '/** A greeting. */\nexport const greeting = (name) => `Hello, ${name}`;\n');
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(`${dir}-dist`, { recursive: true, force: true });
});

/** Writes a source with a modification time of its own (two saves in one millisecond are still two). */
async function save(name: string, text: string, mtimeS: number) {
  await writeFile(join(dir, name), text);
  await utimes(join(dir, name), mtimeS, mtimeS);
}

void test('one minified module named by its content, with its map; a changed source makes a new one', async () => {
  const bundler = new WebUiBundler(dir, log, join(dir, 'no-such-dist'));
  const first = await bundler.current();
  assert.ok(first);
  assert.match(first.name, /^app\.[\w-]{16}\.js$/);
  const code = first.script.identity.toString();
  assert.match(code, /Hello, /);
  assert.doesNotMatch(code, /import |A greeting/, 'one module, without comments');
  assert.ok(code.endsWith(`//# sourceMappingURL=${first.name}.map\n`));
  assert.deepEqual((JSON.parse((await first.sourceMap()).identity.toString()) as { sources: string[] }).sources.sort(), ['app.js', 'words.js']);
  assert.equal(await bundler.current(), first, 'nothing changed: the same bundle, not built again');
  assert.equal((await bundler.named(first.name))?.kind, 'script');
  assert.equal((await bundler.named(`${first.name}.map`))?.kind, 'map');

  await save('words.js', 'export const greeting = (name) => `Welcome, ${name}`;\n', 2_000_000_000);
  const second = await bundler.current();
  assert.ok(second);
  assert.notEqual(second.name, first.name);
  assert.match(second.script.identity.toString(), /Welcome, /);
  assert.equal(await bundler.named(first.name), undefined, 'the older bundle is no longer served');
  assert.equal(warnings.length, 0, warnings.join('; '));
});

void test('sources that do not build give no bundle and a logged reason, until they build again', async () => {
  const bundler = new WebUiBundler(dir, log, join(dir, 'no-such-dist'));
  await save('words.js', 'export const greeting = (name => ;\n', 2_000_000_100);
  assert.equal(await bundler.current(), undefined);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /bundling the web UI failed.*words\.js/s);
  assert.equal(await bundler.current(), undefined);
  assert.equal(warnings.length, 1, 'logged once per change, not at every page');
  await save('words.js', 'export const greeting = (name) => `Hi, ${name}`;\n', 2_000_000_200);
  assert.match((await bundler.current())?.script.identity.toString() ?? '', /Hi, /);
});

void test('a bundle built ahead is served from disk while the sources are those it was made from; a change bundles them again', async () => {
  // Long enough to be compressed (small files are sent as they are).
  await save('words.js', `export const greeting = (name) => \`Hello again, \${name}${'. Welcome back'.repeat(60)}\`;\n`, 2_000_000_300);
  const dist = `${dir}-dist`;
  const { name } = await writePrebuiltWebUi(dir, dist);
  assert.deepEqual((await readdir(dist)).sort(), [name, `${name}.br`, `${name}.gz`, `${name}.map`, 'manifest.json'].sort());
  // Marked on disk: only a bundle read from there carries the mark.
  await appendFile(join(dist, name), '/* from disk */\n');
  const bundler = new WebUiBundler(dir, log, dist);
  const served = await bundler.current();
  assert.equal(served?.name, name);
  assert.match(served.script.identity.toString(), /from disk/);
  assert.match(brotliDecompressSync(served.script.br).toString(), /Hello again, /, 'compressed by the build');
  assert.match(gunzipSync(served.script.gzip).toString(), /Hello again, /);

  await save('words.js', 'export const greeting = (name) => `Changed, ${name}`;\n', 2_000_000_400);
  const rebuilt = await bundler.current();
  assert.ok(rebuilt);
  assert.doesNotMatch(rebuilt.script.identity.toString(), /from disk/);
  assert.match(rebuilt.script.identity.toString(), /Changed, /);

  // A second build ahead leaves only its own files.
  const again = await writePrebuiltWebUi(dir, dist);
  assert.deepEqual((await readdir(dist)).sort(), [again.name, `${again.name}.br`, `${again.name}.gz`, `${again.name}.map`, 'manifest.json'].sort());
});

/** A folder of sources of the test's own and the folder a build ahead writes to, given to `use`, removed after it. */
async function withSourceFolder(prefix: string, use: (dir: string, dist: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  try {
    await use(dir, `${dir}-dist`);
  } finally {
    await rm(dir, { recursive: true, force: true });
    await rm(`${dir}-dist`, { recursive: true, force: true });
  }
}

void test('what is imported with import() is a module of its own, named by its content, which the entry loads by that name', () =>
  withSourceFolder('vantage-webui-lazy-', async (lazyDir, lazyDist) => {
    const warned = warnings.length;
    await writeFile(join(lazyDir, 'app.js'), "document.title = 'Vantage';\nexport const later = () => import('./big.js').then((m) => m.shout('chart'));\n");
    await writeFile(join(lazyDir, 'big.js'), `export const shout = (word) => word.toUpperCase() + '${'!'.repeat(2000)}';\n`);
    const bundler = new WebUiBundler(lazyDir, log, join(lazyDir, 'no-such-dist'));
    const bundle = await bundler.current();
    assert.ok(bundle);
    const [chunkName, ...others] = [...bundle.chunks.keys()];
    assert.equal(others.length, 0, 'one chunk');
    assert.match(chunkName!, /^chunk\.[\w-]+\.js$/);
    const entry = bundle.script.identity.toString();
    assert.ok(entry.includes(`import("./${chunkName}")`), entry);
    assert.doesNotMatch(entry, /!!!!/, 'the chunk is not in the entry');
    const chunk = await bundler.named(chunkName!);
    assert.equal(chunk?.kind, 'script');
    assert.match(chunk.file.identity.toString(), /toUpperCase/);
    assert.ok(chunk.file.identity.toString().endsWith(`//# sourceMappingURL=${chunkName}.map\n`));
    assert.equal((await bundler.named(`${chunkName}.map`))?.kind, 'map');

    // Built ahead: the chunk with its compressed forms and map, named in the manifest, served from disk.
    const built = await writePrebuiltWebUi(lazyDir, lazyDist);
    assert.deepEqual(built.chunks, [chunkName]);
    assert.deepEqual(
      (await readdir(lazyDist)).sort(),
      [built.name, chunkName!].flatMap((n) => [n, `${n}.br`, `${n}.gz`, `${n}.map`]).concat('manifest.json').sort(),
    );
    await appendFile(join(lazyDist, chunkName!), '/* from disk */\n');
    const fromDisk = new WebUiBundler(lazyDir, log, lazyDist);
    assert.match((await fromDisk.named(chunkName!))?.file.identity.toString() ?? '', /from disk/);
    assert.match(brotliDecompressSync((await fromDisk.current())!.chunks.get(chunkName!)!.script.br).toString(), /toUpperCase/);
    assert.equal(warnings.length, warned, warnings.join('; '));
  }));

void test('a chart-library.js beside the entry is an entry of its own too, named by its content, the module the app imports with import()', () =>
  withSourceFolder('vantage-webui-chart-', async (chartDir, chartDist) => {
    const warned = warnings.length;
    await writeFile(join(chartDir, 'app.js'), "export const later = () => import('./chart-library.js').then((m) => m.default('chart'));\n");
    await writeFile(join(chartDir, 'chart-library.js'), `const shout = (word) => word.toUpperCase() + '${'!'.repeat(2000)}';\nglobalThis.handedOver = shout;\nexport default shout;\n`);
    const bundle = await new WebUiBundler(chartDir, log, join(chartDir, 'no-such-dist')).current();
    assert.ok(bundle?.chartEntry, 'the chart module is named');
    assert.match(bundle.chartEntry, /^chart\.[\w-]+\.js$/);
    assert.deepEqual([...bundle.chunks.keys()], [bundle.chartEntry], 'one module beside the entry');
    const entry = bundle.script.identity.toString();
    assert.ok(entry.includes(`import("./${bundle.chartEntry}")`), entry);
    assert.doesNotMatch(entry, /!!!!/, 'the library is not in the entry');
    const chart = bundle.chunks.get(bundle.chartEntry)!.script.identity.toString();
    assert.ok(chart.includes('!!!!') && chart.includes('handedOver'), chart);

    // Built ahead, the manifest names it, and the bundle read from disk knows it.
    const built = await writePrebuiltWebUi(chartDir, chartDist);
    assert.deepEqual(built.chunks, [bundle.chartEntry]);
    assert.equal((await new WebUiBundler(chartDir, log, chartDist).current())?.chartEntry, bundle.chartEntry);
    assert.equal(warnings.length, warned, warnings.join('; '));
  }));
