import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isStorableText, toStorableText } from './text.ts';

const CASES: { what: string; text: string; storable: boolean; cleaned: string }[] = [
  { what: 'plain text', text: 'connection refused', storable: true, cleaned: 'connection refused' },
  { what: 'a surrogate pair (an emoji)', text: 'up \ud83d\ude00', storable: true, cleaned: 'up \ud83d\ude00' },
  { what: 'a NUL', text: 'banner\u0000x', storable: false, cleaned: 'banner\ufffdx' },
  { what: 'a lone high surrogate', text: 'a\ud800b', storable: false, cleaned: 'a\ufffdb' },
  { what: 'a lone low surrogate', text: '\udc00', storable: false, cleaned: '\ufffd' },
  { what: 'a pair written backwards', text: '\ude00\ud83d', storable: false, cleaned: '\ufffd\ufffd' },
];

for (const { what, text, storable, cleaned } of CASES) {
  void test(`storable text: ${what}`, () => {
    assert.equal(isStorableText(text), storable);
    assert.equal(toStorableText(text, 100), cleaned);
    assert.ok(isStorableText(toStorableText(text, 100)));
  });
}

void test('toStorableText cuts to the length without splitting a surrogate pair', () => {
  assert.equal(toStorableText('abcdef', 3), 'abc');
  assert.equal(toStorableText('ab\ud83d\ude00', 3), 'ab');
  assert.equal(toStorableText('ab\ud83d\ude00', 4), 'ab\ud83d\ude00');
});
