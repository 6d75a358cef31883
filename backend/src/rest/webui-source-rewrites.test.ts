/**
 * The rewrites of the browser libraries (webui-source-rewrites.ts) still
 * find their statements in the installed libraries (an update that changes
 * them fails here, not silently in the page), and the bundle's chart chunk
 * carries them: uPlot makes no Intl object while its module is evaluated.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { applyRewrites, SOURCE_REWRITES } from './webui-source-rewrites.ts';
import { WebUiBundler } from './webui-bundle.ts';

const requireFromWebui = createRequire(new URL('../../../webui/package.json', import.meta.url));

void test('every rewrite finds its statements in the installed library', async () => {
  const uplot = requireFromWebui.resolve('uplot').replace(/uPlot\.[\w.]+\.js$/, 'uPlot.esm.js');
  for (const rewrite of SOURCE_REWRITES) {
    assert.match(uplot, new RegExp(rewrite.filter), 'the filter names the file');
    const { text, missing } = applyRewrites(await readFile(uplot, 'utf8'), rewrite);
    assert.deepEqual(missing, []);
    for (const [from, to] of rewrite.replace) assert.ok(!text.includes(from) && text.includes(to));
  }
});

void test('uPlot, bundled, makes no Intl formatter while its module is evaluated, and one when it first formats a number', async () => {
  const bundler = new WebUiBundler(fileURLToPath(new URL('../../../webui/src', import.meta.url)), silentLog, join(tmpdir(), 'vantage-no-prebuilt-webui'));
  const bundle = await bundler.current();
  assert.ok(bundle?.chartEntry, 'the chart library is a module of its own');
  const chunk = (await bundler.named(bundle.chartEntry))!.file.identity.toString();
  // Evaluated here with an Intl that counts the formatters made.
  const real = globalThis.Intl;
  let made = 0;
  const counted = <T extends object>(ctor: T) => new Proxy(ctor, { construct: (target, args) => (made++, Reflect.construct(target as never, args) as object) });
  globalThis.Intl = { ...real, NumberFormat: counted(real.NumberFormat), DateTimeFormat: counted(real.DateTimeFormat) } as typeof Intl;
  try {
    const { default: uPlot } = (await import(`data:text/javascript,${encodeURIComponent(chunk.replace(/\/\/# sourceMappingURL=.*$/m, ''))}`)) as { default: { fmtNum(n: number): string } };
    assert.equal(made, 0, 'none while the module is evaluated');
    assert.equal(uPlot.fmtNum(1234.5).replace(/\D/g, ''), '12345');
    assert.equal(made, 1, 'the number formatter, once needed');
  } finally {
    globalThis.Intl = real;
  }
});

const silentLog = { warn() {}, info() {} };
