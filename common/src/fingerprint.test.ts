import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatFingerprint, parseFingerprint } from './fingerprint.ts';

const CANONICAL = 'sha256:88:B8:1F:73:55:13:88:41:F4:CE:B6:A7:89:7D:ED:74:4A:C7:2E:09:8B:CA:8A:8A:17:1D:86:DC:49:37:CF:78';
const HEX = '88b81f73551388 41f4ceb6a7897ded744ac72e098bca8a8a171d86dc4937cf78'.replace(' ', '');

void test('every accepted spelling of a fingerprint reads as the one canonical form', () => {
  for (const text of [
    CANONICAL,
    CANONICAL.toLowerCase(),
    CANONICAL.slice('sha256:'.length),
    HEX,
    HEX.toUpperCase(),
    `SHA256:${HEX}`,
    `  ${CANONICAL}\n`,
  ]) {
    assert.equal(parseFingerprint(text), CANONICAL, text);
  }
});

void test('Node’s fingerprint256 becomes the canonical form', () => {
  assert.equal(formatFingerprint(CANONICAL.slice('sha256:'.length).toLowerCase()), CANONICAL);
});

void test('a malformed fingerprint is refused, saying what was expected', () => {
  const cases: [string, RegExp][] = [
    ['', /empty/],
    ['sha1:AB:CD', /only SHA-256 fingerprints/],
    ['md5:' + HEX, /only SHA-256 fingerprints/],
    [HEX.slice(2), /32 bytes, got 31/],
    [`${HEX}00`, /32 bytes, got 33/],
    [HEX.replace('88', 'zz'), /hexadecimal/],
    ['88:B8:1F:7', /hexadecimal/],
  ];
  for (const [text, pattern] of cases) {
    assert.throws(() => parseFingerprint(text), pattern, text);
  }
});
