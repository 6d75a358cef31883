/**
 * The web UI's markup strings (webui/src/markup.js): whatever a service's
 * name or an application says, it stays text in the page.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

// Plain JavaScript, type-checked with the web UI (webui/tsconfig.json): imported by URL, typed here.
const MARKUP_JS = new URL('../../../webui/src/markup.js', import.meta.url).href;
const { escapeHtml, markup } = (await import(MARKUP_JS)) as {
  escapeHtml(text: string): string;
  markup(strings: TemplateStringsArray, ...values: unknown[]): { text: string };
};

void test('interpolated text is escaped in elements and attributes', () => {
  const name = `<img src=x onerror="alert('x')">&`;
  assert.equal(markup`<a title="${name}">${name}</a>`.text, '<a title="&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;">&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;</a>');
  assert.equal(escapeHtml('plain'), 'plain');
});

void test('markup nests unescaped, arrays join, nothing leaves nothing', () => {
  const items = ['a<b', 'c'].map((x) => markup`<li>${x}</li>`);
  assert.equal(markup`<ul>${items}</ul>${null}${undefined}${false}${0}`.text, '<ul><li>a&lt;b</li><li>c</li></ul>0');
  assert.equal(String(markup`<b>${'x'}</b>`), '<b>x</b>');
});
