/**
 * The templates compiled into calls make the same calls as htm does at run
 * time, template by template (a recording `h` on both sides); every template
 * of the web UI compiles, on the lines it was on; and a template the
 * compiler cannot write is left to htm, its values' templates compiled.
 */
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { compileHtmTemplates, type HtmCompileTools } from './webui-htm-compile.ts';

const WEBUI = fileURLToPath(new URL('../../../webui/', import.meta.url));
const requireFromWebui = createRequire(join(WEBUI, 'package.json'));
const tools: HtmCompileTools = { parse: createRequire(import.meta.url)('acorn').parse, htm: requireFromWebui('htm') };

/** What `h` was called with, components by name: the tree both sides must make. */
type Made = { type: string; props: Record<string, unknown> | null; children: unknown[] };
const recordingH = (type: unknown, props: Record<string, unknown> | null, ...children: unknown[]): Made => ({
  type: typeof type === 'function' ? `<${type.name}>` : String(type),
  props: props === null || props === undefined ? null : { ...props },
  children,
});

/**
 * `body` (the module's text after its import: `export default (f) => html\`…\``) run as htm runs it, and as
 * compiled; each given the same values.
 */
function bothWays(body: string, values: Record<string, unknown>): { atRunTime: unknown; compiled: unknown; code: string } {
  const source = `import { html } from 'htm/preact';\n${body}`;
  const { code, compiled, left } = compileHtmTemplates(source, tools);
  assert.deepEqual(left, [], 'nothing left to htm');
  assert.ok(compiled > 0, 'compiled');
  // The module's text, as a function of its imports.
  const run = (text: string) =>
    new Function('html', '__vantage_h', text.replace(/^import .*$/gm, '').replace('export default', 'return'))(tools.htm.bind(recordingH), recordingH) as (f: Record<string, unknown>) => unknown;
  return { atRunTime: run(source)(values), compiled: run(code)(values), code };
}

function Badge() {
  return null;
}

const CASES: { name: string; body: string; values: Record<string, unknown> }[] = [
  { name: 'a static element', body: 'export default () => html`<p class="muted small">Nothing here.</p>`;', values: {} },
  { name: 'values as attributes, children and a component', body: 'export default (f) => html`<div id=${f.id} data-n=${f.n}><${f.C} state=${f.state} />${f.text}</div>`;', values: { id: 'x', n: 3, C: Badge, state: 'up', text: 'hello' } },
  { name: 'text and values in one attribute', body: 'export default (f) => html`<span class="badge ${f.cls} big" title="${f.a}: ${f.b}">x</span>`;', values: { cls: 'up', a: 1, b: null } },
  { name: 'a value first in an attribute', body: 'export default (f) => html`<span class="${f.cls} end">x</span>`;', values: { cls: { toString: () => 'object' } } },
  { name: 'boolean attributes', body: 'export default (f) => html`<input type="checkbox" disabled checked=${f.on} />`;', values: { on: false } },
  { name: 'spread attributes, in order', body: 'export default (f) => html`<a x="1" ...${f.rest} y=${f.y}>l</a>`;', values: { rest: { x: 'overridden', z: 2 }, y: 'last' } },
  { name: 'a spread alone', body: 'export default (f) => html`<a ...${f.rest} />`;', values: { rest: { href: '/x' } } },
  { name: 'templates within values', body: 'export default (f) => html`<ul>${f.items.map((i) => html`<li key=${i}>${i > 1 ? html`<b>${i}</b>` : i}</li>`)}</ul>`;', values: { items: [1, 2, 3] } },
  { name: 'several roots', body: 'export default (f) => html`<dt>${f.k}</dt><dd>${f.v}</dd>`;', values: { k: 'a', v: 'b' } },
  { name: 'a value alone', body: 'export default (f) => html`${f.v}`;', values: { v: ['a', 'b'] } },
  { name: 'whitespace, lines and comments', body: 'export default (f) => html`\n  <section>\n    <!-- a comment -->\n    <h1>  Title ${f.t}  </h1>\n    text on\n    two lines\n  </section>\n`;', values: { t: 'T' } },
  { name: 'a component closed with <//>', body: 'export default (f) => html`<${f.C} label="L">child ${f.c}<//>`;', values: { C: Badge, c: 1 } },
  { name: 'escapes in the text', body: 'export default () => html`<p title="a \\"b\\"">\\u00e9 &amp; \\` ${"x"}</p>`;', values: {} },
];

for (const c of CASES) {
  void test(`compiled as htm makes it: ${c.name}`, () => {
    const { atRunTime, compiled } = bothWays(c.body, c.values);
    assert.deepEqual(compiled, atRunTime);
  });
}

void test('every template of the web UI compiles, and each module keeps its line count but for the import at its end', async () => {
  const src = join(WEBUI, 'src');
  const files = (await readdir(src, { recursive: true })).filter((f) => f.endsWith('.js'));
  let templates = 0;
  for (const file of files) {
    const source = await readFile(join(src, file), 'utf8');
    const { code, compiled, left } = compileHtmTemplates(source, tools);
    assert.deepEqual(left, [], `${file}: every template compiles`);
    templates += compiled;
    if (compiled === 0) {
      assert.equal(code, source, `${file}: a module without templates is left as it is`);
      continue;
    }
    assert.doesNotMatch(code, /\bhtml`/, `${file}: no template left`);
    const lines = (text: string) => text.split('\n').length;
    assert.equal(lines(code), lines(source) + 2, `${file}: the same lines, and the import`);
    // The lines after the templates are where they were: a stack trace or the source map points at the right place.
    const sourceLines = source.split('\n');
    const last = sourceLines.findLastIndex((line) => line.trim() !== '' && !line.includes('`') && !line.includes('${'));
    assert.equal(code.split('\n')[last], sourceLines[last], `${file}: its last line without a template where it was`);
  }
  assert.ok(templates > 100, `the web UI's templates (${templates})`);
});

void test('a template the compiler cannot write is left to htm, with why, and the templates in its values are compiled', () => {
  // An escape a tagged template may hold, with no meaning as text.
  const source = "import { html } from 'htm/preact';\nexport default (f) => html`<p>\\unknown ${html`<b>${f.v}</b>`}</p>`;\n";
  const { code, compiled, left } = compileHtmTemplates(source, tools);
  assert.equal(compiled, 1);
  assert.deepEqual(left, ['line 2: a text htm would not read as written']);
  assert.ok(code.includes('html`<p>\\unknown ${(__vantage_h("b", null, (f.v)))}</p>`'), code);
});

void test('a module whose html is not htm/preact\'s is left as it is', () => {
  const source = "const html = (s) => s.join('');\nexport default html`<p>${1}</p>`;\n";
  assert.deepEqual(compileHtmTemplates(source, tools), { code: source, compiled: 0, left: [] });
});
