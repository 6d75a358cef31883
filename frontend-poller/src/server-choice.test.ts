import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseServerList, ServerChoice } from './server-choice.ts';

const HOME = 'wss://home.example:8980/rpc';
const STANDBY = 'wss://standby.example:8980/rpc';
const THIRD = 'wss://third.example:8980/rpc';

function choice(servers = [HOME, STANDBY]) {
  let nowMs = 0;
  const c = new ServerChoice({ servers, switchoverAfterMs: 60_000, switchbackIntervalMs: 30_000, now: () => nowMs });
  return { c, advance: (ms: number) => (nowMs += ms) };
}

void test('home first; a failure of home is retried until switchover-after has passed', () => {
  const { c, advance } = choice();
  assert.equal(c.target().url, HOME);
  c.failed();
  advance(30_000);
  assert.equal(c.target().url, HOME, 'too early to leave home');
  c.failed();
  advance(30_000);
  c.failed();
  assert.deepEqual(c.target(), { url: STANDBY, role: 'standby', index: 1 }, 'home away 60 s: switch over');
  assert.equal(c.connected(), 'first');
});

void test('switch over after a session with home, then back when a probe finds home again', () => {
  const { c, advance } = choice();
  assert.equal(c.connected(), 'first');
  c.disconnected();
  assert.equal(c.target().url, HOME, 'the same server is tried first');
  c.failed();
  advance(61_000);
  c.failed();
  assert.equal(c.target().url, STANDBY);
  assert.equal(c.connected(), 'switchover');
  assert.equal(c.switchedFrom, HOME);
  assert.deepEqual(c.active(), { url: STANDBY, role: 'standby' });
  assert.equal(c.homeProbeDue(), false);
  advance(30_000);
  assert.equal(c.homeProbeDue(), true);
  c.homeProbed(false);
  assert.equal(c.homeProbeDue(), false, 'the interval starts again after a probe');
  assert.equal(c.switchBackPending, false);
  advance(30_000);
  c.homeProbed(true);
  assert.equal(c.switchBackPending, true);
  assert.equal(c.target().url, HOME);
  assert.equal(c.connected(), 'switchback');
  assert.equal(c.switchedFrom, STANDBY);
  assert.equal(c.homeProbeDue(), false, 'no probes while home');
});

void test('a blackout goes round every server, home once per round', () => {
  const { c, advance } = choice([HOME, STANDBY, THIRD]);
  c.failed();
  advance(60_000);
  const tried: string[] = [];
  for (let i = 0; i < 7; i++) {
    c.failed();
    tried.push(c.target().url);
    advance(1_000);
  }
  assert.deepEqual(tried, [STANDBY, THIRD, HOME, STANDBY, THIRD, HOME, STANDBY]);
});

void test('a lost standby is tried again first, then the next one', () => {
  const { c, advance } = choice([HOME, STANDBY, THIRD]);
  c.failed();
  advance(60_000);
  c.failed();
  assert.equal(c.connected(), 'first');
  c.disconnected();
  assert.equal(c.target().url, STANDBY);
  c.failed();
  assert.equal(c.target().url, THIRD);
  assert.equal(c.connected(), 'switchover');
});

void test('one server: never switches, never probes', () => {
  const { c, advance } = choice([HOME]);
  for (let i = 0; i < 5; i++) {
    c.failed();
    advance(100_000);
  }
  assert.equal(c.target().url, HOME);
  c.connected();
  assert.equal(c.homeProbeDue(), false);
});

void test('server lists: repeated --server and --servers, in order; malformed lists refused', () => {
  assert.deepEqual(parseServerList([HOME, STANDBY], undefined), [HOME, STANDBY]);
  assert.deepEqual(parseServerList([], `${HOME},${STANDBY}`), [HOME, STANDBY]);
  assert.deepEqual(parseServerList([HOME], `${STANDBY},${THIRD}`), [HOME, STANDBY, THIRD]);
  const refused: [string[], string | undefined, RegExp][] = [
    [[], undefined, /missing --server/],
    [[`${HOME},${STANDBY}`], undefined, /holds a comma; list several servers with --servers/],
    [[], `${HOME},,${STANDBY}`, /--servers has an empty entry/],
    [[], `${HOME},`, /--servers has an empty entry/],
    [['home:8980'], undefined, /must start with ws:\/\/, wss:\/\/, http:\/\/ or https:\/\//],
    [['not a url'], undefined, /is not a URL/],
    [[HOME, HOME], undefined, /listed twice/],
  ];
  for (const [servers, list, error] of refused) assert.throws(() => parseServerList(servers, list), error, JSON.stringify([servers, list]));
});
