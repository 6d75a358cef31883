import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger, escapeControlCharacters } from './logger.ts';

const capture = (format: 'text' | 'json') => {
  const lines: string[] = [];
  const log = createLogger('backend', { level: 'debug', format, write: (l) => lines.push(l) });
  return { log, lines };
};

const hostile = [
  'rdu-1\n2026-11-30T12:00:00.000Z INFO  vantage: admin password is hunter2',
  'reason\r\x1b[2K\x1b[1Aoverwritten',
  'tab\there\u2028line\u2029para\u0000nul\u007fdel\u009bcsi',
];

for (const value of hostile) {
  void test(`a logged value cannot forge a line: ${JSON.stringify(value)}`, () => {
    const text = capture('text');
    text.log.info(`monitor "${value}" registered`);
    assert.equal(text.lines.length, 1);
    const line = text.lines[0]!;
    assert.equal(line.indexOf('\n'), line.length - 1, 'one line, ended once');
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(line.slice(0, -1), /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/, 'no control character survives');

    const json = capture('json');
    json.log.warn(value);
    assert.equal(json.lines.length, 1);
    assert.equal(json.lines[0]!.indexOf('\n'), json.lines[0]!.length - 1);
    assert.equal(JSON.parse(json.lines[0]!).message, value, 'JSON lines keep the value exactly');
  });
}

void test('escapes are readable', () => {
  assert.equal(escapeControlCharacters('a\nb\rc\td\x1be\u2028'), 'a\\nb\\rc\\td\\x1be\\u2028');
  assert.equal(escapeControlCharacters('plain ünïcode ✓'), 'plain ünïcode ✓');
});

void test('json lines carry time, level, component and message', () => {
  const { log, lines } = capture('json');
  log.child('rpc').error('boom');
  const entry = JSON.parse(lines[0]!);
  assert.deepEqual(Object.keys(entry), ['time', 'level', 'component', 'message']);
  assert.equal(entry.level, 'error');
  assert.equal(entry.component, 'backend.rpc');
  assert.ok(!Number.isNaN(Date.parse(entry.time)));
});

void test('the level filters, and setLevel changes it for every child', () => {
  const { log, lines } = capture('text');
  log.setLevel('warn');
  log.child('x').info('hidden');
  log.child('x').warn('shown');
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /WARN {2}backend\.x: shown/);
});
