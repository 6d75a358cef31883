import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseByteSize, parseDuration, parsePort } from './cli-values.ts';

void test('durations take a unit; a bare number is milliseconds', () => {
  assert.deepEqual(
    ['250', '250ms', '90s', '5m', '720h', '3d'].map((t) => parseDuration('--x', t)),
    [250, 250, 90_000, 300_000, 720 * 3_600_000, 3 * 86_400_000],
  );
  for (const bad of ['', '0', '-5s', '1.5h', '3 days', 'soon', '10w']) {
    assert.throws(() => parseDuration('--package-max-age', bad), new RegExp(`^Error: --package-max-age must be a positive duration .*got "${bad}"$`));
  }
});

void test('sizes take an optional binary unit', () => {
  assert.deepEqual(
    ['4096', '64MiB', '1GiB', '512kib'].map((t) => parseByteSize('--x', t)),
    [4096, 64 * 1024 ** 2, 1024 ** 3, 512 * 1024],
  );
  for (const bad of ['', '0', '64MB', '1.5GiB', 'lots']) assert.throws(() => parseByteSize('--spool-max-bytes', bad), /--spool-max-bytes must be a positive size/);
});

void test('ports are 0 (any free one) to 65535', () => {
  assert.deepEqual(['0', '9464', '65535'].map((t) => parsePort('--x', t)), [0, 9464, 65535]);
  for (const bad of ['', '-1', '65536', '94.64', 'http', '1e3']) assert.throws(() => parsePort('--metrics-port', bad), /--metrics-port must be a port number from 0 to 65535/);
});
