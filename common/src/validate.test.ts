import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAuthorization, parseAuthorization } from './credentials.ts';
import type { MonitorCredentials } from './credentials.ts';
import { ProtocolError } from './errors.ts';
import { METHOD_NAMES } from './protocol.ts';
import type { MethodName } from './protocol.ts';
import { parseParams } from './validate.ts';

const RESULT = { seq: 7, serviceId: 'www/HTTP', timestamp: 1_700_000_000_000, status: 'UP', responseTimeMs: 12.5 };

// Valid params of every method, and what parseParams returns for them.
const VALID: { method: MethodName; params: unknown; parsed: unknown }[] = [
  {
    method: 'registerLocationMonitor',
    params: { location: 'RDU', name: 'poller-1', token: 's3cret-token', details: { os: 'linux' } },
    parsed: { location: 'RDU', name: 'poller-1', token: 's3cret-token', details: { os: 'linux' } },
  },
  {
    method: 'registerLocationMonitor',
    params: { location: 'RDU', name: 'poller-1' },
    parsed: { location: 'RDU', name: 'poller-1' },
  },
  { method: 'pollerStarting', params: { details: { 'java.version': 'none' } }, parsed: { details: { 'java.version': 'none' } } },
  { method: 'pollerStarting', params: {}, parsed: {} },
  {
    method: 'pollerStarting',
    params: { connection: { server: 'wss://standby:8980/rpc', role: 'standby', arrival: 'switchover', switchedFrom: 'wss://home:8980/rpc' } },
    parsed: { connection: { server: 'wss://standby:8980/rpc', role: 'standby', arrival: 'switchover', switchedFrom: 'wss://home:8980/rpc' } },
  },
  { method: 'getServerInfo', params: {}, parsed: {} },
  { method: 'getPollingPackage', params: { knownVersion: 'abc' }, parsed: { knownVersion: 'abc' } },
  { method: 'getPollingPackage', params: {}, parsed: {} },
  {
    method: 'pollerCheckingIn',
    params: { configVersion: 'abc', stats: { spooled: 3 } },
    parsed: { configVersion: 'abc', stats: { spooled: 3 } },
  },
  {
    method: 'reportResults',
    params: { results: [RESULT, { ...RESULT, seq: 8, status: 'DOWN', reason: 'connection refused' }] },
    parsed: { results: [RESULT, { ...RESULT, seq: 8, status: 'DOWN', reason: 'connection refused' }] },
  },
  { method: 'reportResults', params: { results: [] }, parsed: { results: [] } },
  { method: 'pollerStopping', params: {}, parsed: {} },
  // JSON-RPC lets a request leave params out.
  { method: 'pollerStopping', params: undefined, parsed: {} },
  { method: 'getPollingPackage', params: null, parsed: {} },
];

void test('every method has a valid-params case', () => {
  assert.deepEqual(new Set(VALID.map((c) => c.method)), new Set(METHOD_NAMES));
});

for (const { method, params, parsed } of VALID) {
  void test(`${method} accepts ${JSON.stringify(params)}`, () => {
    assert.deepEqual(parseParams(method, params), parsed);
  });
}

function assertInvalidParams(method: MethodName, params: unknown, message: string): void {
  assert.throws(
    () => parseParams(method, params),
    (err: unknown) => {
      assert.ok(err instanceof ProtocolError, `expected a ProtocolError, got ${String(err)}`);
      assert.equal(err.code, -32602);
      assert.equal(err.message, message);
      return true;
    },
  );
}

// Invalid params and the exact message: each problem names the field's path from `params`.
const INVALID: { what: string; method: MethodName; params: unknown; message: string }[] = [
  {
    what: 'a connection role that is neither home nor standby',
    method: 'pollerCheckingIn',
    params: { configVersion: 'v', connection: { server: 'wss://b/rpc', role: 'primary' } },
    message: 'invalid params: params.connection.role: Invalid option: expected one of "home"|"standby"',
  },
  {
    what: 'a nested array element of the wrong type',
    method: 'reportResults',
    params: { results: [{ ...RESULT, seq: '7' }] },
    message: 'invalid params: params.results[0].seq: Invalid input: expected number, received string',
  },
  {
    what: 'a later array element',
    method: 'reportResults',
    params: { results: [RESULT, { ...RESULT, seq: 8, status: 'SIDEWAYS' }] },
    message: 'invalid params: params.results[1].status: Invalid option: expected one of "UP"|"DOWN"|"UNKNOWN"',
  },
  {
    what: 'a fraction where a whole number is needed',
    method: 'reportResults',
    params: { results: [{ ...RESULT, seq: 1.5 }] },
    message: 'invalid params: params.results[0].seq: Invalid input: expected int, received number',
  },
  {
    what: 'a missing field',
    method: 'reportResults',
    params: {},
    message: 'invalid params: params.results: Invalid input: expected array, received undefined',
  },
  {
    what: 'too many results',
    method: 'reportResults',
    params: { results: Array.from({ length: 10_001 }, (_, i) => ({ ...RESULT, seq: i + 1 })) },
    message: 'invalid params: params.results: at most 10000 results in one call',
  },
  {
    what: 'several problems in one element',
    method: 'reportResults',
    params: { results: [{ ...RESULT, seq: 0, serviceId: '', timestamp: -1 }] },
    message:
      'invalid params: params.results[0].seq: at least 1; ' +
      'params.results[0].serviceId: must not be empty; ' +
      'params.results[0].timestamp: Too small: expected number to be >=0',
  },
  {
    what: 'more than five problems (only the first five are named)',
    method: 'reportResults',
    params: { results: [{}, {}] },
    message:
      'invalid params: params.results[0].seq: Invalid input: expected number, received undefined; ' +
      'params.results[0].serviceId: Invalid input: expected string, received undefined; ' +
      'params.results[0].timestamp: Invalid input: expected number, received undefined; ' +
      'params.results[0].status: Invalid option: expected one of "UP"|"DOWN"|"UNKNOWN"; ' +
      'params.results[1].seq: Invalid input: expected number, received undefined',
  },
  {
    what: 'an empty required string',
    method: 'registerLocationMonitor',
    params: { location: '', name: 'poller-1' },
    message: 'invalid params: params.location: must not be empty',
  },
  {
    what: 'missing required fields',
    method: 'registerLocationMonitor',
    params: { token: 's3cret-token' },
    message:
      'invalid params: params.location: Invalid input: expected string, received undefined; ' +
      'params.name: Invalid input: expected string, received undefined',
  },
  {
    what: 'a record value of the wrong type',
    method: 'registerLocationMonitor',
    params: { location: 'RDU', name: 'poller-1', details: { cpus: 4 } },
    message: 'invalid params: params.details.cpus: Invalid input: expected string, received number',
  },
  {
    what: 'a name that is too long',
    method: 'registerLocationMonitor',
    params: { location: 'RDU', name: 'x'.repeat(201) },
    message: 'invalid params: params.name: at most 200 characters',
  },
  {
    what: 'a seq beyond 2^48',
    method: 'reportResults',
    params: { results: [{ ...RESULT, seq: 2 ** 48 + 1 }] },
    message: 'invalid params: params.results[0].seq: at most 2^48 (281474976710656)',
  },
  {
    what: 'a NUL character',
    method: 'registerLocationMonitor',
    params: { location: 'RDU\u0000', name: 'poller-1' },
    message: 'invalid params: params.location: must not contain NUL characters or unpaired surrogates',
  },
  {
    what: 'an unpaired surrogate (a pair is fine)',
    method: 'reportResults',
    params: { results: [{ ...RESULT, status: 'DOWN', reason: 'ok \ud83d\ude00 then \udc00' }] },
    message: 'invalid params: params.results[0].reason: must not contain NUL characters or unpaired surrogates',
  },
  {
    what: 'a map with too many entries (counted before any value is looked at)',
    method: 'pollerCheckingIn',
    params: { configVersion: 'abc', stats: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`s${i}`, 'not a number'])) },
    message: 'invalid params: params.stats: at most 64 entries, got 65',
  },
  {
    what: 'a map entry name that is too long',
    method: 'registerLocationMonitor',
    params: { location: 'RDU', name: 'poller-1', details: { os: 'linux', ['k'.repeat(65)]: 'v' } },
    message: 'invalid params: params.details: name of entry 2: at most 64 characters',
  },
  {
    what: 'a map entry name with a NUL character',
    method: 'reportResults',
    params: { results: [{ ...RESULT, details: { 'connect\u0000Ms': 3 } }] },
    message: 'invalid params: params.results[0].details: name of entry 1: must not contain NUL characters or unpaired surrogates',
  },
  {
    what: 'a measurement beyond 10^15',
    method: 'reportResults',
    params: { results: [{ ...RESULT, details: { daysLeft: -1e16 } }] },
    message: 'invalid params: params.results[0].details.daysLeft: at least -1000000000000000',
  },
  {
    what: 'a response time beyond a day',
    method: 'reportResults',
    params: { results: [{ ...RESULT, responseTimeMs: 86_400_001 }] },
    message: 'invalid params: params.results[0].responseTimeMs: at most 86400000 (a day)',
  },
  {
    what: 'a wrong type',
    method: 'pollerCheckingIn',
    params: { configVersion: 5 },
    message: 'invalid params: params.configVersion: Invalid input: expected string, received number',
  },
  {
    what: 'null for an optional field',
    method: 'getPollingPackage',
    params: { knownVersion: null },
    message: 'invalid params: params.knownVersion: Invalid input: expected string, received null',
  },
  {
    what: 'params that are not an object',
    method: 'pollerStopping',
    params: ['positional'],
    message: 'invalid params: params: Invalid input: expected object, received array',
  },
];

for (const { what, method, params, message } of INVALID) {
  void test(`${method} refuses ${what}`, () => {
    assertInvalidParams(method, params, message);
  });
}

void test('unknown extra fields are dropped, not refused', () => {
  // A newer poller may send fields this backend does not know.
  assert.deepEqual(
    parseParams('registerLocationMonitor', { location: 'RDU', name: 'poller-1', capabilities: ['ws'] }),
    { location: 'RDU', name: 'poller-1' },
  );
  assert.deepEqual(parseParams('reportResults', { results: [{ ...RESULT, jitterMs: 3 }], batch: 1 }), {
    results: [RESULT],
  });
  assert.deepEqual(parseParams('pollerStopping', { reason: 'SIGTERM' }), {});
});

const CREDENTIALS: MonitorCredentials = { monitorId: 'm-0123_abc', secret: 'S3cr3t-_xyz' };

const AUTHORIZATION: { header: string | undefined; expected: MonitorCredentials | null | undefined }[] = [
  { header: undefined, expected: undefined },
  { header: '', expected: undefined },
  { header: 'Bearer m-0123_abc.S3cr3t-_xyz', expected: CREDENTIALS },
  { header: '  Bearer m-0123_abc.S3cr3t-_xyz \t', expected: CREDENTIALS },
  { header: 'Bearer m-0123_abc', expected: null },
  { header: 'Bearer m-0123_abc.', expected: null },
  { header: 'Bearer .S3cr3t', expected: null },
  { header: 'Bearer m.secret.more', expected: null },
  { header: 'Bearer  m.secret', expected: null },
  { header: 'Bearer m.sec ret', expected: null },
  { header: 'Bearer m.sec/ret=', expected: null },
  { header: 'Basic bTpzZWNyZXQ=', expected: null },
  { header: 'm-0123_abc.S3cr3t-_xyz', expected: null },
  { header: ' ', expected: null },
];

for (const { header, expected } of AUTHORIZATION) {
  void test(`parseAuthorization(${JSON.stringify(header)})`, () => {
    assert.deepEqual(parseAuthorization(header), expected);
  });
}

void test('parseAuthorization reads what formatAuthorization writes', () => {
  assert.equal(formatAuthorization(CREDENTIALS), 'Bearer m-0123_abc.S3cr3t-_xyz');
  assert.deepEqual(parseAuthorization(formatAuthorization(CREDENTIALS)), CREDENTIALS);
});
