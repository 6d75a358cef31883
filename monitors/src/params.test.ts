import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParameterError, defineParameters, param, type RawParams } from './params.ts';

const sendTextParam = (params: RawParams, name: string) => param.sendText().read(params, name);
const bannerParam = (params: RawParams, name: string) => param.banner().read(params, name);

void test('params: sendText turns \\r, \\n, \\t and \\\\ into characters', () => {
  assert.equal(sendTextParam({ send: 'a\\tb\\\\n\\r\\n' }, 'send'), 'a\tb\\n\r\n');
  assert.equal(sendTextParam({ send: ' keep spaces ' }, 'send'), ' keep spaces ');
  assert.equal(sendTextParam({ send: '  ' }, 'send'), undefined);
  assert.throws(() => sendTextParam({ send: 'trailing \\' }, 'send'), /unknown escape "\\"/);
});

void test('params: banner, "*" and absent mean any banner, "~" is dropped', () => {
  assert.equal(bannerParam({}, 'banner'), undefined);
  assert.equal(bannerParam({ banner: ' * ' }, 'banner'), undefined);
  assert.deepEqual(bannerParam({ banner: '~^220' }, 'banner'), /^220/);
  assert.deepEqual(bannerParam({ banner: 'SSH' }, 'banner'), /SSH/);
});

const table = defineParameters({
  port: param.port().default(80),
  lookup: param.text().required(),
  mode: param.oneOf(['fast', 'slow'], 'lower').default('fast'),
  'header<N>': param.family(/^header(\d+)$/, (text) => text.toUpperCase()),
  note: param.text('spaced'),
  exact: param.text('exact'),
  depth: param.int({ min: 0 }),
});

void test('params: a table reads typed values with their defaults', () => {
  assert.deepEqual(table.read({ lookup: ' www.example.org ' }), {
    port: 80,
    lookup: 'www.example.org',
    mode: 'fast',
    'header<N>': [],
    note: undefined,
    exact: undefined,
    depth: undefined,
  });
  const values = table.read({
    lookup: 'x',
    port: ' 8080 ',
    mode: 'SLOW',
    header10: 'ten',
    header2: 'two',
    header3: '  ',
    note: ' a ',
    exact: ' ',
    depth: '+3',
  });
  assert.deepEqual(values, {
    port: 8080,
    lookup: 'x',
    mode: 'slow',
    'header<N>': ['TWO', 'TEN'],
    note: ' a ',
    exact: ' ',
    depth: 3,
  });
});

void test('params: a table knows its names, families by their pattern, and lists them sorted', () => {
  assert.deepEqual(table.names, ['depth', 'exact', 'header<N>', 'lookup', 'mode', 'note', 'port']);
  for (const key of ['port', 'header0', 'header12', 'exact']) assert.ok(table.knows(key), key);
  for (const key of ['header', 'headerX', 'Port', 'constructor', 'toString']) assert.ok(!table.knows(key), key);
});

const problems: Array<{ params: RawParams; message: string; parameter: string | undefined }> = [
  { params: {}, message: 'parameter "lookup" is required', parameter: undefined },
  { params: { lookup: '  ' }, message: 'parameter "lookup" is required', parameter: 'lookup' },
  { params: { lookup: 'x', port: '0' }, message: 'parameter "port" must be an integer from 1 to 65535, got "0"', parameter: 'port' },
  { params: { lookup: 'x', mode: 'medium' }, message: 'parameter "mode" must be "fast" or "slow", got "medium"', parameter: 'mode' },
  { params: { lookup: 'x', depth: '-1' }, message: 'parameter "depth" must be an integer of at least 0, got "-1"', parameter: 'depth' },
];

for (const { params, message, parameter } of problems) {
  void test(`params: ${JSON.stringify(params)} is a ParameterError naming ${parameter ?? 'no given parameter'}`, () => {
    assert.throws(
      () => table.read(params),
      (err: unknown) => err instanceof ParameterError && err.message === message && err.parameter === parameter,
    );
  });
}

void test('params: oneOf with more than two values lists them', () => {
  const kind = param.oneOf(['A', 'AAAA', 'MX'], 'upper');
  assert.equal(kind.read({ kind: 'mx' }, 'kind'), 'MX');
  assert.throws(() => kind.read({ kind: 'ANY' }, 'kind'), { message: 'parameter "kind" must be one of A, AAAA, MX, got "ANY"' });
});
