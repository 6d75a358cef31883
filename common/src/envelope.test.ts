import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkRequest, nestsDeeperThan } from './envelope.ts';

const NESTING: { text: string; limit: number; deeper: boolean }[] = [
  { text: '{"a":[1,{"b":2}]}', limit: 3, deeper: false },
  { text: '{"a":[1,{"b":2}]}', limit: 2, deeper: true },
  { text: '[[]],[[]]', limit: 2, deeper: false },
  // Brackets in strings, escaped quotes included, are text.
  { text: '{"a":"[[[[{{{{"}', limit: 1, deeper: false },
  { text: '{"a":"\\"[[[["}', limit: 1, deeper: false },
  { text: '{"a":"\\\\"}', limit: 1, deeper: false },
  { text: `${'['.repeat(5000)}${']'.repeat(5000)}`, limit: 32, deeper: true },
];

for (const { text, limit, deeper } of NESTING) {
  void test(`nestsDeeperThan(${JSON.stringify(text.slice(0, 24))}, ${limit}) is ${deeper}`, () => {
    assert.equal(nestsDeeperThan(text, limit), deeper);
  });
}

void test('a valid request keeps only its envelope fields', () => {
  assert.deepEqual(checkRequest({ jsonrpc: '2.0', id: 'a', method: 'm', params: { x: 1 }, extra: true }), {
    valid: true,
    request: { jsonrpc: '2.0', id: 'a', method: 'm', params: { x: 1 } },
  });
  assert.deepEqual(checkRequest({ jsonrpc: '2.0', method: 'notify' }), { valid: true, request: { jsonrpc: '2.0', method: 'notify' } });
  assert.deepEqual(checkRequest({ jsonrpc: '2.0', id: null, method: 'm', params: [] }), { valid: true, request: { jsonrpc: '2.0', id: null, method: 'm', params: [] } });
  // null params are no params, as the backend has always taken them.
  assert.deepEqual(checkRequest({ jsonrpc: '2.0', id: 1, method: 'm', params: null }), { valid: true, request: { jsonrpc: '2.0', id: 1, method: 'm' } });
});

const INVALID: { what: string; value: unknown; id: unknown; message: RegExp }[] = [
  { what: 'not an object', value: 'hello', id: null, message: /a request is a JSON object/ },
  { what: 'an array id', value: { jsonrpc: '2.0', id: [1], method: 'm' }, id: null, message: /id must be/ },
  { what: 'an unsafe integer id', value: { jsonrpc: '2.0', id: 2 ** 53, method: 'm' }, id: null, message: /id must be/ },
  { what: 'a 129-character id', value: { jsonrpc: '2.0', id: 'x'.repeat(129), method: 'm' }, id: null, message: /id must be a string of at most 128/ },
  { what: 'version 1.0, with a valid id kept', value: { jsonrpc: '1.0', id: 7, method: 'm' }, id: 7, message: /jsonrpc must be "2.0"/ },
  { what: 'an empty method', value: { jsonrpc: '2.0', id: 'q', method: '' }, id: 'q', message: /method must be a string of 1 to 64/ },
  { what: 'params that are a number', value: { jsonrpc: '2.0', id: 1, method: 'm', params: 3 }, id: 1, message: /params must be an object or an array/ },
  { what: 'params that are a string', value: { jsonrpc: '2.0', id: 1, method: 'm', params: 'all' }, id: 1, message: /params must be/ },
];

for (const { what, value, id, message } of INVALID) {
  void test(`checkRequest refuses ${what}`, () => {
    const check = checkRequest(value);
    assert.equal(check.valid, false);
    if (check.valid) return;
    assert.equal(check.id, id);
    assert.match(check.message, message);
  });
}
